using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>
/// A plan tells the truth about parent rows when the parent is restored too: rows whose parent row its missing-row
/// filter leaves out, or whose parent the apply would fail, are warned about as the apply then fails them; a parent
/// that keeps its live row, skips a conflict or holds a row back leaves nothing to fail. Each scenario runs the plan
/// and then the apply on the same data and compares them table by table.
/// </summary>
public sealed class PlanParentTests
{
    private const string Shop = """
        CREATE TABLE regions (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE customers (id INTEGER PRIMARY KEY, region_id INTEGER NOT NULL REFERENCES regions (id), name TEXT NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), note TEXT);
        INSERT INTO regions VALUES (1, 'north'), (2, 'south');
        INSERT INTO customers VALUES (1, 1, 'ann'), (2, 1, 'bob'), (3, 2, 'cy'), (4, 2, 'di');
        INSERT INTO orders VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, 3, 'd'), (5, 4, 'e');
        """;

    private const string WouldFail = "the apply would fail this table: ";

    private static async Task<(RestoreReport Plan, RestoreReport Apply)> PlanThenApplyAsync(string dump, SqliteFile live, Func<RestoreBuilder, RestoreBuilder> options, byte[]? file = null)
    {
        var plan = await options(SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString)).AsPlan().Build().RunAsync();
        if (file is not null)
        {
            (await File.ReadAllBytesAsync(live.Path)).ShouldBe(file); // the plan wrote nothing, not even sqlite_sequence
        }

        var apply = await options(SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString)).Build().RunAsync();
        PlanShouldMatchApply(plan, apply);
        return (plan, apply);
    }

    /// <summary>A table's warnings but SQLite's note that this restore turns foreign keys on.</summary>
    private static IEnumerable<string> Problems(TableReport table) => table.Warnings.Where(w => !w.StartsWith("SQLite checks foreign keys", StringComparison.Ordinal));

    /// <summary>Every table the plan says the apply would fail, the apply fails; every other one writes what the plan said.</summary>
    internal static void PlanShouldMatchApply(RestoreReport plan, RestoreReport apply)
    {
        foreach (var planned in plan.Tables)
        {
            var applied = apply.Tables.Single(t => t.Name == planned.Name);
            var wouldFail = planned.Outcome == TableOutcome.Failed || planned.Warnings.Any(w => w.StartsWith(WouldFail, StringComparison.Ordinal));
            var context = $"{planned.Name}\nplan:\n{plan.ToSummary()}\napply:\n{apply.ToSummary()}";
            (applied.Outcome == TableOutcome.Failed).ShouldBe(wouldFail, context);
            if (!wouldFail)
            {
                (applied.Missing, applied.Identical, applied.Conflicting, applied.Inserted, applied.Updated, applied.Skipped, applied.HeldBack, applied.Remapped, applied.Relocated)
                    .ShouldBe((planned.Missing, planned.Identical, planned.Conflicting, planned.Inserted, planned.Updated, planned.Skipped, planned.HeldBack, planned.Remapped, planned.Relocated), context);
            }
        }
    }

    [Test]
    public async Task Rows_whose_parent_row_the_parents_filter_leaves_out_are_warned_about_and_the_apply_fails_them_naming_the_filter()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("DELETE FROM orders WHERE customer_id IN (3, 4); DELETE FROM customers WHERE id IN (3, 4);");
        var notCy = MergePolicy.PreferLive.WithMissingRowFilter((MissingRowArguments args) => args.Dump.Get<string>("name") != "cy");

        var (plan, apply) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithPolicy("main.customers", notCy));

        var planned = plan.Tables.Single(t => t.Name.Name == "orders");
        (planned.Outcome, planned.Inserted).ShouldBe((TableOutcome.Planned, 3L));
        var cause = "2 rows to be written reference rows of main.customers that are not there (foreign key orders_fk0, e.g. customer_id=3 in the row with key (id=3)), " +
            "and the missing-row filter of main.customers (policy prefer-live) leaves those rows out, so the database would refuse them (a foreign key violation)";
        planned.Warnings.ShouldContain(WouldFail + cause + "; let the filter of main.customers include them, or leave out the rows that reference them too");
        Problems(plan.Tables.Single(t => t.Name.Name == "customers")).ShouldBeEmpty();

        var failed = apply.Tables.Single(t => t.Name.Name == "orders");
        failed.Errors.ShouldHaveSingleItem().ShouldStartWith(cause + " and nothing is applied to this table");
        apply.Tables.Single(t => t.Name.Name == "customers").Outcome.ShouldBe(TableOutcome.Applied);
        live.Content("customers").ShouldBe(["1\t1\t'ann'", "2\t1\t'bob'", "4\t2\t'di'"]);
        live.Content("orders").ShouldBe(["1\t1\t'a'", "2\t2\t'b'"]);

        // The children's own filter leaving the same rows out: nothing to warn of, and the apply writes the rest.
        var notCysOrders = MergePolicy.PreferLive.WithMissingRowFilter((MissingRowArguments args) => args.Dump.Get<long>("customer_id") != 3);
        live.Execute("DELETE FROM customers WHERE id = 4;");
        var (fine, applied) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithPolicy("main.customers", notCy).WithPolicy("main.orders", notCysOrders));
        fine.Tables.SelectMany(Problems).ShouldBeEmpty();
        applied.Succeeded.ShouldBeTrue(applied.ToSummary());
        live.Content("orders").ShouldBe(["1\t1\t'a'", "2\t2\t'b'", "5\t4\t'e'"]);
    }

    [Test]
    public async Task Rows_under_a_parent_the_apply_would_fail_are_warned_about_as_the_apply_fails_them()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("DELETE FROM orders WHERE customer_id IN (3, 4); DELETE FROM customers WHERE id IN (3, 4); DELETE FROM regions WHERE id = 2;");

        // regions is not restored: customers 3 and 4 would fail on it, and so would their orders on them.
        var (plan, apply) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders"));

        plan.Tables.Single(t => t.Name.Name == "customers").Warnings.ShouldContain(w => w.StartsWith(WouldFail + "2 rows to be written reference rows of main.regions", StringComparison.Ordinal));
        plan.Tables.Single(t => t.Name.Name == "orders").Warnings.ShouldContain(
            WouldFail + "3 rows to be written reference rows of main.customers that are not there (foreign key orders_fk0, e.g. customer_id=3 in the row with key (id=3)), " +
            "and the apply would fail main.customers too (its rows reference rows of main.regions that would not be there), so the database would refuse them (a foreign key violation); main.customers must be restored first");
        apply.Tables.Single(t => t.Name.Name == "orders").Errors.ShouldHaveSingleItem().ShouldStartWith(
            "3 rows to be written reference rows of main.customers that are not there (foreign key orders_fk0, e.g. customer_id=3 in the row with key (id=3)), and main.customers failed in this run");
        live.Content("orders").ShouldBe(["1\t1\t'a'", "2\t2\t'b'"]);
    }

    [Test]
    public async Task A_parent_with_a_per_row_policy_the_apply_would_fail_fails_its_children_in_the_plan_too()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("DELETE FROM orders WHERE customer_id = 3; DELETE FROM customers WHERE id = 3; UPDATE customers SET region_id = 1 WHERE id = 4; DELETE FROM regions WHERE id = 2;");
        var review = MergePolicy.Custom("review", (ConflictArguments _) => ConflictDecision.KeepLive);

        // customers decides row by row: the apply fails its children with it, even those whose rows name only live customers.
        var (plan, apply) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithPolicy("main.customers", review));

        var orders = plan.Tables.Single(t => t.Name.Name == "orders");
        orders.Warnings.ShouldContain(w => w.StartsWith(WouldFail + "not restored: it references main.customers, which the apply would fail (its rows reference rows of main.regions that would not be there); main.customers's policy review decides", StringComparison.Ordinal), string.Join("\n", orders.Warnings));
        apply.Tables.Single(t => t.Name.Name == "orders").Errors.ShouldHaveSingleItem().ShouldStartWith("not restored: it references main.customers, which failed (");
    }

    [Test]
    public async Task A_parent_that_keeps_its_live_row_skips_a_conflict_or_holds_rows_back_leaves_no_child_row_without_its_parent()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();

        // Customer 3 renamed live (a conflict), customer 4 is another person now (a collision under the identity key
        // name); their orders were lost.
        live.Execute("DELETE FROM orders WHERE customer_id IN (3, 4); UPDATE customers SET name = 'cyril' WHERE id = 3; UPDATE customers SET name = 'dora' WHERE id = 4;");
        foreach (var policy in new[] { MergePolicy.PreferLive, MergePolicy.Custom("skip", (ConflictArguments _) => ConflictDecision.Skip) })
        {
            // The conflicting parent row stays live, so the orders that name it have their parent.
            var (plan, apply) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithPolicy("main.customers", policy));
            plan.Tables.SelectMany(Problems).ShouldBeEmpty(policy.Name);
            plan.Tables.Single(t => t.Name.Name == "orders").Inserted.ShouldBe(3, policy.Name);
            apply.Succeeded.ShouldBeTrue(apply.ToSummary());
            live.Execute("DELETE FROM orders WHERE customer_id IN (3, 4);");
        }

        // Under the identity key name, customers 3 and 4 are other people now: collisions, skipped, and the orders that
        // name them are held back in the plan as in the apply, not failed.
        var (held, applied) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithIdentityKey("main.customers", "name"));
        var orders = held.Tables.Single(t => t.Name.Name == "orders");
        (orders.Inserted, orders.HeldBack).ShouldBe((0L, 3L));
        applied.Succeeded.ShouldBeTrue(applied.ToSummary());
    }

    [Test]
    public async Task A_plan_remaps_collisions_with_the_keys_sqlite_would_give_and_their_orders_follow_as_in_the_apply()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();

        // Customers 3 and 4 were lost with their orders; two people who signed up since got their IDs.
        live.Execute("DELETE FROM orders WHERE customer_id IN (3, 4); UPDATE customers SET name = 'new' || id WHERE id IN (3, 4);");
        var file = await File.ReadAllBytesAsync(live.Path);

        var (plan, apply) = await PlanThenApplyAsync(dump, live, b => b.IncludeTables("main.customers", "main.orders").WithIdentityKey("main.customers", "name").OnCollision(CollisionHandling.Remap), file);

        apply.Succeeded.ShouldBeTrue(apply.ToSummary());
        var customers = plan.Tables.Single(t => t.Name.Name == "customers");
        (customers.Collisions, customers.Remapped).ShouldBe((2L, 2L));
        customers.Remaps.Select(r => $"{r.From[0]}->{r.To[0]}").ShouldBe(["3->5", "4->6"]);
        var orders = plan.Tables.Single(t => t.Name.Name == "orders");
        (orders.Inserted, orders.HeldBack).ShouldBe((3L, 0L));
        live.Content("customers").ShouldBe(["1\t1\t'ann'", "2\t1\t'bob'", "3\t2\t'new3'", "4\t2\t'new4'", "5\t2\t'cy'", "6\t2\t'di'"]);
        live.Content("orders").ShouldBe(["1\t1\t'a'", "2\t2\t'b'", "3\t5\t'c'", "4\t5\t'd'", "5\t6\t'e'"]);
    }
}

