using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// COPY statements with options (issue 11, point 6), read in every mode: rows are converted to the neutral COPY text
/// line; options that change the data in ways the reader cannot follow are refused naming them. The server comparisons
/// are in <c>CopyOptionsServerTests</c>.
/// </summary>
public sealed class CopyOptionsTests
{
    private const string P = "SET client_encoding = 'UTF8';\n";

    [Test]
    public async Task Csv_rows_become_neutral_lines_with_the_lines_and_offsets_of_their_records()
    {
        var sql = P + "COPY public.t (a, b) FROM stdin WITH (FORMAT csv, HEADER);\na,b\n\"multi\nline\",\"x\"\"y\"\n,\"\"\n3,\"tab\there\"\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.Lines.ShouldBe(["multi\\nline\tx\"y", "\\N\t", "3\ttab\\there"]);
        table.Values.ShouldBe([["multi\nline", "x\"y"], [null, string.Empty], ["3", "tab\there"]]);
        table.Rows.Select(r => r.Line).ShouldBe([4L, 6, 7]);
        table.Rows.Select(r => r.ByteOffset).ShouldBe([Sql.OffsetOf(sql, "\"multi"), Sql.OffsetOf(sql, ",\"\"\n"), Sql.OffsetOf(sql, "3,")]);
        table.EndOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task Force_lists_use_the_create_table_columns_when_the_copy_lists_none()
    {
        var sql = P + "CREATE TABLE public.t (a text, b text);\nCOPY public.t FROM stdin CSV FORCE NOT NULL b;\n,\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Values.ShouldBe([[null, string.Empty]]);
    }

    [Test]
    public async Task Force_null_star_applies_to_every_column()
    {
        var dump = await DumpHarness.ReadAsync(P + "COPY public.t (a, b) FROM stdin WITH (FORMAT csv, FORCE_NULL *, ON_ERROR stop, LOG_VERBOSITY verbose);\n\"\",x\n\\.\n");

        dump.Single().Values.ShouldBe([[null, "x"]]);
    }

    [TestCase("WITH (FORMAT binary)", "FORMAT binary")]
    [TestCase("BINARY", "FORMAT binary")]
    [TestCase("WITH (FORMAT csv) WHERE a > '1'", "WHERE")]
    [TestCase("WITH (ON_ERROR ignore)", "ON_ERROR ignore")]
    [TestCase("WITH (FORMAT csv, FORCE_NULL (a))", "FORCE_NULL names columns, but the COPY statement does not list its columns")]
    [TestCase("WITH (FORMAT csv, HEADER match)", "HEADER MATCH compares the header with the columns")]
    [TestCase("WITH (ENCODING 'SJIS')", "SJIS")]
    [TestCase("WITH (ENCODING 'nope')", "not an encoding PostgreSQL knows")]
    [TestCase("WITH (OIDS)", "\"oids\" is not a COPY option")]
    [TestCase("WITH OIDS", "'OIDS' is not a COPY option")]
    [TestCase("WITH (FORMAT csv", "expected ',' or ')' in the COPY option list")]
    public async Task Options_that_change_the_data_unseen_are_refused_naming_them(string options, string reason)
    {
        var sql = P + $"COPY public.t FROM stdin {options};\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Reason.ShouldNotBeNull().ShouldContain(reason);
        error.Line.ShouldBe(2);
        error.Table.ShouldBe(new TableName("public", "t"));
    }

    [Test]
    public async Task Copy_binary_before_the_table_name_is_refused()
    {
        var error = await DumpHarness.FailAsync(P + "COPY BINARY public.t FROM stdin;\n1\n\\.\n");

        error.Reason.ShouldNotBeNull().ShouldContain("BINARY");
    }

    [Test]
    public async Task Csv_data_ending_with_an_end_marker_without_newline_is_refused_as_ambiguous()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a) FROM stdin CSV;\n1\n\\.");

        error.Reason.ShouldNotBeNull().ShouldContain("ends with \\. without a newline");
    }

    [Test]
    public async Task A_backslash_dot_in_custom_text_data_is_refused_as_in_default_text()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin WITH DELIMITER '|';\nx\\.|y\n\\.\n");

        error.Reason.ShouldNotBeNull().ShouldContain("unescaped \\.");
    }

    [Test]
    public async Task A_literal_carriage_return_outside_quotes_is_refused()
    {
        var error = await DumpHarness.FailAsync(P + "COPY public.t (a, b) FROM stdin CSV;\n1,\"ok\r\"\n2,x\ry\n\\.\n");

        error.Reason.ShouldNotBeNull().ShouldContain("carriage return outside quotes");
        error.Line.ShouldBe(4);
    }

    [Test]
    public async Task Csv_data_in_another_encoding_switches_back_after_it()
    {
        var bytes = Encoding.UTF8.GetBytes(P + "COPY public.t (a) FROM stdin WITH (FORMAT csv, ENCODING 'LATIN1');\n")
            .Concat(Encoding.Latin1.GetBytes("\"é\"\n\\.\n"))
            .Concat(Encoding.UTF8.GetBytes("COPY public.u (a) FROM stdin;\né\n\\.\n")).ToArray();
        var dump = await DumpHarness.ReadAsync(bytes);

        dump["public.t"].Values.ShouldBe([["é"]]);
        dump["public.u"].Values.ShouldBe([["é"]]);
        dump["public.u"].Rows[0].ByteOffset.ShouldBe(bytes.Length - 6);
    }

    [Test]
    public async Task Copy_raw_of_a_csv_table_is_a_plain_copy_of_the_converted_rows()
    {
        var sql = P + "COPY public.t (a, \"B\") FROM stdin WITH (FORMAT csv, NULL 'N');\n\"x,y\",N\n\\.\nCOPY public.u (a) FROM stdin;\n1\n\\.\n";
        using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(sql)));
        var table = reader.NextTable().ShouldNotBeNull();
        using var output = new MemoryStream();

        table.CopyRawTo(output).ShouldBe(1);

        Encoding.UTF8.GetString(output.ToArray()).ShouldBe("COPY \"public\".\"t\" (\"a\", \"B\") FROM stdin;\nx,y\t\\N\n\\.\n");
        reader.NextTable().ShouldNotBeNull().Name.ShouldBe(new TableName("public", "u"));
    }

    [Test]
    public void Copy_raw_of_a_text_table_in_another_encoding_is_its_utf8()
    {
        var bytes = Encoding.UTF8.GetBytes(P + "COPY public.t (a) FROM stdin WITH (ENCODING 'WIN1252');\n")
            .Concat(CodePagesEncodingProvider.Instance.GetEncoding(1252)!.GetBytes("€\n\\.\n")).ToArray();
        using var reader = DumpReader.Open(new MemoryStream(bytes));
        var table = reader.NextTable().ShouldNotBeNull();
        using var output = new MemoryStream();

        table.CopyRawTo(output).ShouldBe(1);

        Encoding.UTF8.GetString(output.ToArray()).ShouldEndWith("\n€\n\\.\n");
    }
}
