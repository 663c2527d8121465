using Microsoft.Extensions.Logging;
using Npgsql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

public sealed class TransactionAndCycleTests
{
    private static string Cycle(bool deferrable) => $"""
        CREATE TABLE staff (id int PRIMARY KEY, name text, store_id int);
        CREATE TABLE store (id int PRIMARY KEY, manager_id int REFERENCES staff {(deferrable ? "DEFERRABLE" : string.Empty)});
        ALTER TABLE staff ADD FOREIGN KEY (store_id) REFERENCES store {(deferrable ? "DEFERRABLE" : string.Empty)};
        INSERT INTO staff VALUES (1, 'Mike', NULL), (2, 'Jon', NULL);
        INSERT INTO store VALUES (1, 1), (2, 2);
        UPDATE staff SET store_id = id;
        """;

    [Test]
    public async Task Rows_that_depend_on_each_other_across_a_deferrable_cycle_are_restored_together()
    {
        await using var db = await Scenario.CreateAsync(Cycle(deferrable: true));
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("BEGIN; SET CONSTRAINTS ALL DEFERRED; DELETE FROM store WHERE id = 2; DELETE FROM staff WHERE id = 2; COMMIT;");
        using var dir = new TempDirectory();

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithUndoScript(dir.File("undo.sql")).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Sum(t => t.Inserted).ShouldBe(2);
        (await db.ScalarAsync<long>("SELECT count(*) FROM staff s JOIN store t ON t.id = s.store_id AND t.manager_id = s.id")).ShouldBe(2);

        // The undo deletes both rows of the cycle in one transaction, whichever order its blocks run in.
        await db.PsqlAsync(dir.File("undo.sql"));
        (await db.ScalarAsync<long>("SELECT count(*) FROM staff") + await db.ScalarAsync<long>("SELECT count(*) FROM store")).ShouldBe(2);
    }

    [Test]
    public async Task A_non_deferrable_cycle_works_when_rows_do_not_depend_on_each_other_and_is_named_when_they_do()
    {
        await using var db = await Scenario.CreateAsync(Cycle(deferrable: false));
        var dump = await db.DumpAsync();

        // Only a staff row is missing, and its store is live: any order works.
        await db.ExecuteAsync("INSERT INTO staff VALUES (3, 'Temp', 1); UPDATE staff SET store_id = NULL WHERE id = 3; DELETE FROM staff WHERE id = 3");
        await db.ExecuteAsync("UPDATE store SET manager_id = 1 WHERE id = 2; UPDATE staff SET store_id = 1 WHERE id = 2; DELETE FROM staff WHERE id = 2");
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "staff").Inserted.ShouldBe(1);

        // Now both rows of the pair are missing and reference each other: impossible without deferral.
        await db.ExecuteAsync("UPDATE staff SET store_id = NULL WHERE id = 2; DELETE FROM store WHERE id = 2; DELETE FROM staff WHERE id = 2");
        var failed = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        failed.Succeeded.ShouldBeFalse();
        foreach (var table in failed.Tables)
        {
            table.Outcome.ShouldBe(TableOutcome.Failed);
            table.Errors.ShouldHaveSingleItem().ShouldContain("not DEFERRABLE");
            table.Inserted.ShouldBe(0);
        }

        (await db.ScalarAsync<long>("SELECT count(*) FROM staff")).ShouldBe(1);
    }

    [Test]
    public async Task Single_transaction_mode_applies_everything_or_nothing()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE a (id int PRIMARY KEY, v text);
            CREATE TABLE b (id int PRIMARY KEY, v text NOT NULL);
            INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 10) g;
            INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 10) g;
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM a WHERE id > 5; DELETE FROM b WHERE id > 5; ALTER TABLE b ADD CHECK (v <> 'b7')");

        var all = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithTransactionMode(TransactionMode.SingleTransaction).Build().RunAsync();
        all.Succeeded.ShouldBeFalse();
        all.Tables.ShouldAllBe(t => t.Outcome == TableOutcome.Failed && t.Inserted == 0);
        all.Tables.Single(t => t.Name.Name == "b").Errors[0].ShouldContain("check constraint");
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(5);

        var perTable = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        perTable.Tables.Single(t => t.Name.Name == "a").Inserted.ShouldBe(5);
        perTable.Tables.Single(t => t.Name.Name == "b").Outcome.ShouldBe(TableOutcome.Failed);
        (await db.ScalarAsync<long>("SELECT count(*) FROM b")).ShouldBe(5);
    }

    [Test]
    public async Task Passwords_never_reach_logs_or_reports()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM t WHERE id = 2");
        var withPassword = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Password = "s3cr3t-Pa55" }.ConnectionString; // trust auth ignores it
        var logger = new CapturingLogger();

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(withPassword).WithLogger(logger).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        logger.Messages.ShouldNotBeEmpty();
        string.Join("\n", logger.Messages).ShouldNotContain("s3cr3t");
        report.ToJson().ShouldNotContain("s3cr3t");
        report.ToSummary().ShouldNotContain("s3cr3t");
    }

    [Test]
    public async Task A_plan_needs_only_select_and_temp_and_reports_progress()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;");
        var dump = await db.DumpAsync();
        var role = "sr_reader_" + Guid.NewGuid().ToString("N")[..8];
        var database = new NpgsqlConnectionStringBuilder(db.ConnectionString).Database;
        await db.ExecuteAsync($"DELETE FROM t WHERE id > 45; CREATE ROLE {role} LOGIN; GRANT SELECT ON t TO {role}; GRANT TEMP ON DATABASE \"{database}\" TO {role}; REVOKE CREATE ON SCHEMA public FROM PUBLIC;");
        try
        {
            var readOnly = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
            var progress = new List<RestoreProgress>();
            var plan = await SelectiveRestore.FromDump(dump).ToPostgreSql(readOnly).AsPlan().WithProgress(new SyncProgress(progress)).Build().RunAsync();
            plan.Succeeded.ShouldBeTrue(plan.ToSummary());
            plan.Tables.Single().Missing.ShouldBe(5);
            progress.ShouldContain(p => p.Phase == RestorePhase.Staging && p.Rows == 50 && p.Bytes > 0);
            progress.ShouldContain(p => p.Phase == RestorePhase.Diffing && p.TablesDone == 1 && p.TablesTotal == 1);

            var apply = await SelectiveRestore.FromDump(dump).ToPostgreSql(readOnly).Build().RunAsync();
            apply.Tables.Single().Outcome.ShouldBe(TableOutcome.Failed);
            apply.Tables.Single().Errors[0].ShouldContain("permission denied");
            (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(45);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await db.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class SyncProgress(List<RestoreProgress> sink) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => sink.Add(value);
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception) + exception);
    }
}
