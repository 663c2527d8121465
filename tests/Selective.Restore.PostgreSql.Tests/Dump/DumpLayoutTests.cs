using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>Unusual but valid layouts: line endings, statements sharing lines, the end of the file, very large statements.</summary>
public sealed class DumpLayoutTests
{
    [Test]
    public async Task Reads_a_dump_written_with_crlf_line_endings_throughout()
    {
        var sql = "--\r\n-- PostgreSQL database dump\r\n--\r\n\r\n\\restrict k\r\nSET client_encoding = 'UTF8';\r\nSET standard_conforming_strings = on;\r\n" +
            "CREATE TABLE public.t (\r\n    id integer,\r\n    v text\r\n);\r\n" +
            "COPY public.t (id, v) FROM stdin;\r\n1\ta\\r\\nb\r\n2\t\\N\r\n\\.\r\n\r\n" +
            "INSERT INTO public.u VALUES (1, 'x');\r\nINSERT INTO public.u VALUES (2, 'y');\r\n\r\n" +
            "SELECT pg_catalog.setval('public.s', 5, true);\r\n\\unrestrict k\r\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump["public.t"].Lines.ShouldBe(["1\ta\\r\\nb", "2\t\\N"]);
        dump["public.t"].Values[0].ShouldBe(["1", "a\r\nb"]);
        dump["public.u"].Lines.ShouldBe(["1\tx", "2\ty"]);
        dump["public.u"].EndOffset.ShouldBe(Sql.OffsetOf(sql, "\r\nSELECT"));
        dump.Sequences.ShouldHaveSingleItem().Line.ShouldBe(Sql.LineOf(sql, "SELECT pg_catalog.setval"));
    }

    [Test]
    public async Task Reads_statements_that_share_a_line()
    {
        var sql = "SET client_encoding = 'UTF8'; INSERT INTO public.a VALUES (1);INSERT INTO public.a VALUES (2); INSERT INTO public.b VALUES (3); SELECT pg_catalog.setval('public.s', 1, false);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Select(t => (t.Name.Name, t.RowsRead)).ShouldBe([("a", 2L), ("b", 1L)]);
        dump["public.a"].EndOffset.ShouldBe(Sql.OffsetOf(sql, "INSERT INTO public.a VALUES (2)") + "INSERT INTO public.a VALUES (2);".Length);
        dump.Sequences.ShouldHaveSingleItem();
    }

    [Test]
    public async Task Reads_a_statement_split_over_lines_with_comments()
    {
        var sql = "INSERT INTO -- the table\npublic.t /* its columns */ (a, b)\nVALUES\n(\n1, -- first\n'x' /* second */\n)\n;\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Lines.ShouldBe(["1\tx"]);
        dump.Single().Rows[0].Line.ShouldBe(4);
    }

    [TestCase("INSERT INTO public.t VALUES (1);")]
    [TestCase("INSERT INTO public.t VALUES (1);   ")]
    [TestCase("INSERT INTO public.t VALUES (1);\n\n-- end")]
    [TestCase("INSERT INTO public.t VALUES (1);\n\\unrestrict key")]
    [TestCase("COPY public.t (a) FROM stdin;\n1\n\\.\n\\unrestrict key")]
    public async Task Reads_the_last_table_at_the_end_of_the_file(string sql)
    {
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1"]]);
        dump.Single().IsCompleted.ShouldBeTrue();
    }

    [Test]
    public async Task Reads_a_value_larger_than_the_buffer_in_an_insert()
    {
        var big = string.Concat(Enumerable.Repeat("0123456789abcdé\t", 25_000));
        var sql = "SET client_encoding = 'UTF8';\nINSERT INTO public.t VALUES (1, '" + big + "'), (2, 'small');\nINSERT INTO public.t VALUES (3, '" + big + "');\n";
        var dump = await DumpHarness.ReadAsync(sql, modes: DumpHarness.LargeInputModes);

        dump.Single().Values.Select(v => v[1]).ShouldBe([big, "small", big]);
    }

    [Test]
    public async Task Reads_one_insert_statement_with_many_tuples()
    {
        var tuples = string.Join(",\n\t", Enumerable.Range(1, 20_000).Select(i => $"({i}, 'v{i}')"));
        var sql = "INSERT INTO public.t VALUES\n\t" + tuples + ";\nINSERT INTO public.after VALUES (1);\n";
        var dump = await DumpHarness.ReadAsync(sql, modes: DumpHarness.LargeInputModes);

        dump["public.t"].RowsRead.ShouldBe(20_000);
        dump["public.t"].Rows[^1].Line.ShouldBe(20_001);
        dump["public.t"].Rows[^1].Values.ShouldBe(["20000", "v20000"]);
        dump["public.after"].RowsRead.ShouldBe(1);
    }

    [Test]
    public async Task Later_set_statements_replace_earlier_ones()
    {
        var sql = "SET client_encoding = 'UTF8';\nSET search_path = a, pg_catalog;\nCOPY t (x) FROM stdin;\n1\n\\.\nSET search_path = b, pg_catalog;\nCOPY t (x) FROM stdin;\n2\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Select(t => t.Name).ShouldBe([new TableName("a", "t"), new TableName("b", "t")]);
        dump.Settings.ShouldBe(["SET client_encoding = 'UTF8';", "SET search_path = b, pg_catalog;"]);
    }
}
