using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// PostgreSQL 14+ SQL-standard function bodies (<c>BEGIN ATOMIC ... ; ... END</c>) as the real pg_dump writes them: psql
/// reads the whole CREATE FUNCTION as one statement, so INSERTs with literal values inside the body are not table rows.
/// </summary>
[NonParallelizable]
public sealed class SqlStandardFunctionBodyTests
{
    private const string Schema = """
        CREATE TABLE log (id int, note text);
        CREATE FUNCTION seed() RETURNS void LANGUAGE sql BEGIN ATOMIC
            INSERT INTO log VALUES (100, 'from the body; not a row');
            INSERT INTO log VALUES (101, CASE WHEN now() > '2000-01-01' THEN 'also' ELSE 'not' END);
            INSERT INTO log VALUES (102, 'nor this');
        END;
        CREATE PROCEDURE more(x int) LANGUAGE sql BEGIN ATOMIC
            INSERT INTO log VALUES (x, 'p');
            INSERT INTO log VALUES (200, 'p2');
        END;
        CREATE TABLE t (id int PRIMARY KEY, v text);
        CREATE RULE keep AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (new.id, 'rule');
        INSERT INTO t VALUES (1, 'one'), (2, 'two');
        INSERT INTO log VALUES (9, 'nine');
        """;

    [TestCase("")]
    [TestCase("--inserts")]
    [TestCase("-Fc")]
    public async Task Inserts_inside_a_begin_atomic_body_are_not_read_as_rows(string arguments)
    {
        // Through psql: Npgsql splits commands at every ';', BEGIN ATOMIC bodies included.
        await using var db = await Scenario.CreateEmptyAsync();
        using var dir = new TempDirectory();
        await db.PsqlAsync(dir.Write("schema.sql", Schema));
        var path = await db.DumpAsync(arguments, arguments == "-Fc" ? "dump.fc" : "dump.sql");
        if (arguments.Length == 0)
        {
            (await File.ReadAllTextAsync(path)).ShouldContain("BEGIN ATOMIC\n INSERT INTO public.log (id, note)\n   VALUES (100, 'from the body; not a row'::text);");
        }

        await using (var reader = DumpReader.Open(path))
        {
            var inventory = await DumpInspector.InspectAsync(reader);
            inventory.Tables.Select(t => (t.Name.Name, t.Rows)).ShouldBe([("log", 3L), ("t", 2L)]);
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
            reader.Notices.ShouldBeEmpty();
        }

        // The rows read are the server's own, byte for byte.
        await using (var reader = DumpReader.Open(path))
        {
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            var lines = new List<string>();
            while (await table.ReadAsync())
            {
                lines.Add(System.Text.Encoding.UTF8.GetString(table.Current.CopyLine));
            }

            var expected = (await db.ContentAsync("log")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal));
        }
    }
}
