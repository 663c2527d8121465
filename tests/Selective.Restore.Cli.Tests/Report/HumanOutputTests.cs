using System.Text.Json;
using Microsoft.Extensions.Logging;
using Selective.Restore.Cli;
using Selective.Restore.Cli.Commands;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Report;

/// <summary>
/// Names and values come from dumps and databases anyone could have written to. In every human output (summaries,
/// inspect, split, stderr lines, log lines) their control characters are escaped: a name cannot add a line, clear the
/// screen or recolour the terminal. The JSON outputs carry them exactly (the JSON writer escapes them).
/// </summary>
public sealed class HumanOutputTests
{
    private const string Hostile = "a\nb\rc\td\u001b[2Je\u2028f\u0085g\u202Eh";
    private const string Escaped = "a\\nb\\rc\\td\\x1B[2Je\\u2028f\\u0085g\\u202Eh";
    private static readonly TableName Name = new("public", Hostile);

    /// <summary>No character that moves the cursor or breaks a line, other than the line ends themselves.</summary>
    private static void ShouldBeCleanLines(string text, int lines)
    {
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(lines, text);
        text.Where(c => c != '\n' && DisplayText.IsUnsafe(c)).ShouldBeEmpty(text);
    }

    [Test]
    public void Escape_makes_one_visible_line_and_leaves_ordinary_text_alone()
    {
        DisplayText.Escape(Hostile).ShouldBe(Escaped);
        DisplayText.Escape("ünïcødé 😀 C:\\dumps\\x.sql \"q\"").ShouldBe("ünïcødé 😀 C:\\dumps\\x.sql \"q\"");
        DisplayText.Escape("\0\u007F\u009B\uD800").ShouldBe("\\x00\\x7F\\u009B\\uD800");
        DisplayText.Name(Name).ShouldBe("public.\"" + Escaped + "\"");
    }

    [Test]
    public void Restore_summary_escapes_names_keys_and_messages()
    {
        var report = new RestoreReport("dump\n.sql", "db\u001b[31m", "prefer-live", dryRun: false, DateTimeOffset.UnixEpoch);
        var table = new TableReport(Name) { Outcome = TableOutcome.Failed };
        table.ErrorsList.Add("bad row\n\\! touch x");
        table.WarningsList.Add("w\r");
        table.SetKeys(KeyClass.Collision, [["k\n1"]]);
        table.Collisions = 1;
        report.TablesList.Add(table);
        report.ErrorsList.Add("run\nerror");
        report.UndoScript = "/tmp/u\n.sql";

        var summary = report.ToSummary();

        // header, column titles, the table, identity, keys, error, warning, run error, undo script, totals
        ShouldBeCleanLines(summary, 10);
        summary.ShouldContain("public.\"" + Escaped + "\"");
        summary.ShouldContain("bad row\\n\\! touch x");
    }

    [Test]
    public void Verify_summary_escapes_names_and_messages()
    {
        var report = new VerifyReport("dump\n.sql", "db", [], DateTimeOffset.UnixEpoch);
        var table = new VerifyTableReport(Name) { Compared = true, DumpMinKey = "1\n", DumpMaxKey = "9" };
        table.ErrorsList.Add("e\n1");
        report.TablesList.Add(table);
        report.TablesOnlyInLiveList.Add(new TableName("x\ny", "z"));
        report.WarningsList.Add("w\n2");

        var summary = report.ToSummary();

        ShouldBeCleanLines(summary, 7); // header, titles, the table, its error, only-in-live, warning, totals
        summary.ShouldContain("public.\"" + Escaped + "\"");
    }

    [Test]
    public void Inspect_summary_escapes_the_source_names_and_notices()
    {
        var inventory = new DumpInventory("d\n.sql", DumpFormat.PlainSql, DumpCompression.None, "UTF8", [new TableInventory(Name, 1, DumpDataForm.Copy, [], 0, 10, 1)], [], ["note\nhere"]);

        var summary = InspectCommand.Summary(inventory);

        ShouldBeCleanLines(summary, 5);
        summary.ShouldContain("public.\"" + Escaped + "\"");
    }

    [Test]
    public void Inspect_summary_of_an_archive_shows_toc_entries_and_where_the_data_is_not_zero_offsets()
    {
        var custom = new DumpInventory("d.dump", DumpFormat.CustomArchive, DumpCompression.Zlib, "UTF8", [new TableInventory(Name, 1, DumpDataForm.Copy, [], 0, 10, 0) { ArchiveEntryId = 3824, ArchiveDataOffset = 36180 }], []);
        var lines = InspectCommand.Summary(custom).Split('\n');
        lines[1].ShouldEndWith("toc entry  archive offset");
        lines[2].ShouldEndWith("10        3824  36180");

        var directory = new DumpInventory("d", DumpFormat.DirectoryArchive, DumpCompression.Gzip, "UTF8", [new TableInventory(Name, 1, DumpDataForm.Copy, [], 0, 10, 0) { ArchiveEntryId = 3412, ArchiveDataFile = "3412.dat\u001b.gz" }], []);
        lines = InspectCommand.Summary(directory).Split('\n');
        lines[1].ShouldEndWith("toc entry  data file");
        lines[2].ShouldEndWith("3412  3412.dat\\x1B.gz", Case.Sensitive, "the file name is escaped like any name");
        ShouldBeCleanLines(InspectCommand.Summary(directory), 4);
    }

    [Test]
    public void Log_lines_and_error_lines_are_one_line_each()
    {
        using var writer = new StringWriter();
        var logger = new TextWriterLogger(writer, LogLevel.Information);

        logger.Log(LogLevel.Warning, default, Name.ToString(), null, (state, _) => "table " + state + ": odd");

        ShouldBeCleanLines(writer.ToString(), 1);
        writer.ToString().ShouldContain(Escaped);
        CliApp.OneLine("x\ny\u001b").ShouldBe("x\\ny\\x1B");
    }

    [Test]
    public async Task Cli_inspect_split_and_errors_escape_a_hostile_name_and_json_keeps_it_exact()
    {
        using var dir = new TempDirectory();
        var quoted = "\"" + Hostile + "\"";
        var dump = dir.Write("dump.sql", $"SET client_encoding = 'UTF8';\nCOPY public.{quoted} (id) FROM stdin;\n1\n\\.\n");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", dump);
        exit.ShouldBe(0, stderr);
        ShouldBeCleanLines(stdout, 4);
        stdout.ShouldContain(Escaped);

        (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", dump, "--json");
        exit.ShouldBe(0, stderr);
        stdout.Where(c => c < ' ' && c != '\n' || c is '\u2028' or '\u0085' or '\u202E').ShouldBeEmpty(); // escaped by the JSON writer
        using (var json = JsonDocument.Parse(stdout))
        {
            json.RootElement.GetProperty("tables")[0].GetProperty("table").GetString().ShouldBe(Hostile);
        }

        (exit, stdout, stderr) = await CliRunner.RunAsync("split", dump, "--out", dir.File("out\n\u001b[2J"));
        exit.ShouldBe(0, stderr);
        ShouldBeCleanLines(stdout, 1);

        var bad = dir.Write("bad.sql", $"SET client_encoding = 'UTF8';\nCOPY public.{quoted} (id) FROM stdin;\n1\t2\n\\.\n");
        (exit, _, stderr) = await CliRunner.RunAsync("inspect", bad);
        exit.ShouldBe(1);
        ShouldBeCleanLines(stderr, 1);
        stderr.ShouldContain(Escaped);
    }
}
