using System.Text;
using Selective.Restore.Dump.Plain;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// Dumps in a client encoding other than UTF-8 (issue 11, point 5) are transcoded on the fly from where their
/// <c>SET client_encoding</c> takes effect, in every read mode (one byte at a time, 16-byte buffers...): rows come out
/// as UTF-8, while lines and byte offsets in errors and rows stay those of the original file.
/// </summary>
public sealed class ClientEncodingTests
{
    private static readonly Encoding Win1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;
    private static readonly Encoding Gbk = CodePagesEncodingProvider.Instance.GetEncoding(936)!;

    /// <summary>The dump as its bytes in <paramref name="encoding"/> (the test text holds only characters it has).</summary>
    private static byte[] In(Encoding encoding, string sql) => encoding.GetBytes(sql);

    /// <summary>0-based offset of <paramref name="marker"/> in the bytes of <paramref name="sql"/> written in <paramref name="encoding"/>.</summary>
    private static long OffsetIn(Encoding encoding, string sql, string marker, int occurrence = 1)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++)
        {
            index = sql.IndexOf(marker, index + 1, StringComparison.Ordinal);
        }

        return encoding.GetByteCount(sql.AsSpan(0, index));
    }

    [Test]
    public async Task A_latin1_dump_is_read_as_utf8_with_offsets_and_lines_of_the_original_file()
    {
        var sql = "SET client_encoding = 'LATIN1';\nCOPY public.t (id, v) FROM stdin;\n1\tcafé\n2\tÿ±½ \\\\ é\n3\tplain\n\\.\n";
        var dump = await DumpHarness.ReadAsync(In(Encoding.Latin1, sql));

        dump.Encoding.ShouldBe("LATIN1");
        var table = dump.Single();
        table.Lines.ShouldBe(["1\tcafé", "2\tÿ±½ \\\\ é", "3\tplain"]);
        table.Values.ShouldBe([["1", "café"], ["2", "ÿ±½ \\ é"], ["3", "plain"]]);
        table.Rows.Select(r => r.Line).ShouldBe([3L, 4, 5]);
        table.Rows.Select(r => r.ByteOffset).ShouldBe([OffsetIn(Encoding.Latin1, sql, "1\t"), OffsetIn(Encoding.Latin1, sql, "2\t"), OffsetIn(Encoding.Latin1, sql, "3\t")]);
        table.StartOffset.ShouldBe(OffsetIn(Encoding.Latin1, sql, "COPY"));
        table.EndOffset.ShouldBe(Encoding.Latin1.GetByteCount(sql));

        // The rows are UTF-8 now: a generated script must say so, not repeat the dump's LATIN1.
        dump.Settings.ShouldBe(["SET client_encoding = 'UTF8';"]);
    }

    [Test]
    public async Task Insert_statements_and_identifiers_are_transcoded_too()
    {
        var sql = "SET client_encoding = 'WIN1252';\nCREATE TABLE public.\"tëst\" (\"nämé\" text, v text);\n" +
                  "INSERT INTO public.\"tëst\" VALUES ('€ “quoted” Œ', E'‰\\\\');\nINSERT INTO public.\"tëst\" VALUES ('ž', NULL);\n";
        var dump = await DumpHarness.ReadAsync(In(Win1252, sql));

        var table = dump.Single();
        table.Name.ShouldBe(new TableName("public", "tëst"));
        table.ColumnNames.ShouldBe(["nämé", "v"]);
        table.Values.ShouldBe([["€ “quoted” Œ", "‰\\"], ["ž", null]]);
        table.Rows[1].ByteOffset.ShouldBe(OffsetIn(Win1252, sql, "('ž"));
        table.Rows[1].Line.ShouldBe(4);
    }

    [Test]
    public async Task The_encoding_changes_exactly_where_each_setting_takes_effect()
    {
        // pg_dumpall and concatenated dumps switch encodings; each region is read in its own. The bytes of "é" differ
        // (LATIN1 E9, UTF-8 C3 A9), and after the \connect the connection's own encoding (taken as UTF-8) is back. (The script
        // connects to the same database twice: the data of two databases would be refused, MultiDatabaseTests.)
        var parts = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("\\connect other\nSET client_encoding = 'UTF8';\nCOPY public.a (v) FROM stdin;\né utf8\n\\.\n"),
            Encoding.Latin1.GetBytes("SET client_encoding = 'LATIN1';\nCOPY public.b (v) FROM stdin;\né latin1\n\\.\n"),
            Win1252.GetBytes("\\encoding WIN1252\nCOPY public.c (v) FROM stdin;\n€ win1252\n\\.\n"),
            Encoding.UTF8.GetBytes("\\connect other\nCOPY public.d (v) FROM stdin;\né after connect\n\\.\n"),
            Encoding.Latin1.GetBytes("SELECT pg_catalog.set_config('client_encoding', 'latin-1', false);\nINSERT INTO public.e VALUES ('é set_config');\n"),
            Encoding.UTF8.GetBytes("SET client_encoding TO unicode;\nCOPY public.f (v) FROM stdin;\né back\n\\.\n"),
        };
        var bytes = parts.SelectMany(p => p).ToArray();
        var dump = await DumpHarness.ReadAsync(bytes);

        dump.Tables.Select(t => t.Values[0][0]).ShouldBe(["é utf8", "é latin1", "€ win1252", "é after connect", "é set_config", "é back"]);
        dump.Encoding.ShouldBe("UTF8");
        var lastRow = dump["public.f"].Rows[0];
        lastRow.ByteOffset.ShouldBe(bytes.Length - Encoding.UTF8.GetByteCount("é back\n\\.\n"));
        lastRow.Line.ShouldBe(bytes.Count(b => b == '\n') - 1);
    }

    [Test]
    public async Task A_byte_the_encoding_does_not_define_is_an_error_at_its_offset_naming_the_encoding()
    {
        // 0x81 has no character in WIN1252 for PostgreSQL ("has no equivalent in encoding UTF8"); .NET would read U+0081.
        var head = Win1252.GetBytes("SET client_encoding = 'WIN1252';\nCOPY public.t (id, v) FROM stdin;\n1\t€€€\n2\tok");
        var bytes = head.Concat(new byte[] { 0x81 }).Concat(Encoding.ASCII.GetBytes("x\n\\.\n")).ToArray();
        var error = await DumpHarness.FailAsync(bytes);

        error.ByteOffset.ShouldBe(head.Length);
        error.Line.ShouldBe(4);
        error.Table.ShouldBe(new TableName("public", "t"));
        error.Reason.ShouldNotBeNull().ShouldContain("character with byte sequence 0x81 in encoding \"WIN1252\" has no equivalent in encoding \"UTF8\"");
    }

    [Test]
    public async Task Errors_after_transcoded_text_still_give_the_original_offset()
    {
        // Every "é" is one byte in the file and two in the text the parser reads: the bad row's offset is the file's.
        var sql = "SET client_encoding = 'LATIN1';\nCOPY public.t (id, v) FROM stdin;\n" + string.Concat(Enumerable.Range(1, 300).Select(i => $"{i}\téééé\n")) + "301\tone\ttoo many\n\\.\n";
        var error = await DumpHarness.FailAsync(In(Encoding.Latin1, sql));

        error.ByteOffset.ShouldBe(OffsetIn(Encoding.Latin1, sql, "301\t"));
        error.Line.ShouldBe(303);
        error.Reason.ShouldNotBeNull().ShouldContain("row 301 has 3 fields");
    }

    [Test]
    public async Task Gbk_trail_bytes_that_look_like_ascii_are_part_of_their_character()
    {
        // In GBK the second byte of 乗 (81 5C) is a backslash and of 亅 (81 7C)... a '|': read byte by byte, the first
        // would escape the tab after it and run the fields together, or end a string literal early in an INSERT.
        var chars = FindGbk(0x5C, 3) + FindGbk(0x60, 1) + FindGbk(0x7C, 1);
        var sql = "SET client_encoding = 'GBK';\nCOPY public.t (id, v) FROM stdin;\n1\t" + chars + "\n2\t" + chars + "\\\\\n\\.\n" +
                  "INSERT INTO public.u VALUES ('" + chars + "', E'" + chars + "\\\\');\n";
        var bytes = In(Gbk, sql);
        bytes.ShouldContain((byte)0x5C);
        var dump = await DumpHarness.ReadAsync(bytes);

        dump["public.t"].Values.ShouldBe([["1", chars], ["2", chars + "\\"]]);
        dump["public.u"].Values.ShouldBe([[chars, chars + "\\"]]);
        dump["public.u"].Rows[0].ByteOffset.ShouldBe(OffsetIn(Gbk, sql, "('"));
    }

    [Test]
    public async Task A_gbk_dump_cut_inside_a_character_is_an_error()
    {
        var head = Gbk.GetBytes("SET client_encoding = 'GBK';\nCOPY public.t (v) FROM stdin;\n中");
        var bytes = head.Concat(new byte[] { 0xD6 }).ToArray(); // the lead byte of 中 without its trail byte
        var error = await DumpHarness.FailAsync(bytes);

        error.ByteOffset.ShouldBe(head.Length);
        error.Reason.ShouldNotBeNull().ShouldContain("ends in the middle of a character");
    }

    [TestCase("'EUC_JP'", "EUC_JP", ".NET's EUC-JP")]
    [TestCase("'SJIS'", "SJIS", "Shift-JIS")]
    [TestCase("'KOI8U'", "KOI8U", "0xAE and 0xBE")]
    [TestCase("'iso-8859-7'", "ISO_8859_7", "0xA1")]
    [TestCase("'LATIN6'", "LATIN6", "no ISO-8859-10 code page")]
    [TestCase("'GB18030'", "GB18030", "PostgreSQL 16")]
    [TestCase("'MULE_INTERNAL'", "MULE_INTERNAL", "no conversion")]
    public async Task Encodings_that_cannot_be_converted_exactly_are_refused_naming_them(string written, string name, string why)
    {
        var sql = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = " + written + ";\nCOPY public.t (a) FROM stdin;\n1\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(6);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "SET client_encoding"));
        error.Reason.ShouldNotBeNull().ShouldContain($"client_encoding is {written}");
        error.Reason.ShouldContain(name);
        error.Reason.ShouldContain(why);
        error.Reason.ShouldContain("--encoding=UTF8");
    }

    [TestCase("'klingon'")]
    [TestCase("DEFAULT")]
    public async Task An_encoding_name_postgresql_does_not_know_is_refused(string written)
    {
        var error = await DumpHarness.FailAsync("SET client_encoding = " + written + ";\nCOPY public.t (a) FROM stdin;\n1\n\\.\n");

        error.Reason.ShouldNotBeNull().ShouldContain("not an encoding PostgreSQL knows");
    }

    [Test]
    public async Task Set_local_client_encoding_is_refused_as_the_reader_does_not_follow_transactions()
    {
        var error = await DumpHarness.FailAsync("BEGIN;\nSET LOCAL client_encoding = 'LATIN1';\nCOPY public.t (a) FROM stdin;\n1\n\\.\nCOMMIT;\n");

        error.Line.ShouldBe(2);
        error.Reason.ShouldNotBeNull().ShouldContain("SET LOCAL");
    }

    [Test]
    public async Task Sql_ascii_passes_bytes_through_as_before()
    {
        var dump = await DumpHarness.ReadAsync("SET client_encoding = 'SQL_ASCII';\nCOPY public.t (a) FROM stdin;\nä\n\\.\n");

        dump.Encoding.ShouldBe("SQL_ASCII");
        dump.Single().Values.ShouldBe([["ä"]]);
        dump.Settings.ShouldBe(["SET client_encoding = 'SQL_ASCII';"]);
    }

    [Test]
    public async Task A_large_latin1_dump_reads_the_same_in_every_mode()
    {
        var rows = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i}\t{(char)(0xA0 + (i % 96))}{new string((char)(0xC0 + (i % 64)), i % 50)}\\t\n"));
        var sql = "SET client_encoding = 'LATIN1';\nCOPY public.t (id, v) FROM stdin;\n" + rows + "\\.\n";
        var dump = await DumpHarness.ReadAsync(In(Encoding.Latin1, sql), modes: DumpHarness.LargeInputModes);

        var table = dump.Single();
        table.RowsRead.ShouldBe(20_000);
        table.Rows[19_999].Text.ShouldBe($"19999\t{(char)(0xA0 + (19_999 % 96))}{new string((char)(0xC0 + (19_999 % 64)), 19_999 % 50)}\\t");
        table.Rows[19_999].ByteOffset.ShouldBe(OffsetIn(Encoding.Latin1, sql, "19999\t"));
    }

    [Test]
    public void Encoding_names_resolve_like_postgresql_with_its_aliases()
    {
        ClientEncoding.Find("iso_8859-1")!.Name.ShouldBe("LATIN1");
        ClientEncoding.Find("Windows-1252")!.Name.ShouldBe("WIN1252");
        ClientEncoding.Find("koi8")!.Name.ShouldBe("KOI8R");
        ClientEncoding.Find("win")!.Name.ShouldBe("WIN1251");
        ClientEncoding.Find("TCVN5712")!.Name.ShouldBe("WIN1258");
        ClientEncoding.Find("win936")!.Name.ShouldBe("GBK");
        ClientEncoding.Find("UNICODE").ShouldBeSameAs(ClientEncoding.Utf8);
        ClientEncoding.Find("latin 1").ShouldNotBeNull(); // PostgreSQL keeps letters and digits only
        ClientEncoding.Find("latin11").ShouldBeNull();
    }

    /// <summary>The first <paramref name="count"/> GBK characters whose second byte is <paramref name="trail"/>.</summary>
    private static string FindGbk(byte trail, int count)
    {
        var found = new StringBuilder();
        for (var lead = 0x81; lead <= 0xFE && found.Length < count; lead++)
        {
            var text = Gbk.GetString([(byte)lead, trail]);
            if (text.Length == 1 && text[0] > 0x80 && text[0] is not (>= '\uE000' and <= '\uF8FF'))
            {
                found.Append(text);
            }
        }

        return found.ToString();
    }
}
