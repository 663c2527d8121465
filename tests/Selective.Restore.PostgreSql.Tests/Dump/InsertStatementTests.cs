using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// INSERT statements as written by <c>pg_dump --inserts</c>, <c>--column-inserts</c>, <c>--rows-per-insert</c>:
/// every literal is converted to the COPY text the server's COPY TO would have written.
/// </summary>
public sealed class InsertStatementTests
{
    private const string Preamble = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";
    private const string Off = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = off;\n";

    private static async Task<string> ConvertAsync(string literal, string preamble = Preamble)
    {
        var dump = await DumpHarness.ReadAsync(preamble + $"INSERT INTO public.t (id, v) VALUES (1, {literal});\n");
        var row = dump.Single().Rows.ShouldHaveSingleItem();
        row.FieldCount.ShouldBe(2);
        return row.Text["1\t".Length..];
    }

    [TestCase("NULL", @"\N")]
    [TestCase("null", @"\N")]
    [TestCase("''", "")]
    [TestCase("'plain'", "plain")]
    [TestCase("'it''s'", "it's")]
    [TestCase("''''", "'")]
    [TestCase("'back\\slash'", @"back\\slash")]
    [TestCase("'tab\there'", @"tab\there")]
    [TestCase("'multi\nline'", @"multi\nline")]
    [TestCase("'cr\rlf'", @"cr\rlf")]
    [TestCase("'\b\f\v'", @"\b\f\v")]
    [TestCase("'\\N'", @"\\N")]
    [TestCase("'🐘 ünïcödé'", "🐘 ünïcödé")]
    [TestCase("42", "42")]
    [TestCase("-42", "-42")]
    [TestCase("- 42", "-42")]
    [TestCase("+7", "7")]
    [TestCase("3.25", "3.25")]
    [TestCase("-0", "-0")]
    [TestCase("1e+100", "1e+100")]
    [TestCase("-1.5e-05", "-1.5e-05")]
    [TestCase(".5", ".5")]
    [TestCase("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789")]
    [TestCase("'NaN'", "NaN")]
    [TestCase("'-Infinity'", "-Infinity")]
    [TestCase("true", "t")]
    [TestCase("TRUE", "t")]
    [TestCase("false", "f")]
    [TestCase("B'101'", "101")]
    [TestCase("b''", "")]
    [TestCase("X'1F'", "00011111")]
    [TestCase("x'a'", "1010")]
    [TestCase("E'tab\\there'", @"tab\there")]
    [TestCase("E'\\n\\r\\b\\f'", @"\n\r\b\f")]
    [TestCase("E'\\\\'", @"\\")]
    [TestCase("E'it\\'s'", "it's")]
    [TestCase("E'it''s'", "it's")]
    [TestCase("E'\\101\\x42\\x4'", "AB\u0004")]
    [TestCase("E'\\u00e9\\U0001F418'", "é🐘")]
    [TestCase("E'\\ud83d\\udc18'", "🐘")]
    [TestCase("E'\\q\\v'", "qv")]
    [TestCase("e'\\303\\251'", "é")]
    [TestCase("N'national'", "national")]
    [TestCase("'2024-01-02 03:04:05+00'::timestamp with time zone", "2024-01-02 03:04:05+00")]
    [TestCase("'{1,2}'::integer[]", "{1,2}")]
    [TestCase("'{\"a\",NULL}'::text[]", "{\"a\",NULL}")]
    [TestCase("'x'::character varying(10)", "x")]
    [TestCase("'happy'::public.\"Mood\"", "happy")]
    [TestCase("'1'::text::integer", "1")]
    [TestCase("'\\x00ff'::bytea", @"\\x00ff")]
    [TestCase("'{\"k\": \"v\\\\n\"}'::jsonb", @"{""k"": ""v\\\\n""}")]
    [TestCase("- 1::integer", "-1")]
    public async Task Converts_literals_to_copy_text(string literal, string expected) =>
        (await ConvertAsync(literal)).ShouldBe(expected);

    [TestCase("'back\\\\slash'", @"back\\slash")]
    [TestCase("'tab\\there'", @"tab\there")]
    [TestCase("'quote\\'s'", "quote's")]
    [TestCase("'it''s'", "it's")]
    [TestCase("'\\\\x00ff'", @"\\x00ff")]
    [TestCase("'\\101'", "A")]
    [TestCase("E'\\\\'", @"\\")]
    [TestCase("B'101'", "101")]
    [TestCase("N'a\\\\b'", @"a\\b")]
    public async Task Backslashes_are_escapes_in_standard_strings_when_standard_conforming_strings_is_off(string literal, string expected) =>
        (await ConvertAsync(literal, Off)).ShouldBe(expected);

    [TestCase("SET standard_conforming_strings = off;", false)]
    [TestCase("SET standard_conforming_strings TO 'OFF';", false)]
    [TestCase("SET SESSION standard_conforming_strings = false;", false)]
    [TestCase("SET standard_conforming_strings = 'ON';", true)]
    [TestCase("SET standard_conforming_strings TO On;", true)]
    public async Task Reads_the_standard_conforming_strings_setting_in_any_spelling(string statement, bool standard)
    {
        var dump = await DumpHarness.ReadAsync("SET standard_conforming_strings = on;\nSET standard_conforming_strings = off;\n" + statement + "\nINSERT INTO public.t VALUES ('a\\\\b');\n");

        dump.StandardConformingStrings.ShouldBe(standard);
        dump.Single().Values.ShouldBe([[standard ? @"a\\b" : @"a\b"]]);
    }

    [Test]
    public async Task Standard_conforming_strings_can_be_switched_back_on()
    {
        var sql = Off + "INSERT INTO public.t VALUES ('a\\\\b');\nSET standard_conforming_strings = on;\nINSERT INTO public.u VALUES ('a\\\\b');\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump["public.t"].Values.ShouldBe([[@"a\b"]]);
        dump["public.u"].Values.ShouldBe([[@"a\\b"]]);
        dump.StandardConformingStrings.ShouldBeTrue();
    }

    [Test]
    public async Task Reads_one_insert_per_row_as_one_table()
    {
        var sql = Preamble + "INSERT INTO public.t VALUES (1, 'a');\nINSERT INTO public.t VALUES (2, 'b');\nINSERT INTO public.t VALUES (3, NULL);\n\nINSERT INTO public.u VALUES (9);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Count.ShouldBe(2);
        var t = dump["public.t"];
        t.Form.ShouldBe(DumpDataForm.Insert);
        t.Lines.ShouldBe(["1\ta", "2\tb", "3\t\\N"]);
        t.Columns.ShouldBe([new DumpColumn(null, 1), new DumpColumn(null, 2)], "no column list and no CREATE TABLE: positions only");
        t.StartOffset.ShouldBe(Sql.OffsetOf(sql, "INSERT INTO public.t"));
        t.StartLine.ShouldBe(3);
        t.EndOffset.ShouldBe(Sql.OffsetOf(sql, "\nINSERT INTO public.u"));
        t.Rows.Select(r => r.Line).ShouldBe([3L, 4L, 5L]);
        t.Rows[1].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "(2, 'b')"));
        dump["public.u"].Values.ShouldBe([["9"]]);
        dump["public.u"].EndOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task Reads_multi_row_values_and_rows_per_insert_batches()
    {
        var sql = Preamble +
            "INSERT INTO public.t VALUES\n\t(1, 'a'),\n\t(2, 'b'),\n\t(3, 'c');\n" +
            "INSERT INTO public.t VALUES\n\t(4, 'd');\n" +
            "INSERT INTO public.t VALUES (5, 'e'), (6, 'f');\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var t = dump.Single();
        t.Values.Select(v => v[0]).ShouldBe(["1", "2", "3", "4", "5", "6"]);
        t.Rows.Select(r => r.Line).ShouldBe([4L, 5L, 6L, 8L, 9L, 9L]);
        t.Rows[1].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "(2, 'b')"));
        t.Rows[5].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "(6, 'f')"));
    }

    [Test]
    public async Task Takes_column_names_from_the_statement()
    {
        var sql = Preamble + "INSERT INTO public.t (id, \"Name\", \"odd \"\"col\"\"\") VALUES (1, 'x', 'y');\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Columns.ShouldBe([new DumpColumn("id", 1), new DumpColumn("Name", 2), new DumpColumn("odd \"col\"", 3)]);
    }

    [Test]
    public async Task Takes_column_names_from_create_table_when_the_insert_has_none()
    {
        var sql = Preamble +
            "CREATE TABLE public.t (\n    id integer NOT NULL,\n    \"Name\" text DEFAULT 'x'::text,\n    total numeric(10,2),\n    CONSTRAINT t_check CHECK ((total > (0)::numeric))\n);\n" +
            "INSERT INTO public.t VALUES (1, 'a', 2.50);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Columns.ShouldBe([new DumpColumn("id", 1), new DumpColumn("Name", 2), new DumpColumn("total", 3)]);
    }

    [Test]
    public async Task A_column_named_like_a_table_constraint_keyword_is_still_a_column()
    {
        // EXCLUDE is an unreserved keyword, so pg_dump writes such a column unquoted.
        var sql = Preamble + "CREATE TABLE public.exclude (\n    exclude integer,\n    \"Check\" text\n);\nINSERT INTO public.exclude VALUES (1, 'a');\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Columns.ShouldBe([new DumpColumn("exclude", 1), new DumpColumn("Check", 2)]);
    }

    [Test]
    public async Task Drops_generated_columns_written_as_DEFAULT()
    {
        var sql = Preamble +
            "CREATE TABLE public.t (\n    id integer,\n    g integer GENERATED ALWAYS AS ((id * 2)) STORED,\n    v text\n);\n" +
            "INSERT INTO public.t VALUES (1, DEFAULT, 'a');\nINSERT INTO public.t VALUES (2, DEFAULT, 'b'), (3, DEFAULT, NULL);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var t = dump.Single();
        t.Columns.ShouldBe([new DumpColumn("id", 1), new DumpColumn("v", 3)]);
        t.Lines.ShouldBe(["1\ta", "2\tb", "3\t\\N"]);
        t.Rows.ShouldAllBe(r => r.FieldCount == 2);
    }

    [Test]
    public async Task Generated_columns_without_create_table_keep_their_positions()
    {
        var sql = Preamble + "INSERT INTO public.t VALUES (DEFAULT, 1, DEFAULT, 'a');\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Columns.ShouldBe([new DumpColumn(null, 2), new DumpColumn(null, 4)]);
        dump.Single().Lines.ShouldBe(["1\ta"]);
    }

    [Test]
    public async Task Reads_overriding_system_value_and_on_conflict_do_nothing()
    {
        var sql = Preamble +
            "INSERT INTO public.t (id, v) OVERRIDING SYSTEM VALUE VALUES (1, 'a') ON CONFLICT DO NOTHING;\n" +
            "INSERT INTO public.t (id, v) OVERRIDING SYSTEM VALUE VALUES (2, 'b') ON CONFLICT DO NOTHING;\n" +
            "INSERT INTO public.t (id, v) OVERRIDING SYSTEM VALUE VALUES\n\t(3, 'c'),\n\t(4, 'd') ON CONFLICT DO NOTHING;\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Lines.ShouldBe(["1\ta", "2\tb", "3\tc", "4\td"]);
    }

    [Test]
    public async Task Reads_default_values_rows_of_a_zero_column_table()
    {
        var sql = Preamble + "CREATE TABLE public.nocols (\n);\nINSERT INTO public.nocols DEFAULT VALUES;\nINSERT INTO public.nocols DEFAULT VALUES;\nINSERT INTO public.after VALUES (1);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var t = dump["public.nocols"];
        t.Form.ShouldBe(DumpDataForm.Insert);
        t.Columns.ShouldBeEmpty();
        t.RowsRead.ShouldBe(2);
        t.Rows.ShouldAllBe(r => r.FieldCount == 0 && r.CopyLine.Length == 0);
        t.EndOffset.ShouldBe(Sql.OffsetOf(sql, "INSERT INTO public.after"));
        dump["public.after"].Values.ShouldBe([["1"]]);
    }

    [Test]
    public async Task A_new_column_list_of_the_same_table_is_refused_as_its_defaults_are_unknown()
    {
        // The other column lists, and the same columns in another order: InsertColumnListTests.
        var sql = Preamble + "INSERT INTO public.t (a) VALUES (1);\nINSERT INTO public.t (b) VALUES (2);\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(4);
        error.Reason!.ShouldContain("\"b\" only in this one; \"a\" only in the first");
    }

    [Test]
    public async Task Keeps_reading_past_comments_between_inserts_of_the_same_table()
    {
        var sql = Preamble + "INSERT INTO public.t VALUES (1);\n-- a comment\n/* block */\nINSERT INTO public.t VALUES (2);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Lines.ShouldBe(["1", "2"]);
    }

    [Test]
    public async Task Lower_case_keywords_and_odd_spacing_are_fine()
    {
        var sql = Preamble + "insert   into\npublic . t\n( a , b )\nvalues(1,'x'),(2 , 'y' ) ;\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Lines.ShouldBe(["1\tx", "2\ty"]);
        dump.Single().ColumnNames.ShouldBe(["a", "b"]);
    }

    [Test]
    public async Task Insert_tables_and_copy_tables_can_alternate()
    {
        var sql = Preamble + "INSERT INTO public.a VALUES (1);\nCOPY public.b (x) FROM stdin;\n2\n\\.\nINSERT INTO public.c VALUES (3);\nSELECT pg_catalog.setval('public.s', 5, true);\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Select(t => (t.Name.Name, t.Form)).ShouldBe([("a", DumpDataForm.Insert), ("b", DumpDataForm.Copy), ("c", DumpDataForm.Insert)]);
        dump.Tables.Select(t => t.Lines.Single()).ShouldBe(["1", "2", "3"]);
        dump.Sequences.ShouldHaveSingleItem().Value.ShouldBe(5);
    }
}
