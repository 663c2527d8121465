using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>Everything around the data: DDL that must be skipped, names, session settings, sequences, encodings.</summary>
public sealed class ScriptStatementTests
{
    private const string Preamble = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";

    [Test]
    public async Task Skips_function_bodies_that_contain_semicolons_copy_statements_and_terminators()
    {
        var sql = Preamble +
            "CREATE FUNCTION public.f() RETURNS void\n    LANGUAGE plpgsql\n    AS $_$\nBEGIN\n  EXECUTE 'COPY public.t (a) FROM stdin;';\n" +
            "  -- not a comment: 'it''s'\n  RAISE NOTICE '\\.';\nEND;\n\\.\nCOPY public.fake (a) FROM stdin;\n$_$;\n" +
            "CREATE FUNCTION public.g() RETURNS text LANGUAGE sql AS $$ SELECT ';\\.' $$;\n" +
            "CREATE FUNCTION public.h() RETURNS text LANGUAGE sql AS $body$ SELECT $$nested$$ || ';' $body$;\n" +
            "COPY public.t (a) FROM stdin;\nreal\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.Name.ShouldBe(new TableName("public", "t"));
        table.Values.ShouldBe([["real"]]);
        table.StartLine.ShouldBe(Sql.LineOf(sql, "COPY public.t (a) FROM stdin;\nreal"));
    }

    [Test]
    public async Task Skips_nested_block_comments_and_line_comments()
    {
        var sql = Preamble +
            "/* outer /* inner; COPY public.x (a) FROM stdin; */ still comment; */\n" +
            "-- COPY public.y (a) FROM stdin;\n" +
            "CREATE TABLE public.t (a integer /* ; */, -- trailing ;\n b text);\n" +
            "COPY public.t (a, b) FROM stdin;\n1\tx\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1", "x"]]);
    }

    [Test]
    public async Task Table_positions_start_at_the_statement_not_at_a_comment_before_it()
    {
        var sql = Preamble + "/* a block\n comment */ COPY public.t (a) FROM stdin;\n1\n\\.\n/* x */\n/* y */INSERT INTO public.u VALUES (1);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump["public.t"].StartOffset.ShouldBe(Sql.OffsetOf(sql, "COPY public.t"));
        dump["public.t"].StartLine.ShouldBe(4);
        dump["public.u"].StartOffset.ShouldBe(Sql.OffsetOf(sql, "INSERT INTO public.u"));
        dump["public.u"].StartLine.ShouldBe(8);
    }

    [Test]
    public async Task Skips_psql_meta_commands()
    {
        var sql = "\\restrict AbC123xyz\n" + Preamble +
            "\\connect -reuse-previous=on \"dbname='other db'\"\n" +
            "COPY public.t (a) FROM stdin;\n1\n\\.\n" +
            "\\connect other\n" +
            "\\unrestrict AbC123xyz\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1"]]);
        dump.Single().StartLine.ShouldBe(5);
    }

    [Test]
    public async Task Skips_statements_that_look_like_data_inside_strings_and_identifiers()
    {
        var sql = Preamble +
            "COMMENT ON TABLE public.t IS 'COPY public.t (a) FROM stdin;\n\\.\nINSERT INTO x VALUES (1);';\n" +
            "CREATE TABLE public.\"INSERT INTO x VALUES (1); COPY\" (a integer);\n" +
            "COPY public.t (a) FROM stdin;\n1\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Name.ShouldBe(new TableName("public", "t"));
    }

    [TestCase("public.t", "public", "t")]
    [TestCase("\"Sales\".\"Order Lines\"", "Sales", "Order Lines")]
    [TestCase("\"we\"\"ird\".\"na\"\"me\"\"\"", "we\"ird", "na\"me\"")]
    [TestCase("\"Ünïcödé\".\"表\"", "Ünïcödé", "表")]
    [TestCase("ünquoted.Ｔable", "ünquoted", "Ｔable")]
    [TestCase("Mixed.CASE", "mixed", "case")]
    [TestCase("\"with.dot\".\"and space\"", "with.dot", "and space")]
    [TestCase("audit . log", "audit", "log")]
    public async Task Resolves_table_names(string written, string schema, string name)
    {
        var sql = Preamble + $"COPY {written} (\"Col \"\"1\"\"\", ü) FROM stdin;\n1\t2\n\\.\nINSERT INTO {written} (a) VALUES (1);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Select(t => t.Name).ShouldBe([new TableName(schema, name), new TableName(schema, name)]);
        dump.Tables[0].ColumnNames.ShouldBe(["Col \"1\"", "ü"]);
    }

    [Test]
    public async Task Resolves_unqualified_names_with_an_old_style_search_path()
    {
        var sql = "SET client_encoding = 'UTF8';\nSET search_path = sales, pg_catalog;\n" +
            "CREATE TABLE orders (\n    id integer,\n    note text\n);\n" +
            "COPY orders (id, note) FROM stdin;\n1\tx\n\\.\n" +
            "INSERT INTO orders VALUES (2, 'y');\n" +
            "SET search_path = \"Other Schema\", pg_catalog;\n" +
            "COPY lines (id) FROM stdin;\n3\n\\.\n" +
            "SELECT pg_catalog.setval('orders_id_seq', 7, true);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Select(t => t.Name).ShouldBe([new TableName("sales", "orders"), new TableName("sales", "orders"), new TableName("Other Schema", "lines")]);
        dump.Tables[1].ColumnNames.ShouldBe(["id", "note"], "the CREATE TABLE was resolved with the same search_path");
        dump.Sequences.ShouldHaveSingleItem().Sequence.ShouldBe(new TableName("Other Schema", "orders_id_seq"));
    }

    [Test]
    public async Task Unqualified_names_default_to_public_with_an_empty_search_path()
    {
        var sql = "SELECT pg_catalog.set_config('search_path', '', false);\nCOPY t (a) FROM stdin;\n1\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Name.ShouldBe(new TableName("public", "t"));
    }

    [Test]
    public async Task Records_sequence_values()
    {
        var sql = Preamble +
            "SELECT pg_catalog.setval('public.\"Odd_seq\"', 42, false);\n" +
            "SELECT pg_catalog.setval('public.plain_seq', 1, true);\n" +
            "SELECT pg_catalog.setval('\"Sales Dept\".\"Order \"\"Lines\"\" É_ident_seq\"', 4, true);\n" +
            "SELECT pg_catalog.setval('public.neg_seq', -9223372036854775808, true);\n" +
            "SELECT pg_catalog.setval('public.two_args', 5);\n" +
            "SELECT setval('old_style', 3, true);\n" +
            "SELECT pg_catalog.set_config('search_path', '', false);\n" +
            "SELECT 1;\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.ShouldBeEmpty();
        dump.Sequences.ShouldBe(
        [
            new SequenceValue(new TableName("public", "Odd_seq"), 42, IsCalled: false, Line: 3),
            new SequenceValue(new TableName("public", "plain_seq"), 1, IsCalled: true, Line: 4),
            new SequenceValue(new TableName("Sales Dept", "Order \"Lines\" É_ident_seq"), 4, IsCalled: true, Line: 5),
            new SequenceValue(new TableName("public", "neg_seq"), long.MinValue, IsCalled: true, Line: 6),
            new SequenceValue(new TableName("public", "two_args"), 5, IsCalled: true, Line: 7),
            new SequenceValue(new TableName("public", "old_style"), 3, IsCalled: true, Line: 8),
        ]);
    }

    [Test]
    public async Task Keeps_the_session_settings_to_replay()
    {
        var sql = Preamble +
            "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nSET SESSION AUTHORIZATION DEFAULT;\n" +
            "SET default_tablespace = '';\nCOPY public.t (a) FROM stdin;\n1\n\\.\nSET default_tablespace = ts2;\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Encoding.ShouldBe("UTF8");
        dump.Settings.ShouldBe(
        [
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = on;",
            "SET statement_timeout = 0;",
            "SELECT pg_catalog.set_config('search_path', '', false);",
            "SET default_tablespace = ts2;",
        ]);
    }

    [TestCase("'UTF8'", "UTF8")]
    [TestCase("'utf-8'", "UTF8")]
    [TestCase("UNICODE", "UTF8")]
    [TestCase("'SQL_ASCII'", "SQL_ASCII")]
    public async Task Accepts_utf8_compatible_client_encodings(string written, string expected)
    {
        var dump = await DumpHarness.ReadAsync($"SET client_encoding = {written};\nCOPY public.t (a) FROM stdin;\n1\n\\.\n");

        dump.Encoding.ShouldBe(expected);
    }

    [TestCase("'KOI8U'")]
    [TestCase("'SJIS'")]
    [TestCase("'EUC_JP'")]
    public async Task Rejects_client_encodings_it_cannot_convert_exactly_clearly(string written)
    {
        var sql = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = " + written + ";\nCOPY public.t (a) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(6);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "SET client_encoding"));
        error.Table.ShouldBeNull();
        error.Reason.ShouldNotBeNull().ShouldContain($"client_encoding is {written}");
        error.Reason.ShouldContain("cannot convert to UTF-8 exactly");
        error.Reason.ShouldContain("--encoding=UTF8");
    }

    [Test]
    public async Task Reads_a_dump_without_any_data()
    {
        var dump = await DumpHarness.ReadAsync(Preamble + "CREATE TABLE public.t (a integer);\n");

        dump.Tables.ShouldBeEmpty();
    }

    [Test]
    public async Task A_huge_statement_is_skipped_without_error()
    {
        var body = string.Concat(Enumerable.Repeat("SELECT 'x;y';\n", 40_000));
        var sql = Preamble + "CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $$\n" + body + "$$;\nCOPY public.t (a) FROM stdin;\n1\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql, modes: DumpHarness.LargeInputModes);

        dump.Single().Values.ShouldBe([["1"]]);
    }
}
