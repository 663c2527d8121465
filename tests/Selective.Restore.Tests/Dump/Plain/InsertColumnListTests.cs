using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// Consecutive INSERTs of one table with different column lists: the same columns in another order are one table (values put
/// in the first INSERT's order); other columns are refused, since an INSERT leaves the columns it does not list to their
/// DEFAULT, which the reader cannot compute. INSERT ... SELECT is read past with a notice (pg_dump 7's trigger bookkeeping).
/// </summary>
public sealed class InsertColumnListTests
{
    private const string P = "SET client_encoding = 'UTF8';\nCREATE TABLE public.t (a integer, b text, c text);\n";

    [Test]
    public async Task The_same_columns_in_another_order_continue_the_table_in_its_first_order()
    {
        var result = await DumpHarness.ReadAsync(P +
            "INSERT INTO public.t (a, b, c) VALUES (1, 'b1', 'c1');\n" +
            "INSERT INTO public.t (c, a, b) VALUES ('c2', 2, 'b2');\n" +
            "INSERT INTO public.t (c, a, b) VALUES ('c3', 3, NULL), ('c4', 4, E'tab\\there');\n" +
            "INSERT INTO public.t (a, b, c) VALUES (5, 'b5', 'c5');\n" +
            "INSERT INTO public.t (b, c, a) VALUES ('b6', 'c6', 6);\n");

        var table = result.Single();
        table.ColumnNames.ShouldBe(["a", "b", "c"]);
        table.Lines.ShouldBe(["1\tb1\tc1", "2\tb2\tc2", "3\t\\N\tc3", "4\ttab\\there\tc4", "5\tb5\tc5", "6\tb6\tc6"]);
        table.Rows.Select(r => r.Line).ShouldBe([3L, 4, 5, 5, 6, 7]);
    }

    [Test]
    public async Task Default_values_follow_their_column_when_the_order_changes()
    {
        var result = await DumpHarness.ReadAsync(P +
            "INSERT INTO public.t (a, b, c) VALUES (1, DEFAULT, 'c1');\n" +
            "INSERT INTO public.t (c, b, a) VALUES ('c2', DEFAULT, 2);\n");

        var table = result.Single();
        table.ColumnNames.ShouldBe(["a", "c"]);
        table.Lines.ShouldBe(["1\tc1", "2\tc2"]);

        var error = await DumpHarness.FailAsync(P +
            "INSERT INTO public.t (a, b, c) VALUES (1, DEFAULT, 'c1');\n" +
            "INSERT INTO public.t (c, b, a) VALUES (DEFAULT, 'b2', 2);\n");
        error.Reason!.ShouldBe("value 1 is DEFAULT in this row but not in the first row of the table");
    }

    [TestCase("INSERT INTO public.t (a, b) VALUES (2, 'b2');\n", "(\"a\", \"b\")", "\"c\" only in the first")]
    [TestCase("INSERT INTO public.t (a, b, c, d) VALUES (2, 'b2', 'c2', 'd2');\n", "(\"a\", \"b\", \"c\", \"d\")", "\"d\" only in this one")]
    [TestCase("INSERT INTO public.t (a, b, d) VALUES (2, 'b2', 'd2');\n", "(\"a\", \"b\", \"d\")", "\"d\" only in this one; \"c\" only in the first")]
    public async Task Other_columns_are_refused_naming_the_table_the_line_and_the_columns(string second, string listed, string difference)
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t (a, b, c) VALUES (1, 'b1', 'c1');\n" + second);

        error.Line.ShouldBe(4);
        error.Table.ShouldBe(new TableName("public", "t"));
        error.Reason!.ShouldStartWith($"this INSERT into public.t lists the columns {listed}, but the table's first INSERT (line 3) lists (\"a\", \"b\", \"c\"): {difference}. ");
        error.Reason!.ShouldContain("DEFAULT, which the reader cannot compute");
    }

    [Test]
    public async Task Inserts_without_a_column_list_or_of_other_tables_start_their_own_table_as_before()
    {
        var result = await DumpHarness.ReadAsync(P +
            "INSERT INTO public.t (a, b, c) VALUES (1, 'b1', 'c1');\n" +
            "INSERT INTO public.t VALUES (2, 'b2', 'c2');\n" +
            "INSERT INTO public.u (a) VALUES (3);\n" +
            "INSERT INTO public.t (a) VALUES (4);\n");

        result.Tables.Select(t => (t.Name.ToString(), string.Join(",", t.ColumnNames))).ShouldBe([
            ("public.t", "a,b,c"),
            ("public.t", "a,b,c"),
            ("public.u", "a"),
            ("public.t", "a"),
        ]);
    }

    [Test]
    public async Task A_reordered_table_splits_into_one_copy_with_the_values_in_place()
    {
        var sql = P + "INSERT INTO public.t (a, b, c) VALUES (1, 'b1', 'c1');\nINSERT INTO public.t (c, b, a) VALUES ('c2', 'b2', 2);\n";
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        using var output = new MemoryStream();
        (await table.CopyRawToAsync(output)).ShouldBe(2);
        (await reader.NextTableAsync()).ShouldBeNull();
    }

    [Test]
    public async Task Insert_select_is_read_past_with_a_notice()
    {
        // pg_dump 7's trigger bookkeeping, and the forms of a query an INSERT can take.
        const string Sql = """
            INSERT INTO "webdb_users" VALUES (1,'open','','f');
            BEGIN TRANSACTION;
            CREATE TEMP TABLE "tr" ("tmp_relname" name, "tmp_reltriggers" smallint);
            INSERT INTO "tr" SELECT C."relname", count(T."oid") FROM "pg_class" C, "pg_trigger" T WHERE C."oid" = T."tgrelid" AND C."relname" !~ '^pg_' GROUP BY 1;
            INSERT INTO "tr" ("tmp_relname") SELECT 'x; y';
            INSERT INTO tr (SELECT 'z', 1);
            INSERT INTO tr WITH w AS (SELECT 1) SELECT 'w', 1 FROM w;
            INSERT INTO tr TABLE tr;
            UPDATE "pg_class" SET "reltriggers" = TMP."tmp_reltriggers" FROM "tr" TMP WHERE "pg_class"."relname" = TMP."tmp_relname";
            COMMIT TRANSACTION;
            INSERT INTO "webdb_users" VALUES (2,'redaktion','indymedia','t');

            """;
        var result = await DumpHarness.ReadAsync(Sql);
        result.Tables.Select(t => (t.Name.ToString(), t.Lines.Length)).ShouldBe([("public.webdb_users", 1), ("public.webdb_users", 1)]);

        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(Sql)));
        while (await reader.NextTableAsync() is { } table)
        {
            await table.SkipAsync();
        }

        reader.Notices.ShouldContain(
            "the dump runs INSERT ... SELECT statements (the first at line 4); they are not replayed: the server computes their rows from other tables, " +
            "which the reader cannot do, and the rows read are those of its COPY and INSERT ... VALUES statements");
        reader.Notices.Count(n => n.Contains("INSERT ... SELECT statements", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Test]
    public async Task Insert_select_after_an_insert_of_the_same_table_ends_that_table()
    {
        var result = await DumpHarness.ReadAsync(P +
            "INSERT INTO public.t (a, b, c) VALUES (1, 'b1', 'c1');\n" +
            "INSERT INTO public.t (a, b, c) SELECT 2, 'b2', 'c2';\n" +
            "INSERT INTO public.t (a, b, c) VALUES (3, 'b3', 'c3');\n");

        result.Tables.Select(t => t.Lines.Length).ShouldBe([1, 1]);
    }
}
