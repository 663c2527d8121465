using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// Tables without a primary key (nor a unique key on NOT NULL columns), from real pg_dump output: rows are matched on
/// the whole row, copy for copy, and only the missing copies are inserted. The live database's time zone differs from
/// the dump's, so no log row prints as the dump has it: every one is paired by the server's typed comparison.
/// </summary>
public sealed class WholeRowTests
{
    private const string Setup = """
        CREATE TABLE measurements (sensor int NOT NULL, taken date NOT NULL, reading numeric, note text) PARTITION BY RANGE (taken);
        CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO measurements SELECT g % 7, date '2025-06-01' + (g % 400), (g % 13) / 4.0,
            CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN '' ELSE 'n' || (g % 3) END
        FROM generate_series(1, 3000) g;
        CREATE TABLE log (at timestamptz, level text, message text, payload jsonb);
        INSERT INTO log SELECT timestamptz '2026-01-01 00:00+00' + (g % 50) * interval '1 hour', CASE WHEN g % 2 = 0 THEN 'info' ELSE 'warn' END,
            'msg ' || (g % 40) || ' ✓ ünïcödé', CASE WHEN g % 4 = 0 THEN NULL ELSE '{"a": 1, "b": [true, null]}'::jsonb END
        FROM generate_series(1, 2000) g;
        """;

    // Copies of repeated rows go (some rows lose one copy of ten, some all), and live gains a row and an extra copy.
    private const string Damage = """
        DELETE FROM log WHERE ctid IN (SELECT ctid FROM log WHERE level = 'info' ORDER BY message, at LIMIT 300);
        DELETE FROM measurements_2026 WHERE ctid IN (SELECT ctid FROM measurements_2026 ORDER BY sensor, taken LIMIT 100);
        INSERT INTO log VALUES (now(), 'info', 'after the backup', NULL);
        INSERT INTO log SELECT * FROM log WHERE level = 'warn' LIMIT 1;
        """;

    // After the dump: live rows print in another zone than the dump's (new sessions take the database's setting).
    private const string OtherTimeZone = "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET TimeZone = %L', current_database(), 'Asia/Kolkata'); END $$";

    [TestCase("")]
    [TestCase("--load-via-partition-root")]
    public async Task A_partitioned_parent_without_a_key_and_a_log_with_repeated_rows_are_restored_copy_for_copy(string dumpArguments)
    {
        await using var db = await Scenario.CreateAsync(Setup);
        var dump = await db.DumpAsync(dumpArguments);
        await db.ExecuteAsync(OtherTimeZone);
        var original = (Log: await RowsAsync(db, "log"), Measurements: await RowsAsync(db, "measurements"));
        await db.ExecuteAsync(Damage);
        var damaged = (Log: await RowsAsync(db, "log"), Measurements: await RowsAsync(db, "measurements"));

        var plan = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).AsPlan().Build().RunAsync();
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        plan.Succeeded.ShouldBeTrue(plan.ToSummary());
        var log = report.Tables.Single(t => t.Name.Name == "log");
        (log.DumpRows, log.Missing, log.Identical, log.Conflicting, log.LiveOnly, log.Inserted).ShouldBe((2000L, 300L, 1700L, 0L, 2L, 300L));
        log.MatchedOnWholeRows.ShouldBeTrue();
        report.ToSummary().ShouldContain("matched on whole rows (no primary or unique key)");
        report.ToJson().ShouldContain("\"matchedOnWholeRows\": true");
        log.Notes.ShouldContain(n => n.Contains("matched on the whole row", StringComparison.Ordinal));
        var plannedLog = plan.Tables.Single(t => t.Name.Name == "log");
        (plannedLog.Missing, plannedLog.Identical, plannedLog.LiveOnly, plannedLog.Inserted).ShouldBe((300L, 1700L, 2L, 300L)); // would insert
        plannedLog.InsertedKeys.ShouldBeEmpty(); // no key to list
        report.Tables.Where(t => t.Name.Name != "log").Sum(t => t.Missing).ShouldBe(100);
        report.Tables.Where(t => t.Name.Name != "log").Sum(t => t.Inserted).ShouldBe(100);

        // Every row as many times as the backup or live had it, whichever is more; byte for byte.
        (await RowsAsync(db, "log")).ShouldBe(Union(original.Log, damaged.Log));
        (await RowsAsync(db, "measurements")).ShouldBe(Union(original.Measurements, damaged.Measurements));

        var again = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        again.Succeeded.ShouldBeTrue(again.ToSummary());
        again.Tables.Sum(t => t.Inserted).ShouldBe(0, "a finished restore applies nothing");
        again.Tables.Sum(t => t.Missing).ShouldBe(0);
    }

    [Test]
    public async Task The_undo_script_deletes_only_the_copies_the_restore_inserted()
    {
        await using var db = await Scenario.CreateAsync(Setup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(OtherTimeZone);
        await db.ExecuteAsync(Damage);
        var damaged = await RowsAsync(db, "log");
        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).IncludeTables("public.log").WithUndoScript(undo).Build().RunAsync();
        report.Tables.ShouldHaveSingleItem().Inserted.ShouldBe(300);
        await db.PsqlAsync(undo);

        (await RowsAsync(db, "log")).ShouldBe(damaged, "the copies live had before stay");
    }

    [Test]
    public async Task A_missing_row_filter_decides_copy_by_copy()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE tags (tag text, n int); INSERT INTO tags SELECT 't' || (g % 3), g % 2 FROM generate_series(1, 60) g");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM tags");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithPolicy(MergePolicy.PreferLive.WithMissingRowFilter(args => args.Dump.GetText("tag") != "t0")).Build().RunAsync();

        var table = report.Tables.ShouldHaveSingleItem();
        (table.Missing, table.Inserted, table.Skipped).ShouldBe((60L, 40L, 20L), report.ToSummary());
        (await db.ScalarAsync<long>("SELECT count(*) FROM tags WHERE tag = 't0'")).ShouldBe(0);
        (await db.ScalarAsync<long>("SELECT count(*) FROM tags WHERE tag = 't1' AND n = 1")).ShouldBe(10);
    }

    [Test]
    public async Task A_dump_column_the_live_table_lacks_is_refused_for_a_table_without_a_key()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE tags (tag text, n int); INSERT INTO tags VALUES ('a', 1)");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("ALTER TABLE tags DROP COLUMN n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).SkipUnknownColumns().Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Tables.ShouldHaveSingleItem().Errors.ShouldHaveSingleItem().ShouldContain("the dump's column n is not in it");
        (await db.ScalarAsync<long>("SELECT count(*) FROM tags")).ShouldBe(1);
    }

    [Test]
    public async Task A_table_without_a_key_is_refused_with_an_identity_key_and_follows_a_parent_whose_rows_may_move()
    {
        await using var db = await Scenario.CreateAsync(
            "CREATE TABLE users (id int PRIMARY KEY, name text); INSERT INTO users VALUES (1, 'ann');" +
            "CREATE TABLE visits (user_id int REFERENCES users, at date); INSERT INTO visits VALUES (1, '2026-01-01'), (1, '2026-01-02');" +
            "CREATE TABLE tags (tag text, n int); INSERT INTO tags VALUES ('a', 1)");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM visits; DELETE FROM tags");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("public.tags", "tag")
            .WithPolicy("public.users", MergePolicy.Custom("per-row", _ => ConflictDecision.TakeDump))
            .Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Tables.Single(t => t.Name.Name == "tags").Errors.ShouldHaveSingleItem()
            .ShouldContain("so rows are matched on the whole row, and an identity key is declared for it");
        var visits = report.Tables.Single(t => t.Name.Name == "visits");
        (visits.Outcome, visits.Inserted).ShouldBe((TableOutcome.Applied, 2L), report.ToSummary());
        (await db.ScalarAsync<long>("SELECT count(*) FROM visits")).ShouldBe(2);
        (await db.ScalarAsync<long>("SELECT count(*) FROM tags")).ShouldBe(0);
    }

    [Test]
    public async Task A_value_the_server_rejects_in_a_missing_copy_names_its_row_and_line_and_applies_nothing()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE tags (tag text, n int)");
        using var dir = new TempDirectory();
        var dump = dir.Write("bad.sql", "SET client_encoding = 'UTF8';\nCOPY public.tags (tag, n) FROM stdin;\na\t1\na\t1\nb\tnot a number\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Tables.ShouldHaveSingleItem().Errors.ShouldHaveSingleItem()
            .ShouldContain("the server rejected a value while staging public.tags (row 3, dump line 5, column n)");
        (await db.ScalarAsync<long>("SELECT count(*) FROM tags")).ShouldBe(0);
    }

    /// <summary>The table's rows as text, sorted (ordinal): a multiset, byte for byte.</summary>
    private static async Task<List<string>> RowsAsync(Scenario db, string table)
    {
        var content = await db.ContentAsync(table);
        return [.. content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }

    /// <summary>Each row as many times as the side that has it most.</summary>
    private static List<string> Union(List<string> a, List<string> b)
    {
        var counts = a.CountBy(r => r, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        foreach (var (row, count) in b.CountBy(r => r, StringComparer.Ordinal))
        {
            counts[row] = Math.Max(count, counts.GetValueOrDefault(row));
        }

        return [.. counts.SelectMany(c => Enumerable.Repeat(c.Key, c.Value)).Order(StringComparer.Ordinal)];
    }
}
