using Selective.Restore.Dump;
using Selective.Restore.Dump.Archive;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// A dump cut short must not pass as whole (issue 10, point 11): a plain dump with pg_dump's opening comment but not its
/// closing one is <see cref="DumpCompleteness.Incomplete"/> (with a notice), and an archive missing even its last byte
/// is an error, as pg_restore finds it.
/// </summary>
[NonParallelizable]
public sealed class CompletenessTests
{
    private const string Header = "--\n-- PostgreSQL database dump\n--\n\n\\restrict k\n\nSET client_encoding = 'UTF8';\n";
    private const string Data = "COPY public.t (id) FROM stdin;\n1\n\\.\n\n";
    private const string Trailer = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict k\n\n";

    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, note text);
        INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 300) g;
        INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
        SELECT lo_from_bytea(0, 'large object bytes');
        """;

    private static async Task<DumpReader> ReadToEndAsync(string sql)
    {
        var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)), new DumpReaderOptions { SourceName = "test.sql" });
        await DumpInspector.InspectAsync(reader);
        return reader;
    }

    private static async Task<long> CountRowsAsync(DumpReader reader) => (await DumpInspector.InspectAsync(reader)).TotalRows;

    [Test]
    public async Task A_dump_with_pg_dumps_opening_and_closing_comments_is_complete()
    {
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(Header + Data + Trailer)));
        (await reader.NextTableAsync()).ShouldNotBeNull();
        reader.Completeness.ShouldBe(DumpCompleteness.Unknown, "not known before the end");
        (await reader.NextTableAsync()).ShouldBeNull();

        reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        reader.IsIncomplete.ShouldBeFalse();
        reader.Notices.ShouldBeEmpty();
    }

    [Test]
    public async Task A_dump_cut_at_a_statement_boundary_is_incomplete_and_says_so()
    {
        await using var reader = await ReadToEndAsync(Header + Data);

        reader.Completeness.ShouldBe(DumpCompleteness.Incomplete);
        reader.IsIncomplete.ShouldBeTrue();
        reader.Notices.ShouldHaveSingleItem().ShouldBe(
            "the dump starts with pg_dump's opening comment ('-- PostgreSQL database dump') but lacks its closing one " +
            "('-- PostgreSQL database dump complete'): it is probably truncated, and tables after the cut are missing");
    }

    [Test]
    public async Task A_dump_pasted_after_other_statements_is_judged_and_the_notice_says_where_it_starts()
    {
        // A hand-written script with a pg_dump output pasted in at line 6 (as french-towns.sql has one at line 46).
        const string Script = "-- French towns\n\nBEGIN;\nCREATE TABLE t (id int);\n\n";
        await using (var whole = await ReadToEndAsync(Script + Header + Data + Trailer + "COMMIT;\n"))
        {
            whole.Completeness.ShouldBe(DumpCompleteness.Complete);
            whole.Notices.ShouldBeEmpty();
        }

        await using var cut = await ReadToEndAsync(Script + Header + Data + "COMMIT;\n");
        cut.Completeness.ShouldBe(DumpCompleteness.Incomplete, "nothing tells a dump whose closing comment was left out from one cut short");
        cut.Notices.ShouldHaveSingleItem().ShouldBe(
            "pg_dump's opening comment ('-- PostgreSQL database dump') is at line 7, after other statements, and its closing one " +
            "('-- PostgreSQL database dump complete') never follows: the pg_dump output from line 7 on is probably truncated, and tables after the cut are missing");
    }

    [Test]
    public async Task A_comment_banner_before_the_opening_comment_changes_nothing()
    {
        const string Banner = "-- nightly backup of db1\n-- taken by cron\n\n";
        await using (var whole = await ReadToEndAsync(Banner + Header + Data + Trailer))
        {
            whole.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        await using var cut = await ReadToEndAsync(Banner + Header + Data);
        cut.Completeness.ShouldBe(DumpCompleteness.Incomplete);
        cut.Notices.ShouldHaveSingleItem().ShouldStartWith("the dump starts with pg_dump's opening comment ('-- PostgreSQL database dump') but lacks its closing one");
    }

    [Test]
    public void Text_before_the_opening_comment_is_refused_saying_where_the_dump_starts()
    {
        // pg_dump ... > dump.sql 2>&1 with --verbose: 46 lines of progress before the dump.
        var shell = string.Concat(Enumerable.Range(1, 46).Select(i => $"pg_dump: reading table {i}\n"));
        var error = Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(DumpHarness.Utf8(shell + Header + Data + Trailer)), new DumpReaderOptions { SourceName = "dump.sql" }).NextTable());

        error.Message.ShouldBe(
            "dump.sql: line 1, byte offset 0: not a dump: it starts with 'pg_dump: reading table 1', which is not an SQL statement; " +
            "pg_dump's opening comment is at line 48: the text before it is not part of the dump (cut it off, e.g. tail -n +48 FILE > dump.sql)");

        // Without a pg_dump comment later on, the message is what it was.
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(DumpHarness.Utf8(shell + Data))).NextTable())
            .Message.ShouldEndWith("not a dump: it starts with 'pg_dump: reading table 1', which is not an SQL statement");
    }

    [Test]
    public async Task A_hand_written_script_has_neither_comment_and_is_not_judged()
    {
        await using var reader = await ReadToEndAsync("SET client_encoding = 'UTF8';\n" + Data);

        reader.Completeness.ShouldBe(DumpCompleteness.Unknown);
        reader.Notices.ShouldBeEmpty();
    }

    [Test]
    public async Task A_pg_dumpall_script_needs_the_cluster_dumps_closing_comment()
    {
        const string Cluster = "--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\n";
        const string ClusterEnd = "--\n-- PostgreSQL database cluster dump complete\n--\n\n";

        await using (var whole = await ReadToEndAsync(Cluster + Header + Data + Trailer + ClusterEnd))
        {
            whole.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        await using var cut = await ReadToEndAsync(Cluster + Header + Data + Trailer);
        cut.Completeness.ShouldBe(DumpCompleteness.Incomplete);
        cut.Notices.ShouldHaveSingleItem().ShouldContain("('-- PostgreSQL database cluster dump complete')");
    }

    [Test]
    public async Task A_real_plain_dump_is_complete_and_one_cut_before_its_end_is_reported_by_inspect_and_split()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync(string.Empty, "dump.sql");
        await using (var reader = DumpReader.Open(path))
        {
            (await CountRowsAsync(reader)).ShouldBe(3300);
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        // Cut after the first table's data, at a statement boundary: every remaining statement parses.
        var text = await File.ReadAllTextAsync(path);
        var cut = path + ".cut.sql";
        var end = text.IndexOf("\\.\n", StringComparison.Ordinal) + 3;
        await File.WriteAllTextAsync(cut, text[..end]);
        await using (var reader = DumpReader.Open(cut))
        {
            (await CountRowsAsync(reader)).ShouldBe(300);
            reader.IsIncomplete.ShouldBeTrue();
        }

        var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", cut);
        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("note: the dump starts with pg_dump's opening comment ('-- PostgreSQL database dump') but lacks its closing one");

        using var dir = new TempDirectory();
        (exit, stdout, stderr) = await CliRunner.RunAsync("split", cut, "--out", dir.File("parts"));
        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("note: the dump starts with pg_dump's opening comment");
    }

    [TestCase("-Fc")]
    [TestCase("-Fc -Z0")]
    public async Task A_custom_archive_missing_its_last_byte_is_an_error(string arguments)
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync(arguments, "all.dump");
        await using (var whole = DumpReader.Open(path))
        {
            (await CountRowsAsync(whole)).ShouldBe(3300);
            whole.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        var bytes = await File.ReadAllBytesAsync(path);
        var cut = path + ".cut";
        await File.WriteAllBytesAsync(cut, bytes[..^1]);

        // By TOC offsets (a file), and scanning (a pipe), as pg_restore reads every block through its end marker.
        await using (var reader = DumpReader.Open(cut))
        {
            var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));
            error.Message.ShouldStartWith($"{cut}: byte offset ");
            error.Message.ShouldContain("(truncated file?)");
        }

        await using (var reader = DumpReader.Open(new TrickleStream(bytes[..^1], [4096]), new DumpReaderOptions { SourceName = "piped.dump" }))
        {
            var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));
            error.Message.ShouldContain("(truncated file?)");
        }
    }

    [Test]
    public async Task A_custom_archive_whose_last_table_block_is_cut_is_an_error_also_without_large_objects()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 300) g;");
        var path = await db.DumpAsync("-Fc", "one.dump");
        var bytes = await File.ReadAllBytesAsync(path);
        var cut = path + ".cut";
        await File.WriteAllBytesAsync(cut, bytes[..^1]);

        await using var reader = DumpReader.Open(cut);
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));
        error.Message.ShouldContain($"byte offset {bytes.Length - 5}: the archive ends inside the data of TOC entry");
    }

    [Test]
    public async Task A_directory_archive_with_a_cut_toc_or_data_file_is_an_error()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fd", "dir");
        await using (var whole = DumpReader.Open(path))
        {
            (await CountRowsAsync(whole)).ShouldBe(3300);
            whole.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        var tocPath = Path.Combine(path, "toc.dat");
        var toc = await File.ReadAllBytesAsync(tocPath);
        await File.WriteAllBytesAsync(tocPath, toc[..^1]);
        Should.Throw<DumpFormatException>(() => DumpReader.Open(path)).Message.ShouldContain("(truncated file?)");
        await File.WriteAllBytesAsync(tocPath, toc);

        // A .dat.gz missing its gzip trailer or more: .NET's gzip decoder would end quietly.
        using var input = new ArchiveInput(File.OpenRead(tocPath), 0, leaveOpen: false, tocPath);
        var entry = ArchiveToc.Read(input).Entries.Single(e => e.Desc == "TABLE DATA" && e.Tag == "b");
        var data = Path.Combine(path, entry.FileName + ".gz");
        var compressed = await File.ReadAllBytesAsync(data);
        foreach (var missing in new[] { 1, 8, 200 })
        {
            await File.WriteAllBytesAsync(data, compressed[..^missing]);
            await using var reader = DumpReader.Open(path);
            var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader), $"{missing} bytes cut");
            error.Message.ShouldContain($"{entry.FileName}.gz (TOC entry {entry.DumpId}, data of public.b)");
        }
    }
}
