using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Inputs that are not PostgreSQL scripts or archives the reader reads (issue 11, messages): a SQLite script or database,
/// and tar files (pg_dump -Ft, a tar of a directory archive, any other tar) are refused with what they are and what to do.
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

    [Test]
    public void A_sqlite3_dump_is_refused_as_one_naming_the_file_and_line()
    {
        var error = Refused(SqliteDump, "chinook.sql");

        error.Message.ShouldBe("chinook.sql: line 1, byte offset 0: not a PostgreSQL dump: 'PRAGMA foreign_keys=OFF;' is a SQLite command, so this looks like a sqlite3 .dump; SQLite sources are not supported yet");
        error.Source.ShouldBe("chinook.sql");
        error.Line.ShouldBe(1);
    }

    [Test]
    public void A_sqlite_script_is_recognised_by_syntax_postgresql_refuses()
    {
        // Without its PRAGMA line (cut off, or a hand-edited .dump): AUTOINCREMENT, then the sqlite_ tables.
        var withoutPragma = SqliteDump[(SqliteDump.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        var error = Refused(withoutPragma);
        error.Message.ShouldContain("uses SQLite's AUTOINCREMENT, so this looks like a SQLite script; SQLite sources are not supported yet");
        error.Line.ShouldBe(2);
        error.ByteOffset.ShouldBe("BEGIN TRANSACTION;\n".Length);

        Refused("BEGIN TRANSACTION;\nDELETE FROM sqlite_sequence;\n").Message.ShouldContain("it writes to sqlite_sequence, SQLite's own table");

        // A script written for SQLite with [bracketed] names (the Chinook SQLite script's style), with a UTF-8 byte order mark.
        var bracketed = "\uFEFF/* Chinook\n   DB Server: Sqlite */\nDROP TABLE IF EXISTS [Album];\nCREATE TABLE [Album] ([AlbumId] INTEGER NOT NULL);\n";
        error = Refused(Encoding.UTF8.GetPreamble().Concat(DumpHarness.Utf8(bracketed[1..])).ToArray());
        error.Message.ShouldContain("'DROP TABLE IF EXISTS [Album];' quotes a name in [brackets] and the script mentions SQLite, so this looks like a SQLite script");
        error.Line.ShouldBe(3);
        error.ByteOffset.ShouldBe(3 + "/* Chinook\n   DB Server: Sqlite */\n".Length, "offsets count the byte order mark");

        Refused("CREATE TABLE [t] (a int);\n").Message.ShouldContain("quotes a name in [brackets], which PostgreSQL does not read (SQLite or SQL Server syntax)");
    }

    [Test]
    public void A_sqlite_database_file_is_refused_as_one()
    {
        var file = "SQLite format 3\0"u8.ToArray().Concat(new byte[100]).ToArray();

        Refused(file, "app.db").Message.ShouldBe("app.db is a SQLite database file, not a dump; SQLite sources are not supported yet");
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
    public void The_real_sqlite3_dump_is_refused_as_one()
    {
        using var dir = new TempDirectory();
        var db = dir.File("app.db");
        string script;
        try
        {
            Sqlite3(db, "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT); INSERT INTO t(name) VALUES ('a'), ('it''s');");
            script = Sqlite3(db, ".dump");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("sqlite3 is not installed");
            return;
        }

        var path = dir.File("app.sql");
        File.WriteAllText(path, script);
        Should.Throw<DumpFormatException>(() => DumpReader.Open(path)).Message.ShouldBe(
            $"{path}: line 1, byte offset 0: not a PostgreSQL dump: 'PRAGMA foreign_keys=OFF;' is a SQLite command, so this looks like a sqlite3 .dump; SQLite sources are not supported yet");
        Should.Throw<DumpFormatException>(() => DumpReader.Open(db)).Message.ShouldBe($"{db} is a SQLite database file, not a dump; SQLite sources are not supported yet");
    }

    private static string Sqlite3(string db, string command)
    {
        var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(db);
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0);
        return output;
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
