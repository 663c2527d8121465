using static Selective.Restore.Tests.Dump.SqlServer.SsmsScripts;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// Malformed SQL Server scripts: each is rejected with a <see cref="DumpFormatException"/> naming the source, the
/// table, the 1-based line and the byte offset, in every read mode, before the bad row is handed out.
/// </summary>
public sealed class ScriptBadInputTests
{
    // Line 1 and 2 of every script below: 12 bytes, so line 3 starts at offset 12.
    private const string P = "USE [db]\nGO\n";

    private static readonly TableName T = new("dbo", "T");

    private static async Task<DumpFormatException> FailAsync(string script, long line, string marker, TableName? table, string reason, int occurrence = 1)
    {
        var error = await ScriptHarness.FailAsync(script);
        error.Reason.ShouldBe(reason);
        error.Line.ShouldBe(line);
        error.ByteOffset.ShouldBe(marker.Length == 0 ? System.Text.Encoding.UTF8.GetByteCount(script) : Offset(script, marker, occurrence));
        error.Table.ShouldBe(table);
        return error;
    }

    [Test]
    public async Task Unterminated_string_at_the_end_of_the_script()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, N'O''Brien)\nGO\n",
            line: 3,
            "N'O''",
            T,
            "unterminated string literal starting at line 3: the script ends before its closing quote (truncated file or unbalanced quotes)");
    }

    [Test]
    public async Task Unterminated_string_in_a_later_row_is_reported_before_that_row_is_returned()
    {
        var script = P + "INSERT [dbo].[T] ([A]) VALUES (N'ok')\nINSERT [dbo].[T] ([A]) VALUES (N'bad)\n";

        await FailAsync(script, line: 4, "N'bad", T, "unterminated string literal starting at line 4: the script ends before its closing quote (truncated file or unbalanced quotes)");
        var result = await ScriptHarness.ReadAllModesAsync(ScriptHarness.Encode(script, ScriptEncoding.Utf8));
        result.Single().Values.ShouldBe([["ok"]], "the good row is returned, the bad one is not");
        result.Single().IsCompleted.ShouldBeFalse();
    }

    [Test]
    public async Task Unterminated_bracket()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B) VALUES (1, 2)\n",
            line: 3,
            "[B)",
            T,
            "unterminated [bracketed identifier] starting at line 3: the script ends before its closing ']'");
    }

    [Test]
    public async Task Unterminated_comment()
    {
        await FailAsync(P + "GO\n/* never\nclosed\n", line: 4, "/* never", null, "unterminated /* comment starting at line 4: the script ends before its closing */");
    }

    [Test]
    public async Task Tuple_with_too_few_values()
    {
        var script = P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, 2)\nGO\nINSERT [dbo].[T] ([A], [B]) VALUES (3)\n";

        await FailAsync(script, line: 5, "(3)", T, "row 2: the VALUES tuple has 1 values but 2 were expected: the INSERT lists 2 columns (A, B)");
    }

    [Test]
    public async Task Tuple_with_too_many_values_in_the_first_row()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, 2, 3)\n",
            line: 3,
            "(1, 2, 3)",
            T,
            "row 1: the VALUES tuple has 3 values but 2 were expected: the INSERT lists 2 columns (A, B)");
    }

    [Test]
    public async Task Tuple_with_the_wrong_arity_in_a_multi_row_insert()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, 2),\n(3, 4),\n(5)\n",
            line: 5,
            "(5)",
            T,
            "row 3: the VALUES tuple has 1 values but 2 were expected: the INSERT lists 2 columns (A, B)");
    }

    [Test]
    public async Task Column_less_insert_that_does_not_match_its_create_table()
    {
        await FailAsync(
            P + "CREATE TABLE [dbo].[T]([A] [int] NULL, [B] [int] NULL, [C] AS ([A]+[B]))\nGO\nINSERT [dbo].[T] VALUES (1, 2, 3)\n",
            line: 5,
            "(1, 2, 3)",
            T,
            "row 1: the VALUES tuple has 3 values but 2 were expected: the INSERT has no column list and CREATE TABLE dbo.\"T\" at line 3 declares 2 insertable columns (A, B); left out as SQL Server does: C (computed)");
    }

    [Test]
    public async Task Column_less_insert_without_create_table_whose_rows_disagree()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] VALUES (1, 2)\nINSERT [dbo].[T] VALUES (1)\n",
            line: 4,
            "(1)\n",
            T,
            "row 2: the VALUES tuple has 1 values but 2 were expected: the table's first VALUES tuple (line 3) has 2 values");
    }

    [Test]
    public async Task Unknown_function_in_a_value_position()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, GETDATE())\n",
            line: 3,
            "GETDATE",
            T,
            "unsupported function GETDATE(...) in a VALUES tuple (only literals, NULL, CAST and CONVERT are read)");
    }

    [Test]
    public async Task Boolean_keywords_do_not_exist_in_tsql()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) VALUES (TRUE)\n",
            line: 3,
            "TRUE",
            T,
            "unsupported value 'TRUE' in a VALUES tuple (expected a literal, NULL, CAST or CONVERT; T-SQL has no TRUE/FALSE)");
    }

    [Test]
    public async Task Default_is_not_a_value_a_restore_can_stage()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, DEFAULT)\n",
            line: 3,
            "DEFAULT",
            T,
            "DEFAULT in VALUES is not supported: the column's value is not in the script, so a restore cannot stage it");
    }

    [Test]
    public async Task Collate_after_a_value()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) VALUES (N'x' COLLATE Latin1_General_CI_AS)\n",
            line: 3,
            "COLLATE",
            T,
            "COLLATE after a value is not supported in a data script (the value itself is read; remove the COLLATE clause)");
    }

    [Test]
    public async Task Truncated_inside_a_tuple()
    {
        await FailAsync(P + "INSERT [dbo].[T] ([A], [B]) VALUES (1, N'x'", line: 3, string.Empty, T, "the script ends where ',' or ')' after a value was expected (is the file truncated?)");
    }

    [Test]
    public async Task Truncated_after_a_comma_between_tuples()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) VALUES (1),\n(2),\n",
            line: 5,
            string.Empty,
            T,
            "the script ends where a '(' starting a VALUES tuple was expected (is the file truncated?)");
    }

    [Test]
    public async Task Truncated_inside_the_column_list()
    {
        await FailAsync(P + "INSERT [dbo].[T] ([A], ", line: 3, string.Empty, T, "the script ends where a column name was expected (is the file truncated?)");
    }

    [Test]
    public async Task Truncated_inside_create_table()
    {
        await FailAsync(
            P + "CREATE TABLE [dbo].[T](\n\t[A] [int] NOT NULL,\n\t[B] [nvarchar](",
            line: 5,
            string.Empty,
            null,
            "the script ends where the rest of the column definition was expected (is the file truncated?)");
    }

    [Test]
    public async Task Invalid_utf8_in_a_string()
    {
        byte[] script = [.. "USE [db]\nGO\nINSERT [dbo].[T] ([A]) VALUES (N'ab"u8, 0xC3, 0x28, .. "')\n"u8];

        var error = await ScriptHarness.FailAsync(script);

        error.Reason.ShouldBe("invalid UTF-8 byte sequence (0xC3) in a string literal");
        error.Line.ShouldBe(3);
        error.ByteOffset.ShouldBe(12 + "INSERT [dbo].[T] ([A]) VALUES (N'ab".Length);
        error.Table.ShouldBe(T);
    }

    [Test]
    public async Task Go_with_a_repeat_count()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) VALUES (1)\nGO 2\n",
            line: 4,
            "GO 2",
            T,
            "'GO 2' runs its batch 2 times, which is not supported (only GO without a count, or GO 1)");
    }

    [Test]
    public async Task Garbage_after_a_tuple()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) VALUES (1))\n",
            line: 3,
            ")\n",
            T,
            "expected ',' or the end of the INSERT statement after a VALUES tuple, found ')'");
    }

    [Test]
    public async Task Insert_select_is_not_a_data_statement()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A]) SELECT 1\n",
            line: 3,
            "SELECT",
            T,
            "only INSERT ... VALUES (...) is supported (found 'SELECT' where VALUES was expected)");
    }

    [Test]
    public async Task Go_line_inside_a_tuple()
    {
        await FailAsync(
            P + "INSERT [dbo].[T] ([A], [B]) VALUES (1,\nGO\n",
            line: 4,
            "GO\n",
            T,
            "a GO line inside a VALUES tuple: the INSERT statement is incomplete",
            occurrence: 2);
    }

    [Test]
    public async Task The_error_names_the_table_of_a_later_section()
    {
        var error = await ScriptHarness.FailAsync(Shop.Replace("(1, 2, NULL, $-3.10, NULL)", "(1, 2, NULL, $-3.10)", StringComparison.Ordinal));

        error.Table.ShouldBe(new TableName("sales", "Order]Lines"));
        error.Line.ShouldBe(Line(Shop, "(1, 2, NULL, $-3.10"));
        error.Reason.ShouldBe("row 2: the VALUES tuple has 4 values but 5 were expected: the INSERT lists 5 columns (OrderId, Line, Note, Price, At)");
    }
}
