using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Malformed dumps: each must be rejected with a <see cref="DumpFormatException"/> whose message names the
/// source, the table, the 1-based line and the byte offset of the problem. Every case runs in every read mode
/// (see <see cref="DumpHarness"/>), so the location is the same whatever the stream's read sizes.
/// </summary>
public sealed class BadInputTests
{
    // 30 bytes, line 1: every dump below starts with it, so offsets are 30 + the position on line 2.
    private const string P = "SET client_encoding = 'UTF8';\n";

    private static readonly TableName T = new("public", "t");

    private static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p switch
        {
            string s => DumpHarness.Utf8(s),
            byte b => [b],
            byte[] a => a,
            _ => throw new ArgumentException("string, byte or byte[]", nameof(parts)),
        })];

    private static void ShouldBeAt(DumpFormatException error, long line, long byteOffset, TableName? table, string reason)
    {
        error.Line.ShouldBe(line);
        error.ByteOffset.ShouldBe(byteOffset);
        error.Table.ShouldBe(table);
        error.Reason.ShouldNotBeNull().ShouldContain(reason);
        var tablePart = table is { } t ? $", table {t}" : string.Empty;
        error.Message.ShouldBe($"test.sql: line {line}, byte offset {byteOffset}{tablePart}: {error.Reason}");
    }

    [Test]
    public async Task Copy_block_truncated_after_a_complete_row()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty\n");

        ShouldBeAt(error, line: 5, byteOffset: 71, T, "the dump ends inside the COPY data after 2 rows (no \\. terminator): the file is truncated");
    }

    [Test]
    public async Task Copy_block_truncated_inside_a_row()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty");

        ShouldBeAt(error, line: 4, byteOffset: 70, T, "after 1 rows (no \\. terminator): the file is truncated");
    }

    [Test]
    public async Task Copy_block_truncated_inside_an_escape()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\\");

        ShouldBeAt(error, line: 3, byteOffset: 67, T, "the file is truncated");
    }

    [Test]
    public async Task Copy_statement_at_the_very_end()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;");

        ShouldBeAt(error, line: 2, byteOffset: 62, T, "the dump ends right after the COPY statement");
    }

    [Test]
    public async Task Copy_row_with_too_many_fields()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty\tz\n\\.\n");

        ShouldBeAt(error, line: 4, byteOffset: 67, T, "row 2 has 3 fields but the COPY statement lists 2 columns (a, b)");
    }

    [Test]
    public async Task Copy_row_with_too_few_fields()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\n\\.\n");

        ShouldBeAt(error, line: 4, byteOffset: 67, T, "row 2 has 1 fields but the COPY statement lists 2 columns (a, b)");
    }

    [Test]
    public async Task Copy_row_with_escapes_and_a_wrong_field_count()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ta\\\\b\\\tc\td\n\\.\n");

        ShouldBeAt(error, line: 4, byteOffset: 67, T, "row 2 has 3 fields");
    }

    [Test]
    public async Task Copy_row_continued_over_a_line_with_a_wrong_field_count()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty\\\nz\tw\n\\.\n");

        ShouldBeAt(error, line: 4, byteOffset: 67, T, "row 2 has 3 fields");
    }

    [Test]
    public async Task Non_empty_row_in_a_zero_column_table()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t  FROM stdin;\n\nx\n\\.\n");

        ShouldBeAt(error, line: 4, byteOffset: 58, T, "row 2 has 1 fields but the COPY statement lists 0 columns");
    }

    [Test]
    public async Task Invalid_utf8_in_copy_data()
    {
        var error = await DumpHarness.FailAsync(Bytes(P, "COPY public.t (a, b) FROM stdin;\n1\tx\n2\tab", (byte)0xFF, "c\n\\.\n"));

        ShouldBeAt(error, line: 4, byteOffset: 71, T, "invalid UTF-8 byte sequence (0xFF) in row 2");
    }

    [Test]
    public async Task Truncated_utf8_sequence_in_escaped_copy_data()
    {
        var error = await DumpHarness.FailAsync(Bytes(P, "COPY public.t (a, b) FROM stdin;\n1\t\\\\\u00e9", (byte)0xC3, "\n\\.\n"));

        ShouldBeAt(error, line: 3, byteOffset: 69, T, "invalid UTF-8 byte sequence (0xC3) in row 1");
    }

    [Test]
    public async Task Literal_carriage_return_in_copy_data()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin;\n1\tx\ry\n\\.\n");

        ShouldBeAt(error, line: 3, byteOffset: 66, T, "literal carriage return in COPY data");
    }

    [Test]
    public async Task Mixed_line_endings_in_a_crlf_copy_block()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a) FROM stdin;\r\n1\r\n2\n\\.\r\n");

        ShouldBeAt(error, line: 4, byteOffset: 64, T, "inconsistent line endings in COPY data");
    }

    [Test]
    public async Task Copy_to_instead_of_from_stdin()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a) TO stdout;\n");

        ShouldBeAt(error, line: 2, byteOffset: 48, T, "only 'COPY table (columns) FROM stdin;' is supported");
    }

    [Test]
    public async Task Copy_with_an_option_the_reader_cannot_follow()
    {
        // CSV, other delimiters and the like are read (CopyOptionsTests); binary data cannot be, and is refused naming the option.
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a) FROM stdin WITH (FORMAT binary);\n");

        ShouldBeAt(error, line: 2, byteOffset: 65, T, "FORMAT binary: binary COPY data cannot be part of a psql script");
    }

    [Test]
    public async Task Invalid_utf8_in_a_string_literal()
    {
        var error = await DumpHarness.FailAsync(Bytes(P, "INSERT INTO public.t VALUES (1, 'ab", (byte)0xFF, "');\n"));

        ShouldBeAt(error, line: 2, byteOffset: 65, T, "invalid UTF-8 byte sequence in a string literal");
    }

    [Test]
    public async Task Invalid_utf8_on_the_second_line_of_a_string_literal()
    {
        var error = await DumpHarness.FailAsync(Bytes(P, "INSERT INTO public.t VALUES (1, 'line1\nline2", (byte)0xE2, (byte)0x82, "');\n"));

        ShouldBeAt(error, line: 3, byteOffset: 74, T, "invalid UTF-8 byte sequence in a string literal");
    }

    [Test]
    public async Task Invalid_utf8_made_by_an_escape_in_a_string_literal()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1, E'\\377');\n");

        ShouldBeAt(error, line: 2, byteOffset: 62, T, "invalid UTF-8 byte sequence in a string literal");
    }

    [Test]
    public async Task Zero_byte_made_by_an_escape_in_a_string_literal()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (E'a\\000b');\n");

        ShouldBeAt(error, line: 2, byteOffset: 59, T, "zero byte");
    }

    [TestCase("E'\\u12'", "bad escape: invalid Unicode escape \\u: expected 4 hexadecimal digits")]
    [TestCase("E'\\u12zz'", "bad escape: invalid Unicode escape \\u: expected 4 hexadecimal digits")]
    [TestCase("E'\\U0001F4'", "bad escape: invalid Unicode escape \\U: expected 8 hexadecimal digits")]
    [TestCase("E'\\uD800'", "bad escape: invalid Unicode surrogate pair")]
    [TestCase("E'\\uD800\\u0041'", "bad escape: invalid Unicode surrogate pair")]
    [TestCase("E'\\uDC00'", "bad escape: invalid Unicode escape value U+DC00")]
    [TestCase("E'\\U00110000'", "bad escape: invalid Unicode escape value U+110000")]
    [TestCase("E'\\u0000'", "bad escape: invalid Unicode escape value U+0")]
    [TestCase("B'102'", "bad escape: \"2\" is not a valid binary digit")]
    [TestCase("X'1G'", "bad escape: \"G\" is not a valid hexadecimal digit")]
    public async Task Bad_escapes_in_string_literals(string literal, string reason)
    {
        var error = await DumpHarness.FailAsync(P + $"INSERT INTO public.t VALUES (1, {literal});\n");

        ShouldBeAt(error, line: 2, byteOffset: 62, T, reason);
    }

    [Test]
    public async Task Unterminated_string_literal()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1, 'abc);\n");

        ShouldBeAt(error, line: 2, byteOffset: 62, T, "unterminated quoted string");
    }

    [Test]
    public async Task Unterminated_escape_string_ending_in_a_backslash()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1, E'abc\\');\n");

        ShouldBeAt(error, line: 2, byteOffset: 62, T, "unterminated quoted string");
    }

    [Test]
    public async Task Unterminated_quoted_identifier_in_a_column_list()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, \"b) FROM stdin;\n1\t2\n\\.\n");

        ShouldBeAt(error, line: 2, byteOffset: 48, T, "unterminated quoted identifier");
    }

    [Test]
    public async Task Unterminated_quoted_identifier_in_a_table_name()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.\"t VALUES (1);\n");

        ShouldBeAt(error, line: 2, byteOffset: 49, table: null, "unterminated quoted identifier");
    }

    [Test]
    public async Task Unterminated_block_comment()
    {
        var error = await DumpHarness.FailAsync(P + "/* outer /* inner */\nCOPY public.t (a) FROM stdin;\n1\n\\.\n");

        ShouldBeAt(error, line: 2, byteOffset: 30, table: null, "unterminated /* comment");
    }

    [Test]
    public async Task Unterminated_dollar_quoted_string()
    {
        var error = await DumpHarness.FailAsync(P + "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $$;\n");

        ShouldBeAt(error, line: 2, byteOffset: 65, table: null, "unterminated dollar-quoted string");
    }

    [Test]
    public async Task Insert_with_more_values_than_listed_columns()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t (a, b) VALUES (1, 2, 3);\n");

        ShouldBeAt(error, line: 2, byteOffset: 65, T, "the first VALUES tuple has 3 values but the INSERT lists 2 columns");
    }

    [Test]
    public async Task Insert_with_a_first_tuple_on_the_next_line_and_fewer_values_than_listed_columns()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t (a, b) VALUES\n\t(1);\n");

        ShouldBeAt(error, line: 3, byteOffset: 66, T, "the first VALUES tuple has 1 values but the INSERT lists 2 columns");
    }

    [Test]
    public async Task Insert_statement_with_a_different_arity_than_the_first()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1, 2);\nINSERT INTO public.t VALUES (3);\n");

        ShouldBeAt(error, line: 3, byteOffset: 94, T, "a VALUES tuple has 1 values but the table's first tuple had 2");
    }

    [Test]
    public async Task Multi_row_insert_with_a_tuple_of_different_arity()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES\n\t(1, 2),\n\t(3, 4, 5);\n");

        ShouldBeAt(error, line: 4, byteOffset: 68, T, "a VALUES tuple has 3 values but the table's first tuple had 2");
    }

    [Test]
    public async Task Insert_with_default_in_a_different_place_than_the_first_row()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (DEFAULT, 1);\nINSERT INTO public.t VALUES (2, 3);\n");

        ShouldBeAt(error, line: 3, byteOffset: 101, T, "value 1 is DEFAULT in the first row of the table but not in this one");
    }

    [TestCase("now()", 62, "unsupported value expression 'now' in INSERT")]
    [TestCase("ARRAY[1, 2]", 62, "unsupported value expression 'ARRAY' in INSERT")]
    [TestCase("$1", 62, "unsupported value expression '$1' in INSERT")]
    [TestCase("(2)", 62, "unsupported value expression '(' in INSERT")]
    [TestCase("2 + 3", 64, "expected ',' or ')' between values")]
    [TestCase("'a' || 'b'", 66, "expected ',' or ')' between values")]
    [TestCase("-'5'", 63, "expected a number after the sign")]
    [TestCase("'5'::", 67, "expected a type name after ::")]
    public async Task Unsupported_expressions_in_values(string expression, long offset, string reason)
    {
        var error = await DumpHarness.FailAsync(P + $"INSERT INTO public.t VALUES (1, {expression});\n");

        ShouldBeAt(error, line: 2, byteOffset: offset, T, reason);
    }

    [Test]
    public async Task Insert_with_another_clause()
    {
        // INSERT ... SELECT is read past with a notice (InsertQueryTests); any other shape is refused.
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t DEFAULT SELECT 1;\n");

        ShouldBeAt(error, line: 2, byteOffset: 59, T, "expected DEFAULT VALUES");
    }

    [Test]
    public async Task Insert_with_an_unknown_on_conflict_clause()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1) ON CONFLICT (a) DO NOTHING;\n");

        ShouldBeAt(error, line: 2, byteOffset: 74, T, "expected DO in ON CONFLICT DO NOTHING");
    }

    [Test]
    public async Task Insert_statement_without_a_semicolon_at_the_end()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.t VALUES (1)");

        ShouldBeAt(error, line: 2, byteOffset: 61, T, "unexpected end of input: expected ',' or ';' after a VALUES tuple");
    }

    [Test]
    public async Task Insert_section_error_in_the_second_table_names_that_table()
    {
        var error = await DumpHarness.FailAsync(P + "INSERT INTO public.a VALUES (1);\nINSERT INTO public.b (x, \"y) VALUES (2);\n");

        ShouldBeAt(error, line: 3, byteOffset: 88, new TableName("public", "b"), "unterminated quoted identifier");
    }

    [Test]
    public async Task Setval_with_a_value_that_is_not_an_integer()
    {
        var error = await DumpHarness.FailAsync(P + "SELECT pg_catalog.setval('public.s', 'x', true);\n");

        ShouldBeAt(error, line: 2, byteOffset: 67, table: null, "setval has a value that is not an integer");
    }

    [Test]
    public async Task Bad_escape_in_a_set_statement()
    {
        var error = await DumpHarness.FailAsync(P + "SET application_name = E'\\u12';\n");

        ShouldBeAt(error, line: 2, byteOffset: 53, table: null, "bad escape: invalid Unicode escape");
    }

    [Test]
    public async Task Tables_left_out_by_the_filter_are_still_validated()
    {
        var sql = P + "COPY public.t (a) FROM stdin;\n1\t2\n\\.\nCOPY public.u (a) FROM stdin;\n3\n\\.\n";
        var error = await DumpHarness.FailAsync(sql, TableFilter.Create(["public.u"]));

        ShouldBeAt(error, line: 3, byteOffset: 60, T, "row 1 has 2 fields but the COPY statement lists 1 columns (a)");
    }

    [Test]
    public async Task Insert_tables_left_out_by_the_filter_are_still_validated()
    {
        var sql = P + "INSERT INTO public.t VALUES (1);\nINSERT INTO public.t VALUES (2, 3);\nINSERT INTO public.u VALUES (4);\n";
        var error = await DumpHarness.FailAsync(sql, TableFilter.Create(["public.u"]));

        ShouldBeAt(error, line: 3, byteOffset: 91, T, "a VALUES tuple has 2 values but the table's first tuple had 1");
    }

    [Test]
    public async Task Bad_escape_found_when_decoding_a_field_is_a_format_exception()
    {
        // Splitting and counting accept any escaped character; decoding it to text checks UTF-8.
        var sql = P + "COPY public.t (a) FROM stdin;\n\\377\n\\.\n";
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.ReadAsync()).ShouldBeTrue();

        Should.Throw<FormatException>(() => table.Current.GetString(0));
    }
}
