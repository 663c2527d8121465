using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// An input with no dump in it is "not a dump", naming the file, never "0 tables" (issue 10, point 12); a real dump
/// without table data (pg_dump -s, an empty database) is still a dump.
/// </summary>
[NonParallelizable]
public sealed class NotADumpTests
{
    [TestCase("", "line 1, byte offset 0: not a dump: the input is empty")]
    [TestCase("\n  \n-- just a comment\n/* and another */\n", "line 5, byte offset 40: not a dump: the input holds no SQL statements (only white space, comments or psql meta-commands)")]
    [TestCase("# Selective.Restore\n\nRestore part of a database.\n", "line 1, byte offset 0: not a dump: it starts with '# Selective.Restore', which is not an SQL statement")]
    [TestCase("Restore part of a database from a dump.\n", "line 1, byte offset 0: not a dump: it starts with 'Restore part of a database from a dump.', which is not an SQL statement")]
    public async Task An_input_without_a_dump_in_it_is_not_a_dump(string text, string message)
    {
        var error = await DumpHarness.FailAsync(text);

        error.Message.ShouldBe("test.sql: " + message);
    }

    [Test]
    public async Task The_cli_says_not_a_dump_and_fails_for_an_empty_file_dev_null_and_a_readme()
    {
        using var dir = new TempDirectory();
        var empty = dir.Write("empty.sql", string.Empty);
        var readme = dir.Write("README.md", "# Title\n\nSome text.\n");
        foreach (var path in new[] { empty, "/dev/null", readme })
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", path);

            exit.ShouldBe(1, stdout);
            stderr.ShouldStartWith($"selective-restore: {path}: line 1, byte offset 0: not a dump: ");
        }
    }

    [Test]
    public async Task A_schema_only_dump_and_a_dump_of_an_empty_database_are_dumps_with_no_tables()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');");
        var schemaOnly = await db.DumpAsync("-s", "schema.sql");
        await using (var reader = DumpReader.Open(schemaOnly))
        {
            var inventory = await DumpInspector.InspectAsync(reader);
            inventory.Tables.ShouldBeEmpty();
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        await using var empty = await Scenario.CreateEmptyAsync();
        foreach (var arguments in new[] { string.Empty, "-Fc" })
        {
            var path = await empty.DumpAsync(arguments, arguments.Length == 0 ? "empty.sql" : "empty.dump");
            await using var reader = DumpReader.Open(path);
            (await DumpInspector.InspectAsync(reader)).Tables.ShouldBeEmpty();
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        }
    }
}
