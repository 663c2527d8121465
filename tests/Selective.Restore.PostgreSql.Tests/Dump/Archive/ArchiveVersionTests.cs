using System.Buffers.Binary;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Archive;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// Archives of every version pg_restore 15 to 18 reads (issue 11, point 1), built by <see cref="ArchiveWriter"/> as the
/// pg_dump of each era writes them. The writer is checked against the real pg_dump 15 (byte for byte) and every archive
/// against the real pg_restore 15 (it lists it and prints its script); then the reader must read exactly what
/// pg_restore's script loads: the same tables, in the same schemas, with the same rows, sequences and settings.
/// </summary>
[NonParallelizable]
public sealed class ArchiveVersionTests
{
    private static readonly ArchiveEra[] Eras =
    [
        new("7.1 development", 0, EncodingEntry: false, StdStringsEntry: false),
        new("7.1 development", 2, EncodingEntry: false, StdStringsEntry: false),
        new("7.1", 4, EncodingEntry: false, StdStringsEntry: false),
        new("7.3 development", 6, EncodingEntry: false, StdStringsEntry: false),
        new("7.4", 7, EncodingEntry: false, StdStringsEntry: false),
        new("8.0 development", 9, EncodingEntry: false, StdStringsEntry: false),
        new("8.0", 10, EncodingEntry: false, StdStringsEntry: false),
        new("8.0", 10, EncodingEntry: false, StdStringsEntry: false, Inserts: true),
        new("8.3", 10),
        new("8.4", 11),
        new("9.3.5", 12),
        new("9.3.5", 12, Inserts: true),
        new("10.3", 13),
        new("15", 14),
        new("15", 14, Inserts: true),
    ];

    public static IEnumerable<TestCaseData> CustomArchives()
    {
        for (var i = 0; i < Eras.Length; i++)
        {
            var era = Eras[i];
            foreach (var compressed in new[] { true, false })
            {
                if (!compressed && era.Minor < 2)
                {
                    continue; // 1.0 and 1.1 have no compression field: always zlib
                }

                foreach (var offsets in new[] { true, false })
                {
                    if (!offsets && era.Minor == 0)
                    {
                        continue; // 1.0 cannot say "offset not set" (no negative integers)
                    }

                    yield return new TestCaseData(i, compressed, offsets)
                        .SetArgDisplayNames(era.ToString(), compressed ? "zlib" : "uncompressed", offsets ? "with offsets" : "without offsets");
                }
            }
        }
    }

    public static IEnumerable<TestCaseData> DirectoryArchives()
    {
        // Directory archives exist from pg_dump 9.1 (1.12); toc.dat is a custom archive's header and TOC with a file name
        // per entry, so an older version (8.3's 1.10) shows the TOC is read by version there too.
        for (var i = 0; i < Eras.Length; i++)
        {
            if (Eras[i].Minor < 12 && Eras[i].PgDump != "8.3")
            {
                continue;
            }

            foreach (var compressed in new[] { true, false })
            {
                yield return new TestCaseData(i, compressed).SetArgDisplayNames(Eras[i].ToString(), compressed ? ".dat.gz" : ".dat");
            }
        }
    }

    private static ArchiveWriter Writer(ArchiveEra era, bool compressed, bool offsets = true) => new()
    {
        Minor = era.Minor,
        CompressionLevel = !compressed ? 0 : era.Minor < 4 ? 6 : -1, // a one-byte level (before 1.4) holds no -1
        CompressionAlgorithm = compressed ? 1 : 0,
        ServerVersion = era.PgDump,
        DumpVersion = era.PgDump,
        WriteOffsets = offsets,
        Entries = LegacyArchives.Entries(era),
    };

    /// <summary>What the archive holds: before 1.6 entries have no schema, and pg_restore leaves search_path alone.</summary>
    private static string Expected(ArchiveEra era)
    {
        TableName Name(string schema, string name) => new(era.Minor >= 6 ? schema : "public", name);
        var expected = new ReadDump(
            [.. LegacyArchives.Tables.Select(t => (Name(t.Schema, t.Name), t.CopyLines))],
            [(Name("northwind", LegacyArchives.Sequence), LegacyArchives.SequenceValue, true)],
            era.EncodingEntry ? "UTF8" : "SQL_ASCII",
            era.StandardStrings);
        return expected.Render();
    }

    [TestCaseSource(nameof(CustomArchives))]
    public async Task A_custom_archive_is_read_as_pg_restore_reads_it(int eraIndex, bool compressed, bool offsets)
    {
        var era = Eras[eraIndex];
        using var dir = new TempDirectory();
        var path = dir.File("northwind.backup");
        var bytes = Writer(era, compressed, offsets).WriteCustom();
        await File.WriteAllBytesAsync(path, bytes);

        // The real pg_restore 15 reads the archive: it lists it and prints its script.
        var (exit, list, error) = await PgRestore.RunAsync("-l", path);
        exit.ShouldBe(0, error);
        list.ShouldContain($";     Dump Version: 1.{era.Minor}-0");
        list.ShouldContain(era.Minor >= 6 ? "TABLE DATA northwind categories" : "TABLE DATA - categories");
        var script = await PgRestore.ScriptAsync(path);
        script.Render().ShouldBe(Expected(era));

        // The reader reads the same, from the file (by offset when there are offsets) and from a pipe (block by block).
        await using (var reader = DumpReader.Open(path))
        {
            (await ReadDump.ReadAsync(reader)).Render().ShouldBe(script.Render());
            reader.Format.ShouldBe(DumpFormat.CustomArchive);
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        await using (var reader = DumpReader.Open(new TrickleStream(bytes, [4096]), new DumpReaderOptions { SourceName = "piped.backup" }))
        {
            (await ReadDump.ReadAsync(reader)).Render().ShouldBe(script.Render());
        }
    }

    [TestCaseSource(nameof(DirectoryArchives))]
    public async Task A_directory_archive_is_read_as_pg_restore_reads_it(int eraIndex, bool compressed)
    {
        var era = Eras[eraIndex];
        using var dir = new TempDirectory();
        var path = dir.File("northwind.dir");
        Writer(era, compressed).WriteDirectory(path);
        File.Exists(Path.Combine(path, $"7.dat{(compressed ? ".gz" : string.Empty)}")).ShouldBeTrue();

        var (exit, _, error) = await PgRestore.RunAsync("-l", path);
        exit.ShouldBe(0, error);
        var script = await PgRestore.ScriptAsync(path);
        script.Render().ShouldBe(Expected(era));

        await using var reader = DumpReader.Open(path);
        (await ReadDump.ReadAsync(reader)).Render().ShouldBe(script.Render());
        reader.Format.ShouldBe(DumpFormat.DirectoryArchive);
    }

    [TestCase(15)]
    [TestCase(16)]
    public async Task Archives_newer_than_pg_restore_15_are_read_too(int minor)
    {
        // pg_dump 16 writes 1.15 (a compression algorithm byte), 17 and 18 write 1.16 (relkind): pg_restore 15 refuses them.
        var era = new ArchiveEra(minor == 15 ? "16" : "17", minor);
        using var dir = new TempDirectory();
        foreach (var compressed in new[] { true, false })
        {
            var path = dir.File($"v{minor}-{compressed}.backup");
            await File.WriteAllBytesAsync(path, Writer(era, compressed).WriteCustom());
            var (exit, _, error) = await PgRestore.RunAsync("-l", path);
            exit.ShouldBe(1);
            error.ShouldContain($"unsupported version (1.{minor}) in file header");

            await using (var reader = DumpReader.Open(path))
            {
                (await ReadDump.ReadAsync(reader)).Render().ShouldBe(Expected(era));
            }

            var directory = dir.File($"v{minor}-{compressed}.dir");
            Writer(era, compressed).WriteDirectory(directory);
            await using (var reader = DumpReader.Open(directory))
            {
                (await ReadDump.ReadAsync(reader)).Render().ShouldBe(Expected(era));
            }
        }
    }

    /// <summary>
    /// The case issue 11 met: a pg_dump 9.3.5 archive (1.12) of tables outside public, whose COPY statements name no
    /// schema. pg_restore puts the rows into northwind's tables; the reader yields the same rows for the same tables,
    /// and a restore from the archive puts back the rows deleted there.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task A_pg_dump_9_3_archive_restores_into_the_schemas_pg_restore_restores_it_into(bool inserts)
    {
        var era = new ArchiveEra("9.3.5", 12, Inserts: inserts);
        await using var db = await Scenario.CreateEmptyAsync();
        using var dir = new TempDirectory();
        var path = dir.File("northwind.backup");
        await File.WriteAllBytesAsync(path, Writer(era, compressed: true).WriteCustom());
        var database = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString).Database;
        await PostgresServer.RunToolAsync("pg_restore", db.ConnectionString, $"--exit-on-error -d {database} {path}");

        await using (var reader = DumpReader.Open(path))
        {
            var read = await ReadDump.ReadAsync(reader);
            read.Tables.Select(t => t.Name.ToString()).ShouldBe(["northwind.categories", "northwind.\"order details\"", "public.shippers"]);
            foreach (var (name, lines) in read.Tables)
            {
                (await ExportAsync(db, name)).ShouldBe(lines, $"{name}: the reader's rows are those pg_restore loaded");
            }

            read.Sequences.ShouldBe([(new TableName("northwind", LegacyArchives.Sequence), LegacyArchives.SequenceValue, true)]);
        }

        await db.ExecuteAsync("""
            ALTER TABLE northwind.categories ADD PRIMARY KEY (category_id);
            ALTER TABLE northwind."order details" ADD PRIMARY KEY (order_id);
            ALTER TABLE shippers ADD PRIMARY KEY (shipper_id);
            DELETE FROM northwind.categories WHERE category_id > 3;
            DELETE FROM northwind."order details" WHERE order_id = 10249;
            """);
        var report = await SelectiveRestore.FromDump(path).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(string.Join("; ", report.Errors));
        report.Tables.Single(t => t.Name == new TableName("northwind", "categories")).Inserted.ShouldBe(3);
        report.Tables.Single(t => t.Name == new TableName("northwind", "order details")).Inserted.ShouldBe(1);
        (await ExportAsync(db, LegacyArchives.Categories.TableName)).ShouldBe(LegacyArchives.Categories.CopyLines);
    }

    private static async Task<string[]> ExportAsync(Scenario db, TableName table)
    {
        await using var connection = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        var name = $"{LegacyArchives.Quote(table.Schema)}.{LegacyArchives.Quote(table.Name)}";
        using var export = await connection.BeginTextExportAsync($"COPY (SELECT * FROM {name} ORDER BY 1) TO STDOUT");
        return (await export.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Test]
    public async Task A_table_created_WITH_OIDS_is_read_with_a_notice_as_pg_restore_restores_it()
    {
        // pg_dump up to 11 flags such tables in the TOC; pg_restore 12 and later warn and restore them without OIDs.
        var era = new ArchiveEra("9.3.5", 12);
        var entries = LegacyArchives.Entries(era).Select(e => e.Desc == "TABLE" && e.Tag == "categories" ? e with { WithOids = true } : e).ToList();
        using var dir = new TempDirectory();
        var path = dir.File("oids.backup");
        await File.WriteAllBytesAsync(path, new ArchiveWriter { Minor = 12, Entries = entries }.WriteCustom());

        var (exit, _, error) = await PgRestore.RunAsync("-f", "-", path);
        exit.ShouldBe(0);
        error.ShouldContain("restoring tables WITH OIDS is not supported anymore");
        var script = await PgRestore.ScriptAsync(path);

        await using var reader = DumpReader.Open(path);
        (await ReadDump.ReadAsync(reader)).Render().ShouldBe(script.Render());
        reader.Notices.ShouldBe(["the archive has 1 table(s) created WITH OIDS (northwind.categories): PostgreSQL 12 and later have no table OIDs, so pg_restore creates them without (and warns); their rows are read all the same"]);
    }

    [TestCase(42)]
    [TestCase(-2)]
    public async Task A_compression_level_pg_dump_never_writes_is_refused(int level)
    {
        using var dir = new TempDirectory();
        var path = dir.File("level.backup");
        await File.WriteAllBytesAsync(path, new ArchiveWriter { Minor = 12, CompressionLevel = level, Entries = LegacyArchives.Entries(new ArchiveEra("9.3.5", 12)) }.WriteCustom());

        // pg_restore 15 fails when it reads the data ("invalid compression code"); the reader refuses the header.
        var (exit, _, error) = await PgRestore.RunAsync("-f", "-", path);
        exit.ShouldBe(1);
        error.ShouldContain($"invalid compression code: {level}");
        Should.Throw<DumpFormatException>(() => DumpReader.Open(path)).Message
            .ShouldBe($"{path}: byte offset 11: compression level {level} in the archive header is not one pg_dump writes (-1 to 9); the archive is corrupt");
    }

    [TestCase(1, 17, 0, "1.17")]
    [TestCase(2, 0, 0, "2.0")]
    public void An_archive_version_newer_than_1_16_is_refused_naming_it(int major, int minor, int revision, string version)
    {
        using var dir = new TempDirectory();
        var path = dir.File("future.backup");
        File.WriteAllBytes(path, [.. "PGDMP"u8.ToArray(), (byte)major, (byte)minor, (byte)revision, 4, 8, 1, 0]);

        Should.Throw<DumpFormatException>(() => DumpReader.Open(path)).Message.ShouldBe(
            $"{path}: byte offset 5: archive format version {version} is not supported (supported: 1.0 to 1.16, written by pg_dump 7.1 to 18); " +
            "it is newer than this reader: convert it with the pg_restore of the pg_dump that wrote it: pg_restore -f dump.sql ARCHIVE");
    }

    [TestCase(10, "pg_dump 8.0 to 8.3")]
    [TestCase(11, "pg_dump 8.4")]
    [TestCase(12, "pg_dump 9.0 to 10.2 (9.3 to 10 before their 2018-03-01 releases 9.3.22, 9.4.17, 9.5.12, 9.6.8 and 10.3)")]
    [TestCase(13, "pg_dump 9.3.22, 9.4.17, 9.5.12, 9.6.8, 10.3 and their later releases, and pg_dump 11")]
    [TestCase(14, "pg_dump 12 to 15")]
    [TestCase(16, "pg_dump 17 and 18")]
    public void Archive_versions_name_the_pg_dump_releases_that_write_them(int minor, string writtenBy) =>
        ArchiveVersions.WrittenBy(minor).ShouldBe(writtenBy);

    /// <summary>
    /// The writer against reality: a pg_dump 15 archive (1.14) read by the reader and written again from what it read
    /// comes out byte for byte the same, header, TOC, offsets and data blocks (uncompressed: zlib's output differs
    /// between zlib builds; the chunk layout is the same).
    /// </summary>
    [Test]
    public async Task The_writer_writes_what_pg_dump_15_writes_byte_for_byte()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE SCHEMA northwind;
            CREATE TABLE northwind.categories (category_id serial PRIMARY KEY, category_name varchar(15) NOT NULL, description text);
            INSERT INTO northwind.categories (category_name, description) VALUES ('Beverages', 'Soft drinks'), ('Condiments', E'tab\there'), ('Dairy', NULL);
            CREATE TABLE "order details" (order_id int, "unit price" numeric(10,2));
            INSERT INTO "order details" VALUES (10248, 14), (10249, 9.8);
            COMMENT ON TABLE northwind.categories IS 'categories';
            """);
        using var piped = new TempDirectory();
        foreach (var (arguments, name, pipe) in new[] { ("-Fc -Z0", "all.backup", false), ("-Fc -Z0 --inserts", "inserts.backup", false), ("-Fc -Z0", "piped.backup", true) })
        {
            var path = pipe ? piped.File(name) : await db.DumpAsync(arguments, name);
            if (pipe)
            {
                // Written to a pipe, pg_dump cannot go back to fill in the data offsets.
                await PostgresServer.RunToolToPipeAsync("pg_dump", db.ConnectionString, arguments, path);
            }

            var real = await File.ReadAllBytesAsync(path);
            var (toc, entries) = ReadBack(real);
            toc.Version.ShouldBe((1 * 256 + 14) * 256, "pg_dump 15 writes archive version 1.14");
            var written = new ArchiveWriter
            {
                Minor = toc.Minor,
                IntSize = toc.IntSize,
                OffSize = toc.OffSize,
                CompressionLevel = toc.CompressionLevel!.Value,
                CreationTime = toc.CreationTime,
                DatabaseName = toc.DatabaseName,
                ServerVersion = toc.ServerVersion,
                DumpVersion = toc.DumpVersion,
                WriteOffsets = !pipe,
                Entries = entries,
            }.WriteCustom();
            written.ShouldBe(real, $"{arguments}{(pipe ? " to a pipe" : string.Empty)}: the writer's archive differs from pg_dump's");
        }

        // Directory archives: toc.dat byte for byte, and each data file.
        var directory = await db.DumpAsync("-Fd -Z0", "dir");
        var realToc = await File.ReadAllBytesAsync(Path.Combine(directory, "toc.dat"));
        var (dirToc, dirEntries) = ReadBack(realToc, directory);
        using var copy = new TempDirectory();
        var rewritten = copy.File("dir");
        new ArchiveWriter
        {
            Minor = dirToc.Minor,
            CompressionLevel = dirToc.CompressionLevel!.Value,
            CreationTime = dirToc.CreationTime,
            DatabaseName = dirToc.DatabaseName,
            ServerVersion = dirToc.ServerVersion,
            DumpVersion = dirToc.DumpVersion,
            Entries = dirEntries,
        }.WriteDirectory(rewritten);
        (await File.ReadAllBytesAsync(Path.Combine(rewritten, "toc.dat"))).ShouldBe(realToc);
        foreach (var file in Directory.GetFiles(directory, "*.dat"))
        {
            (await File.ReadAllBytesAsync(Path.Combine(rewritten, Path.GetFileName(file)))).ShouldBe(await File.ReadAllBytesAsync(file), file);
        }
    }

    /// <summary>The TOC as the reader reads it, and each data entry's chunks (custom) or file (directory) as pg_dump wrote them.</summary>
    private static (ArchiveToc Toc, List<WriterEntry> Entries) ReadBack(byte[] archive, string? directory = null)
    {
        using var input = new ArchiveInput(new MemoryStream(archive), 0, leaveOpen: false, "real");
        var toc = ArchiveToc.Read(input);
        var entries = new List<WriterEntry>();
        var next = (int)toc.DataStart;
        foreach (var e in toc.Entries)
        {
            List<string>? data = null;
            if (e.HadDumper && directory is not null)
            {
                data = [File.ReadAllText(Path.Combine(directory, e.FileName!))];
            }
            else if (e.HadDumper)
            {
                // Block: type byte, sign byte and 4-byte id, then chunks of (sign byte, 4-byte length, bytes) up to a zero
                // length. Without offsets (a pipe) the blocks follow the TOC in its order.
                data = [];
                var at = e.OffsetFlag == 2 ? (int)e.DataOffset + 1 + 5 : next + 1 + 5;
                while (BinaryPrimitives.ReadInt32LittleEndian(archive.AsSpan(at + 1)) is var length && length > 0)
                {
                    data.Add(System.Text.Encoding.UTF8.GetString(archive, at + 5, length));
                    at += 5 + length;
                }

                next = at + 5;
            }

            entries.Add(new WriterEntry(e.DumpId, e.Tag, e.Desc)
            {
                TableOid = e.TableOid!,
                Oid = e.Oid!,
                Section = e.Section,
                Definition = e.Definition,
                DropStatement = e.DropStatement,
                CopyStatement = e.CopyStatement,
                Namespace = e.Namespace,
                Tablespace = e.Tablespace,
                TableAccessMethod = e.TableAccessMethod,
                RelKind = e.RelKind,
                Owner = e.Owner,
                WithOids = e.WithOids,
                Dependencies = e.Dependencies,
                Data = data,
            });
        }

        return (toc, entries);
    }
}
