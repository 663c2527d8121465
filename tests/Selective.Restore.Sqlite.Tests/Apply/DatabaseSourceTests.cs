using Selective.Restore.Dump;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>Yesterday's copy of app.db as the source (issue 14): read-only, streamed as its .dump, never the target itself.</summary>
public sealed class DatabaseSourceTests
{
    private const string Shop = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, anything);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), note TEXT);
        INSERT INTO customers VALUES (1, 'Zoë', 1), (2, 'line' || char(10) || 'break', '1'), (3, 'it''s', X'00');
        INSERT INTO orders VALUES (1, 1, 'a'), (2, 2, NULL);
        """;

    [Test]
    public async Task A_copy_of_the_database_file_restores_what_live_lost()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("yesterday.db");
        live.Execute("DELETE FROM orders WHERE customer_id = 2; DELETE FROM customers WHERE id = 2; INSERT INTO customers (name) VALUES ('new');");
        var backupBefore = File.GetLastWriteTimeUtc(backup.Path);

        var report = await SelectiveRestore.FromDatabase(new SqliteSource(backup.Path)).ToSqlite(live.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        (report.Tables.Single(t => t.Name.Name == "customers").Inserted, report.Tables.Single(t => t.Name.Name == "orders").Inserted).ShouldBe((1, 1), report.ToSummary());
        live.Content("customers").Take(3).ShouldBe(backup.Content("customers"));
        live.Content("orders").ShouldBe(backup.Content("orders"));
        File.GetLastWriteTimeUtc(backup.Path).ShouldBe(backupBefore); // opened read-only

        var verify = await BackupVerification.FromDatabase(new SqliteSource(backup.Path)).ToSqlite(live.ConnectionString).Build().RunAsync();
        verify.Completed.ShouldBeTrue(verify.ToSummary());
        verify.Tables.Single(t => t.Name.Name == "customers").Missing.ShouldBe(0);
    }

    [Test]
    public async Task A_table_left_out_is_never_read_from_the_source()
    {
        using var backup = new SqliteFile(Shop + "CREATE TABLE audit (id INTEGER PRIMARY KEY, payload TEXT); WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000) INSERT INTO audit SELECT n, printf('%0200d', n) FROM g;");
        var seen = new HashSet<TableName>();
        var filter = TableFilter.Create(["customers"]).Observing(name => seen.Add(name));
        await using var reader = new SqliteSource(backup.Path).Open(new DumpReaderOptions { Tables = filter });

        var names = new List<TableName>();
        while (await reader.NextTableAsync() is { } table)
        {
            names.Add(table.Name);
            while (await table.ReadAsync())
            {
            }
        }

        names.ShouldBe([new TableName("main", "customers")]);
        seen.ShouldContain(new TableName("main", "audit"), "a table left out is still named, for pattern checks and hints");
        reader.BytesRead.ShouldBeLessThan(4096, "the 20,000 audit rows (4 MB) were never exported");
    }

    [Test]
    public async Task The_target_file_is_refused_as_its_own_source_and_a_missing_file_before_anything_runs()
    {
        using var live = new SqliteFile(Shop);

        var report = await SelectiveRestore.FromDatabase(new SqliteSource(live.Path)).ToSqlite(live.ConnectionString).Build().RunAsync();
        report.Succeeded.ShouldBeFalse();
        report.ToSummary().ShouldContain("is the target database itself");

        Should.Throw<InvalidOperationException>(() => SelectiveRestore.FromDatabase(new SqliteSource(live.File("absent.db"))).ToSqlite(live.ConnectionString).Build())
            .Message.ShouldContain("no such SQLite database file");
    }
}
