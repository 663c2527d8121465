using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Inputs that are not PostgreSQL scripts or archives (issue 11, messages): a SQLite script is read as one (issue 14), a SQLite
/// database file and tar files (pg_dump -Ft, a tar of a directory archive, any other tar) are refused with what they are and what to do.
/// </summary>
public sealed class ForeignInputTests
{
    // What sqlite3 3.40's .dump writes for a small database (built here, not copied).
    private const string SqliteDump = """
        PRAGMA foreign_keys=OFF;
        BEGIN TRANSACTION;
        CREATE TABLE t(id integer primary key autoincrement, name text);
        INSERT INTO t VALUES(1,'a');
        CREATE TABLE IF NOT EXISTS "my t"(x);
        INSERT INTO "my t" VALUES(1.5);
        DELETE FROM sqlite_sequence;
        INSERT INTO sqlite_sequence VALUES('t',1);
        COMMIT;

        """;

    private static DumpFormatException Refused(byte[] input, string name = "in.sql") =>
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(input), new DumpReaderOptions { SourceName = name }));

    private static DumpFormatException Refused(string input, string name = "in.sql") => Refused(DumpHarness.Utf8(input), name);

    private static DumpReader Opened(string input, string name = "in.sql") =>
        DumpReader.Open(new MemoryStream(DumpHarness.Utf8(input)), new DumpReaderOptions { SourceName = name });

    [Test]
    public async Task A_sqlite3_dump_is_read_as_one()
    {
        await using var reader = Opened(SqliteDump, "chinook.sql");

        reader.Format.ShouldBe(DumpFormat.SqliteDump);
        var result = await DumpHarness.ReadAsync(reader);
        result.Tables.Select(t => t.Name).ShouldBe([new TableName("main", "t"), new TableName("main", "my t")]);
        result.Tables.Select(t => t.Lines.Single()).ShouldBe(["1\t'a'", "1.5"]);
        result.Sequences.ShouldBe([new SequenceValue(new TableName("main", "t"), 1, IsCalled: true, Line: 8)]);
    }

    [Test]
    public async Task A_sqlite_script_is_recognised_by_syntax_postgresql_refuses()
    {
        // Without its PRAGMA line (cut off, or a hand-edited .dump): AUTOINCREMENT, then the sqlite_ tables.
        var withoutPragma = SqliteDump[(SqliteDump.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        await using (var reader = Opened(withoutPragma))
        {
            reader.Format.ShouldBe(DumpFormat.SqliteDump);
            (await DumpHarness.ReadAsync(reader)).Tables.Count.ShouldBe(2);
        }

        await using (var reader = Opened("BEGIN TRANSACTION;\nDELETE FROM sqlite_sequence;\nCOMMIT;\n"))
        {
            reader.Format.ShouldBe(DumpFormat.SqliteDump);
            (await reader.NextTableAsync()).ShouldBeNull();
            reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        }

        // A script written for SQLite with [bracketed] names (the Chinook SQLite script's style), with a UTF-8 byte order mark.
        var bracketed = "/* Chinook\n   DB Server: Sqlite */\nDROP TABLE IF EXISTS [Album];\nCREATE TABLE [Album] ([AlbumId] INTEGER NOT NULL, [Title] NVARCHAR(160));\n" +
            "INSERT INTO Album (AlbumId, Title) VALUES (1, 'For Those About To Rock We Salute You');\n";
        await using (var reader = DumpReader.Open(new MemoryStream([.. Encoding.UTF8.GetPreamble(), .. DumpHarness.Utf8(bracketed)])))
        {
            reader.Format.ShouldBe(DumpFormat.SqliteDump);
            var table = (await DumpHarness.ReadAsync(reader)).Single();
            table.ColumnNames.ShouldBe(["AlbumId", "Title"]);
            table.StartOffset.ShouldBe(3 + bracketed.IndexOf("INSERT", StringComparison.Ordinal), "offsets count the byte order mark");
        }

        // A SQL Server script's markers (INSERT [...]) outweigh [names] in a script that mentions SQLite; syntax T-SQL refuses outweighs them.
        await using (var reader = Opened("-- from sqlite\nCREATE TABLE [t] (a int);\nINSERT INTO [t] VALUES (1);\n"))
        {
            reader.Format.ShouldBe(DumpFormat.SqlServerScript);
        }

        await using (var reader = Opened("PRAGMA foreign_keys=OFF;\nCREATE TABLE [t] (a int);\nINSERT INTO [t] VALUES (1);\n"))
        {
            reader.Format.ShouldBe(DumpFormat.SqliteDump);
        }

        // [names] alone are SQLite's or SQL Server's: neither is guessed.
        var error = Refused("CREATE TABLE [t] (a int);\n");
        error.Message.ShouldContain("quotes a name in [brackets], which PostgreSQL does not read (SQLite or SQL Server syntax), and nothing else tells which");
        error.Line.ShouldBe(1);
    }

    [Test]
    public void A_sqlite_database_file_is_refused_as_one()
    {
        var file = "SQLite format 3\0"u8.ToArray().Concat(new byte[100]).ToArray();

        Refused(file, "app.db").Message.ShouldBe("app.db is a SQLite database file, not a dump: read its sqlite3 .dump script instead (sqlite3 FILE .dump > dump.sql)");
    }

    [Test]
    public void Selecting_a_database_is_refused_for_a_sqlite_dump()
    {
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(DumpHarness.Utf8(SqliteDump)), new DumpReaderOptions { SourceName = "x.sql", Database = "db" }))
            .Message.ShouldBe("x.sql: is a SQLite dump; selecting a database (DumpReaderOptions.Database, --database) is for PostgreSQL dumps");
    }

    [TestCase("BEGIN TRANSACTION;\nCREATE TABLE t(a int, b text);\nINSERT INTO \"t\" VALUES(1,'x');\nCOMMIT;\n")]
    [TestCase("-- PRAGMA foreign_keys=OFF;\n/* [Album] sqlite_sequence\n*/\nINSERT INTO t VALUES (1, 'PRAGMA x; INTEGER PRIMARY KEY AUTOINCREMENT');\n")]
    [TestCase("--\n-- PostgreSQL database dump\n--\nSET client_encoding = 'UTF8';\nCOPY public.t (a) FROM stdin;\nPRAGMA foreign_keys=OFF;\n\\.\n")]
    public async Task A_script_psql_loads_is_never_taken_for_sqlite(string sql)
    {
        // Only syntax PostgreSQL refuses is evidence: statements it runs, comments and data are not.
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.SkipAsync()).ShouldBe(1);
    }

    [Test]
    public void A_real_sqlite_database_file_is_refused_as_one()
    {
        using var dir = new TempDirectory();
        var db = dir.File("app.db");
        SqliteShell.Run(db, "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT); INSERT INTO t(name) VALUES ('a'), ('it''s');");

        Should.Throw<DumpFormatException>(() => DumpReader.Open(db)).Message.ShouldBe($"{db} {"is a SQLite database file, not a dump: read its sqlite3 .dump script instead (sqlite3 FILE .dump > dump.sql)"}");
    }

    private static byte[] Tar(params string[] names)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var name in names)
            {
                if (name.EndsWith('/'))
                {
                    writer.WriteEntry(new UstarTarEntry(TarEntryType.Directory, name));
                    continue;
                }

                // Data the reader skips: enough to span several blocks.
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(new byte[3000]) });
            }
        }

        return output.ToArray();
    }

    [Test]
    public void Pg_dumps_own_tar_format_is_refused_with_how_to_read_it()
    {
        var error = Refused(Tar("toc.dat", "3340.dat", "restore.sql"), "backup.tar");

        error.Message.ShouldBe(
            "backup.tar is a pg_dump tar archive (-Ft), which is not read as such: extract it (mkdir dump && tar xf backup.tar -C dump) " +
            "and pass the directory dump, which is read as a directory archive; or convert it with: pg_restore -f dump.sql backup.tar");
    }

    [TestCase("dumpdir/", "dumpdir/toc.dat", "dumpdir")]
    [TestCase("./", "./dvdrental/", "./dvdrental/3057.dat", "./dvdrental/toc.dat", "dvdrental")]
    [TestCase("._x", "backups/2024/", "backups/2024/toc.dat", "backups/2024")]
    public void A_tar_of_a_directory_archive_is_refused_naming_the_directory_to_pass(params string[] entriesThenDirectory)
    {
        var directory = entriesThenDirectory[^1];
        var error = Refused(Tar(entriesThenDirectory[..^1]), "my backup.tar");

        error.Message.ShouldBe(
            $"my backup.tar is a tar file holding a pg_dump archive in its folder {directory}/ (its toc.dat is {directory}/toc.dat): " +
            $"extract it with tar xf 'my backup.tar' and pass the directory {directory}");
    }

    [Test]
    public void A_tar_without_a_toc_is_refused_listing_what_it_holds()
    {
        Refused(Tar("._dump.sql", "dump.sql", "notes/"), "x.tar").Message.ShouldBe(
            "x.tar is a tar archive without a pg_dump toc.dat in it (it holds dump.sql), so neither pg_dump -Ft output nor a directory archive: " +
            "extract it with tar xf x.tar and pass the dump it holds");
    }

    [Test]
    public void A_compressed_or_piped_tar_is_looked_into_forward()
    {
        var tar = Tar("dumpdir/", "dumpdir/1.dat", "dumpdir/toc.dat");
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        const string Expected = "is a tar file holding a pg_dump archive in its folder dumpdir/ (its toc.dat is dumpdir/toc.dat)";
        Refused(gzipped.ToArray(), "x.tar.gz").Message.ShouldStartWith("x.tar.gz " + Expected);
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new TrickleStream(tar, 512, 7), new DumpReaderOptions { SourceName = "pipe" }))
            .Message.ShouldStartWith("pipe " + Expected);
    }
}
