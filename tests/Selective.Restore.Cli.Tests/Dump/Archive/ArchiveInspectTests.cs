using System.Text.Json;
using System.Text.RegularExpressions;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// <c>inspect</c> of an archive locates each table by its TOC entry and its data (issue 11, messages): offsets and lines
/// within an entry's data were all 0. The entries are those the real pg_restore lists, and the custom archive's offsets
/// are the same whether the archive is read by offset (a file) or forward (a pipe).
/// </summary>
[NonParallelizable]
public sealed partial class ArchiveInspectTests
{
    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, note text);
        INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 30) g;
        INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 200) g;
        """;

    [GeneratedRegex(@"^(?<id>\d+); \d+ \d+ TABLE DATA public (?<table>\w+) ", RegexOptions.Multiline | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex TableDataLine();

    private static async Task<Dictionary<string, int>> TocEntriesAsync(string archive)
    {
        var (exit, listing, err) = await PgRestore.RunAsync("-l", archive);
        exit.ShouldBe(0, err);
        return TableDataLine().Matches(listing).ToDictionary(m => m.Groups["table"].Value, m => int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<JsonElement[]> InspectJsonAsync(string path)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", path, "--json");
        exit.ShouldBe(0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.GetProperty("tables").EnumerateArray()];
    }

    [Test]
    public async Task Inspect_shows_the_toc_entry_and_the_archive_offset_or_data_file()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var custom = await db.DumpAsync("-Fc", "all.dump");
        var directory = await db.DumpAsync("-Fd", "all.dir");
        var entries = await TocEntriesAsync(custom);
        entries.Keys.ShouldBe(["a", "b"], ignoreOrder: true);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", custom);
        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("toc entry  archive offset");
        stdout.ShouldNotContain("offset  line");

        var tables = await InspectJsonAsync(custom);
        foreach (var table in tables)
        {
            table.GetProperty("tocEntry").GetInt32().ShouldBe(entries[table.GetProperty("table").GetString()!]);
            table.GetProperty("archiveOffset").GetInt64().ShouldBeGreaterThan(0);
            table.TryGetProperty("dataFile", out _).ShouldBeFalse();
        }

        // Read forward (a pipe: no seeking): the blocks are found at the same offsets.
        var forward = await InspectForwardAsync(custom);
        forward.ShouldBe(tables.Select(t => t.GetProperty("archiveOffset").GetInt64()).ToArray());

        var dirEntries = await TocEntriesAsync(directory);
        foreach (var table in await InspectJsonAsync(directory))
        {
            var id = dirEntries[table.GetProperty("table").GetString()!];
            table.GetProperty("tocEntry").GetInt32().ShouldBe(id);
            table.GetProperty("dataFile").GetString().ShouldBe($"{id}.dat.gz");
            table.TryGetProperty("archiveOffset", out _).ShouldBeFalse();
        }
    }

    private static async Task<long[]> InspectForwardAsync(string custom)
    {
        await using var reader = Restore.Dump.DumpReader.Open(new TrickleStream(await File.ReadAllBytesAsync(custom), 4096));
        var inventory = await DumpInspector.InspectAsync(reader);
        return [.. inventory.Tables.Select(t => t.ArchiveDataOffset ?? -1)];
    }
}
