using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// The reader never skips data it did not understand (issue 10, point 2): a statement must start with an SQL command,
/// must end where psql ends it, and must not swallow a COPY or INSERT that a missing ';' made part of it. Every case
/// runs in every read mode.
/// </summary>
public sealed class StatementBoundaryTests
{
    // 30 bytes, line 1.
    private const string P = "SET client_encoding = 'UTF8';\n";

    private static void ShouldBeAt(DumpFormatException error, string sql, string marker, string reason, TableName? table = null)
    {
        error.Line.ShouldBe(Sql.LineOf(sql, marker), error.Message);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, marker), error.Message);
        error.Table.ShouldBe(table);
        error.Reason.ShouldNotBeNull().ShouldContain(reason);
    }

    [Test]
    public async Task A_stray_line_before_a_copy_block_is_an_error_naming_its_line()
    {
        // The reproduction: "not sql" swallowed the first COPY header, and every row after it was skipped as SQL.
        var sql = P + "not sql\nCOPY public.t (id, v) FROM stdin;\n1\ta\n\\.\nCOPY public.u (id, v) FROM stdin;\n1\tb\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "not sql", "'not sql' does not start an SQL statement");
    }

    [Test]
    public async Task A_misspelt_copy_is_an_error_not_a_skipped_table()
    {
        var sql = P + "COPY public.t (id) FROM stdin;\n1\n\\.\nCOPX public.u (id) FROM stdin;\n2\n\\.\nCOPY public.w (id) FROM stdin;\n3\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "COPX", "'COPX public.u (id) FROM stdin;' does not start an SQL statement");
    }

    [TestCase("SET search_path = public\n")]
    [TestCase("ALTER TABLE public.t OWNER TO me\n")]
    [TestCase("CREATE TABLE public.x (a int)\n")]
    [TestCase("SELECT pg_catalog.setval('public.s', 1, true)\n")]
    public async Task A_copy_swallowed_by_a_statement_missing_its_semicolon_is_an_error_naming_both_lines(string statement)
    {
        var sql = P + statement + "COPY public.t (id, v) FROM stdin;\n1\ta\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "stdin", "a COPY ... FROM stdin (line 3) is inside the");
        error.Reason.ShouldNotBeNull().ShouldContain("statement that starts at line 2: a ';' is missing before it");
    }

    [Test]
    public async Task An_insert_swallowed_by_a_statement_missing_its_semicolon_is_an_error_naming_both_lines()
    {
        var sql = P + "ALTER TABLE public.t OWNER TO me\n\nINSERT INTO public.t VALUES (1, 'a');\nINSERT INTO public.t VALUES (2, 'b');\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "INTO", "an INSERT INTO (line 4) is inside the ALTER statement that starts at line 2");
    }

    [Test]
    public async Task A_semicolon_inside_parentheses_does_not_end_a_statement_as_psql_reads_it()
    {
        // psql sends "CREATE TABLE ... (a int; COPY ...)" as one statement: the rows below are never loaded by it.
        var sql = P + "CREATE TABLE public.x (a int;\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "stdin", "inside the CREATE statement that starts at line 2");
    }

    [Test]
    public async Task The_end_of_the_input_inside_a_statement_is_an_error()
    {
        var sql = P + "COPY public.t (id) FROM stdin;\n1\n\\.\nCREATE TABLE public.x (a int)\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Reason.ShouldBe("the dump ends inside the CREATE statement that starts at line 5: its ';' is missing (a truncated file?)");
        error.ByteOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task Text_after_copy_from_stdin_on_its_line_is_an_error()
    {
        var sql = P + "COPY public.t (id) FROM stdin; INSERT INTO public.u VALUES (1);\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "INSERT", "text follows 'COPY ... FROM stdin;' on its line", new TableName("public", "t"));
    }

    [Test]
    public async Task Blanks_and_a_comment_after_copy_from_stdin_are_fine()
    {
        var dump = await DumpHarness.ReadAsync(P + "COPY public.t (id) FROM stdin;  \t -- rows follow\n1\n\\.\n");

        dump.Single().Values.ShouldBe([["1"]]);
    }

    [Test]
    public async Task A_word_far_longer_than_any_command_is_refused_at_once()
    {
        var sql = P + new string('x', 200_000) + ";\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(2);
        error.Reason.ShouldNotBeNull().ShouldContain("does not start an SQL statement");
    }

    [Test]
    public async Task Every_command_word_may_start_a_skipped_statement_and_so_may_parenthesised_selects_and_empty_statements()
    {
        var sql = P +
            "BEGIN;\nSTART TRANSACTION;\nSAVEPOINT s;\nRELEASE s;\nCOMMENT ON TABLE public.t IS 'x; COPY public.t FROM stdin;';\n" +
            "SECURITY LABEL FOR selinux ON TABLE public.t IS 'l';\nGRANT SELECT ON public.t TO PUBLIC;\nREVOKE ALL ON public.t FROM PUBLIC;\n" +
            "(SELECT 1);\nVALUES (1), (2);\nTABLE public.t;\nSHOW search_path;\nRESET ALL;\nDISCARD ALL;\nANALYZE public.t;\nVACUUM public.t;\n" +
            "REFRESH MATERIALIZED VIEW public.mv;\nCHECKPOINT;\nLOCK TABLE public.t;\nNOTIFY c;\nLISTEN c;\nUNLISTEN c;\nEND;\nCOMMIT;\n;\n ; ;\n" +
            "COPY public.t (id) FROM stdin;\n1\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1"]]);
    }

    [Test]
    public async Task A_begin_atomic_function_body_is_one_statement_so_its_inserts_are_not_rows()
    {
        // As pg_dump 14+ writes SQL-standard bodies: psql does not end the statement at the ';' inside BEGIN ATOMIC ... END.
        var sql = P +
            "CREATE FUNCTION public.seed() RETURNS void\n    LANGUAGE sql\n    BEGIN ATOMIC\n" +
            " INSERT INTO public.log (id, note)\n   VALUES (1, 'a;b'::text);\n" +
            " INSERT INTO public.log (id, note)\n   VALUES (2, CASE WHEN true THEN 'x'::text ELSE 'y'::text END);\nEND;\n" +
            "CREATE OR REPLACE PROCEDURE public.p(IN x integer)\n    LANGUAGE sql\n    BEGIN ATOMIC\n INSERT INTO public.log (id, note)\n   VALUES (p.x, 'p'::text);\nEND;\n" +
            "CREATE RULE rr AS\n    ON INSERT TO public.t DO  INSERT INTO public.log (id, note)\n  VALUES (new.id, 'rule'::text);\n" +
            "COPY public.log (id, note) FROM stdin;\n9\tnine\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.Name.ShouldBe(new TableName("public", "log"));
        table.Values.ShouldBe([["9", "nine"]]);
    }

    [TestCase("\\i other.sql", "\\i runs the statements of another file")]
    [TestCase("\\ir other.sql", "\\ir runs the statements of another file")]
    [TestCase("\\include other.sql", "\\include runs the statements of another file")]
    [TestCase("\\copy public.t FROM 'rows.txt'", "\\copy loads rows from a file or program")]
    [TestCase("\\q", "\\q makes psql stop reading")]
    [TestCase("\\if false", "\\if decides while loading")]
    [TestCase("\\! touch /tmp/x", "\\! runs a shell command")]
    [TestCase("\\g", "\\g runs, repeats, edits or discards statements")]
    [TestCase("\\gexec", "\\gexec runs, repeats, edits or discards statements")]
    [TestCase("\\frobnicate", "\\frobnicate is not one pg_dump writes")]
    public async Task Meta_commands_that_could_bring_in_repeat_or_hide_data_are_refused(string line, string reason)
    {
        var sql = P + "COPY public.t (id) FROM stdin;\n1\n\\.\n" + line + "\nCOPY public.u (id) FROM stdin;\n2\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, line, "the psql meta-command " + reason);
    }

    [Test]
    public async Task Meta_commands_pg_dump_writes_are_read_past_and_encoding_is_a_setting()
    {
        var sql = "\\restrict abc\n\\encoding UTF8\n\\connect -reuse-previous=on \"dbname='x'\"\n\\set ON_ERROR_STOP on\n" +
                  "\\echo loading\n\\copy public.t TO 'out.txt'\n" +
                  "COPY public.t (id) FROM stdin;\n1\n\\.\n\\unrestrict abc\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1"]]);
        dump.Encoding.ShouldBe("UTF8");
        dump.Settings.ShouldBe(["SET client_encoding = 'UTF8';"]);
    }

    [Test]
    public async Task Encoding_meta_command_is_checked_like_set_client_encoding()
    {
        var sql = "\\encoding SJIS\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Reason.ShouldNotBeNull().ShouldContain("client_encoding is 'SJIS', which the reader cannot convert to UTF-8 exactly");
        error.Line.ShouldBe(1);
    }

    [Test]
    public async Task A_meta_command_inside_a_statement_is_refused()
    {
        var sql = P + "CREATE TABLE public.x (a int)\n\\i more.sql\n;\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "\\i", "a psql meta-command (a backslash outside quotes) is inside the CREATE statement that starts at line 2");
    }

    [Test]
    public async Task Statements_that_change_rows_or_run_code_are_reported_not_silently_skipped()
    {
        var sql = P + "COPY public.t (id) FROM stdin;\n1\n\\.\nUPDATE public.t SET id = 2;\nUPDATE public.t SET id = 3;\nDELETE FROM public.t;\n" +
                  "DO $$ BEGIN INSERT INTO public.t VALUES (5); END $$;\nSELECT pg_catalog.lo_create('16385');\n";
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var dump = await DumpHarness.ReadAsync(reader);

        dump.Single().Values.ShouldBe([["1"]]);
        reader.Notices.Count.ShouldBe(4);
        reader.Notices[0].ShouldStartWith("the dump runs UPDATE statements (the first at line 5); they are not replayed");
        reader.Notices[1].ShouldStartWith("the dump runs DELETE statements (the first at line 7)");
        reader.Notices[2].ShouldStartWith("the dump runs code with DO (the first at line 8)");
        reader.Notices[3].ShouldBe("the dump holds 1 large object(s) (lo_create); they are not table rows and are not restored");
    }

    [Test]
    public async Task A_statement_after_the_last_insert_of_a_table_is_checked_too()
    {
        var sql = P + "INSERT INTO public.t VALUES (1);\nINSERT INTO public.t VALUES (2);\ngarbage here;\nINSERT INTO public.u VALUES (3);\n";
        var error = await DumpHarness.FailAsync(sql);

        ShouldBeAt(error, sql, "garbage", "'garbage here;' does not start an SQL statement");
    }
}
