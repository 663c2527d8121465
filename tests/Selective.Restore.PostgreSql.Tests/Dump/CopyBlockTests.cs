using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>COPY ... FROM stdin blocks: every escape of the text format, terminators, line endings, positions.</summary>
public sealed class CopyBlockTests
{
    private const string Preamble = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";

    private static string Copy(string columns, params string[] rows) =>
        Preamble + $"COPY public.t ({columns}) FROM stdin;\n" + string.Concat(rows.Select(r => r + "\n")) + "\\.\n";

    [TestCase(@"\N", null)]
    [TestCase(@"", "")]
    [TestCase(@"plain text", "plain text")]
    [TestCase(@"back\\slash", @"back\slash")]
    [TestCase(@"tab\there", "tab\there")]
    [TestCase(@"new\nline", "new\nline")]
    [TestCase(@"carriage\rreturn", "carriage\rreturn")]
    [TestCase(@"back\bspace", "back\bspace")]
    [TestCase(@"form\ffeed", "form\ffeed")]
    [TestCase(@"vertical\vtab", "vertical\vtab")]
    [TestCase(@"octal \101\102C", "octal ABC")]
    [TestCase(@"short octal \1x", "short octal \u0001x")]
    [TestCase(@"octal \0411", "octal !1")]
    [TestCase(@"hex \x41\x4a", "hex AJ")]
    [TestCase(@"short hex \x4g", "short hex \u0004g")]
    [TestCase(@"hex \x414", "hex A4")]
    [TestCase(@"no hex \xg", "no hex xg")]
    [TestCase(@"utf8 octal \303\251", "utf8 octal é")]
    [TestCase(@"escaped \N inside", "escaped N inside")]
    [TestCase(@"\\N", @"\N")]
    [TestCase(@"other \q \'", "other q '")]
    [TestCase("emoji 🐘 and ünïcödé", "emoji 🐘 and ünïcödé")]
    public async Task Decodes_every_escape_of_the_text_format(string field, string? expected)
    {
        var dump = await DumpHarness.ReadAsync(Copy("id, v", "1\t" + field));

        var row = dump.Single().Rows.ShouldHaveSingleItem();
        row.Values.ShouldBe(["1", expected]);
        row.Text.ShouldBe("1\t" + field, "the raw COPY line is kept exactly as the dump wrote it");
        row.FieldCount.ShouldBe(2);
    }

    [Test]
    public async Task Null_and_empty_string_are_different()
    {
        var sql = Copy("a, b, c", "\t\\N\t", "\\N\t\t\\N");
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();

        (await table.ReadAsync()).ShouldBeTrue();
        table.Current.IsNull(0).ShouldBeFalse();
        table.Current.IsNull(1).ShouldBeTrue();
        table.Current.IsNull(2).ShouldBeFalse();
        table.Current.GetString(0).ShouldBe(string.Empty);
        table.Current.GetString(1).ShouldBeNull();
        table.Current.GetRawField(1).ToArray().ShouldBe("\\N"u8.ToArray());
        table.Current.GetRawField(2).Length.ShouldBe(0);

        (await table.ReadAsync()).ShouldBeTrue();
        table.Current.ToArray().ShouldBe([null, string.Empty, null]);
        (await table.ReadAsync()).ShouldBeFalse();
    }

    [Test]
    public async Task An_escaped_tab_is_data_not_a_field_separator()
    {
        var dump = await DumpHarness.ReadAsync(Copy("a, b", "x\\\ty\tz", "\\\t\t\\\t"));

        var table = dump.Single();
        table.Values.ShouldBe([["x\ty", "z"], ["\t", "\t"]]);
        table.Rows[0].FieldCount.ShouldBe(2);
    }

    [Test]
    public async Task A_backslash_before_a_newline_continues_the_field_on_the_next_line()
    {
        var sql = Copy("a, b", "1\tfirst\\\nsecond", "2\tafter");
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.Values.ShouldBe([["1", "first\nsecond"], ["2", "after"]]);
        table.Rows[0].Text.ShouldBe("1\tfirst\\\nsecond");
        table.Rows[0].Line.ShouldBe(4);
        table.Rows[1].Line.ShouldBe(6, "the continued row spans two lines");
        table.Rows[1].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "2\tafter"));
    }

    [Test]
    public async Task Reads_a_block_with_CRLF_line_endings()
    {
        var sql = "SET client_encoding = 'UTF8';\r\nCOPY public.t (a, b) FROM stdin;\r\n1\tx\\\\y\r\n2\t\\N\r\n\\.\r\nCOPY public.u (c) FROM stdin;\r\nz\r\n\\.\r\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Tables.Count.ShouldBe(2);
        dump.Tables[0].Values.ShouldBe([["1", "x\\y"], ["2", null]]);
        dump.Tables[0].Lines.ShouldBe(["1\tx\\\\y", "2\t\\N"], "the CR is part of the line end, not of the row");
        dump.Tables[0].Rows[1].Line.ShouldBe(4);
        dump.Tables[0].EndOffset.ShouldBe(Sql.OffsetOf(sql, "COPY public.u"));
        dump.Tables[1].Values.ShouldBe([["z"]]);
    }

    [Test]
    public async Task Terminator_on_the_last_line_without_newline_is_accepted()
    {
        var sql = Preamble + "COPY public.t (a) FROM stdin;\n1\n2\n\\.";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.Values.ShouldBe([["1"], ["2"]]);
        table.IsCompleted.ShouldBeTrue();
        table.EndOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task A_data_line_with_an_escaped_backslash_before_a_dot_is_data()
    {
        // An unescaped backslash-dot inside a line is refused (CopyEndMarkerTests); an escaped backslash before a dot is data.
        var dump = await DumpHarness.ReadAsync(Copy("a", "\\\\.", "x\\\\.", "\\\\.x"));

        dump.Single().Values.ShouldBe([["\\."], ["x\\."], ["\\.x"]]);
    }

    [Test]
    public async Task Reads_zero_column_tables_as_rows_without_fields()
    {
        var sql = Preamble + "COPY public.nocols  FROM stdin;\n\n\n\n\\.\nCOPY public.after (a) FROM stdin;\n1\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump["public.nocols"];
        table.Columns.ShouldBeEmpty();
        table.RowsRead.ShouldBe(3);
        table.Rows.ShouldAllBe(r => r.FieldCount == 0 && r.Values.Length == 0 && r.CopyLine.Length == 0);
        table.Rows.Select(r => r.Line).ShouldBe([4L, 5L, 6L]);
        dump["public.after"].Values.ShouldBe([["1"]]);
    }

    [Test]
    public async Task Reads_an_empty_table()
    {
        var sql = Preamble + "COPY public.t (a, b) FROM stdin;\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var table = dump.Single();
        table.RowsRead.ShouldBe(0);
        table.IsCompleted.ShouldBeTrue();
        table.EndOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task Reports_table_and_row_positions()
    {
        var sql = Preamble + "\n-- comment\nCOPY public.t (a, b) FROM stdin;\n1\tone\n22\ttwo\n\\.\n\nCOPY public.u (c) FROM stdin;\nx\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        var t = dump["public.t"];
        t.Form.ShouldBe(DumpDataForm.Copy);
        t.StartOffset.ShouldBe(Sql.OffsetOf(sql, "COPY public.t"));
        t.StartLine.ShouldBe(5);
        t.Rows[0].Line.ShouldBe(6);
        t.Rows[0].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "1\tone"));
        t.Rows[1].Line.ShouldBe(7);
        t.Rows[1].ByteOffset.ShouldBe(Sql.OffsetOf(sql, "22\ttwo"));
        t.EndOffset.ShouldBe(Sql.OffsetOf(sql, "\nCOPY public.u") );
        t.Columns.ShouldBe([new DumpColumn("a", 1), new DumpColumn("b", 2)]);

        var u = dump["public.u"];
        u.StartLine.ShouldBe(10);
        u.Rows[0].Line.ShouldBe(11);
        u.EndOffset.ShouldBe(Sql.Length(sql));
    }

    [Test]
    public async Task Row_accessors_split_fields_lazily_and_check_ordinals()
    {
        var sql = Copy("a, b, c", "x\\ty\t\\N\tz");
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.ReadAsync()).ShouldBeTrue();
        var row = table.Current;

        row.FieldCount.ShouldBe(3);
        row.GetRawField(0).ToArray().ShouldBe("x\\ty"u8.ToArray());
        row.GetRawField(2).ToArray().ShouldBe("z"u8.ToArray());
        row.GetString(0).ShouldBe("x\ty");
        row.Table.ShouldBe(new TableName("public", "t"));
        Should.Throw<ArgumentOutOfRangeException>(() => row.GetRawField(3));
        Should.Throw<ArgumentOutOfRangeException>(() => row.GetRawField(-1));

        var bytes = new System.Buffers.ArrayBufferWriter<byte>();
        row.TryGetBytes(0, bytes).ShouldBeTrue();
        bytes.WrittenSpan.ToArray().ShouldBe("x\ty"u8.ToArray());
        row.TryGetBytes(1, bytes).ShouldBeFalse();
    }

    [Test]
    public async Task Uses_the_create_table_column_order_when_copy_has_no_column_list()
    {
        var sql = Preamble + "CREATE TABLE public.t (\n    a integer,\n    b text,\n    g integer GENERATED ALWAYS AS ((a * 2)) STORED\n);\nCOPY public.t FROM stdin;\n1\tx\n\\.\n";
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Single().Columns.ShouldBe([new DumpColumn("a", 1), new DumpColumn("b", 2)]);
        dump.Single().Values.ShouldBe([["1", "x"]]);
    }

    [Test]
    public async Task Skipping_unread_rows_still_counts_them()
    {
        var sql = Preamble + "COPY public.t (a) FROM stdin;\n1\n2\n3\n\\.\nCOPY public.u (a) FROM stdin;\n4\n\\.\n";
        foreach (var async in new[] { true, false })
        {
            using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
            var t = (async ? await reader.NextTableAsync() : reader.NextTable()).ShouldNotBeNull();
            (async ? await t.ReadAsync() : t.Read()).ShouldBeTrue();
            (async ? await t.SkipAsync() : t.Skip()).ShouldBe(3);
            t.IsCompleted.ShouldBeTrue();
            t.EndOffset.ShouldBe(Sql.OffsetOf(sql, "COPY public.u"));

            var u = (async ? await reader.NextTableAsync() : reader.NextTable()).ShouldNotBeNull();
            u.Name.Name.ShouldBe("u");
            (async ? await reader.NextTableAsync() : reader.NextTable()).ShouldBeNull();
            u.IsCompleted.ShouldBeTrue("moving on skips the rest of the table");
            u.RowsRead.ShouldBe(1);
            Should.Throw<InvalidOperationException>(() => t.CopyRawTo(Stream.Null));
        }
    }

    [Test]
    public async Task Reads_long_rows_that_exceed_the_buffer()
    {
        var big = new string('x', 300_000) + "\\t" + new string('é', 100_000);
        var sql = Copy("a, b", "1\t" + big, "2\tsmall");
        var dump = await DumpHarness.ReadAsync(sql, modes: DumpHarness.LargeInputModes);

        dump.Single().Values.ShouldBe([["1", new string('x', 300_000) + "\t" + new string('é', 100_000)], ["2", "small"]]);
    }
}
