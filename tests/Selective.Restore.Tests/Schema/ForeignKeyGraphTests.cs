using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Schema;

public sealed class ForeignKeyGraphTests
{
    private static LiveTable Table(string name, params (string Parent, bool Deferrable)[] parents) =>
        new(new TableName("public", name), [], ["id"], [],
            [.. parents.Select((p, i) => new LiveForeignKey($"{name}_fk{i}", ["ref"], new TableName("public", p.Parent), ["id"], p.Deferrable))], false);

    private static List<string> Names(IReadOnlyList<ForeignKeyGroup> groups) => [.. groups.Select(g => string.Join("+", g.Tables.Select(t => t.Name.Name)))];

    [Test]
    public void Parents_come_before_children_and_self_references_need_no_order()
    {
        var groups = ForeignKeyGraph.Order([
            Table("order_lines", ("orders", false), ("products", false)),
            Table("orders", ("customers", false)),
            Table("employees", ("employees", false)),
            Table("customers"),
            Table("products"),
        ]);

        var order = Names(groups);
        order.IndexOf("customers").ShouldBeLessThan(order.IndexOf("orders"));
        order.IndexOf("orders").ShouldBeLessThan(order.IndexOf("order_lines"));
        order.IndexOf("products").ShouldBeLessThan(order.IndexOf("order_lines"));
        groups.ShouldAllBe(g => !g.IsCycle && g.BlockingKeys.Count == 0);
    }

    [Test]
    public void A_cycle_is_one_group_that_names_its_non_deferrable_keys()
    {
        var groups = ForeignKeyGraph.Order([
            Table("staff", ("store", false)),
            Table("store", ("staff", true)),
            Table("rental", ("staff", false)),
            Table("address"),
        ]);

        var order = Names(groups);
        order.ShouldContain("staff+store");
        order.IndexOf("staff+store").ShouldBeLessThan(order.IndexOf("rental"));
        var cycle = groups.Single(g => g.IsCycle);
        cycle.BlockingKeys.ShouldBe(["public.staff.staff_fk0 -> public.store"]);
        cycle.ToString().ShouldBe("cycle public.staff <-> public.store");
    }

    [Test]
    public void Keys_to_tables_outside_the_restore_are_ignored_and_deep_chains_do_not_overflow()
    {
        var chain = Enumerable.Range(0, 20_000).Select(i => Table("t" + i, ("t" + (i + 1), false), ("elsewhere", false))).ToList();
        var groups = ForeignKeyGraph.Order(chain);
        groups.Count.ShouldBe(20_000);
        groups[0].Tables[0].Name.Name.ShouldBe("t19999");
        groups[^1].Tables[0].Name.Name.ShouldBe("t0");
    }
}
