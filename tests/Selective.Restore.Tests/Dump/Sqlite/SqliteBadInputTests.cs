using Selective.Restore.Dump;
using static Selective.Restore.Tests.Dump.Sqlite.SqliteHarness;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// Malformed sqlite3 dumps, and forms sqlite3 does not write: each is rejected with a <see cref="DumpFormatException"/>
/// naming the source, the table, the 1-based line and the byte offset, in every read mode, before the bad row is handed out.
/// </summary>
public sealed class SqliteBadInputTests
{
    // Lines 1 and 2 of every dump below (Head), then line 3: CREATE TABLE t.
    private const string P = Head + "CREATE TABLE t(a, b);\n";

    private static readonly TableName T = InMain("t");

    private static async Task<DumpFormatException> FailAsync(string dump, long line, string marker, TableName? table, string reason, int occurrence = 1)
    {
        var error = await SqliteHarness.FailAsync(dump);
        error.Reason.ShouldBe(reason);
        error.Line.ShouldBe(line);
        error.ByteOffset.ShouldBe(marker.Length == 0 ? System.Text.Encoding.UTF8.GetByteCount(dump) : Offset(dump, marker, occurrence));
        error.Table.ShouldBe(table);
        return error;
    }

    [Test]
    public async Task Unterminated_string_in_a_later_row_is_reported_before_that_row_is_returned()
    {
        var dump = P + "INSERT INTO t VALUES(1,'ok');\nINSERT INTO t VALUES(2,'it''s\n";

        await FailAsync(dump, line: 5, "'it''s", T, "unterminated string literal starting at line 5: the dump ends before its closing quote (truncated file or unbalanced quotes)");
        var result = await ReadAllModesAsync(System.Text.Encoding.UTF8.GetBytes(dump));
        result.Single().Values.ShouldBe([["1", "'ok'"]], "the good row is returned, the bad one is not");
        result.Single().IsCompleted.ShouldBeFalse();
    }

    [Test]
    public async Task Unterminated_names_and_comments()
    {
        await FailAsync(P + "INSERT INTO \"t VALUES(1,2);\n", line: 4, "\"t VALUES", null, "unterminated \"quoted name\" starting at line 4: the dump ends before its closing '\"'");
        await FailAsync(P + "INSERT INTO [t VALUES(1,2);\n", line: 4, "[t VALUES", null, "unterminated [bracketed name] starting at line 4: the dump ends before its closing ']'");
        await FailAsync(P + "INSERT INTO `t VALUES(1,2);\n", line: 4, "`t VALUES", null, "unterminated `backticked name` starting at line 4: the dump ends before its closing '`'");
        await FailAsync(P + "/* never\nclosed\n", line: 4, "/* never", null, "unterminated /* comment starting at line 4: the dump ends before its closing */");
    }

    [Test]
    public async Task A_row_with_another_number_of_values_than_its_table_has_columns()
    {
        await FailAsync(
            P + "INSERT INTO t VALUES(1,2);\nINSERT INTO t VALUES(3);\n",
            line: 5,
            "(3)",
            T,
            "row 2: the VALUES tuple has 1 values but 2 were expected: the INSERT has no column list and CREATE TABLE main.t at line 3 declares 2 columns (a, b)");
        await FailAsync(
            Head + "CREATE TABLE g(a, b AS (a * 2), c);\nINSERT INTO g VALUES(1,2,3);\n",
            line: 4,
            "(1,2,3)",
            InMain("g"),
            "row 1: the VALUES tuple has 3 values but 2 were expected: the INSERT has no column list and CREATE TABLE main.g at line 3 declares 2 columns (a, c); left out as SQLite does: b (generated)");
        await FailAsync(
            P + "INSERT INTO t(a) VALUES(1,2);\n",
            line: 4,
            "(1,2)",
            T,
            "row 1: the VALUES tuple has 2 values but 1 were expected: the INSERT lists 1 columns (a)");
    }

    [Test]
    public async Task Rows_without_create_table_that_disagree()
    {
        await FailAsync(
            Head + "INSERT INTO u VALUES(1,2);\nINSERT INTO u VALUES(1);\n",
            line: 4,
            "(1);",
            InMain("u"),
            "row 2: the VALUES tuple has 1 values but 2 were expected: the table's first VALUES tuple (line 3) has 2 values");
    }

    [TestCase("upper('x')", "upper('x')", "unsupported value 'upper' in a VALUES tuple (sqlite3 writes NULL, numbers, 'text', X'hex', and replace(), char(), unistr() and || for text with control characters)")]
    [TestCase("+5", "+5", "a '+' before a value: sqlite3 writes none, and the reader reads only what it writes")]
    [TestCase("0x1F", "0x1F", "a hexadecimal integer literal: sqlite3 writes integers in decimal, and the reader reads only what it writes")]
    [TestCase("Inf", "Inf", "Inf is not a value SQLite reads (older sqlite3 versions wrote an infinite REAL so, and could not load it back); write 1e999 (or -1e999) for it")]
    [TestCase("-Inf", "-Inf", "Inf is not a value SQLite reads (older sqlite3 versions wrote an infinite REAL so, and could not load it back); write 1e999 (or -1e999) for it")]
    [TestCase("X'0AF'", "X'0AF'", "a blob literal X'...' with an odd number of hex digits (SQLite refuses it)")]
    [TestCase("X'0G'", "G'", "invalid hex digit 'G' in a blob literal X'...'")]
    [TestCase("\"text\"", "\"text\"", "a \"double-quoted\" value is a name in SQL (SQLite takes it for a string only when no column has that name); sqlite3 writes strings in single quotes")]
    [TestCase("TRUE", "TRUE", "unsupported value 'TRUE' in a VALUES tuple (sqlite3 writes NULL, numbers, 'text', X'hex', and replace(), char(), unistr() and || for text with control characters)")]
    [TestCase("'a'||1", "1)", "unsupported '1' in a text value (sqlite3 writes 'text', replace('...', '\\n', char(10)), char(N), unistr('...') and ||)")]
    [TestCase("char(55296)", "55296", "char(): expected a Unicode code point in decimal (0 to 1114111, not a surrogate), found '55296'")]
    [TestCase("char(-1)", "-1", "char(): expected a Unicode code point in decimal (0 to 1114111, not a surrogate), found '-'")]
    [TestCase("unistr('a\\qb')", "'a\\qb'", "unistr(): a backslash that starts no escape (\\\\, \\XXXX, \\uXXXX, \\+XXXXXX or \\UXXXXXXXX): SQLite refuses it")]
    [TestCase("unistr('\\u00')", "'\\u00'", "unistr(): an escape without its 4 hex digits: SQLite refuses it")]
    [TestCase("unistr('\\UFFFFFFFF')", "'\\UFFFFFFFF'", "unistr(): U+FFFFFFFF is not a Unicode character (SQLite would store it as bytes that are not UTF-8)")]
    [TestCase("unistr('\\d800')", "'\\d800'", "unistr(): U+D800 is not a Unicode character (SQLite would store it as bytes that are not UTF-8)")]
    [TestCase("replace('a','b' 'c')", "'c'", "expected ',' in replace(text, pattern, replacement), found ''c''")]
    public async Task A_value_sqlite3_does_not_write_is_refused(string value, string marker, string reason)
    {
        var dump = P + $"INSERT INTO t VALUES(1,{value});\n";

        await FailAsync(dump, line: 4, marker, T, reason);
    }

    [Test]
    public async Task Text_that_is_not_utf8_or_holds_a_nul_byte()
    {
        byte[] dump = [.. System.Text.Encoding.UTF8.GetBytes(P + "INSERT INTO t VALUES(1,'ab"), 0xFF, .. "');\n"u8];
        var error = await SqliteHarness.FailAsync(dump);
        error.Reason.ShouldBe("invalid UTF-8 byte sequence (0xFF) in a string literal");
        error.ByteOffset.ShouldBe(dump.AsSpan().IndexOf((byte)0xFF));

        // Past the first 4 KB: a NUL byte there makes the whole input binary data.
        var padded = P + "-- " + new string('x', 4100) + "\nINSERT INTO t VALUES(1,'a\0b');\n";
        await FailAsync(padded, line: 5, "\0", T, "a NUL byte inside a string literal: sqlite3 reads the script as C text and would cut the statement there");
    }

    [Test]
    public async Task A_rollback_would_undo_the_rows_so_it_is_refused()
    {
        await FailAsync(
            P + "INSERT INTO t VALUES(1,2);\n/****** CORRUPTION ERROR *******/\nROLLBACK; -- due to errors\n",
            line: 6,
            "ROLLBACK",
            null,
            "ROLLBACK: loading this script, sqlite3 would undo the rows before it (sqlite3 .dump ends with ROLLBACK instead of COMMIT when it met errors reading the database, " +
            "marked by ERROR or CORRUPTION comments); the rows may be incomplete: check them, and replace the ROLLBACK with COMMIT to read the dump anyway");
    }

    [Test]
    public async Task Statements_that_insert_rows_another_way_are_refused()
    {
        await FailAsync(P + "REPLACE INTO t VALUES(1,2);\n", line: 4, "REPLACE", null, "REPLACE INTO is not read: only INSERT INTO ... VALUES statements are (sqlite3 .dump writes those)");
        await FailAsync(P + "INSERT OR IGNORE INTO t VALUES(1,2);\n", line: 4, "OR IGNORE", null, "INSERT OR ... is not read: only INSERT INTO ... VALUES statements are (sqlite3 .dump writes those)");
        await FailAsync(P + "INSERT INTO t SELECT 1, 2;\n", line: 4, "SELECT", T, "only INSERT INTO ... VALUES (...) is supported (found 'SELECT' where VALUES was expected)");
        await FailAsync(P + "INSERT INTO t DEFAULT VALUES;\n", line: 4, "DEFAULT", T, "INSERT ... DEFAULT VALUES is not supported: the row's values are not in the dump");
        await FailAsync(
            P + "INSERT INTO t VALUES(1,2) ON CONFLICT DO NOTHING;\n",
            line: 4,
            "ON CONFLICT",
            T,
            "expected ',' or ';' after a VALUES tuple, found 'ON' (only INSERT INTO ... VALUES (...); is read)");
    }

    [Test]
    public async Task A_missing_semicolon_that_would_swallow_rows()
    {
        await FailAsync(
            Head + "CREATE TABLE t(a)\nINSERT INTO t VALUES(1);\n",
            line: 4,
            "INSERT",
            null,
            "an INSERT (line 4) inside the CREATE statement that starts at line 3: a ';' is missing before it, and its rows would be skipped");
        await FailAsync(Head + "CREATE INDEX i ON t(a)\n", line: 4, string.Empty, null, "the dump ends inside the CREATE statement that starts at line 3 (no ';' ends it: is the file truncated?)");
        await FailAsync(P + "INSERT INTO t VALUES(1,2)\n", line: 5, string.Empty, T, "the dump ends inside an INSERT statement (no ';' ends it: is the file truncated?)");
    }

    [Test]
    public async Task A_stray_line_is_not_skipped()
    {
        await FailAsync(
            P + "INSERT INTO t VALUES(1,2);\nsqlite> .dump\n",
            line: 5,
            "sqlite>",
            null,
            "'sqlite' does not start a SQLite statement (a stray line, or a statement whose start is missing); the reader stops here rather than skip what it cannot read");
    }

    [Test]
    public async Task A_sqlite_sequence_row_must_be_a_name_and_a_position()
    {
        await FailAsync(
            P + "INSERT INTO sqlite_sequence VALUES(1,'t');\n",
            line: 4,
            "(1,'t')",
            InMain("sqlite_sequence"),
            "a sqlite_sequence row must hold a table name (text) and an integer position (name, seq)");
        await FailAsync(
            P + "INSERT INTO sqlite_sequence VALUES('t');\n",
            line: 4,
            "('t')",
            InMain("sqlite_sequence"),
            "row 1: the VALUES tuple has 1 values but 2 were expected: sqlite_sequence has 2 columns (name, seq)");
    }

    [Test]
    public async Task A_row_longer_than_the_buffering_limit()
    {
        var dump = System.Text.Encoding.UTF8.GetBytes(P + "INSERT INTO t VALUES(1,'" + new string('x', 5000) + "');\nCOMMIT;\n");
        using var reader = DumpReader.Open(new MemoryStream(dump), new DumpReaderOptions { SourceName = SourceName, MaxBufferedBytes = 4096 });
        var error = await Should.ThrowAsync<DumpFormatException>(async () =>
        {
            while (await reader.NextTableAsync() is { } table)
            {
                await table.SkipAsync();
            }
        });

        error.Reason.ShouldBe("row 1 is longer than 4096 bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.Table.ShouldBe(T);
    }
}
