using Selective.Restore.Diff;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// The engine diff through a whole restore with a budget small enough to spill (every other apply test's tables fit
/// in memory): the exact report and rows, and a key repeated with different rows,
/// which a spilled store only finds at the diff inside the table's transaction, fails the table and applies nothing.
/// </summary>
public sealed class EngineDiffTests
{
    private static readonly DiffOptions Spilling = new() { MemoryBudget = 64 * 1024, Partitions = 4 };

    private const string Setup = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2), seen timestamptz);
        INSERT INTO accounts SELECT g, 'user ' || g || repeat('x', g % 50), (g % 1000) / 10.0, timestamptz '2026-01-01 00:00+00' + g * interval '1 minute'
        FROM generate_series(1, 4000) g;
        """;

    private const string Damage = "DELETE FROM accounts WHERE id % 10 = 0; UPDATE accounts SET name = 'edited' WHERE id % 97 = 0";

    [Test]
    public async Task A_spilled_table_is_classified_and_restored_exactly()
    {
        await using var db = await Scenario.CreateAsync(Setup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Damage);
        var damaged = await db.ContentAsync("accounts");

        var engine = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithDiffOptions(Spilling).Build().RunAsync();

        // 400 deleted (id % 10 = 0); 41 multiples of 97, 4 of them deleted: 37 edited.
        engine.Succeeded.ShouldBeTrue(engine.ToSummary());
        var applied = engine.Tables.ShouldHaveSingleItem();
        (applied.DumpRows, applied.Missing, applied.Identical, applied.Conflicting, applied.LiveOnly).ShouldBe((4000L, 400L, 3563L, 37L, 0L));
        applied.Inserted.ShouldBe(400);
        damaged.ShouldNotBe(await db.ContentAsync("accounts"));
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts")).ShouldBe(4000);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE name = 'edited'")).ShouldBe(37, "prefer-live keeps the live edits");

        var again = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithDiffOptions(Spilling).Build().RunAsync();
        again.Tables.ShouldHaveSingleItem().Inserted.ShouldBe(0, "a finished restore applies nothing");
    }

    [Test]
    public async Task A_live_table_in_another_physical_order_is_classified_and_restored_exactly()
    {
        // CLUSTER on a descending index: the live rows stream out in the reverse of the dump's order, so the in-step
        // walk gives up and hands the rest to the hash join (past 64Ki rows, a quarter of them out of step).
        await using var db = await Scenario.CreateAsync("CREATE TABLE readings (id int PRIMARY KEY, v text NOT NULL); INSERT INTO readings SELECT g, 'v' || g FROM generate_series(1, 100000) g");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(
            "DELETE FROM readings WHERE id % 50 = 0; UPDATE readings SET v = 'edited' WHERE id % 333 = 0; " +
            "CREATE INDEX readings_desc ON readings (id DESC); CLUSTER readings USING readings_desc");

        var engine = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        // 2,000 deleted (id % 50 = 0); 300 multiples of 333, 6 of them deleted: 294 edited.
        engine.Succeeded.ShouldBeTrue(engine.ToSummary());
        var applied = engine.Tables.ShouldHaveSingleItem();
        (applied.DumpRows, applied.Missing, applied.Identical, applied.Conflicting, applied.LiveOnly).ShouldBe((100_000L, 2000L, 97_706L, 294L, 0L));
        applied.Inserted.ShouldBe(2000);
        (await db.ScalarAsync<long>("SELECT count(*) FROM readings")).ShouldBe(100_000);
    }

    [Test]
    public async Task A_key_repeated_with_different_rows_in_a_spilled_table_fails_it_naming_both_lines()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        using var dir = new TempDirectory();
        var rows = string.Concat(Enumerable.Range(1, 3000).Select(i => $"{i}\t{new string('v', 40)} {i}\n"));
        var dump = dir.Write("dup.sql", "SET client_encoding = 'UTF8';\nCOPY public.t (id, v) FROM stdin;\n" + rows + "17\tnot the same row\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithDiffOptions(Spilling).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        var table = report.Tables.ShouldHaveSingleItem();
        table.Outcome.ShouldBe(TableOutcome.Failed);
        table.Errors.ShouldHaveSingleItem().ShouldContain("(id=17); cannot tell which to restore (dump lines 19 and 3003)");
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(0);
    }
}
