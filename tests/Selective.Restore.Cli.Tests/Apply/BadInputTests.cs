using Npgsql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>Bad dumps and impossible rows: a clear error in the report, and nothing applied to the table concerned.</summary>
public sealed class BadInputTests
{
    private const string Live = "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, n int); INSERT INTO a VALUES (1, 'one'); INSERT INTO b VALUES (1, 10);";

    private static string Dump(TempDirectory dir, string body) =>
        dir.Write("dump.sql", "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n" + body);

    [Test]
    public async Task A_malformed_dump_stops_the_run_before_anything_is_applied()
    {
        await using var db = await Scenario.CreateAsync(Live);
        using var dir = new TempDirectory();
        // Table a is fine and has a missing row; table b's block is truncated.
        var dump = Dump(dir, "COPY public.a (id, v) FROM stdin;\n1\tone\n2\ttwo\n\\.\n\nCOPY public.b (id, n) FROM stdin;\n1\t10\n2\t20\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Errors.ShouldHaveSingleItem().ShouldContain("truncated");
        report.Errors[0].ShouldContain("line 12, byte offset 163, table public.b");
        report.Tables.ShouldAllBe(t => t.Outcome == TableOutcome.Failed && t.Inserted == 0);
        report.Tables.SelectMany(t => t.Errors).ShouldBeEmpty(); // the truncation is the one error, not a failed COPY cancel
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(1);

        var (exit, _, stderr) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString);
        exit.ShouldBe(1);
        stderr.ShouldContain("truncated");
    }

    [TestCase("COPY public.nope (id) FROM stdin;\n1\n\\.\n", "nope", "the target database has no table public.nope")]
    [TestCase("COPY public.b (id, n) FROM stdin;\n2\tabc\n\\.\n", "b", "the server rejected a value while staging public.b (row 1, dump line 5, column n): invalid input syntax for type integer")]
    [TestCase("COPY public.a (id, v) FROM stdin;\n\\N\tx\n\\.\n", "a", "1 dump rows have NULL in key column(s) id")]
    [TestCase("COPY public.a (id, v) FROM stdin;\n5\tx\n5\ty\n\\.\n", "a", "more than one different row, e.g. (id=5)")]
    public async Task Rows_that_cannot_be_restored_fail_their_table_with_a_clear_error(string body, string table, string error)
    {
        await using var db = await Scenario.CreateAsync(Live);
        using var dir = new TempDirectory();
        // A healthy table with one missing row (7) next to the bad one.
        var healthy = table == "a" ? "COPY public.b (id, n) FROM stdin;\n1\t10\n7\t70\n\\.\n" : "COPY public.a (id, v) FROM stdin;\n1\tone\n7\tseven\n\\.\n";
        var dump = Dump(dir, body + "\n" + healthy);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        var failed = report.Tables.Single(t => t.Name.Name == table);
        failed.Outcome.ShouldBe(TableOutcome.Failed);
        failed.Inserted.ShouldBe(0);
        failed.Errors.ShouldHaveSingleItem().ShouldContain(error);
        report.Tables.Single(t => t.Name.Name != table).Inserted.ShouldBe(1, "the other table is still restored");
        (await db.ScalarAsync<long>("SELECT count(*) FROM a") + await db.ScalarAsync<long>("SELECT count(*) FROM b")).ShouldBe(3);
    }

    [Test]
    public async Task A_merge_that_changes_the_key_fails_the_table()
    {
        await using var db = await Scenario.CreateAsync(Live);
        using var dir = new TempDirectory();
        var dump = Dump(dir, "COPY public.a (id, v) FROM stdin;\n1\tuno\n2\tdos\n\\.\n");
        var policy = MergePolicy.Custom("bad", _ => ConflictDecision.Merge(new Dictionary<string, object?> { ["id"] = 9 }));

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(policy).Build().RunAsync();

        var a = report.Tables.ShouldHaveSingleItem();
        a.Outcome.ShouldBe(TableOutcome.Failed);
        a.Errors.ShouldHaveSingleItem().ShouldContain("may not change key column 'id'");
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(1); // the missing row 2 was rolled back too
    }

    [Test]
    public async Task With_retries_off_a_lost_connection_fails_the_table_after_one_attempt()
    {
        await using var db = await Scenario.CreateAsync(Live);
        using var dir = new TempDirectory();
        var dump = Dump(dir, "COPY public.a (id, v) FROM stdin;\n1\tuno\n2\tdos\n\\.\n");
        var target = new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = "sr-noretry" }.ConnectionString;
        var policy = MergePolicy.Custom("killer", async _ =>
        {
            await db.ScalarAsync<bool>("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sr-noretry'");
            return ConflictDecision.TakeDump;
        });

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(target).WithPolicy(policy)
            .WithRetry(new RestoreRetryOptions { MaxRetryAttempts = 0 }).Build().RunAsync();

        var a = report.Tables.ShouldHaveSingleItem();
        (a.Outcome, a.Attempts).ShouldBe((TableOutcome.Failed, 1));
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(1);
    }

    [Test]
    public async Task A_table_too_wide_to_stage_fails_with_the_column_limit_named()
    {
        // 1598 columns fit a table, but not its staging (the bookkeeping columns: position, class, live, held).
        var columns = string.Join(", ", Enumerable.Range(1, 1597).Select(i => $"c{i} int"));
        await using var db = await Scenario.CreateAsync($"CREATE TABLE wide (id int PRIMARY KEY, {columns}); INSERT INTO wide (id) VALUES (1), (2)");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM wide WHERE id = 2");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        var wide = report.Tables.ShouldHaveSingleItem();
        wide.Outcome.ShouldBe(TableOutcome.Failed);
        wide.Errors.ShouldHaveSingleItem().ShouldContain("public.wide has 1598 columns in the dump; staging it needs 1602, over PostgreSQL's limit of 1600 columns per table");
    }

    [Test]
    public async Task A_table_the_dump_has_no_rows_for_never_fails_the_run()
    {
        // The live tables moved on: geo got a NOT NULL column without default, gone was dropped. The dump has no rows for either.
        await using var db = await Scenario.CreateAsync(Live + "CREATE TABLE geo (id int PRIMARY KEY, srid int NOT NULL);");
        using var dir = new TempDirectory();
        var dump = Dump(dir, "COPY public.geo (id) FROM stdin;\n\\.\n\nCOPY public.gone (id) FROM stdin;\n\\.\n\nCOPY public.a (id, v) FROM stdin;\n1\tone\n2\ttwo\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var geo = report.Tables.Single(t => t.Name.Name == "geo");
        geo.Outcome.ShouldBe(TableOutcome.Skipped);
        geo.Notes.ShouldHaveSingleItem().ShouldBe("nothing to restore: the dump has no rows for it (and live column srid is NOT NULL without a default and the dump has no value for it)");
        report.Tables.Single(t => t.Name.Name == "gone").Notes.ShouldHaveSingleItem().ShouldContain("the target database has no table public.gone");
        report.Tables.Single(t => t.Name.Name == "a").Inserted.ShouldBe(1);

        // With rows, the same shape still fails the table.
        var withRows = Dump(dir, "COPY public.geo (id) FROM stdin;\n1\n\\.\n");
        var failed = await SelectiveRestore.FromDump(withRows).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        failed.Tables.ShouldHaveSingleItem().Outcome.ShouldBe(TableOutcome.Failed);

        // A table that appears twice: no rows in its first block, rows in the second: it fails, it is not skipped.
        var twice = Dump(dir, "COPY public.geo (id) FROM stdin;\n\\.\n\nCOPY public.geo (id) FROM stdin;\n1\n\\.\n");
        var second = await SelectiveRestore.FromDump(twice).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        second.Tables.ShouldHaveSingleItem().Outcome.ShouldBe(TableOutcome.Failed);
    }

    [Test]
    public async Task A_unique_index_that_is_no_constraint_keys_the_rows()
    {
        // Older Rails made schema_migrations this way: a plain unique index, no constraint.
        await using var db = await Scenario.CreateAsync("CREATE TABLE schema_migrations (version varchar NOT NULL); CREATE UNIQUE INDEX unique_schema_migrations ON schema_migrations (version); INSERT INTO schema_migrations VALUES ('1'), ('2'), ('3')");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM schema_migrations WHERE version = '2'");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var t = report.Tables.ShouldHaveSingleItem();
        (t.Inserted, t.Identical, t.KeyColumns.Single()).ShouldBe((1L, 2L, "version"));
        (await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations")).ShouldBe(3);
    }

    [Test]
    public async Task A_table_with_insert_rules_is_restored_without_on_conflict()
    {
        // pagila 0.10's payment: an inheritance parent whose rules send rows to a child.
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE p (id int PRIMARY KEY, v text); CREATE TABLE p1 () INHERITS (p);
            CREATE RULE p_ins AS ON INSERT TO p WHERE (new.id > 100) DO INSTEAD INSERT INTO p1 VALUES (new.*);
            INSERT INTO p VALUES (1, 'a'), (2, 'b');
            CREATE TABLE empty_ruled (id int PRIMARY KEY); CREATE RULE r AS ON INSERT TO empty_ruled DO INSTEAD NOTHING;
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM ONLY p WHERE id = 2");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var p = report.Tables.Single(t => t.Name.Name == "p");
        p.Inserted.ShouldBe(1);
        p.Warnings.ShouldHaveSingleItem().ShouldContain("has INSERT or UPDATE rules");
        report.Tables.Single(t => t.Name.Name == "empty_ruled").Outcome.ShouldBe(TableOutcome.Applied); // nothing to insert: no INSERT at all
        (await db.ScalarAsync<long>("SELECT count(*) FROM ONLY p")).ShouldBe(2);
    }
}
