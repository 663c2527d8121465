using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Archive;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// Archives are read as pg_restore reads them and never passed over where not understood (issue 10, points 1, 2, 16):
/// data files found in pg_restore's order, corrupt compressed data called corrupt, data entries of unknown kinds and
/// settings carrying psql meta-commands refused.
/// </summary>
[NonParallelizable]
public sealed class ArchiveReadingRulesTests
{
    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, note text);
        INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 300) g;
        INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
        """;

    private static TocEntry DataOf(string tocPath, string table)
    {
        using var input = new ArchiveInput(File.OpenRead(tocPath), 0, leaveOpen: false, tocPath);
        return ArchiveToc.Read(input).Entries.Single(e => e.Desc == "TABLE DATA" && e.Tag == table);
    }

    private static async Task<Dictionary<string, long>> RowsAsync(DumpReader reader) =>
        (await DumpInspector.InspectAsync(reader)).Tables.ToDictionary(t => t.Name.Name, t => t.Rows);

    [Test]
    public async Task A_directory_archive_with_both_dat_and_dat_gz_is_read_from_dat_as_pg_restore_does()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fd -Z0", "dir");
        var b = DataOf(Path.Combine(path, "toc.dat"), "b");
        var dat = Path.Combine(path, b.FileName!);

        // A stale .dat.gz with other rows next to the .dat.
        await using (var gz = new GZipStream(File.Create(dat + ".gz"), CompressionLevel.Fastest))
        {
            await gz.WriteAsync(Encoding.UTF8.GetBytes("1\tstale\n\\.\n"));
        }

        await using var reader = DumpReader.Open(path);
        (await RowsAsync(reader))["b"].ShouldBe(3000);
        reader.Notices.ShouldBe([$"both {b.FileName} and {b.FileName}.gz exist for TOC entry {b.DumpId} (public.b); {b.FileName} was read, as pg_restore reads it"]);
    }

    [Test]
    public async Task A_data_file_is_found_whatever_the_header_says_about_compression()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fd", "dir");
        var b = DataOf(Path.Combine(path, "toc.dat"), "b");
        var gz = Path.Combine(path, b.FileName + ".gz");
        await using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        await using (var output = File.Create(Path.Combine(path, b.FileName!)))
        {
            await input.CopyToAsync(output);
        }

        File.Delete(gz);

        await using var reader = DumpReader.Open(path);
        (await RowsAsync(reader)).ShouldBe(new Dictionary<string, long> { ["a"] = 300, ["b"] = 3000 });
        reader.Notices.ShouldBeEmpty();
    }

    [Test]
    public async Task Corrupt_compressed_data_is_called_corrupt()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        var bytes = await File.ReadAllBytesAsync(path);
        using (var input = new ArchiveInput(new MemoryStream(bytes), 0, leaveOpen: false, path))
        {
            var b = ArchiveToc.Read(input).Entries.Single(e => e.Desc == "TABLE DATA" && e.Tag == "b");
            var chunk = (int)b.DataOffset + 1 + 5;
            for (var i = chunk + 5 + 20; i < chunk + 5 + 400; i += 7)
            {
                bytes[i] ^= 0x5A;
            }
        }

        await using var reader = DumpReader.Open(new MemoryStream(bytes), new DumpReaderOptions { SourceName = "damaged.dump" });
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));

        error.Message.ShouldContain("corrupt compressed data: it cannot be decompressed");
        error.Message.ShouldNotContain("unsupported compression method");
    }

    [Test]
    public async Task A_toc_entry_with_data_of_an_unknown_kind_is_refused()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        var bytes = await File.ReadAllBytesAsync(path);
        var desc = Encoding.ASCII.GetBytes("TABLE DATA");
        var at = bytes.AsSpan().IndexOf(desc);
        at.ShouldBeGreaterThan(0);
        "TABLE DATX"u8.CopyTo(bytes.AsSpan(at));

        var error = Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(bytes), new DumpReaderOptions { SourceName = "odd.dump" }));

        error.Message.ShouldStartWith("odd.dump: TOC entry ");
        error.Message.ShouldEndWith("has data of a kind this reader does not read; pg_dump writes data only as TABLE DATA and BLOBS entries");
    }

    [Test]
    public async Task An_archive_setting_carrying_a_meta_command_is_refused()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        var bytes = await File.ReadAllBytesAsync(path);

        // The ENCODING entry's definition, same length: a SET without its ';' and a psql meta-command after it.
        var definition = Encoding.ASCII.GetBytes("SET client_encoding = 'UTF8';\n");
        var hostile = Encoding.ASCII.GetBytes("SET client_encoding='UTF8'\n\\!\n");
        hostile.Length.ShouldBe(definition.Length);
        var at = bytes.AsSpan().IndexOf(definition);
        at.ShouldBeGreaterThan(0);
        hostile.CopyTo(bytes, at);

        var error = Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(bytes), new DumpReaderOptions { SourceName = "evil.dump" }));

        error.Message.ShouldStartWith("evil.dump (ENCODING, STDSTRINGS and SEARCHPATH entries): line 2");
        error.Message.ShouldContain("a psql meta-command (a backslash outside quotes) is inside the SET statement");
    }

    [Test]
    public async Task Archive_settings_are_rebuilt_like_a_plain_dumps()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        await using var reader = DumpReader.Open(path);

        reader.SessionSettings.ShouldBe([
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = 'on';",
            "SELECT pg_catalog.set_config('search_path', '', false);",
        ]);
        reader.Encoding.ShouldBe("UTF8");
    }
}
