using System.Diagnostics;
using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Journal;

/// <summary>
/// The CLI, as a real process, killed at random points of an apply and run again with the same journal until it
/// finishes: the end state must be the one an uninterrupted run reaches, and the undo script must still undo everything.
/// </summary>
public sealed class KillAndResumeTests
{
    // Accounts with recycled IDs (remapped), posts and threaded comments that must follow them, and a plain big table.
    private const string Backup = """
        CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
        CREATE TABLE posts (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, slug text NOT NULL, body text);
        CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL REFERENCES posts, account_id int NOT NULL REFERENCES accounts,
                               parent_id int REFERENCES comments, created_at timestamptz NOT NULL, body text);
        CREATE TABLE audit (id bigint PRIMARY KEY, happened timestamptz NOT NULL, what text, payload jsonb);
        INSERT INTO accounts (email, name) SELECT 'user' || g || '@x.org', 'User ' || g || ' ✓' FROM generate_series(1, 2000) g;
        INSERT INTO posts (account_id, slug, body) SELECT 1 + g % 2000, 'post-' || g, repeat('body ' || g, 3) FROM generate_series(1, 20000) g;
        INSERT INTO comments (post_id, account_id, parent_id, created_at, body)
            SELECT 1 + g % 20000, 1 + (g * 7) % 2000, CASE WHEN g > 10 AND g % 3 = 0 THEN g - 10 END, timestamptz '2026-01-01 00:00+00' + g * interval '1 second', 'c' || g
            FROM generate_series(1, 40000) g;
        INSERT INTO audit SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 minute', E'event\t' || g, jsonb_build_object('g', g) FROM generate_series(1, 150000) g;
        """;

    // The incident: accounts 1991-2000 lost with everything of theirs, their IDs recycled by new signups who posted;
    // 5% of audit rows deleted and 1% edited.
    private const string Incident = """
        CREATE TEMP TABLE lost_posts AS SELECT id FROM posts WHERE account_id > 1990;
        DELETE FROM comments c WHERE c.account_id > 1990 OR c.post_id IN (SELECT id FROM lost_posts)
            OR c.parent_id IN (SELECT id FROM comments WHERE account_id > 1990 OR post_id IN (SELECT id FROM lost_posts));
        DELETE FROM comments c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id);
        DELETE FROM comments c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id);
        DELETE FROM comments c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id);
        DELETE FROM comments c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id);
        DELETE FROM posts WHERE account_id > 1990;
        DELETE FROM accounts WHERE id > 1990;
        SELECT setval('accounts_id_seq', 1990);
        INSERT INTO accounts (email, name) SELECT 'newcomer' || g || '@x.org', 'Newcomer ' || g FROM generate_series(1, 12) g;
        INSERT INTO posts (account_id, slug, body) SELECT 1990 + g, 'new-' || g, 'fresh' FROM generate_series(1, 12) g;
        DELETE FROM audit WHERE id % 20 = 0;
        UPDATE audit SET what = 'edited' WHERE id % 100 = 1;
        """;

    // Rows by their natural identity (IDs of remapped rows may differ between runs: sequences never go back).
    private const string Ownership = """
        SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
            SELECT 'a ' || email || ' ' || coalesce(name, '') AS x FROM accounts
            UNION ALL SELECT 'p ' || a.email || ' ' || p.slug || ' ' || coalesce(p.body, '') FROM posts p JOIN accounts a ON a.id = p.account_id
            UNION ALL SELECT 'c ' || a.email || ' ' || p.slug || ' ' || c.created_at || ' ' || coalesce(c.body, '') || ' ' || coalesce(r.body, '-')
                      FROM comments c JOIN accounts a ON a.id = c.account_id JOIN posts p ON p.id = c.post_id LEFT JOIN comments r ON r.id = c.parent_id
            UNION ALL SELECT 'x ' || id || ' ' || happened || ' ' || what || ' ' || payload FROM audit) t
        """;

    private const string Exact = """
        SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
            SELECT 'a ' || a::text AS x FROM accounts a UNION ALL SELECT 'p ' || p::text FROM posts p
            UNION ALL SELECT 'c ' || c::text FROM comments c UNION ALL SELECT 'x ' || x::text FROM audit x) t
        """;

    [TestCase("table", 20261122)]
    [TestCase("file", 7)]
    public async Task A_killed_apply_resumes_to_the_uninterrupted_result_and_its_undo_still_undoes_everything(string journal, int seed)
    {
        string[] Options(string dump, Scenario db, string dir) =>
        [
            "apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", "--on-collision", "remap",
            "--identity-key", "public.accounts=email", "--identity-key", "public.posts=account_id,slug", "--identity-key", "public.comments=account_id,created_at",
            "--undo", Path.Combine(dir, "undo.sql"), "--json", Path.Combine(dir, "report.json"),
            .. journal == "table" ? new[] { "--journal-table", "public.sr_journal" } : ["--journal", Path.Combine(dir, "journal.jsonl")],
        ];

        // The uninterrupted run.
        await using var reference = await Scenario.CreateAsync(Backup);
        var dump = await reference.DumpAsync("-Fc", "backup.dump");
        await reference.ExecuteAsync(Incident);
        using var referenceDir = new TempDirectory();
        var clock = Stopwatch.StartNew();
        var (referenceFinished, referenceOutput) = await RunCliAsync(Options(dump, reference, referenceDir.Path), null);
        var duration = clock.Elapsed;
        referenceFinished.ShouldBeTrue(referenceOutput);
        var expected = await reference.ScalarAsync<string>(Ownership);
        var expectedTables = Counts(Path.Combine(referenceDir.Path, "report.json"));

        // The same incident, restored by a process killed at random points until a run completes.
        await using var db = await Scenario.CreateAsync(Backup);
        await db.ExecuteAsync(Incident);
        var before = await db.ScalarAsync<string>(Exact);
        using var dir = new TempDirectory();
        var random = new Random(seed);
        var kills = 0;
        var finished = false;
        for (var run = 0; run < 12 && !finished; run++)
        {
            // Kill points spread over the whole run (start-up, staging, each table's transaction), scaled to this machine.
            // The first run is killed as soon as its first table is checkpointed, so the journal has something to resume
            // from; the others at random points spread over the whole run (start-up, staging, each table's transaction).
            var killAfter = run < 6 ? duration * (0.1 + (0.8 * random.NextDouble())) : (TimeSpan?)null;
            (finished, var log) = run == 0
                ? await RunCliAsync(Options(dump, db, dir.Path), duration * 10, () => CheckpointedAsync(db, dir.Path, journal))
                : await RunCliAsync(Options(dump, db, dir.Path), killAfter);
            kills += finished ? 0 : 1;
            TestContext.Out.WriteLine($"run {run}: kill after {killAfter?.TotalMilliseconds} ms -> {(finished ? "finished" : "killed")} {log}");
        }

        finished.ShouldBeTrue();
        kills.ShouldBeGreaterThan(0);
        (await db.ScalarAsync<string>(Ownership)).ShouldBe(expected);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts")).ShouldBe(await reference.ScalarAsync<long>("SELECT count(*) FROM accounts"));

        // Re-running the finished restore changes nothing.
        var (again, againOutput) = await RunCliAsync(Options(dump, db, dir.Path), null);
        again.ShouldBeTrue(againOutput);
        (await db.ScalarAsync<string>(Ownership)).ShouldBe(expected);

        // The final report covers every run: tables committed by killed runs come from the journal.
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.Path, "report.json"))).RootElement;
        report.GetProperty("tables").EnumerateArray()
            .Count(t => t.GetProperty("notes").EnumerateArray().Any(n => n.GetString()!.StartsWith("applied by an earlier run", StringComparison.Ordinal)))
            .ShouldBeGreaterThan(0);
        report.GetProperty("warnings").EnumerateArray().ShouldBeEmpty();
        Counts(Path.Combine(dir.Path, "report.json")).ShouldBe(expectedTables);

        // The undo script, assembled from the parts of every run, returns the database to its state before the first.
        await db.PsqlAsync(Path.Combine(dir.Path, "undo.sql"));
        (await db.ScalarAsync<string>(Exact)).ShouldBe(before);
    }

    /// <summary>Inserted, updated and remapped per table.</summary>
    private static Dictionary<string, (long, long, long)> Counts(string reportPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(reportPath));
        return document.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(
            t => t.GetProperty("table").GetString()!,
            t => (t.GetProperty("inserted").GetInt64(), t.GetProperty("updated").GetInt64(), t.GetProperty("remapped").GetInt64()));
    }

    private static async Task<bool> CheckpointedAsync(Scenario db, string dir, string journal)
    {
        if (journal == "file")
        {
            var path = Path.Combine(dir, "journal.jsonl");
            return File.Exists(path) && (await File.ReadAllLinesAsync(path)).Length >= 2;
        }

        try
        {
            return await db.ScalarAsync<long>("SELECT count(*) FROM public.sr_journal") > 0; // committed checkpoints only
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
        {
            return false; // not created yet
        }
    }

    /// <summary>
    /// Runs the CLI as a child process; kills it (and its tree) after <paramref name="killAfter"/>, or as soon as
    /// <paramref name="killWhen"/> holds. True when it exited 0 by itself.
    /// </summary>
    private static async Task<(bool Finished, string Output)> RunCliAsync(string[] args, TimeSpan? killAfter, Func<Task<bool>>? killWhen = null)
    {
        using var process = CliRunner.Start(args);
        var output = CliRunner.Drain(process.StandardOutput);
        var error = CliRunner.Drain(process.StandardError);
        var exited = process.WaitForExitAsync();
        var deadline = killAfter is { } after ? Task.Delay(after) : Task.Delay(Timeout.Infinite);
        while (killWhen is not null && !exited.IsCompleted && !deadline.IsCompleted)
        {
            if (await killWhen())
            {
                process.Kill(entireProcessTree: true);
                await exited;
                return (false, await error);
            }

            await Task.WhenAny(exited, deadline, Task.Delay(10));
        }

        if (killAfter is not null && await Task.WhenAny(exited, deadline) != exited)
        {
            process.Kill(entireProcessTree: true);
            await exited;
            return (false, await error);
        }

        await exited;
        return (process.ExitCode == 0, (await output) + await error);
    }
}
