using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Filtering;

public sealed class TableFilterTests
{
    [TestCase("public.orders", "public", "orders", true)]
    [TestCase("public.orders", "public", "orders2", false)]
    [TestCase("public.orders", "sales", "orders", false)]
    [TestCase("PUBLIC.Orders", "public", "orders", true)]
    [TestCase("public.orders", "public", "Orders", false)]
    [TestCase("orders", "public", "orders", true)]
    [TestCase("orders", "sales", "orders", true)]
    [TestCase("public.*", "public", "anything", true)]
    [TestCase("public.*", "private", "anything", false)]
    [TestCase("*.audit_*", "sales", "audit_log", true)]
    [TestCase("*.audit_*", "sales", "audit_", true)]
    [TestCase("*.audit_*", "sales", "xaudit_log", false)]
    [TestCase("*.*", "x", "y", true)]
    [TestCase("*", "x", "y", true)]
    [TestCase("public.order?", "public", "orders", true)]
    [TestCase("public.order?", "public", "order", false)]
    [TestCase("\"Sales\".\"Order Lines\"", "Sales", "Order Lines", true)]
    [TestCase("\"Sales\".\"Order Lines\"", "sales", "order lines", false)]
    [TestCase("Sales.\"Order Lines\"", "sales", "Order Lines", true)]
    [TestCase("\"Sales\".\"Order*\"", "Sales", "Order Lines", false)]
    [TestCase("\"Sales\".\"Order*\"", "Sales", "Order*", true)]
    [TestCase("\"Sales\".Order*", "Sales", "order lines", true)]
    [TestCase("\"we\"\"ird\".\"a.b\"", "we\"ird", "a.b", true)]
    [TestCase("\"Ünï\".*", "Ünï", "t", true)]
    // As in psql, other regular-expression syntax stays active; quote a name to take it literally.
    [TestCase("public.a+b", "public", "aab", true)]
    [TestCase("public.a+b", "public", "a+b", false)]
    [TestCase("public.\"a+b\"", "public", "a+b", true)]
    [TestCase("public.t(1|2)", "public", "t2", true)]
    [TestCase("public.\"t(1)\"", "public", "t(1)", true)]
    [TestCase("public.payment_p2007_0[1-3]", "public", "payment_p2007_02", true)]
    [TestCase("public.payment_p2007_0[1-3]", "public", "payment_p2007_04", false)]
    public void Matches_patterns_like_pg_dump(string pattern, string schema, string name, bool expected) =>
        TableFilter.Create([pattern]).Matches(new TableName(schema, name)).ShouldBe(expected);

    [Test]
    public void Exclusions_win_over_inclusions()
    {
        var filter = TableFilter.Create(["public.*", "sales.orders"], ["public.audit_*", "*.tmp"]);

        filter.Matches(new TableName("public", "orders")).ShouldBeTrue();
        filter.Matches(new TableName("public", "audit_log")).ShouldBeFalse();
        filter.Matches(new TableName("public", "tmp")).ShouldBeFalse();
        filter.Matches(new TableName("sales", "orders")).ShouldBeTrue();
        filter.Matches(new TableName("sales", "lines")).ShouldBeFalse();
        filter.IsAll.ShouldBeFalse();
    }

    [Test]
    public void No_inclusions_means_every_table_but_the_excluded()
    {
        var filter = TableFilter.Create(null, ["public.secret"]);

        filter.Matches(new TableName("any", "thing")).ShouldBeTrue();
        filter.Matches(new TableName("public", "secret")).ShouldBeFalse();
        TableFilter.All.IsAll.ShouldBeTrue();
        TableFilter.All.Matches(new TableName("a", "b")).ShouldBeTrue();
        TableFilter.Create([], []).IsAll.ShouldBeTrue();
    }

    [TestCase("\"unbalanced")]
    [TestCase("a.b.c")]
    [TestCase("public.")]
    [TestCase(".orders")]
    [TestCase("")]
    [TestCase("  ")]
    public void Rejects_malformed_patterns(string pattern) =>
        Should.Throw<ArgumentException>(() => TableFilter.Create([pattern]));

    [Test]
    public void Describes_itself()
    {
        TableFilter.All.ToString().ShouldBe("all tables");
        TableFilter.Create(["public.*"], ["*.tmp"]).ToString().ShouldBe("include [public.*] exclude [*.tmp]");
    }

    [Test]
    public async Task The_reader_returns_only_selected_tables_and_still_reads_the_rest_of_the_dump()
    {
        var sql = "SET client_encoding = 'UTF8';\n" +
            "CREATE TABLE public.ins (\n    id integer,\n    note text\n);\n" +
            "COPY public.orders (id) FROM stdin;\n1\n2\n\\.\n" +
            "COPY public.audit_log (id) FROM stdin;\n3\n\\.\n" +
            "INSERT INTO public.ins VALUES (4, 'x');\nINSERT INTO public.ins VALUES (5, 'y');\n" +
            "INSERT INTO public.audit_2 VALUES (6);\n" +
            "SELECT pg_catalog.setval('public.orders_id_seq', 2, true);\n" +
            "COPY \"Sales\".\"Order Lines\" (id) FROM stdin;\n7\n\\.\n" +
            "COPY sales.other (id) FROM stdin;\n8\n\\.\n";

        var dump = await DumpHarness.ReadAsync(sql, TableFilter.Create(["public.*", "\"Sales\".\"Order Lines\""], ["public.audit_*"]));

        dump.Tables.Select(t => t.Name.ToString()).ShouldBe(["public.orders", "public.ins", "\"Sales\".\"Order Lines\""]);
        dump.Tables.Select(t => t.RowsRead).ShouldBe([2L, 2L, 1L]);
        dump["public.ins"].ColumnNames.ShouldBe(["id", "note"]);
        dump["public.ins"].StartOffset.ShouldBe(Sql.OffsetOf(sql, "INSERT INTO public.ins"));
        dump.TablesSkipped.ShouldBe(3);
        dump.Sequences.ShouldHaveSingleItem().Sequence.ShouldBe(new TableName("public", "orders_id_seq"));
    }

    [Test]
    public async Task A_filter_that_selects_nothing_reads_the_whole_dump()
    {
        var sql = "COPY public.a (id) FROM stdin;\n1\n\\.\nINSERT INTO public.b VALUES (1);\nSELECT pg_catalog.setval('public.s', 9, false);\n";

        var dump = await DumpHarness.ReadAsync(sql, TableFilter.Create(["nothing.here"]));

        dump.Tables.ShouldBeEmpty();
        dump.TablesSkipped.ShouldBe(2);
        dump.Sequences.ShouldHaveSingleItem().Value.ShouldBe(9);
    }
}
