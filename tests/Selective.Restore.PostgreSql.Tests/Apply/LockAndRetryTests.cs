using System.Diagnostics;
using Npgsql;
using Selective.Restore.PostgreSql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>Waits that end with a reason (lock_timeout, the holder named), and retries only of the database's own failures (issue 10, points 9–10).</summary>
public sealed class LockAndRetryTests
{
    private const string Schema = "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 20) g";

    [Test]
    public async Task A_table_locked_by_another_session_fails_after_the_lock_timeout_naming_the_holder()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM t WHERE id > 15");

        await using var holder = new NpgsqlConnection(db.ConnectionString + ";Application Name=nightly-job");
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", holder, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithLockTimeout(TimeSpan.FromSeconds(1)).Build().RunAsync();
        clock.Stop();

        report.Succeeded.ShouldBeFalse();
        var t = report.Tables.ShouldHaveSingleItem();
        t.Attempts.ShouldBe(1); // a lock timeout is the user's limit: not retried
        var error = t.Errors.ShouldHaveSingleItem();
        error.ShouldStartWith("waited 1 s for a lock on public.t, held by PID " + holder.ProcessID);
        error.ShouldContain("AccessExclusiveLock");
        error.ShouldContain("application 'nightly-job'");
        error.ShouldContain("--lock-timeout");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(25)); // not Npgsql's 30 s command timeout, five times
    }

    [Test]
    public async Task A_row_locked_by_an_open_transaction_names_that_session()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("UPDATE t SET v = 'changed' WHERE id = 3");

        await using var holder = new NpgsqlConnection(db.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("UPDATE t SET v = 'mine' WHERE id = 3", holder, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithPolicy(MergePolicy.PreferDump).WithLockTimeout(TimeSpan.FromMilliseconds(500)).Build().RunAsync();

        var error = report.Tables.ShouldHaveSingleItem().Errors.ShouldHaveSingleItem();
        error.ShouldStartWith("waited 500 ms for a lock on public.t, held by PID " + holder.ProcessID);
        error.ShouldContain("RowExclusiveLock");
        error.ShouldContain("idle in transaction");
    }

    [Test]
    public async Task Without_a_lock_the_restore_waits_as_long_as_a_statement_takes()
    {
        // No command timeout: a statement slower than Npgsql's default would fail a big table.
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM t WHERE id > 10");
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { CommandTimeout = 1, Options = "-c pg_catalog.statement_timeout=0" }.ConnectionString;
        await db.ExecuteAsync("CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$; CREATE TRIGGER slow BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION slow()");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(connection).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary()); // 10 rows x 0.3 s in one statement, past a 1 s command timeout
        report.Tables.ShouldHaveSingleItem().Inserted.ShouldBe(10);
    }

    [Test]
    public void Only_database_failures_are_transient()
    {
        var target = new PostgreSqlTarget("Host=127.0.0.1;Username=nobody");
        target.IsTransient(new IOException("Too many levels of symbolic links")).ShouldBeFalse();
        target.IsTransient(new UnauthorizedAccessException("denied")).ShouldBeFalse();
        target.IsTransient(new FileNotFoundException("gone")).ShouldBeFalse();
        target.IsTransient(new NpgsqlException("Exception while reading from stream", new IOException("reset"))).ShouldBeTrue();
        target.IsTransient(new NpgsqlException("Exception while writing", new System.Net.Sockets.SocketException())).ShouldBeTrue();
    }

    [Test]
    public async Task A_local_file_error_during_the_apply_fails_the_table_without_retries()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM t WHERE id > 10");
        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");

        // While staging, the undo parts folder becomes a symlink loop: writing the table's part fails with an IOException.
        var progress = new Swap(() =>
        {
            Directory.Delete(undo + ".parts", recursive: true);
            File.CreateSymbolicLink(undo + ".parts", undo + ".parts");
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithUndoScript(undo).WithProgress(progress)
            .WithRetry(new RestoreRetryOptions { Delay = TimeSpan.Zero }).Build().RunAsync();

        var t = report.Tables.ShouldHaveSingleItem();
        t.Outcome.ShouldBe(TableOutcome.Failed);
        t.Attempts.ShouldBe(1);
        t.Errors.ShouldHaveSingleItem().ShouldContain("undo.sql.parts");
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(10);
    }

    private sealed class Swap(Action action) : IProgress<RestoreProgress>
    {
        private bool _done;

        public void Report(RestoreProgress value)
        {
            if (value.Phase == RestorePhase.Staging && !_done)
            {
                _done = true;
                action();
            }
        }
    }
}
