using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Identity;

/// <summary>
/// The Mastodon/Vivaldi incident, replayed: accounts were matched on a URI that is NULL for every local account, NULL
/// matched NULL, and every local account was merged into one. Here the URI is the declared identity key: a NULL on
/// either side makes the row undetermined, and no API path can merge or overwrite it.
/// </summary>
public sealed class MastodonIncidentTests
{
    // 60 local accounts (domain and uri NULL) and 40 remote ones (uri set); statuses belong to accounts.
    private const string Instance = """
        CREATE TABLE accounts (id bigserial PRIMARY KEY, username text NOT NULL, domain text, uri text UNIQUE, display_name text, note text);
        CREATE TABLE statuses (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts, text text NOT NULL);
        INSERT INTO accounts (username, domain, uri, display_name, note)
        SELECT 'local' || g, NULL, NULL, 'Local ' || g, 'bio ' || g FROM generate_series(1, 60) g;
        INSERT INTO accounts (username, domain, uri, display_name, note)
        SELECT 'remote' || g, 'other.example', 'https://other.example/users/remote' || g, 'Remote ' || g, 'far ' || g FROM generate_series(1, 40) g;
        INSERT INTO statuses (account_id, text) SELECT 1 + (g % 100), 'toot ' || g FROM generate_series(1, 300) g;
        """;

    // Live drifted after the backup: local accounts edited (their rows conflict by key), remote accounts edited,
    // some accounts of both kinds deleted with their statuses.
    private const string Drift = """
        UPDATE accounts SET display_name = 'Renamed ' || id, note = 'changed' WHERE id BETWEEN 1 AND 30;
        UPDATE accounts SET display_name = 'Far renamed ' || id WHERE id BETWEEN 61 AND 70;
        UPDATE accounts SET uri = NULL, display_name = 'uri lost' WHERE id = 71;
        DELETE FROM statuses WHERE account_id IN (31, 32, 80);
        DELETE FROM accounts WHERE id IN (31, 32, 80);
        """;

    [Test]
    public async Task Local_accounts_with_a_null_uri_are_never_merged_even_by_prefer_dump()
    {
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Drift);
        var localsBefore = await db.ContentAsync("accounts WHERE uri IS NULL");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("public.accounts", "uri").WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var accounts = report.Tables.Single(t => t.Name.Name == "accounts");

        // 30 edited local accounts + the remote account whose live uri went NULL: undetermined, listed by key.
        accounts.Undetermined.ShouldBe(31);
        accounts.UndeterminedKeys.Select(k => long.Parse(k[0], System.Globalization.CultureInfo.InvariantCulture)).ShouldBe([.. Enumerable.Range(1, 30).Select(i => (long)i), 71]);
        accounts.Conflicting.ShouldBe(10); // remote accounts with the same uri: the same entity, so the policy applies
        accounts.Updated.ShouldBe(10);
        accounts.Missing.ShouldBe(3); // deleted rows come back: nothing live shares their key
        accounts.Inserted.ShouldBe(3);
        accounts.Identical.ShouldBe(100 - 31 - 10 - 3);
        (accounts.Collisions, accounts.Relocated, accounts.HeldBack).ShouldBe((0L, 0L, 0L));

        // No local row changed (the deleted locals came back as they were in the backup).
        (await db.ContentAsync("accounts WHERE uri IS NULL AND id NOT IN (31, 32)")).ShouldBe(localsBefore);
        (await db.ScalarAsync<string>("SELECT display_name FROM accounts WHERE id = 71")).ShouldBe("uri lost");
        (await db.ScalarAsync<string>("SELECT display_name FROM accounts WHERE id = 65")).ShouldBe("Remote 5");
        (await db.ScalarAsync<long>("SELECT count(DISTINCT display_name) FROM accounts WHERE uri IS NULL")).ShouldBe(61);

        // The statuses of the 31 undetermined accounts (3 each) are held back, even those equal to live: whose they are
        // cannot be told. Those of the deleted accounts 31, 32 and 80 come back.
        var statuses = report.Tables.Single(t => t.Name.Name == "statuses");
        statuses.Inserted.ShouldBe(9);
        statuses.HeldBack.ShouldBe(93);
    }

    [Test]
    public async Task A_custom_policy_never_sees_a_row_whose_identity_is_null()
    {
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Drift);
        var seen = new List<long>();

        // A careless resolver that would take every dump row: it is never even asked about the local accounts.
        var policy = MergePolicy.Custom("take-everything", args =>
        {
            seen.Add(args.Key.Get<long>("id"));
            args.Dump.IsNull("uri").ShouldBeFalse();
            args.Live.IsNull("uri").ShouldBeFalse();
            return ConflictDecision.TakeDump;
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("public.accounts", "uri").WithPolicy(policy).IncludeTables("public.accounts").Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        seen.Order().ShouldBe([.. Enumerable.Range(61, 10).Select(i => (long)i)]);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE note = 'changed'")).ShouldBe(30);
    }

    [Test]
    public async Task A_missing_row_whose_identity_several_live_rows_share_is_undetermined()
    {
        // username + domain, with domain NULL for locals: no local row can be matched, and a remote identity that
        // live has twice (no unique constraint) cannot say which one it is.
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("""
            DELETE FROM statuses WHERE account_id IN (5, 90); DELETE FROM accounts WHERE id IN (5, 90);
            INSERT INTO accounts (username, domain, uri) VALUES ('remote30', 'other.example', 'dup1'), ('remote30', 'other.example', 'dup2');
            """);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("public.accounts", "username", "domain").IncludeTables("public.accounts").Build().RunAsync();

        var accounts = report.Tables.Single();
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        accounts.Missing.ShouldBe(1); // local5: a NULL domain proves nothing, and no live row has its key: restored
        accounts.Undetermined.ShouldBe(1); // remote30 (id 90): two live rows claim the identity
        accounts.UndeterminedKeys.ShouldBe([["90"]]);
        accounts.Inserted.ShouldBe(1);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE id = 90")).ShouldBe(0);
    }

    [Test]
    public async Task Relocated_entities_are_not_inserted_twice_and_their_children_follow_the_live_key()
    {
        // Remote account 75 was deleted and later re-fetched under a new ID: the backup's row is the same entity.
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("""
            DELETE FROM statuses WHERE account_id = 75; DELETE FROM accounts WHERE id = 75;
            INSERT INTO accounts (id, username, domain, uri, display_name) VALUES (500, 'remote15', 'other.example', 'https://other.example/users/remote15', 'Refetched');
            """);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("public.accounts", "uri").Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var accounts = report.Tables.Single(t => t.Name.Name == "accounts");
        (accounts.Relocated, accounts.Inserted, accounts.Missing).ShouldBe((1L, 0L, 0L));
        accounts.Remaps.ShouldBe([new KeyRemap(["75"], ["500"], RemapKind.LiveEntity)]);
        report.Tables.Single(t => t.Name.Name == "statuses").Inserted.ShouldBe(3);
        (await db.ScalarAsync<long>("SELECT count(*) FROM statuses WHERE account_id = 500")).ShouldBe(3);
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE uri = 'https://other.example/users/remote15'")).ShouldBe(1);
    }

    [Test]
    public async Task An_identity_key_for_a_table_the_restore_does_not_have_stops_the_run_before_anything_is_applied()
    {
        // A typo would silently turn the protection off: the run refuses instead.
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM statuses WHERE id = 7");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("public.acounts", "uri").Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Errors.ShouldHaveSingleItem().ShouldContain("the identity key declared for 'public.acounts' matches none of the tables of this restore (public.accounts, public.statuses)");
        report.Tables.ShouldAllBe(t => t.Inserted == 0);
        (await db.ScalarAsync<long>("SELECT count(*) FROM statuses WHERE id = 7")).ShouldBe(0);

        var (exit, _, _) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--identity-key", "public.acounts=uri");
        exit.ShouldBe(2); // a typo in an option is a usage error
    }

    [Test]
    public async Task The_identity_key_must_exist_live_and_in_the_dump()
    {
        await using var db = await Scenario.CreateAsync(Instance);
        var dump = await db.DumpAsync();

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("public.accounts", "url").Build().RunAsync();

        var accounts = report.Tables.Single(t => t.Name.Name == "accounts");
        accounts.Outcome.ShouldBe(TableOutcome.Failed);
        accounts.Errors.ShouldHaveSingleItem().ShouldContain("identity key column url (declared for public.accounts) does not exist in the live table");
        report.Tables.Single(t => t.Name.Name == "statuses").Outcome.ShouldBe(TableOutcome.Failed); // it references accounts

        // A dump without the identity column (a hand-cut COPY block) cannot be checked: the table fails, nothing is applied.
        using var dir = new TempDirectory();
        var partial = dir.Write("partial.sql", "SET client_encoding = 'UTF8';\nCOPY public.accounts (id, username) FROM stdin;\n500\tnewbie\n\\.\n");
        var missing = await SelectiveRestore.FromDump(partial).ToPostgreSql(db.ConnectionString).WithIdentityKey("public.accounts", "uri").Build().RunAsync();
        missing.Tables.ShouldHaveSingleItem().Errors.ShouldHaveSingleItem().ShouldContain("identity key column uri (declared for public.accounts) has no values in the dump");
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE id = 500")).ShouldBe(0);

        Should.Throw<ArgumentException>(() => SelectiveRestore.FromDump(dump).WithIdentityKey("public.accounts"));
        Should.Throw<ArgumentException>(() => SelectiveRestore.FromDump(dump).WithIdentityKey("public.accounts", "uri", "uri"));
        Should.Throw<ArgumentException>(() => SelectiveRestore.FromDump(dump).WithIdentityKey("public.accounts", " "));
    }
}
