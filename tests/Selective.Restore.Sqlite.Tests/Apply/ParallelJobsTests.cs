using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>Parallel jobs into SQLite (issue 15): SQLite writes one transaction at a time, so the restore runs on one connection and says so.</summary>
public sealed class ParallelJobsTests
{
    private const string Shop = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), note TEXT);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
        INSERT INTO customers SELECT i, 'customer ' || i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
        INSERT INTO orders SELECT i, 1 + i % 200, 'order ' || i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
        INSERT INTO tags SELECT i, 'tag ' || i FROM n;
        """;

    [Test]
    public async Task Jobs_into_sqlite_run_on_one_connection_with_a_warning_and_restore_the_same()
    {
        using var sequential = new SqliteFile(Shop);
        using var parallel = new SqliteFile(Shop, "parallel.db");
        var dump = sequential.Dump();
        const string damage = "DELETE FROM orders WHERE customer_id % 10 = 0 OR id % 7 = 0; DELETE FROM customers WHERE id % 10 = 0; DELETE FROM tags WHERE id % 3 = 0;";
        sequential.Execute(damage);
        parallel.Execute(damage);

        var one = await SelectiveRestore.FromDump(dump).ToSqlite(sequential.ConnectionString).Build().RunAsync();
        var four = await SelectiveRestore.FromDump(dump).ToSqlite(parallel.ConnectionString).WithJobs(4).Build().RunAsync();

        one.Succeeded.ShouldBeTrue(one.ToSummary());
        four.Succeeded.ShouldBeTrue(four.ToSummary());
        one.Warnings.ShouldBeEmpty();
        four.Warnings.ShouldHaveSingleItem().ShouldContain("4 parallel jobs were asked for, but SQLite lets one connection write");
        four.Tables.Select(t => (t.Name, t.Missing, t.Inserted, t.Outcome)).ShouldBe(one.Tables.Select(t => (t.Name, t.Missing, t.Inserted, t.Outcome)));
        one.Tables.Sum(t => t.Inserted).ShouldBeGreaterThan(50);
        foreach (var table in new[] { "customers", "orders", "tags" })
        {
            parallel.Content(table).ShouldBe(sequential.Content(table), table);
        }
    }
}
