using System.Text;
using Npgsql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Hand-written COPY variants (issue 11, point 6), proven against the server: the same script (a table, a COPY with
/// options, awkward data) is loaded by psql and read by the reader, in every read mode; the reader's converted rows must
/// be byte for byte what the server's <c>COPY ... TO STDOUT</c> then writes, and where the server refuses the data, the
/// reader refuses it too.
/// </summary>
[NonParallelizable]
public sealed class CopyOptionsServerTests
{
    private string _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => _database = await PostgresServer.CreateDatabaseAsync("sr_copyopts");

    [OneTimeTearDown]
    public async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await PostgresServer.DropDatabaseAsync(_database);
    }

    /// <summary>The script both read: a fresh table t (a, b, c text; n orders the rows), the COPY, its data.</summary>
    private static byte[] Script(string copy, byte[] data) =>
        [.. Encoding.UTF8.GetBytes($"SET client_encoding = 'UTF8';\nDROP TABLE IF EXISTS t;\nCREATE TABLE t (n serial, a text, b text, c text);\n{copy}\n"), .. data];

    private static byte[] Data(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>psql loads the script; the table's rows as the server's COPY TO writes them, or psql's error.</summary>
    private async Task<(string? Rows, string? Error)> ServerAsync(byte[] script)
    {
        using var directory = new TempDirectory();
        var file = directory.File("script.sql");
        await File.WriteAllBytesAsync(file, script);
        try
        {
            await PostgresServer.RunToolAsync("psql", _database, $"-X -q -v ON_ERROR_STOP=1 -f {file}");
        }
        catch (InvalidOperationException ex)
        {
            return (null, ex.Message);
        }

        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        using var reader = await connection.BeginTextExportAsync("COPY (SELECT a, b, c FROM t ORDER BY n) TO STDOUT");
        return (await reader.ReadToEndAsync(), null);
    }

    /// <summary>Reads the script in every mode; asserts the converted rows equal the server's.</summary>
    private async Task SameAsServerAsync(string copy, string data) => await SameAsServerAsync(copy, Data(data));

    private async Task SameAsServerAsync(string copy, byte[] data)
    {
        var script = Script(copy, data);
        var (rows, error) = await ServerAsync(script);
        error.ShouldBeNull();
        var dump = await DumpHarness.ReadAsync(script);
        var table = dump.Single();
        string.Concat(table.Lines.Select(l => l + "\n")).ShouldBe(rows);
        rows.ShouldNotBeNullOrEmpty();
    }

    /// <summary>The server refuses the data (psql fails): so must the reader.</summary>
    private async Task<DumpFormatException> BothRefuseAsync(string copy, string data, string serverSays)
    {
        var script = Script(copy, Data(data));
        var (_, error) = await ServerAsync(script);
        error.ShouldNotBeNull().ShouldContain(serverSays);
        return await DumpHarness.FailAsync(script);
    }

    [Test]
    public Task Csv_with_quotes_doubled_quotes_delimiters_newlines_and_nulls() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (FORMAT csv);",
        "plain,\"quoted, with comma\",\"with \"\"doubled\"\" quotes\"\n" +
        ",\"\",x\n" +
        "\"multi\nline\",b,\"cr\r\nlf inside\"\n" +
        "back\\slash,\\N,\"\\.\"\n" +
        "\\.x,a\"b,\"c,ünïcödé 🐘\n" +
        "\"a\"\"\",  ,\ttab\n" +
        "\"\"\"\",\"\",\"\\\"\n" +
        "\\.\n");

    [Test]
    public Task Csv_with_every_option_and_a_header() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (FORMAT csv, DELIMITER '|', NULL 'NULL', QUOTE '''', ESCAPE '\\', HEADER true, FORCE_NULL (b), FORCE_NOT_NULL (c), FREEZE false);",
        "this|is a|header\n" +
        "NULL|NULL|NULL\n" +
        "'NULL'|'NULL'|'NULL'\n" +
        "'it\\'s'|'back\\\\slash'|'x\\y'\n" +
        "a''b|'a''b'|''\n" +
        "'|'|''|\n" +
        "\\.\n");

    [Test]
    public Task Csv_header_match_with_the_column_names() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (FORMAT csv, HEADER match);",
        "a,b,c\n1,2,3\n\\.\n");

    [Test]
    public async Task Csv_header_match_with_other_names_is_refused_like_the_server()
    {
        var error = await BothRefuseAsync("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, HEADER match);", "a,x,c\n1,2,3\n\\.\n", "column name mismatch in header line field 2");
        error.Reason.ShouldNotBeNull().ShouldContain("header field 2 is \"x\", not the column name \"b\"");
    }

    [Test]
    public Task Csv_with_a_backslash_null_marker_and_escape() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (FORMAT csv, NULL '\\N', ESCAPE '\\');",
        "\\N,\"\\N\",a\\b\n\"\\\"\\\\\",\"\"\"\",\"x\\y\"\n\\.\n");

    [Test]
    public Task Text_with_an_empty_null_marker() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (NULL '');",
        "\t\\N\tx\n\\\t\t\t\n\\.\n");

    [Test]
    public Task The_old_csv_spelling() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH DELIMITER AS ';' NULL AS '-' CSV HEADER QUOTE AS '\"' ESCAPE AS '\\' FORCE NOT NULL b, c;",
        "h1;h2;h3\n-;-;\"-\"\n\"q\\\"uote\";\"\";x\n\\.\n");

    [Test]
    public Task Text_with_another_delimiter_and_null_marker() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (FORMAT text, DELIMITER '|', NULL 'nil');",
        "nil|nil2|\\N\n" +
        "a\\|b|raw\ttab|\\x41\\101\\n\\\\\n" +
        "|\\nil|x\\\ny\n" +
        "ünï|🐘|\\t\n" +
        "\\.\n");

    [Test]
    public Task The_oldest_text_spelling() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin USING DELIMITERS ',' WITH NULL AS '';",
        ",x,\n\\,,\\N,\n\\.\n");

    [Test]
    public Task Text_with_a_header() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin WITH (HEADER);",
        "a\tb\tc\n1\t\\N\t3\n\\.\n");

    [Test]
    public Task Csv_with_crlf_line_ends_and_a_quoted_crlf() => SameAsServerAsync(
        "COPY t (a, b, c) FROM stdin (FORMAT csv);",
        "1,\"two\r\nlines\",3\r\n4,,6\r\n\\.\r\n");

    [Test]
    public Task Copy_encoding_option_reads_the_data_in_that_encoding()
    {
        var data = Encoding.Latin1.GetBytes("café,ÿ,½\n\\.\n");
        return SameAsServerAsync("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, ENCODING 'LATIN1');", data);
    }

    [Test]
    public async Task A_quoted_field_cut_by_an_end_marker_line_is_refused_like_the_server()
    {
        var error = await BothRefuseAsync("COPY t (a, b, c) FROM stdin CSV;", "1,\"open\n\\.\n2,3,4\n", "unterminated CSV quoted field");
        error.Reason.ShouldNotBeNull().ShouldContain("a \\. line cuts");
    }

    [Test]
    public async Task A_row_with_too_many_fields_is_refused_like_the_server()
    {
        var error = await BothRefuseAsync("COPY t (a, b, c) FROM stdin CSV;", "1,2,3\n1,2,3,4\n\\.\n", "extra data after last expected column");
        error.Reason.ShouldNotBeNull().ShouldContain("row 2 has 4 fields");
    }

    [TestCase("COPY t (a, b, c) FROM stdin WITH (DELIMITER 'a');", "COPY delimiter cannot be \"a\"", "cannot be \"a\"")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, QUOTE ',');", "COPY delimiter and quote must be different", "must be different")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, NULL 'a,b');", "COPY delimiter must not appear in the NULL specification", "must not appear in the NULL marker")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (QUOTE '\"');", "COPY quote available only in CSV mode", "only in CSV format")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, FORCE_QUOTE (a));", "COPY force quote only available using COPY TO", "COPY TO only")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, FORCE_NULL (z));", "column \"z\" of relation \"t\" does not exist", "\"z\" is not one of the COPY's columns")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT 'CSV');", "COPY format \"CSV\" not recognized", "not one the server knows")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (FORMAT csv, FORMAT text);", "conflicting or redundant options", "given twice")]
    [TestCase("COPY t (a, b, c) FROM stdin WITH (DEFAULT 'x');", "option \"default\" not recognized", "DEFAULT")]
    public async Task Options_the_server_refuses_are_refused_naming_them(string copy, string serverSays, string readerSays)
    {
        var error = await BothRefuseAsync(copy, "1\t2\t3\n\\.\n", serverSays);
        error.Reason.ShouldNotBeNull().ShouldContain(readerSays);
        error.Line.ShouldBe(4);
    }
}
