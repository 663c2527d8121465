using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>SqliteDump writes what sqlite3 loads back exactly, and verify checks a SQLite backup against live.</summary>
public sealed class BackupAndVerifyTests
{
    private const string Schema = """
        CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v, w TEXT, doubled AS (id * 2));
        CREATE TABLE "we""ird table" (a TEXT NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
        CREATE INDEX t_w ON t (w);
        INSERT INTO t (v, w) VALUES (1, 'a'), ('1', 'b' || char(10) || 'GO' || char(10) || '.quit'), (1.0, char(0) || 'nul'), (X'00FF', NULL), (NULL, ''), (0.1 + 0.2, '''quoted''');
        INSERT INTO "we""ird table" VALUES ('Zoë', 1), ('😀', 2);
        """;

    [Test]
    public async Task A_dump_written_without_sqlite3_loads_back_exactly_with_sqlite3()
    {
        using var source = new SqliteFile(Schema);
        var dump = source.File("ours.sql");
        await SqliteDump.WriteAsync(source.ConnectionString, dump);

        using var copy = new SqliteFile(string.Empty, "copy.db");
        SqliteFile.Sqlite3(copy.Path, ".read " + dump);

        copy.Content("t").ShouldBe(source.Content("t"));
        copy.Content("we\"ird table").ShouldBe(source.Content("we\"ird table"));
        SqliteFile.Sqlite3(copy.Path, "SELECT seq FROM sqlite_sequence WHERE name = 't'").Trim().ShouldBe("6");
        SqliteFile.Sqlite3(copy.Path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 't_w'").Trim().ShouldBe("1");
    }

    [Test]
    public async Task Verify_counts_a_SQLite_backup_against_live_by_key_and_range()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.File("backup.sql");
        await SqliteDump.WriteAsync(live.ConnectionString, dump);
        live.Execute("DELETE FROM t WHERE id = 2; UPDATE t SET w = 'edited' WHERE id = 1; INSERT INTO t (id, v) VALUES (4000, 'new');");

        var report = await BackupVerification.FromDump(dump).ToSqlite(live.ConnectionString).Build().RunAsync();

        report.Completed.ShouldBeTrue(report.ToSummary());
        var t = report.Tables.Single(x => x.Name.Name == "t");
        (t.DumpRows, t.LiveRows, t.Missing, t.Conflicting, t.LiveOnly, t.LiveOnlyInDumpRange).ShouldBe((6, 6, 1, 1, 1, 0), report.ToSummary());
        (t.DumpMinKey, t.DumpMaxKey, t.LiveMinKey, t.LiveMaxKey).ShouldBe(("1", "6", "1", "4000"));
        var weird = report.Tables.Single(x => x.Name.Name == "we\"ird table");
        (weird.Identical, weird.DumpMinKey).ShouldBe((2, "(Zoë,1)"));
    }
}
