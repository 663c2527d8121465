using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Selective.Restore.Diff;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// Parallel jobs (<c>WithJobs</c>, <c>-j</c>, issue 15): tables applied over several connections give the database and
/// the report of a sequential run, a child is applied only after its parents committed, and a parent's failure reaches
/// its children as it does sequentially.
/// </summary>
public sealed class ParallelJobsTests
{
    // Two FK forests (one with a diamond), a self-referencing tree, a deferrable cycle (store managers, who work in a
    // store), tables without parents and one without a key. ON DELETE CASCADE only makes the damage below short to
    // write (the restore does not care); not in the cycle, whose undo deletes both sides.
    private const string Shop = """
        CREATE TABLE regions (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE brands (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE shops (id int PRIMARY KEY, region_id int NOT NULL REFERENCES regions ON DELETE CASCADE, name text NOT NULL);
        CREATE TABLE products (id int PRIMARY KEY, brand_id int NOT NULL REFERENCES brands ON DELETE CASCADE, name text NOT NULL, price numeric(10,2));
        CREATE TABLE stock (id int PRIMARY KEY, shop_id int NOT NULL REFERENCES shops ON DELETE CASCADE, product_id int NOT NULL REFERENCES products ON DELETE CASCADE, qty int);
        CREATE TABLE orders (id int PRIMARY KEY, shop_id int NOT NULL REFERENCES shops ON DELETE CASCADE, note text);
        CREATE TABLE order_lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders ON DELETE CASCADE, stock_id int NOT NULL REFERENCES stock ON DELETE CASCADE, qty int);
        CREATE TABLE refunds (id int PRIMARY KEY, line_id int NOT NULL REFERENCES order_lines ON DELETE CASCADE, amount numeric(10,2));
        CREATE TABLE categories (id int PRIMARY KEY, parent_id int REFERENCES categories ON DELETE CASCADE, name text NOT NULL);
        CREATE TABLE staff (id int PRIMARY KEY, shop_id int REFERENCES shops ON DELETE SET NULL, store_id int, name text);
        CREATE TABLE stores (id int PRIMARY KEY, manager_id int REFERENCES staff DEFERRABLE, name text);
        ALTER TABLE staff ADD FOREIGN KEY (store_id) REFERENCES stores DEFERRABLE;
        CREATE TABLE audit (id bigint PRIMARY KEY, at int, what text);
        CREATE TABLE settings (k text PRIMARY KEY, v text);
        CREATE TABLE tags (label text, n int);
        INSERT INTO regions SELECT g, 'region ' || g FROM generate_series(1, 50) g;
        INSERT INTO brands SELECT g, 'brand ' || g FROM generate_series(1, 40) g;
        INSERT INTO shops SELECT g, 1 + g % 50, 'shop ' || g FROM generate_series(1, 300) g;
        INSERT INTO products SELECT g, 1 + g % 40, 'product ' || g, g / 10.0 FROM generate_series(1, 2000) g;
        INSERT INTO stock SELECT g, 1 + g % 300, 1 + g % 2000, g % 17 FROM generate_series(1, 3000) g;
        INSERT INTO orders SELECT g, 1 + g % 300, 'order ' || g FROM generate_series(1, 3000) g;
        INSERT INTO order_lines SELECT g, 1 + g % 3000, 1 + (g * 7) % 3000, 1 + g % 5 FROM generate_series(1, 4000) g;
        INSERT INTO refunds SELECT g, 1 + (g * 3) % 4000, g / 100.0 FROM generate_series(1, 1000) g;
        INSERT INTO categories SELECT g, CASE WHEN g <= 10 THEN NULL ELSE g / 2 END, 'category ' || g FROM generate_series(1, 500) g;
        INSERT INTO staff SELECT g, 1 + g % 300, NULL, 'staff ' || g FROM generate_series(1, 200) g;
        INSERT INTO stores SELECT g, g, 'store ' || g FROM generate_series(1, 100) g;
        UPDATE staff SET store_id = 1 + (id - 1) % 100;
        INSERT INTO audit SELECT g, g * 10, 'event ' || g FROM generate_series(1, 3000) g;
        INSERT INTO settings SELECT 'k' || g, 'v' || g FROM generate_series(1, 200) g;
        INSERT INTO tags SELECT 'tag ' || (g % 50), g % 7 FROM generate_series(1, 500) g;
        """;

    // Missing rows in every table (deleted top-down, cascading), conflicts, live-only rows.
    private const string Damage = """
        DELETE FROM regions WHERE id % 10 = 3;
        DELETE FROM brands WHERE id % 8 = 5;
        DELETE FROM orders WHERE id % 9 = 1;
        DELETE FROM categories WHERE id % 9 = 4;
        WITH gone AS (DELETE FROM stores WHERE id % 7 = 6) DELETE FROM staff WHERE store_id % 7 = 6;
        DELETE FROM audit WHERE id % 6 = 0;
        DELETE FROM settings WHERE k LIKE 'k1%';
        DELETE FROM tags WHERE n = 3;
        UPDATE products SET price = price + 1 WHERE id % 11 = 0;
        UPDATE audit SET what = 'edited' WHERE id % 13 = 0;
        INSERT INTO audit SELECT g, g, 'new' FROM generate_series(10001, 10100) g;
        """;

    private static readonly string[] Tables =
        ["regions", "brands", "shops", "products", "stock", "orders", "order_lines", "refunds", "categories", "staff", "stores", "audit", "settings", "tags"];

    [TestCase("plain", "prefer-live", false)]
    [TestCase("custom", "prefer-dump", false)]
    [TestCase("custom", "prefer-live", true)]
    [TestCase("plain", "plan", false)]
    [TestCase("custom", "identity", true)]
    public async Task Four_jobs_leave_the_database_and_the_report_a_sequential_run_leaves(string format, string mode, bool spill)
    {
        // The identity run: region 3's id was reused by another region, so its shops, and everything under them, are
        // held back through key maps; products go through an application-defined resolver.
        var damage = mode == "identity" ? Damage + "INSERT INTO regions VALUES (3, 'someone else');" : Damage;
        await using var sequential = await Scenario.CreateAsync(Shop);
        await using var parallel = await Scenario.CreateAsync(Shop);
        var dump = await sequential.DumpAsync(format == "custom" ? "-Fc" : string.Empty, format == "custom" ? "shop.dump" : "shop.sql");
        await sequential.ExecuteAsync(damage);
        await parallel.ExecuteAsync(damage);
        using var dir = new TempDirectory();

        async Task<RestoreReport> RunAsync(Scenario db, int jobs)
        {
            var builder = SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithJobs(jobs);
            builder = mode switch
            {
                "prefer-dump" => builder.WithPolicy(MergePolicy.PreferDump),
                "plan" => builder.AsPlan(),
                "identity" => builder.WithIdentityKey("regions", "name")
                    .WithPolicy("products", MergePolicy.Custom("even-ids", a => int.Parse(a.Key.GetText("id")!, CultureInfo.InvariantCulture) % 2 == 0 ? ConflictDecision.TakeDump : ConflictDecision.Skip)),
                _ => builder,
            };
            if (spill)
            {
                // 64 KiB for every table's rows together: stores go to disk while other jobs read theirs.
                builder = builder.WithDiffOptions(new DiffOptions { MemoryBudget = 64 * 1024, Partitions = 4, TempDirectory = dir.Path });
            }

            return await builder.Build().RunAsync();
        }

        var one = await RunAsync(sequential, 1);
        var four = await RunAsync(parallel, 4);

        one.Succeeded.ShouldBeTrue(one.ToSummary());
        one.Tables.Sum(t => t.Missing).ShouldBeGreaterThan(1000);
        if (mode == "identity")
        {
            one.Tables.Sum(t => t.HeldBack).ShouldBeGreaterThan(10, one.ToSummary());
        }

        Normalize(four, parallel).ShouldBe(Normalize(one, sequential));
        foreach (var table in Tables)
        {
            (await parallel.ContentAsync(table)).ShouldBe(await sequential.ContentAsync(table), table);
        }
    }

    // A chain whose parent's insert sleeps in a trigger, and two tables without parents; statement triggers log who
    // wrote when (in sequence order), and on which connection.
    private const string SlowParent = """
        CREATE TABLE write_log (seq serial PRIMARY KEY, tbl text NOT NULL, pid int NOT NULL, phase text NOT NULL);
        CREATE FUNCTION log_start() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO write_log (tbl, pid, phase) VALUES (TG_TABLE_NAME, pg_backend_pid(), 'start'); RETURN NULL; END $$;
        CREATE FUNCTION slow_end() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(1); INSERT INTO write_log (tbl, pid, phase) VALUES (TG_TABLE_NAME, pg_backend_pid(), 'end'); RETURN NULL; END $$;
        CREATE TABLE parent (id int PRIMARY KEY, v text);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent, v text);
        CREATE TABLE grandchild (id int PRIMARY KEY, child_id int NOT NULL REFERENCES child, v text);
        CREATE TABLE other_a (id int PRIMARY KEY, v text);
        CREATE TABLE other_b (id int PRIMARY KEY, v text);
        INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 200) g;
        INSERT INTO child SELECT g, g, 'c' || g FROM generate_series(1, 200) g;
        INSERT INTO grandchild SELECT g, g, 'g' || g FROM generate_series(1, 200) g;
        INSERT INTO other_a SELECT g, 'a' || g FROM generate_series(1, 200) g;
        INSERT INTO other_b SELECT g, 'b' || g FROM generate_series(1, 200) g;
        CREATE TRIGGER parent_slow AFTER INSERT ON parent FOR EACH STATEMENT EXECUTE FUNCTION slow_end();
        CREATE TRIGGER child_start BEFORE INSERT ON child FOR EACH STATEMENT EXECUTE FUNCTION log_start();
        CREATE TRIGGER grandchild_start BEFORE INSERT ON grandchild FOR EACH STATEMENT EXECUTE FUNCTION log_start();
        CREATE TRIGGER other_a_start BEFORE INSERT ON other_a FOR EACH STATEMENT EXECUTE FUNCTION log_start();
        CREATE TRIGGER other_b_start BEFORE INSERT ON other_b FOR EACH STATEMENT EXECUTE FUNCTION log_start();
        """;

    private const string SlowParentDamage = """
        DELETE FROM grandchild WHERE id > 150; DELETE FROM child WHERE id > 150; DELETE FROM parent WHERE id > 150;
        DELETE FROM other_a WHERE id > 150; DELETE FROM other_b WHERE id > 150; TRUNCATE write_log;
        """;

    [TestCase(1)]
    [TestCase(4)]
    public async Task A_child_is_applied_only_after_its_parent_committed(int jobs)
    {
        // Were the child applied while the parent's insert sleeps, its rows (whose parents are missing) would fail
        // their foreign key (not deferrable): 23503. And the log would show it.
        await using var db = await Scenario.CreateAsync(SlowParent);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(SlowParentDamage);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).ExcludeTables("write_log").WithJobs(jobs).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.ShouldAllBe(t => t.Inserted == 50);
        var log = await LogAsync(db);
        var order = string.Join(", ", log);
        log.Where(l => l.Table is "parent" or "child" or "grandchild").Select(l => l.Table).ShouldBe(["parent", "child", "grandchild"], order);

        // The tables without parents started on a connection each: with four jobs, the restore did run in parallel.
        var roots = log.Where(l => l.Table is "parent" or "other_a" or "other_b").Select(l => l.Pid).Distinct().Count();
        roots.ShouldBe(jobs == 1 ? 1 : 3);
    }

    [Test]
    public async Task A_cancel_stops_every_job_and_reports_what_committed()
    {
        await using var db = await Scenario.CreateAsync(SlowParent);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(SlowParentDamage);
        using var cancel = new CancellationTokenSource();

        // Cancelled while the parent's insert sleeps: its job rolls back, the others end, and the report says what committed.
        var run = SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).ExcludeTables("write_log").WithJobs(4).Build().RunAsync(cancel.Token);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'") == 0)
        {
            run.IsCompleted.ShouldBeFalse("the run ended before the parent's insert began");
            await Task.Delay(20);
        }

        await cancel.CancelAsync();
        RestoreReport? report = null;
        try
        {
            await run;
        }
        catch (RestoreCanceledException ex)
        {
            report = ex.Report;
        }

        report.ShouldNotBeNull("the run must end in a RestoreCanceledException");

        report.Cancelled.ShouldBeTrue();
        report.Tables.Select(t => t.Name.Name).ShouldBe(["other_a", "other_b", "parent", "child", "grandchild"], ignoreOrder: true);
        foreach (var table in report.Tables)
        {
            table.Outcome.ShouldBeOneOf(TableOutcome.Applied, TableOutcome.Cancelled);
            (await db.ScalarAsync<long>($"SELECT count(*) FROM {table.Name}")).ShouldBe(150 + (table.Outcome == TableOutcome.Applied ? table.Inserted : 0), table.Name.ToString());
        }

        report.Tables.Where(t => t.Name.Name is "parent" or "child" or "grandchild").ShouldAllBe(t => t.Outcome == TableOutcome.Cancelled);
        (await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).ShouldBe(0, "every job's connection is closed");
    }

    [Test]
    public async Task Jobs_whose_connections_cannot_all_be_opened_run_over_those_that_could()
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Damage);
        var role = "sr_jobs_" + Guid.NewGuid().ToString("N")[..8];
        var database = new NpgsqlConnectionStringBuilder(db.ConnectionString).Database;
        await db.ExecuteAsync($"""
            CREATE ROLE {role} LOGIN CONNECTION LIMIT 2; GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; GRANT TEMP ON DATABASE "{database}" TO {role};
            """);
        try
        {
            var limited = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(limited).WithJobs(4).WithRetry(new RestoreRetryOptions { MaxRetryAttempts = 0 }).Build().RunAsync();

            report.Succeeded.ShouldBeTrue(report.ToSummary());
            report.Warnings.ShouldHaveSingleItem().ShouldContain("only 2 of the 4 connections for parallel jobs could be opened");
            report.Warnings[0].ShouldContain("too many connections");
            report.Tables.Sum(t => t.Inserted).ShouldBeGreaterThan(1000);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await db.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    [Test]
    public async Task A_failed_parent_fails_or_leaves_its_children_as_a_sequential_run_does()
    {
        // accounts (identity key: its children follow its key map) and labels (no identity key) both fail on a CHECK
        // constraint their missing rows break: the children of accounts are not restored, those of labels are applied
        // and fail on their foreign key for the rows whose labels are missing. Unrelated tables are applied.
        const string setup = """
            CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL);
            CREATE TABLE posts (id int PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, body text);
            CREATE TABLE comments (id int PRIMARY KEY, post_id int NOT NULL REFERENCES posts, body text);
            CREATE TABLE labels (id int PRIMARY KEY, name text NOT NULL);
            CREATE TABLE post_labels (id int PRIMARY KEY, label_id int NOT NULL REFERENCES labels, note text);
            CREATE TABLE unrelated (id int PRIMARY KEY, v text);
            INSERT INTO accounts SELECT g, 'user' || g || '@x' FROM generate_series(1, 100) g;
            INSERT INTO posts SELECT g, 1 + g % 100, 'post ' || g FROM generate_series(1, 300) g;
            INSERT INTO comments SELECT g, 1 + g % 300, 'comment ' || g FROM generate_series(1, 600) g;
            INSERT INTO labels SELECT g, 'label ' || g FROM generate_series(1, 50) g;
            INSERT INTO post_labels SELECT g, 1 + g % 50, 'n' || g FROM generate_series(1, 200) g;
            INSERT INTO unrelated SELECT g, 'u' || g FROM generate_series(1, 100) g;
            """;
        const string damage = """
            DELETE FROM comments WHERE id % 5 = 0 OR post_id IN (SELECT id FROM posts WHERE account_id % 10 = 0 OR id % 7 = 0);
            DELETE FROM posts WHERE account_id % 10 = 0 OR id % 7 = 0;
            DELETE FROM accounts WHERE id % 10 = 0;
            DELETE FROM post_labels WHERE label_id % 5 = 0 OR id % 3 = 0;
            DELETE FROM labels WHERE id % 5 = 0;
            DELETE FROM unrelated WHERE id % 4 = 0;
            ALTER TABLE accounts ADD CONSTRAINT no_new_accounts CHECK (id % 10 <> 0) NOT VALID;
            ALTER TABLE labels ADD CONSTRAINT no_new_labels CHECK (id % 5 <> 0) NOT VALID;
            """;
        await using var sequential = await Scenario.CreateAsync(setup);
        await using var parallel = await Scenario.CreateAsync(setup);
        var dump = await sequential.DumpAsync();
        await sequential.ExecuteAsync(damage);
        await parallel.ExecuteAsync(damage);

        var progress = new Dictionary<int, ConcurrentQueue<RestoreProgress>> { [1] = new(), [4] = new() };
        Task<RestoreReport> RunAsync(Scenario db, int jobs) =>
            SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("accounts", "email").WithJobs(jobs)
                .WithProgress(new QueueProgress(progress[jobs])).Build().RunAsync();
        var one = await RunAsync(sequential, 1);
        var four = await RunAsync(parallel, 4);

        // Progress counts every table of the apply pass as done, those failed before their turn included.
        foreach (var events in progress.Values)
        {
            events.Where(e => e.Phase == RestorePhase.Applying).Max(e => e.TablesDone).ShouldBe(6);
        }

        TableReport Table(RestoreReport report, string name) => report.Tables.Single(t => t.Name.Name == name);
        foreach (var report in new[] { one, four })
        {
            report.Succeeded.ShouldBeFalse();
            Table(report, "accounts").Errors.ShouldHaveSingleItem().ShouldContain("no_new_accounts");
            Table(report, "posts").Errors.ShouldHaveSingleItem().ShouldContain("it references public.accounts, which failed");
            Table(report, "comments").Errors.ShouldHaveSingleItem().ShouldContain("it references public.posts, which is not restored because public.accounts failed");
            Table(report, "labels").Errors.ShouldHaveSingleItem().ShouldContain("no_new_labels");
            Table(report, "post_labels").Errors.ShouldHaveSingleItem().ShouldContain("foreign key");
            Table(report, "unrelated").Outcome.ShouldBe(TableOutcome.Applied);
            Table(report, "unrelated").Inserted.ShouldBe(25);
        }

        Normalize(four, parallel).ShouldBe(Normalize(one, sequential));
        foreach (var table in new[] { "accounts", "posts", "comments", "labels", "post_labels", "unrelated" })
        {
            (await parallel.ContentAsync(table)).ShouldBe(await sequential.ContentAsync(table), table);
        }
    }

    [TestCase("file")]
    [TestCase("table")]
    public async Task Parallel_jobs_write_one_journal_and_one_undo_script(string journal)
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync("-Fc", "shop.dump");
        await db.ExecuteAsync(Damage);
        var damaged = await ContentsAsync(db);
        using var dir = new TempDirectory();
        RestoreBuilder Restore()
        {
            var builder = SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithJobs(4);
            return journal == "file" ? builder.WithJournal(dir.File("journal.jsonl")) : builder.WithJournalTable(new TableName("public", "sr_journal"));
        }

        var report = await Restore().WithUndoScript(dir.File("undo.sql")).Build().RunAsync();
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var restored = await ContentsAsync(db);

        // Every line of the file journal is whole (jobs record tables at once): a re-run finds every table applied.
        if (journal == "file")
        {
            foreach (var line in File.ReadLines(dir.File("journal.jsonl")))
            {
                Should.NotThrow(() => JsonDocument.Parse(line).Dispose(), line);
            }
        }

        var again = await Restore().WithUndoScript(dir.File("undo.sql")).Build().RunAsync();
        again.Succeeded.ShouldBeTrue(again.ToSummary());
        again.Tables.ShouldAllBe(t => t.AppliedEarlier);
        (await ContentsAsync(db)).ShouldBe(restored);

        // The undo script undoes children before parents whichever connection applied them.
        await db.PsqlAsync(dir.File("undo.sql"));
        (await ContentsAsync(db)).ShouldBe(damaged);
    }

    [Test]
    public async Task A_resumed_restore_follows_the_key_maps_of_tables_an_earlier_run_applied_as_a_sequential_one_does()
    {
        // Run 1 applies accounts (whose identity key holds back the dump's account 3: its id is someone else's now) and
        // fails the other tables on constraints. Run 2, resumed from the journal, has three tables to apply over three
        // connections: a_notes (before accounts in the order) goes to the first; the next job classifies accounts again
        // on its own connection to rebuild its key map (as a sequential run does before any table after it), and the
        // posts of account 3 stay held back.
        const string setup = """
            CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL);
            CREATE TABLE posts (id int PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, body text);
            CREATE TABLE a_notes (id int PRIMARY KEY, v text);
            CREATE TABLE labels (id int PRIMARY KEY, v text);
            INSERT INTO accounts SELECT g, 'user' || g || '@x' FROM generate_series(1, 50) g;
            INSERT INTO posts SELECT g, 1 + g % 50, 'post ' || g FROM generate_series(1, 200) g;
            INSERT INTO a_notes SELECT g, 'n' || g FROM generate_series(1, 100) g;
            INSERT INTO labels SELECT g, 'l' || g FROM generate_series(1, 100) g;
            """;
        const string damage = """
            DELETE FROM posts WHERE account_id <= 10; DELETE FROM accounts WHERE id <= 10;
            INSERT INTO accounts VALUES (3, 'someone-else@x');
            DELETE FROM a_notes WHERE id % 3 = 0; DELETE FROM labels WHERE id % 4 = 0;
            ALTER TABLE posts ADD CONSTRAINT not_yet CHECK (body <> 'post 7') NOT VALID;
            ALTER TABLE a_notes ADD CONSTRAINT not_yet CHECK (v <> 'n3') NOT VALID;
            ALTER TABLE labels ADD CONSTRAINT not_yet CHECK (v <> 'l4') NOT VALID;
            """;
        await using var sequential = await Scenario.CreateAsync(setup);
        await using var parallel = await Scenario.CreateAsync(setup);
        var dump = await sequential.DumpAsync();
        await sequential.ExecuteAsync(damage);
        await parallel.ExecuteAsync(damage);
        using var dir = new TempDirectory();

        async Task<(RestoreReport First, RestoreReport Resumed)> RunTwiceAsync(Scenario db, int jobs)
        {
            var journal = dir.File($"journal-{jobs}.jsonl");
            RestoreBuilder Restore() => SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("accounts", "email").WithJournal(journal).WithJobs(jobs);
            var first = await Restore().Build().RunAsync();
            await db.ExecuteAsync("ALTER TABLE posts DROP CONSTRAINT not_yet; ALTER TABLE a_notes DROP CONSTRAINT not_yet; ALTER TABLE labels DROP CONSTRAINT not_yet");
            return (first, await Restore().Build().RunAsync());
        }

        var one = await RunTwiceAsync(sequential, 1);
        var four = await RunTwiceAsync(parallel, 4);

        one.First.Tables.Where(t => t.Outcome == TableOutcome.Failed).Select(t => t.Name.Name).ShouldBe(["labels", "a_notes", "posts"], ignoreOrder: true);
        one.Resumed.Succeeded.ShouldBeTrue(one.Resumed.ToSummary());
        var posts = one.Resumed.Tables.Single(t => t.Name.Name == "posts");
        (posts.Inserted, posts.HeldBack).ShouldBe((36L, 4L), one.Resumed.ToSummary());
        Normalize(four.First, parallel, ("journal-4", "journal-1")).ShouldBe(Normalize(one.First, sequential));
        Normalize(four.Resumed, parallel, ("journal-4", "journal-1")).ShouldBe(Normalize(one.Resumed, sequential));
        foreach (var table in new[] { "accounts", "posts", "a_notes", "labels" })
        {
            (await parallel.ContentAsync(table)).ShouldBe(await sequential.ContentAsync(table), table);
        }
    }

    [Test]
    public void Jobs_are_checked_by_the_builder()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "SET client_encoding = 'UTF8';\n");
        Should.Throw<ArgumentOutOfRangeException>(() => SelectiveRestore.FromDump(dump).WithJobs(0));
        Should.Throw<ArgumentOutOfRangeException>(() => SelectiveRestore.FromDump(dump).WithJobs(RestoreBuilder.MaxJobs + 1));
        Should.Throw<InvalidOperationException>(() => SelectiveRestore.FromDump(dump).ToPostgreSql("Host=x").WithJobs(2).WithTransactionMode(TransactionMode.SingleTransaction).Build())
            .Message.ShouldContain("one transaction cannot span connections");
        Should.NotThrow(() => SelectiveRestore.FromDump(dump).ToPostgreSql("Host=x").WithJobs(1).WithTransactionMode(TransactionMode.SingleTransaction).Build());
    }

    /// <summary>Collects progress reported from any thread (parallel jobs report at once).</summary>
    private sealed class QueueProgress(ConcurrentQueue<RestoreProgress> queue) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => queue.Enqueue(value);
    }

    /// <summary>The report as JSON without what differs between two runs: timings, and the database's name.</summary>
    private static string Normalize(RestoreReport report, Scenario db, params (string From, string To)[] replacements)
    {
        var json = JsonNode.Parse(report.ToJson())!;
        Strip(json);
        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })
            .Replace(new NpgsqlConnectionStringBuilder(db.ConnectionString).Database!, "<db>", StringComparison.Ordinal);
        return replacements.Aggregate(text, (t, r) => t.Replace(r.From, r.To, StringComparison.Ordinal));

        static void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                o.Remove("duration");
                o.Remove("startedAt");
                foreach (var (_, child) in o)
                {
                    Strip(child);
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var child in a)
                {
                    Strip(child);
                }
            }
        }
    }

    private static async Task<Dictionary<string, string>> ContentsAsync(Scenario db)
    {
        var contents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in Tables)
        {
            contents[table] = await db.ContentAsync(table);
        }

        return contents;
    }

    private static async Task<List<(string Table, int Pid, string Phase)>> LogAsync(Scenario db)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT tbl, pid, phase FROM write_log ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var log = new List<(string, int, string)>();
        while (await reader.ReadAsync())
        {
            log.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return log;
    }
}
