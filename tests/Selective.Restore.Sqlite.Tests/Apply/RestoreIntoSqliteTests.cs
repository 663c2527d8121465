using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>
/// Whole restores into SQLite from the real sqlite3 shell's <c>.dump</c>: values come back with their storage class
/// (1 is not '1'), a re-run applies nothing, the undo script run by sqlite3 puts live back, policies, remapped
/// collisions that children follow, a table without a key, and dumps of other databases refused.
/// </summary>
public sealed class RestoreIntoSqliteTests
{
    private const string Shop = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT UNIQUE, balance REAL, photo BLOB, anything);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), note TEXT);
        CREATE TABLE visits (customer_id INTEGER, at TEXT);
        INSERT INTO customers VALUES (1, 'Zoë 😀', 'z@example.com', 1.5, X'00FF', 1),
                                     (2, 'tab' || char(9) || 'here', NULL, 0.1 + 0.2, X'', '1'),
                                     (3, 'line' || char(10) || 'break \ back', 'q@example.com', -0.0, NULL, 1.0),
                                     (4, 'it''s', NULL, 1e100, NULL, X'31'),
                                     (5, '', 'e@example.com', NULL, NULL, NULL);
        INSERT INTO orders VALUES (1, 1, 'a'), (2, 3, NULL), (3, 5, '');
        INSERT INTO visits VALUES (1, '2026-01-01'), (1, '2026-01-01'), (3, NULL);
        """;

    private static RestoreBuilder Restore(string dump, SqliteFile live) => SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString);

    [Test]
    public async Task Missing_rows_come_back_with_their_storage_class_a_rerun_applies_nothing_and_the_undo_script_puts_live_back()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("""
            DELETE FROM orders WHERE id = 2; DELETE FROM customers WHERE id = 3;
            UPDATE customers SET name = 'renamed' WHERE id = 2;
            INSERT INTO customers (name) VALUES ('new since');
            DELETE FROM visits WHERE rowid = 1;
            """);
        var before = (live.Content("customers"), live.Content("orders"), live.Content("visits", "1, 2"));
        var undo = live.File("undo.sql");

        var report = await Restore(dump, live).WithUndoScript(undo).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var customers = report.Tables.Single(t => t.Name.Name == "customers");
        (customers.Missing, customers.Identical, customers.Conflicting, customers.LiveOnly, customers.Inserted).ShouldBe((1, 3, 1, 1, 1), report.ToSummary());
        var orders = report.Tables.Single(t => t.Name.Name == "orders");
        (orders.Missing, orders.Inserted).ShouldBe((1, 1));
        var visits = report.Tables.Single(t => t.Name.Name == "visits");
        (visits.Missing, visits.Inserted, visits.MatchedOnWholeRows).ShouldBe((1, 1, true));
        live.Content("customers", "id").Where(r => r.StartsWith("3\t", StringComparison.Ordinal)).ShouldBe(backup.Content("customers", "id").Where(r => r.StartsWith("3\t", StringComparison.Ordinal)));
        live.Content("orders").ShouldContain("2\t3\tNULL");

        var again = await Restore(dump, live).Build().RunAsync();
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());

        SqliteFile.Sqlite3(live.Path, ".read " + undo);
        live.Content("customers").ShouldBe(before.Item1);
        live.Content("orders").ShouldBe(before.Item2);
        live.Content("visits", "1, 2").ShouldBe(before.Item3);
    }

    [Test]
    public async Task One_is_not_the_text_one_and_prefer_dump_restores_the_storage_class()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("UPDATE customers SET anything = '1' WHERE id = 1; UPDATE customers SET anything = 1 WHERE id = 2; UPDATE customers SET balance = 1.5 WHERE id = 3;");

        var plan = await Restore(dump, live).AsPlan().Build().RunAsync();
        plan.Tables.Single(t => t.Name.Name == "customers").Conflicting.ShouldBe(3, plan.ToSummary());

        var report = await Restore(dump, live).WithPolicy(MergePolicy.PreferDump).IncludeTables("main.customers").Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single().Updated.ShouldBe(3);
        live.Content("customers", "id").ShouldBe(backup.Content("customers", "id"));
    }

    [Test]
    public async Task A_custom_policy_merges_values_into_the_live_row()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("UPDATE customers SET name = 'Zoe', balance = 99.5 WHERE id = 1;");

        // Keep the live name, take the dump's balance.
        var policy = MergePolicy.Custom("keep-name", (ConflictArguments a) => ConflictDecision.Merge(new Dictionary<string, object?> { ["balance"] = a.Dump["balance"] }));
        var report = await Restore(dump, live).WithPolicy(policy).WithUndoScript(live.File("undo.sql")).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        live.Content("customers", "id")[0].ShouldBe("1\t'Zoe'\t'z@example.com'\t1.5\tX'00FF'\t1");
        SqliteFile.Sqlite3(live.Path, ".read " + live.File("undo.sql"));
        live.Content("customers", "id")[0].ShouldBe("1\t'Zoe'\t'z@example.com'\t99.5\tX'00FF'\t1");
    }

    [Test]
    public async Task A_reused_id_with_another_email_is_remapped_and_its_orders_follow()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();

        // An incomplete restore handed id 1 to someone else.
        live.Execute("DELETE FROM orders; DELETE FROM visits; DELETE FROM customers; INSERT INTO customers (id, name, email) VALUES (1, 'Someone', 'someone@example.com');");

        var report = await Restore(dump, live).WithIdentityKey("main.customers", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "customers").Remapped.ShouldBe(1);
        live.Content("customers", "id").ShouldContain("1\t'Someone'\t'someone@example.com'\tNULL\tNULL\tNULL");
        var zoe = live.Content("customers", "id").Single(r => r.Contains("'z@example.com'", StringComparison.Ordinal));
        var newId = zoe[..zoe.IndexOf('\t', StringComparison.Ordinal)];
        newId.ShouldNotBe("1");
        live.Content("orders", "id")[0].ShouldBe($"1\t{newId}\t'a'");
    }

    [Test]
    public async Task A_pg_dump_dump_is_refused_saying_why()
    {
        using var live = new SqliteFile(Shop);
        var dump = live.File("pg.sql");
        await File.WriteAllTextAsync(dump, "--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (id) FROM stdin;\n1\n\\.\n");

        var report = await Restore(dump, live).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.ToSummary().ShouldContain("cannot be restored into SQLite");
    }

    [Test]
    public async Task A_key_that_differs_only_in_case_under_NOCASE_is_the_same_key()
    {
        using var live = new SqliteFile("CREATE TABLE tags (name TEXT COLLATE NOCASE PRIMARY KEY, uses INTEGER) WITHOUT ROWID; INSERT INTO tags VALUES ('Sale', 3), ('new', 1);");
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("DELETE FROM tags; INSERT INTO tags VALUES ('SALE', 3);");

        var report = await Restore(dump, live).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var tags = report.Tables.Single();
        (tags.Missing, tags.Identical, tags.LiveOnly, tags.Inserted).ShouldBe((1, 1, 0, 1), report.ToSummary());
        live.Content("tags").ShouldBe(["'new'\t1", "'SALE'\t3"]);
    }
}
