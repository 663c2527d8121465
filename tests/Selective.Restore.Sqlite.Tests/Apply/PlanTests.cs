using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>
/// A plan into SQLite decides as the apply would (custom policies and missing-row filters run) in a transaction that
/// is rolled back: the database file is byte for byte what it was, and the apply then writes what the plan said.
/// </summary>
public sealed class PlanTests
{
    private const string Shop = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, balance REAL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), note TEXT);
        INSERT INTO customers VALUES (1, 'ann', 1.5), (2, 'bob', 2.5), (3, 'cy', 3.5), (4, 'di', NULL), (5, 'ed', 0);
        INSERT INTO orders VALUES (1, 1, 'a'), (2, 3, NULL), (3, 5, ''), (4, 2, 'b');
        """;

    private static RestoreBuilder Restore(string dump, SqliteFile live) => SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString);

    private static MergePolicy Review(List<string> calls) => MergePolicy.Custom("review", (ConflictArguments args) =>
    {
        calls.Add("resolve " + args.Key.GetText("id"));
        return args.Key.Get<long>("id") == 1 ? ConflictDecision.TakeDump : ConflictDecision.Merge(new Dictionary<string, object?> { ["balance"] = 7.5 });
    });

    private static MergePolicy NotForEd(List<string> calls) => MergePolicy.PreferLive.WithMissingRowFilter((MissingRowArguments args) =>
    {
        calls.Add("filter " + args.Key.GetText("id"));
        return args.Dump.Get<long>("customer_id") != 5;
    });

    [Test]
    public async Task A_plan_runs_the_policy_and_the_filter_leaves_the_file_byte_for_byte_and_the_apply_writes_what_it_said()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("UPDATE customers SET name = 'renamed' WHERE id IN (1, 2); DELETE FROM orders WHERE id <> 4;");
        var file = await File.ReadAllBytesAsync(live.Path);
        var calls = new List<string>();

        var plan = await Restore(dump, live).WithPolicy("main.customers", Review(calls)).WithPolicy("main.orders", NotForEd(calls)).AsPlan().Build().RunAsync();

        plan.Succeeded.ShouldBeTrue(plan.ToSummary());
        calls.ShouldBe(["resolve 1", "resolve 2", "filter 1", "filter 2", "filter 3"], ignoreOrder: true);
        var customers = plan.Tables.Single(t => t.Name.Name == "customers");
        (customers.Outcome, customers.Conflicting, customers.Updated, customers.Skipped).ShouldBe((TableOutcome.Planned, 2L, 2L, 0L));
        customers.UpdatedKeys.Select(k => k.ShouldHaveSingleItem()).ShouldBe(["1", "2"], ignoreOrder: true);
        var orders = plan.Tables.Single(t => t.Name.Name == "orders");
        (orders.Missing, orders.Inserted, orders.Skipped).ShouldBe((3L, 2L, 1L));
        orders.InsertedKeys.Select(k => k.ShouldHaveSingleItem()).ShouldBe(["1", "2"], ignoreOrder: true);
        (await File.ReadAllBytesAsync(live.Path)).ShouldBe(file);
        File.Exists(live.Path + "-journal").ShouldBeFalse();

        calls.Clear();
        var apply = await Restore(dump, live).WithPolicy("main.customers", Review(calls)).WithPolicy("main.orders", NotForEd(calls)).Build().RunAsync();

        apply.Succeeded.ShouldBeTrue(apply.ToSummary());
        foreach (var planned in plan.Tables)
        {
            var applied = apply.Tables.Single(t => t.Name == planned.Name);
            (applied.Inserted, applied.Updated, applied.Skipped).ShouldBe((planned.Inserted, planned.Updated, planned.Skipped), planned.Name.ToString());
        }

        live.Content("customers", "id").Take(2).ShouldBe(["1\t'ann'\t1.5", "2\t'renamed'\t7.5"]);
        live.Content("orders", "id").ShouldBe(["1\t1\t'a'", "2\t3\tNULL", "4\t2\t'b'"]);
    }

    [Test]
    public async Task A_child_only_plan_warns_of_a_missing_parent_row_and_the_apply_fails_naming_it()
    {
        using var live = new SqliteFile(Shop);
        using var backup = live.Copy("backup.db");
        var dump = backup.Dump();
        live.Execute("DELETE FROM orders WHERE customer_id = 3; DELETE FROM customers WHERE id = 3;");
        var orders = live.Content("orders", "id");

        var plan = await Restore(dump, live).IncludeTables("main.orders").AsPlan().Build().RunAsync();

        var planned = plan.Tables.ShouldHaveSingleItem();
        (planned.Outcome, planned.Inserted).ShouldBe((TableOutcome.Planned, 1L));
        planned.Warnings.ShouldContain(w => w.StartsWith(
            "the apply would fail this table: 1 row to be written references a row of main.customers that is not there (foreign key orders_fk0, e.g. customer_id=3 in the row with key (id=2)), and main.customers is not part of this restore",
            StringComparison.Ordinal), string.Join("\n", planned.Warnings));

        var apply = await Restore(dump, live).IncludeTables("main.orders").Build().RunAsync();

        var failed = apply.Tables.ShouldHaveSingleItem();
        failed.Outcome.ShouldBe(TableOutcome.Failed);
        failed.Errors.ShouldHaveSingleItem().ShouldContain("add main.customers to the restore (-t main.customers)");
        live.Content("orders", "id").ShouldBe(orders);
    }
}
