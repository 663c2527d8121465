using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Identity;

/// <summary>
/// The Day One incident, replayed: an incomplete backup was restored, new accounts then got IDs that had belonged to
/// accounts the backup lacked, and a later restore of the complete backup must not hand one user's data to another.
/// </summary>
public sealed class DayOneIncidentTests
{
    // The complete backup: five accounts with posts, threaded comments, memberships (composite key holding the
    // account's key) and notes on memberships (a composite foreign key to them).
    private const string Backup = """
        CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
        CREATE TABLE posts (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, slug text NOT NULL, body text);
        CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL REFERENCES posts, account_id int NOT NULL REFERENCES accounts,
                               parent_id int REFERENCES comments, created_at timestamptz NOT NULL, body text);
        CREATE TABLE memberships (account_id int REFERENCES accounts, group_name text, PRIMARY KEY (account_id, group_name));
        CREATE TABLE membership_notes (account_id int, group_name text, note text, PRIMARY KEY (account_id, group_name, note),
                                       FOREIGN KEY (account_id, group_name) REFERENCES memberships);
        INSERT INTO accounts (email, name) VALUES ('alice@x.org', 'Alice'), ('bob@x.org', 'Bob'), ('carol@x.org', 'Carol'), ('dave@x.org', 'Dave'), ('eve@x.org', 'Ëve ✓');
        INSERT INTO posts (account_id, slug, body) VALUES (1, 'p1', 'a'), (1, 'p2', 'b'), (2, 'p3', 'c'), (3, 'p4', 'd'), (3, 'p5', 'e'), (3, 'p6', 'f'),
                                                          (4, 'dave-hello', 'private to dave'), (4, 'dave-bye', 'also dave'), (5, 'eve-hi', 'eve''s diary');
        INSERT INTO comments (post_id, account_id, parent_id, created_at, body) VALUES
            (7, 5, NULL, '2026-01-01 10:00+00', 'eve on dave''s post'), (7, 1, 1, '2026-01-01 11:00+00', 'alice replies to eve'), (1, 4, NULL, '2026-01-01 12:00+00', 'dave on alice''s post');
        INSERT INTO memberships VALUES (1, 'users'), (4, 'admins'), (5, 'users');
        INSERT INTO membership_notes VALUES (4, 'admins', 'promoted by alice');
        """;

    // The incident: the live database came back from an older backup without Dave and Eve; then Frank, Grace and Heidi
    // signed up and got IDs 4, 5 and 6, Frank's and Grace's posts got 7 and 8, Frank's comment got 1, Frank joined admins.
    private const string Incident = """
        DELETE FROM membership_notes; DELETE FROM memberships WHERE account_id IN (4, 5); DELETE FROM comments;
        DELETE FROM posts WHERE account_id IN (4, 5); DELETE FROM accounts WHERE id IN (4, 5);
        SELECT setval('accounts_id_seq', 3); SELECT setval('posts_id_seq', 6); SELECT setval('comments_id_seq', 1, false);
        INSERT INTO accounts (email, name) VALUES ('frank@x.org', 'Frank'), ('grace@x.org', 'Grace'), ('heidi@x.org', 'Heidi');
        INSERT INTO posts (account_id, slug, body) VALUES (4, 'frank-hi', 'frank only'), (5, 'grace-hi', 'grace only');
        INSERT INTO comments (post_id, account_id, parent_id, created_at, body) VALUES (1, 4, NULL, '2026-02-01 09:00+00', 'frank on alice''s post');
        INSERT INTO memberships VALUES (4, 'admins');
        INSERT INTO membership_notes VALUES (4, 'admins', 'frank note');
        """;

    private const string Owners = """
        SELECT string_agg(x, ' | ' ORDER BY x) FROM (
            SELECT 'account ' || id || ' ' || email AS x FROM accounts
            UNION ALL SELECT 'post ' || p.id || ' ' || p.slug || ' by ' || a.email FROM posts p JOIN accounts a ON a.id = p.account_id
            UNION ALL SELECT 'comment ' || c.id || ' by ' || a.email || ' on ' || p.slug || coalesce(' reply to ' || r.body, '') || ': ' || c.body
                      FROM comments c JOIN accounts a ON a.id = c.account_id JOIN posts p ON p.id = c.post_id LEFT JOIN comments r ON r.id = c.parent_id
            UNION ALL SELECT 'member ' || a.email || ' of ' || m.group_name FROM memberships m JOIN accounts a ON a.id = m.account_id
            UNION ALL SELECT 'note ' || a.email || ' ' || n.group_name || ': ' || n.note FROM membership_notes n JOIN accounts a ON a.id = n.account_id) t
        """;

    private static RestoreBuilder Restore(string dump, Scenario db) =>
        SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("public.accounts", "email")
            .WithIdentityKey("public.posts", "account_id", "slug")
            .WithIdentityKey("public.comments", "account_id", "created_at");

    [Test]
    public async Task A_primary_key_only_restore_reproduces_the_incident()
    {
        // Without identity keys the tool cannot tell Dave from Frank: prefer-dump gives Frank's account to Dave.
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        (await db.ScalarAsync<string>("SELECT email FROM accounts WHERE id = 4")).ShouldBe("dave@x.org");
        (await db.ScalarAsync<string>("SELECT slug FROM posts WHERE id = 7")).ShouldBe("dave-hello"); // Frank's own post is gone
    }

    [Test]
    public async Task Remap_gives_colliding_accounts_new_ids_and_every_child_follows_its_real_owner([Values] bool preferDump, [Values] TransactionMode mode)
    {
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);

        var report = await Restore(dump, db).OnCollision(CollisionHandling.Remap).WithTransactionMode(mode)
            .WithPolicy(preferDump ? MergePolicy.PreferDump : MergePolicy.PreferLive).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Select(t => t.Name.Name).ShouldBe(["accounts", "posts", "comments", "memberships", "membership_notes"]); // parents first
        var accounts = Table(report, "accounts");
        (accounts.Collisions, accounts.Remapped, accounts.Inserted, accounts.Updated, accounts.Undetermined, accounts.HeldBack).ShouldBe((2L, 2L, 2L, 0L, 0L, 0L));
        accounts.CollisionKeys.ShouldBe([["4"], ["5"]]);
        accounts.Remaps.ShouldBe([new KeyRemap(["4"], ["7"], RemapKind.NewKey), new KeyRemap(["5"], ["8"], RemapKind.NewKey)], ignoreOrder: false);
        var posts = Table(report, "posts");
        (posts.Collisions, posts.Remapped, posts.Inserted, posts.Identical, posts.LiveOnly).ShouldBe((2L, 2L, 3L, 6L, 0L));
        posts.Remaps.Select(r => (r.From[0], r.To[0])).ShouldBe([("7", "10"), ("8", "11")]);
        var comments = Table(report, "comments");
        (comments.Collisions, comments.Remapped, comments.Inserted).ShouldBe((1L, 1L, 3L));
        Table(report, "memberships").Inserted.ShouldBe(2);
        Table(report, "membership_notes").Inserted.ShouldBe(1);

        // Frank, Grace and Heidi keep everything; Dave and Eve are back under new IDs with all of their rows.
        (await db.ScalarAsync<string>(Owners)).ShouldBe(string.Join(" | ", new[]
        {
            "account 1 alice@x.org", "account 2 bob@x.org", "account 3 carol@x.org", "account 4 frank@x.org", "account 5 grace@x.org", "account 6 heidi@x.org",
            "account 7 dave@x.org", "account 8 eve@x.org",
            "comment 1 by frank@x.org on p1: frank on alice's post",
            "comment 2 by alice@x.org on dave-hello reply to eve on dave's post: alice replies to eve",
            "comment 3 by dave@x.org on p1: dave on alice's post",
            "comment 4 by eve@x.org on dave-hello: eve on dave's post",
            "member alice@x.org of users", "member dave@x.org of admins", "member eve@x.org of users", "member frank@x.org of admins",
            "note dave@x.org admins: promoted by alice", "note frank@x.org admins: frank note",
            "post 1 p1 by alice@x.org", "post 10 dave-hello by dave@x.org", "post 11 dave-bye by dave@x.org", "post 2 p2 by alice@x.org", "post 3 p3 by bob@x.org",
            "post 4 p4 by carol@x.org", "post 5 p5 by carol@x.org", "post 6 p6 by carol@x.org", "post 7 frank-hi by frank@x.org", "post 8 grace-hi by grace@x.org",
            "post 9 eve-hi by eve@x.org",
        }.Order(StringComparer.Ordinal)));

        // Sequences end above every ID: the next signup cannot take anyone's ID.
        (await db.ScalarAsync<int>("INSERT INTO accounts (email, name) VALUES ('ivan@x.org', 'Ivan') RETURNING id")).ShouldBe(9);
        (await db.ScalarAsync<int>("INSERT INTO posts (account_id, slug) VALUES (9, 'ivan') RETURNING id")).ShouldBe(12);
        (await db.ScalarAsync<int>("INSERT INTO comments (post_id, account_id, created_at) VALUES (12, 9, now()) RETURNING id")).ShouldBe(5);
        await db.ExecuteAsync("DELETE FROM comments WHERE id = 5; DELETE FROM posts WHERE id = 12; DELETE FROM accounts WHERE id = 9");

        // A re-run finds every remapped row live under its new key and applies nothing.
        var state = await db.ScalarAsync<string>(Owners);
        var again = await Restore(dump, db).OnCollision(CollisionHandling.Remap).WithPolicy(preferDump ? MergePolicy.PreferDump : MergePolicy.PreferLive).Build().RunAsync();
        again.Succeeded.ShouldBeTrue(again.ToSummary());
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
        (Table(again, "accounts").Relocated, Table(again, "posts").Relocated, Table(again, "comments").Relocated).ShouldBe((2L, 2L, 1L));
        Table(again, "accounts").Remaps.ShouldBe([new KeyRemap(["4"], ["7"], RemapKind.LiveEntity), new KeyRemap(["5"], ["8"], RemapKind.LiveEntity)], ignoreOrder: false);
        (await db.ScalarAsync<string>(Owners)).ShouldBe(state);
    }

    [Test]
    public async Task Skip_leaves_colliding_accounts_and_holds_back_every_row_that_would_attach_to_them()
    {
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);
        var before = await db.ScalarAsync<string>(Owners);

        var report = await Restore(dump, db).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var accounts = Table(report, "accounts");
        (accounts.Collisions, accounts.Inserted, accounts.Updated, accounts.Remapped).ShouldBe((2L, 0L, 0L, 0L));
        var posts = Table(report, "posts");
        (posts.HeldBack, posts.Inserted, posts.Updated, posts.Collisions).ShouldBe((3L, 0L, 0L, 0L));
        posts.HeldBackKeys.ShouldBe([["7"], ["8"], ["9"]]);
        var comments = Table(report, "comments");
        (comments.HeldBack, comments.Inserted, comments.Updated).ShouldBe((3L, 0L, 0L));
        (Table(report, "memberships").HeldBack, Table(report, "membership_notes").HeldBack).ShouldBe((2L, 1L));
        (await db.ScalarAsync<string>(Owners)).ShouldBe(before);
        report.ToSummary().ShouldContain("collision keys: (4) (5)");
    }

    [Test]
    public async Task Fail_applies_nothing_to_the_table_nor_to_the_tables_that_reference_it()
    {
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident + "DELETE FROM posts WHERE id = 2;");
        var before = await db.ScalarAsync<string>(Owners);

        var report = await Restore(dump, db).OnCollision(CollisionHandling.Fail).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        var accounts = Table(report, "accounts");
        accounts.Outcome.ShouldBe(TableOutcome.Failed);
        accounts.Errors.ShouldHaveSingleItem().ShouldContain("2 dump rows have the key of a live row that is a different entity");
        accounts.Errors[0].ShouldContain("(4)");
        foreach (var name in new[] { "posts", "comments", "memberships", "membership_notes" })
        {
            Table(report, name).Outcome.ShouldBe(TableOutcome.Failed, name);
            Table(report, name).Errors.ShouldHaveSingleItem().ShouldContain("references public.");
        }

        // Even the deleted post of an account that did not collide waits: the whole subtree is one decision.
        (await db.ScalarAsync<string>(Owners)).ShouldBe(before);
    }

    [Test]
    public async Task A_plan_remaps_without_taking_sequence_values_and_counts_every_table_as_the_apply_then_writes_it()
    {
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);

        var report = await Restore(dump, db).OnCollision(CollisionHandling.Remap).AsPlan().Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        // The two collisions get the keys the sequence would hand out now, without taking them; Dave's and Eve's rows
        // follow them (posts, comments, memberships whose key holds the account, their notes), as in the apply.
        (Table(report, "accounts").Collisions, Table(report, "accounts").Inserted, Table(report, "accounts").Remapped).ShouldBe((2L, 2L, 2L));
        Table(report, "accounts").Remaps.Select(r => $"{r.From[0]}->{r.To[0]}").ShouldBe(["4->7", "5->8"]);
        report.Tables.Sum(t => t.HeldBack).ShouldBe(0);
        (await db.ScalarAsync<long>("SELECT last_value FROM accounts_id_seq")).ShouldBe(6);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts")).ShouldBe(6);

        var apply = await Restore(dump, db).OnCollision(CollisionHandling.Remap).Build().RunAsync();

        apply.Succeeded.ShouldBeTrue(apply.ToSummary());
        Apply.PlanParentTests.PlanShouldMatchApply(report, apply);
        Table(apply, "accounts").Remaps.Select(r => $"{r.From[0]}->{r.To[0]}").ShouldBe(["4->7", "5->8"]);
    }

    [Test]
    public async Task The_cli_takes_identity_keys_and_remap_and_the_json_lists_every_remap()
    {
        await using var db = await Scenario.CreateAsync(Backup);
        var dump = await db.DumpAsync("-Fc", "backup.dump");
        await db.ExecuteAsync(Incident);
        using var dir = new TempDirectory();
        var json = dir.File("report.json");

        var (exit, output, error) = await CliRunner.RunAsync(
            "apply", dump, "--target", db.ConnectionString, "--identity-key", "public.accounts=email", "--identity-key", "posts=account_id, slug",
            "--identity-key", "public.comments=account_id,created_at", "--on-collision", "remap", "--json", json);

        exit.ShouldBe(0, output + error);
        output.ShouldContain("identity: 2 collisions (2 remapped), 0 undetermined, 0 already live under another key, 0 held back");
        output.ShouldContain("remapped (4) -> (7)");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var accounts = document.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "accounts");
        accounts.GetProperty("collisions").GetInt64().ShouldBe(2);
        accounts.GetProperty("remapped").GetInt64().ShouldBe(2);
        accounts.GetProperty("undetermined").GetInt64().ShouldBe(0);
        accounts.GetProperty("keyColumns").EnumerateArray().Select(e => e.GetString()).ShouldBe(["id"]);
        var remaps = accounts.GetProperty("remaps").EnumerateArray().ToList();
        remaps.Count.ShouldBe(2);
        remaps[1].GetProperty("from")[0].GetString().ShouldBe("5");
        remaps[1].GetProperty("to")[0].GetString().ShouldBe("8");
        remaps[1].GetProperty("kind").GetString().ShouldBe("new-key");
        (await db.ScalarAsync<string>("SELECT a.email FROM posts p JOIN accounts a ON a.id = p.account_id WHERE p.slug = 'dave-hello'")).ShouldBe("dave@x.org");
    }

    [Test]
    public async Task A_connection_lost_after_the_parents_were_applied_converges_to_the_uninterrupted_result()
    {
        await using var reference = await Scenario.CreateAsync(Backup);
        var dump = await reference.DumpAsync();
        await reference.ExecuteAsync(Incident);
        (await Restore(dump, reference).OnCollision(CollisionHandling.Remap).Build().RunAsync()).Succeeded.ShouldBeTrue();
        var expected = await reference.ScalarAsync<string>(Owners);

        await using var db = await Scenario.CreateAsync(Backup);
        await db.ExecuteAsync(Incident);
        var target = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = "sr-dayone-kill" }.ConnectionString;
        var killed = false;

        // Right after accounts commits (its key map lives in the session), the session is terminated: the children must
        // still follow the remapped accounts, so the engine rebuilds the map after reconnecting.
        var progress = new Inline(p =>
        {
            if (p.Phase == RestorePhase.Applying && p.Table.Name == "accounts" && p.TablesDone >= p.TableNumber && !killed)
            {
                killed = true;
                db.ScalarAsync<bool>("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sr-dayone-kill'").GetAwaiter().GetResult();
            }
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(target)
            .WithIdentityKey("public.accounts", "email").WithIdentityKey("public.posts", "account_id", "slug").WithIdentityKey("public.comments", "account_id", "created_at")
            .OnCollision(CollisionHandling.Remap).WithProgress(progress).WithRetry(new RestoreRetryOptions { Delay = TimeSpan.FromMilliseconds(20) }).Build().RunAsync();

        killed.ShouldBeTrue();
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        Table(report, "posts").Attempts.ShouldBe(2);
        Table(report, "posts").Remapped.ShouldBe(2);
        (await db.ScalarAsync<string>(Owners)).ShouldBe(expected);
    }

    [TestCase("accounts")]
    [TestCase("=email")]
    [TestCase("accounts=")]
    [TestCase("accounts=email,")]
    public async Task A_malformed_identity_key_is_a_usage_error(string declaration)
    {
        var (exit, _, error) = await CliRunner.RunAsync("apply", "nothing.sql", "--target", "Host=nowhere", "--identity-key", declaration);

        exit.ShouldBe(2);
        error.ShouldContain("expected TABLE=COLUMN[,COLUMN]");
    }

    private static TableReport Table(RestoreReport report, string name) => report.Tables.Single(t => t.Name.Name == name);

    /// <summary>Reports synchronously, on the engine's own flow (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline(Action<RestoreProgress> report) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => report(value);
    }
}
