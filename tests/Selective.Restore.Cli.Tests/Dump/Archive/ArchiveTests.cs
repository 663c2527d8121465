using Selective.Restore.Dump;
using Selective.Restore.Dump.Archive;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// pg_dump custom and directory archives made by the real pg_dump: random access by TOC offset, damaged and
/// unsupported archives, large objects, and a restore from an archive through the apply path.
/// </summary>
[NonParallelizable]
public sealed class ArchiveTests
{
    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a, note text);
        CREATE TABLE c (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text);
        INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 300) g;
        INSERT INTO b SELECT g, 1 + g % 300, md5(g::text) || E'\t' || repeat('ü', g % 5) FROM generate_series(1, 5000) g;
        INSERT INTO c (payload) SELECT 'c ' || g FROM generate_series(1, 200) g;
        """;

    private static async Task<List<(TableName Name, long Rows)>> ReadAllAsync(DumpReader reader)
    {
        var tables = new List<(TableName, long)>();
        while (await reader.NextTableAsync() is { } table)
        {
            var rows = 0L;
            while (await table.ReadAsync())
            {
                rows++;
            }

            tables.Add((table.Name, rows));
        }

        return tables;
    }

    private static ArchiveToc Toc(string path)
    {
        using var file = File.OpenRead(path);
        using var input = new ArchiveInput(file, 0, leaveOpen: true, path);
        return ArchiveToc.Read(input);
    }

    private static TocEntry DataOf(ArchiveToc toc, string table) =>
        toc.Entries.Single(e => e.Desc == "TABLE DATA" && e.Tag == table);

    [Test]
    public async Task A_selected_table_is_read_by_its_offset_without_touching_the_others()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        var toc = Toc(path);
        DataOf(toc, "b").OffsetFlag.ShouldBe(2, "pg_dump writing a file records data offsets");

        // Damage the compressed bytes of b's first chunk (block: type byte, entry id, then length-prefixed chunks).
        var bytes = await File.ReadAllBytesAsync(path);
        var chunk = (int)DataOf(toc, "b").DataOffset + 1 + 5;
        var length = BitConverter.ToInt32(bytes, chunk + 1);
        length.ShouldBeGreaterThan(100);
        for (var i = chunk + 5 + 20; i < chunk + 5 + length - 20; i += 7)
        {
            bytes[i] ^= 0x5A;
        }

        var damaged = path + ".damaged";
        await File.WriteAllBytesAsync(damaged, bytes);

        // Tables a and c come out whole: b's block is never decompressed.
        await using (var reader = DumpReader.Open(damaged, new DumpReaderOptions { Tables = TableFilter.Create(["a", "c"]) }))
        {
            (await ReadAllAsync(reader)).ShouldBe([(new TableName("public", "a"), 300L), (new TableName("public", "c"), 200L)]);
            reader.TablesSkipped.ShouldBe(1);
        }

        // Without seeking (a pipe), b's chunks are stepped over unread just the same.
        await using (var reader = DumpReader.Open(new TrickleStream(bytes, [4096]), new DumpReaderOptions { Tables = TableFilter.Create(["c"]), SourceName = "piped.dump" }))
        {
            (await ReadAllAsync(reader)).ShouldBe([(new TableName("public", "c"), 200L)]);
        }

        // Reading b itself says which entry is corrupt.
        await using (var reader = DumpReader.Open(damaged))
        {
            var error = await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader));
            error.Message.ShouldContain($"{damaged} (TOC entry {DataOf(toc, "b").DumpId}, data of public.b)");
        }
    }

    [Test]
    public async Task A_truncated_archive_is_an_error_with_its_location()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc -Z0", "all.dump");
        var bytes = await File.ReadAllBytesAsync(path);
        var toc = Toc(path);

        // Cut inside the last data block: its TOC offset still fits, the data does not.
        var last = toc.Entries.Where(e => e.Desc == "TABLE DATA").MaxBy(e => e.DataOffset)!;
        var cut = path + ".cut";
        await File.WriteAllBytesAsync(cut, bytes[..(int)(last.DataOffset + 30)]);
        await using (var reader = DumpReader.Open(cut))
        {
            var error = await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader));
            error.Message.ShouldStartWith(cut);
            error.Message.ShouldContain("truncated");
            error.Message.ShouldContain($"TOC entry {last.DumpId}");
        }

        // Cut before the last block: its TOC offset points past the end of the file.
        await File.WriteAllBytesAsync(cut, bytes[..(int)(last.DataOffset - 1)]);
        var offsetError = Should.Throw<DumpFormatException>(() => DumpReader.Open(cut));
        offsetError.Message.ShouldContain($"byte offset {last.DataOffset}, outside the data area");

        // The same cut read as a stream (sequential scan): the end comes before the table's block.
        await using (var reader = DumpReader.Open(new TrickleStream(bytes[..(int)(last.DataOffset - 1)], [1000]), new DumpReaderOptions { SourceName = "piped.dump" }))
        {
            var error = await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader));
            error.Message.ShouldContain("truncated");
        }

        // Cut inside the TOC.
        await File.WriteAllBytesAsync(cut, bytes[..300]);
        Should.Throw<DumpFormatException>(() => DumpReader.Open(cut)).Message.ShouldContain("the archive ends inside TOC entry");
    }

    [Test]
    public void Unknown_versions_and_unsupported_compression_are_refused_at_open()
    {
        using var dir = new TempDirectory();
        var future = dir.File("future.dump");
        File.WriteAllBytes(future, SyntheticHeader(minor: 99, compression: 0));
        Should.Throw<DumpFormatException>(() => DumpReader.Open(future)).Message
            .ShouldStartWith($"{future}: byte offset 5: archive format version 1.99 is not supported (supported: 1.0 to 1.16, written by pg_dump 7.1 to 18)");

        var lz4 = dir.File("lz4.dump");
        File.WriteAllBytes(lz4, SyntheticHeader(minor: 15, compression: 2));
        Should.Throw<DumpFormatException>(() => DumpReader.Open(lz4)).Message.ShouldContain("unsupported compression lz4");

        var zstd = dir.File("zstd.dump");
        File.WriteAllBytes(zstd, SyntheticHeader(minor: 16, compression: 3));
        Should.Throw<DumpFormatException>(() => DumpReader.Open(zstd)).Message.ShouldContain("unsupported compression zstd");

        // A well-formed empty 1.15 archive opens and has no tables.
        var empty = dir.File("empty.dump");
        File.WriteAllBytes(empty, SyntheticHeader(minor: 15, compression: 0));
        using var reader = DumpReader.Open(empty);
        reader.Format.ShouldBe(DumpFormat.CustomArchive);
        reader.NextTable().ShouldBeNull();
    }

    /// <summary>A custom-archive header and an empty TOC as pg_dump 16/17 write them.</summary>
    private static byte[] SyntheticHeader(int minor, int compression)
    {
        var bytes = new List<byte>();
        void Int(int value)
        {
            bytes.Add(value < 0 ? (byte)1 : (byte)0);
            bytes.AddRange(BitConverter.GetBytes(Math.Abs(value)));
        }

        void Str(string value)
        {
            Int(value.Length);
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(value));
        }

        bytes.AddRange("PGDMP"u8.ToArray());
        bytes.AddRange([1, (byte)minor, 0, 4, 8, 1]);
        if (minor >= 15)
        {
            bytes.Add((byte)compression);
        }
        else
        {
            Int(compression);
        }

        for (var i = 0; i < 7; i++)
        {
            Int(1);
        }

        Str("db");
        Str("17.0");
        Str("17.0");
        Int(0); // no TOC entries
        return [.. bytes];
    }

    [Test]
    public async Task Large_objects_are_reported_and_sequence_values_recorded()
    {
        await using var db = await Scenario.CreateAsync(Schema + "SELECT lo_from_bytea(0, '\\x0102'); SELECT lo_from_bytea(0, 'hello'); CREATE SEQUENCE s; SELECT setval('s', 77);");
        foreach (var (arguments, name) in new[] { ("-Fc", "lo.dump"), ("-Fd", "lo-dir") })
        {
            var path = await db.DumpAsync(arguments, name);
            await using var reader = DumpReader.Open(path);
            (await ReadAllAsync(reader)).Count.ShouldBe(3);
            reader.Notices.ShouldHaveSingleItem().ShouldContain("2 large object(s)");
            reader.Sequences.ShouldContain(s => s.Sequence == new TableName("public", "s") && s.Value == 77 && s.IsCalled);
            reader.Sequences.ShouldContain(s => s.Sequence == new TableName("public", "c_id_seq") && s.Value == 200);

            // The restore report and inspect say so too.
            var report = await SelectiveRestore.FromDump(path).ToPostgreSql(db.ConnectionString).Build().RunAsync();
            report.Warnings.ShouldHaveSingleItem().ShouldContain("2 large object(s)");
            report.ToJson().ShouldContain("\"warnings\": [\n    \"the archive holds 2 large object(s)");
            var (exit, stdout, _) = await CliRunner.RunAsync("inspect", path);
            exit.ShouldBe(0);
            stdout.ShouldContain("note: the archive holds 2 large object(s) (pg_largeobject); they are not table rows and are not restored");
        }
    }

    [Test]
    public async Task A_directory_archive_with_a_missing_data_file_names_it()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fd", "dir");
        var toc = Toc(Path.Combine(path, "toc.dat"));
        var b = DataOf(toc, "b");
        File.Delete(Path.Combine(path, b.FileName + ".gz"));

        await using var reader = DumpReader.Open(path);
        var error = await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader));
        error.Message.ShouldBe($"{path}: the data file {b.FileName}.gz of TOC entry {b.DumpId} (public.b) is missing");

        // Several missing files are named in one error, so one run says what to leave out.
        var a = DataOf(toc, "a");
        File.Delete(Path.Combine(path, a.FileName + ".gz"));
        await using (var again = DumpReader.Open(path))
        {
            var both = await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(again));
            both.Message.ShouldBe($"{path}: the data files of 2 tables are missing: {a.FileName}.gz (public.a), {b.FileName}.gz (public.b); leave those tables out (--exclude-table) to read the others");
        }

        await using (var filtered = DumpReader.Open(path, new DumpReaderOptions { Tables = TableFilter.Create([], ["public.a", "public.b"]) }))
        {
            await ReadAllAsync(filtered); // the others read
        }

        // Passing toc.dat instead of its directory is pointed out.
        Should.Throw<DumpFormatException>(() => DumpReader.Open(Path.Combine(path, "toc.dat"))).Message.ShouldContain("pass the directory instead");
    }

    [Test]
    public async Task Corrupt_block_headers_and_chunk_lengths_are_located()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var path = await db.DumpAsync("-Fc", "all.dump");
        var bytes = await File.ReadAllBytesAsync(path);
        var toc = Toc(path);
        var (b, c) = (DataOf(toc, "b"), DataOf(toc, "c"));
        var damaged = path + ".damaged";

        // b's TOC offset pointing at c's block: the block header names another entry.
        var patched = (byte[])bytes.Clone();
        var offsetBytes = new byte[] { 2 }.Concat(BitConverter.GetBytes(b.DataOffset)).ToArray();
        var at = patched.AsSpan(0, (int)toc.DataStart).IndexOf(offsetBytes);
        at.ShouldBeGreaterThan(0);
        BitConverter.GetBytes(c.DataOffset).CopyTo(patched, at + 1);
        await File.WriteAllBytesAsync(damaged, patched);
        await using (var reader = DumpReader.Open(damaged, new DumpReaderOptions { Tables = TableFilter.Create(["b"]) }))
        {
            (await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader))).Message
                .ShouldBe($"{damaged}: byte offset {c.DataOffset}: the TOC offset of entry {b.DumpId} (public.b) points to a block of type 1 for entry {c.DumpId}; the archive is corrupt");
        }

        // An unknown block type, found by the sequential scan.
        patched = (byte[])bytes.Clone();
        patched[b.DataOffset] = 7;
        await using (var reader = DumpReader.Open(new TrickleStream(patched, [4096]), new DumpReaderOptions { SourceName = "piped.dump" }))
        {
            (await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader))).Message
                .ShouldBe($"piped.dump: byte offset {b.DataOffset}: unknown data block type 7; the archive is corrupt");
        }

        // A negative chunk length (sign byte set), by offset and by scan.
        patched = (byte[])bytes.Clone();
        patched[b.DataOffset + 6] = 1;
        await File.WriteAllBytesAsync(damaged, patched);
        await using (var reader = DumpReader.Open(damaged))
        {
            (await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader))).Message
                .ShouldContain($"byte offset {b.DataOffset + 6}: a data chunk of TOC entry {b.DumpId} (TABLE DATA public.b) has a negative length");
        }

        await using (var reader = DumpReader.Open(new TrickleStream(patched, [999]), new DumpReaderOptions { SourceName = "piped.dump", Tables = TableFilter.Create(["c"]) }))
        {
            (await Should.ThrowAsync<DumpFormatException>(() => ReadAllAsync(reader))).Message.ShouldContain("has a negative length");
        }
    }

    [TestCase("1\ta\n2\tb\n", "1\ta\n2\tb\n\\.\n")]
    [TestCase("1\ta\n\\.\n\n\n", "1\ta\n\\.\n\n\n")]
    [TestCase("", "\\.\n")]
    [TestCase("1\ta\n2\tb", "1\ta\n2\tb")]
    [TestCase("x\\.\n", "x\\.\n\\.\n")]
    public async Task Copy_data_without_a_terminator_gets_one_only_after_a_complete_line(string data, string expected)
    {
        // Archive version 1.16 on may leave out "\." (a cut line is left for the parser to report).
        foreach (var chunks in new[] { new[] { 1 }, [2, 3], [4096] })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(data);
            await using var stream = new EntryDataStream(new TrickleStream(bytes, chunks), "test", () => 0, addTerminator: true);
            using var output = new MemoryStream();
            await stream.CopyToAsync(output, 3);
            System.Text.Encoding.UTF8.GetString(output.ToArray()).ShouldBe(expected, $"chunks {string.Join(",", chunks)}");
        }
    }

    [TestCase("-Fc")]
    [TestCase("-Fc --inserts")]
    [TestCase("-Fd")]
    public async Task A_restore_from_an_archive_puts_back_exactly_the_missing_rows(string arguments)
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var before = (await db.ContentAsync("a"), await db.ContentAsync("b"), await db.ContentAsync("c"));
        var path = await db.DumpAsync(arguments, arguments.Contains("-Fd", StringComparison.Ordinal) ? "dir" : "all.dump");
        await db.ExecuteAsync("DELETE FROM b WHERE id % 10 = 0; DELETE FROM b WHERE a_id > 250; DELETE FROM a WHERE id > 250; DELETE FROM c WHERE id > 150; UPDATE a SET v = 'edited' WHERE id = 1;");

        var report = await SelectiveRestore.FromDump(path).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(string.Join("; ", report.Errors));
        var a = report.Tables.Single(t => t.Name.Name == "a");
        (a.Missing, a.Conflicting, a.Inserted, a.Updated).ShouldBe((50L, 1L, 50L, 0L));
        report.Tables.Single(t => t.Name.Name == "c").Inserted.ShouldBe(50);
        (await db.ContentAsync("b")).ShouldBe(before.Item2);
        (await db.ContentAsync("c")).ShouldBe(before.Item3);
        (await db.ScalarAsync<string>("SELECT v FROM a WHERE id = 1")).ShouldBe("edited", "prefer-live keeps the live edit");

        // The identity is reseeded from the archive's rows: a new row does not collide.
        (await db.ScalarAsync<long>("INSERT INTO c (payload) VALUES ('new') RETURNING id")).ShouldBe(201);

        // And the CLI inspects the archive with its format.
        var (exit, stdout, _) = await CliRunner.RunAsync("inspect", path);
        exit.ShouldBe(0);
        stdout.ShouldContain(arguments.StartsWith("-Fd", StringComparison.Ordinal) ? ": directory, gzip, encoding UTF8" : ": custom");
        stdout.ShouldContain("3 tables, 5,500 rows");

        var again = await SelectiveRestore.FromDump(path).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0);
        _ = TableOutcome.Applied;
    }
}
