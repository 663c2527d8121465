using Selective.Restore.Dump;
using static Selective.Restore.Tests.Dump.SqlServer.SsmsScripts;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// SQL Server data scripts: which statements make tables, how sections are cut, what is skipped. Every case runs in
/// every read mode (reader and parser, sync and async, 1–7 byte reads, 16-byte buffers) with identical results.
/// </summary>
public sealed class ScriptReadingTests
{
    private static readonly TableName Customers = new("dbo", "Customers");
    private static readonly TableName OrderLines = new("sales", "Order]Lines");

    [Test]
    public async Task Reads_an_ssms_script_with_identity_insert_go_lines_and_every_common_value_form()
    {
        var result = await ScriptHarness.ReadAsync(Shop);

        result.Tables.Select(t => t.Name).ShouldBe([Customers, OrderLines]);
        result.Encoding.ShouldBe("UTF8");
        result.StandardConformingStrings.ShouldBeTrue();
        result.TablesSkipped.ShouldBe(0);

        var customers = result.Tables[0];
        customers.Form.ShouldBe(DumpDataForm.Insert);
        customers.ColumnNames.ShouldBe(["Id", "Name", "Balance", "Created", "Photo", "Active"]);
        customers.Columns.Select(c => c.Position).ShouldBe([1, 2, 3, 4, 5, 6]);
        customers.Values.ShouldBe(ShopCustomers);
        customers.RowsRead.ShouldBe(5);
        customers.IsCompleted.ShouldBeTrue();
        customers.StartLine.ShouldBe(Line(Shop, CustomersInsert));
        customers.StartOffset.ShouldBe(Offset(Shop, CustomersInsert));
        customers.EndOffset.ShouldBe(Offset(Shop, "GO\nSET IDENTITY_INSERT [dbo].[Customers] OFF"), "the section ends after the last INSERT's line");
        customers.Rows.Select(r => r.Line).ShouldBe([.. Enumerable.Range(1, 5).Select(i => Line(Shop, CustomersInsert, i))]);
        customers.Rows[0].ByteOffset.ShouldBe(Offset(Shop, "(1, N'Zoë'"));
        customers.Lines[0].ShouldBe("1\tZoë\t1.50\t2026-07-20 18:30:28.3330000\t\\\\x0aff\t1");
        customers.Lines[1].ShouldBe("2\tДмитрий\t\\N\t2026-01-02 03:04:05.0000000\t\\N\t0");
        customers.Lines[4].ShouldBe("5\tmulti\\nline\\ttab \\\\ C:\\\\temp\\\\\t\\N\t2026-07-20 18:30:28.3330000\t\\N\t1");

        var lines = result.Tables[1];
        lines.ColumnNames.ShouldBe(["OrderId", "Line", "Note", "Price", "At"]);
        lines.Values.ShouldBe(ShopOrderLines);
        lines.EndOffset.ShouldBe(Offset(Shop, "GO\nALTER TABLE"));
    }

    [Test]
    public async Task Reads_crlf_line_endings_and_keeps_crlf_inside_strings()
    {
        var script = Shop.ReplaceLineEndings("\r\n");

        var result = await ScriptHarness.ReadAsync(script);

        result.Tables[0].Values[4][1].ShouldBe("multi\r\nline\ttab \\ C:\\temp\\");
        result.Tables[0].Values.Take(4).ShouldBe(ShopCustomers.Take(4));
        result.Tables[1].Values.ShouldBe(ShopOrderLines);
        result.Tables[0].Rows[2].Line.ShouldBe(Line(script, CustomersInsert, 3));
        result.Tables[0].EndOffset.ShouldBe(Offset(script, "GO\r\nSET IDENTITY_INSERT [dbo].[Customers] OFF"));
    }

    [Test]
    public async Task Reads_multi_row_values_with_and_without_semicolons()
    {
        const string Script =
            "SET NOCOUNT ON;\nGO\n" +
            "INSERT INTO [dbo].[T] ([A], [B]) VALUES (1, N'a'), (2, N'b'),\n  (3, NULL);\n" +
            "INSERT INTO [dbo].[T] ([A], [B]) VALUES\n(4, N'd')\n" +
            "INSERT INTO dbo.T (A, B) VALUES (5, 'e');;\n";

        var result = await ScriptHarness.ReadAsync(Script);

        var table = result.Single();
        table.Name.ShouldBe(new TableName("dbo", "T"));
        table.Values.ShouldBe([["1", "a"], ["2", "b"], ["3", null], ["4", "d"], ["5", "e"]]);
        table.Rows.Select(r => r.Line).ShouldBe([3, 3, 4, 6, 7]);
        table.EndOffset.ShouldBe(Script.Length - ";\n".Length, "the section ends after the last INSERT's ';' (the next ';' is an empty statement)");
    }

    [Test]
    public async Task Uses_the_create_table_column_list_for_inserts_without_one_leaving_out_computed_columns_and_constraints()
    {
        const string Script =
            "CREATE TABLE [dbo].[Items](\n" +
            "\t[Id] [int] NOT NULL,\n" +
            "\t[Total] AS ([Price]*[Qty]) PERSISTED,\n" +
            "\t[Price] [decimal](10, 2) NOT NULL CONSTRAINT [DF_Price] DEFAULT ((0)),\n" +
            "\t[Qty] [int] NULL CHECK ([Qty] > (0)),\n" +
            "\t[ValidFrom] [datetime2](7) GENERATED ALWAYS AS ROW START HIDDEN NOT NULL,\n" +
            "\t[ValidTo] [datetime2](7) GENERATED ALWAYS AS ROW END HIDDEN NOT NULL,\n" +
            "\tPERIOD FOR SYSTEM_TIME ([ValidFrom], [ValidTo]),\n" +
            "\tCONSTRAINT [PK_Items] PRIMARY KEY CLUSTERED ([Id] ASC),\n" +
            "\tCONSTRAINT [FK_Items] FOREIGN KEY ([Qty]) REFERENCES [dbo].[Other] ([Id]),\n" +
            "\tUNIQUE NONCLUSTERED ([Price]),\n" +
            "\tINDEX [IX_Items] NONCLUSTERED ([Qty])\n" +
            ") ON [PRIMARY]\nGO\n" +
            "INSERT [dbo].[items] VALUES (1, CAST(9.99 AS Decimal(10, 2)), 3)\n" +
            "INSERT [dbo].[items] VALUES (2, 0, NULL)\n" +
            "GO\n" +
            "INSERT [Unknown] VALUES (1, N'x')\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables.Count.ShouldBe(2);
        result.Tables[0].Name.ShouldBe(new TableName("dbo", "items"), "names keep the INSERT's spelling");
        result.Tables[0].ColumnNames.ShouldBe(["Id", "Price", "Qty"]);
        result.Tables[0].Values.ShouldBe([["1", "9.99", "3"], ["2", "0", null]]);
        result.Tables[1].Name.ShouldBe(new TableName("dbo", "Unknown"), "schema defaults to dbo");
        result.Tables[1].Columns.ShouldBe([new DumpColumn(null, 1), new DumpColumn(null, 2)]);
        result.Tables[1].Values.ShouldBe([["1", "x"]]);
    }

    [Test]
    public async Task Cuts_sections_where_the_table_or_column_list_changes()
    {
        const string Script =
            "INSERT [dbo].[A] ([x]) VALUES (1)\n" +
            "GO\n-- a comment\n/* another\n  /* nested */ */\n" +
            "SET IDENTITY_INSERT [dbo].[A] ON\n" +
            "INSERT [dbo].[A] ([x]) VALUES (2)\n" +
            "INSERT [dbo].[A] ([x], [y]) VALUES (3, 4)\n" +
            "INSERT [dbo].[B] ([x]) VALUES (5)\n" +
            "INSERT [dbo].[A] ([x], [y]) VALUES (6, 7)\n" +
            "SET NOCOUNT ON\n" +
            "INSERT [dbo].[A] ([x], [y]) VALUES (8, 9)\n" +
            "SET IDENTITY_INSERT [dbo].[B] ON\n" +
            "INSERT [dbo].[A] ([x], [y]) VALUES (10, 11)\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables.Select(t => $"{t.Name} {string.Join(",", t.ColumnNames)} {string.Join(" ", t.Rows.Select(r => r.Text.Replace('\t', ':')))}").ShouldBe(
        [
            "dbo.\"A\" x 1 2",
            "dbo.\"A\" x,y 3:4",
            "dbo.\"B\" x 5",
            "dbo.\"A\" x,y 6:7",
            "dbo.\"A\" x,y 8:9",
            "dbo.\"A\" x,y 10:11",
        ]);
        result.Tables[0].EndOffset.ShouldBe(Offset(Script, "INSERT [dbo].[A] ([x], [y]) VALUES (3, 4)"));
    }

    [Test]
    public async Task Reads_names_in_every_quoting_and_qualification()
    {
        const string Script =
            "GO\n" +
            "INSERT INTO [Shop].[dbo].[Order Lines] ([Id]) VALUES (1)\n" +
            "INSERT Shop..Plain (Id) VALUES (2)\n" +
            "INSERT \"Sales\".\"Quo\"\"ted\" (\"Id\") VALUES (3)\n" +
            "INSERT [srv].[Shop].[x]]y].[Br]]acket] ([I]]d]) VALUES (4)\n" +
            "INSERT [Ünï].[Cödé] ([名前]) VALUES (5)\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables.Select(t => t.Name).ShouldBe(
        [
            new TableName("dbo", "Order Lines"),
            new TableName("dbo", "Plain"),
            new TableName("Sales", "Quo\"ted"),
            new TableName("x]y", "Br]acket"),
            new TableName("Ünï", "Cödé"),
        ]);
        result.Tables.Select(t => t.ColumnNames.Single()).ShouldBe(["Id", "Id", "Id", "I]d", "名前"]);
    }

    [Test]
    public async Task Skips_other_statements_while_lexing_through_their_strings_comments_and_brackets()
    {
        const string Script =
            "/****** Object:  StoredProcedure [dbo].[AddT]    Script Date: 7/20/2026 6:30:28 PM ******/\n" +
            "SET ANSI_NULLS ON\nGO\n" +
            "CREATE PROCEDURE [dbo].[AddT] @v int AS\nBEGIN\n  INSERT INTO [dbo].[T] ([A]) VALUES (@v)\n  INSERT [dbo].[T] VALUES (GETDATE())\nEND\nGO\n" +
            "CREATE OR ALTER TRIGGER [dbo].[Trg] ON [dbo].[T] AFTER INSERT AS INSERT INTO [dbo].[Log] VALUES (1)\ngo\n" +
            "CREATE VIEW [dbo].[V] AS SELECT 1 AS [INSERT]\nGO\n" +
            "PRINT N'INSERT [dbo].[T] ([A]) VALUES (''not a row'')'\n" +
            "EXEC dbo.sp_executesql @statement = N'INSERT [dbo].[T] ([A]) VALUES (0)\nGO\n'\n" +
            "GRANT INSERT ON [dbo].[T] TO [app]\nGO\n" +
            "DENY SELECT, INSERT, UPDATE ON [dbo].[T] TO [guest]\n" +
            "GRANT CREATE TABLE TO [builder]\n" +
            "IF NOT EXISTS (SELECT * FROM sys.objects WHERE name = N'X]' AND type in (N'U'))\nBEGIN\n" +
            "CREATE TABLE [dbo].[X]([a] [int] NULL, [b] [nvarchar](10) NULL)\nEND\nGO\n" +
            "CREATE NONCLUSTERED INDEX [IX] ON [dbo].[T] ([A] ASC) INCLUDE ([B]) WITH (ONLINE = OFF) ON [PRIMARY]\n" +
            "ALTER TABLE [dbo].[T]  WITH CHECK ADD  CONSTRAINT [FK_T] FOREIGN KEY([A]) REFERENCES [dbo].[P] ([Id])\n" +
            "ALTER TABLE [dbo].[T] CHECK CONSTRAINT [FK_T]\n" +
            "/* INSERT [dbo].[T] ([A]) VALUES (1) /* nested */ still comment */\n" +
            "-- INSERT [dbo].[T] ([A]) VALUES (1)\n" +
            "DECLARE @s nvarchar(max) = 'it''s ] [ \" /* not a comment'\n" +
            "  GO  -- with a comment\n" +
            "INSERT [dbo].[X] VALUES (7, N'seven')\n" +
            "Go 1\n";

        var result = await ScriptHarness.ReadAsync(Script);

        var table = result.Single();
        table.Name.ShouldBe(new TableName("dbo", "X"));
        table.ColumnNames.ShouldBe(["a", "b"]);
        table.Values.ShouldBe([["7", "seven"]]);
    }

    [Test]
    public async Task Skips_tables_the_filter_leaves_out_after_validating_them()
    {
        var result = await ScriptHarness.ReadAsync(Shop, filter: TableFilter.Create(["\"sales\".*"]));

        result.Single().Name.ShouldBe(OrderLines);
        result.Single().Values.ShouldBe(ShopOrderLines);
        result.TablesSkipped.ShouldBe(1);

        var error = await ScriptHarness.FailAsync(
            "INSERT [dbo].[Skipped] ([a]) VALUES (1)\nINSERT [dbo].[Skipped] ([a]) VALUES (1, 2)\nINSERT [dbo].[Kept] ([a]) VALUES (1)\n",
            filter: TableFilter.Create(["*.\"Kept\""]));
        error.Table.ShouldBe(new TableName("dbo", "Skipped"));
        error.Line.ShouldBe(2);
    }

    [Test]
    public async Task Reads_an_empty_script_and_a_schema_only_script()
    {
        (await ScriptHarness.ReadAsync("GO\n")).Tables.ShouldBeEmpty();
        (await ScriptHarness.ReadAsync(Shop[..Index(Shop, "SET IDENTITY_INSERT")])).Tables.ShouldBeEmpty();
    }

    [Test]
    public async Task Moving_to_the_next_table_skips_the_rest_of_the_current_one()
    {
        await using var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(Shop, ScriptEncoding.Utf16LE)));
        var first = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await first.ReadAsync()).ShouldBeTrue();
        first.Current.GetString(1).ShouldBe("Zoë");

        var second = (await reader.NextTableAsync()).ShouldNotBeNull();
        first.IsCompleted.ShouldBeTrue();
        first.RowsRead.ShouldBe(5);
        second.Name.ShouldBe(OrderLines);
        (await second.SkipAsync()).ShouldBe(2);
        (await reader.NextTableAsync()).ShouldBeNull();
        await Should.ThrowAsync<InvalidOperationException>(async () => await first.CopyRawToAsync(new MemoryStream()));
    }

    [Test]
    public async Task Reads_a_large_script_whose_rows_cross_many_buffer_refills()
    {
        var sb = new System.Text.StringBuilder("USE [Big]\nGO\nSET IDENTITY_INSERT [dbo].[Big] ON\nGO\n");
        for (var i = 0; i < 30_000; i++)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"INSERT [dbo].[Big] ([Id], [Name], [At]) VALUES ({i}, N'name {i} ''q'' 🐘', CAST(N'2026-07-20T18:30:28.333' AS DateTime2))\n");
            if (i % 1000 == 0)
            {
                sb.Append("GO\n");
            }
        }

        var script = sb.ToString();
        foreach (var encoding in new[] { ScriptEncoding.Utf8, ScriptEncoding.Utf16BE })
        {
            await using var reader = DumpReader.Open(new Support.TrickleStream(ScriptHarness.Encode(script, encoding), 4096, 13));
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            var n = 0;
            while (await table.ReadAsync())
            {
                table.Current.GetString(0).ShouldBe(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                table.Current.GetString(1).ShouldBe($"name {n} 'q' 🐘");
                n++;
            }

            n.ShouldBe(30_000);
            table.EndOffset.ShouldBe(System.Text.Encoding.UTF8.GetByteCount(script));
        }
    }

    [Test]
    public async Task Reads_values_larger_than_the_buffer()
    {
        var hex = string.Concat(Enumerable.Range(0, 1_500_000).Select(i => (i % 256).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        var text = new string('é', 700_000) + "''" + new string('x', 300_000);
        var script = $"GO\nINSERT [dbo].[Blob] ([Id], [Data], [Text]) VALUES (1, 0x{hex}, N'{text}')\nINSERT [dbo].[Blob] ([Id], [Data], [Text]) VALUES (2, 0x00, N'small')\n";

        var result = await ScriptHarness.ReadAllModesAsync(ScriptHarness.Encode(script, ScriptEncoding.Utf16LE), modes: Support.DumpHarness.LargeInputModes);

        result.Error.ShouldBeNull();
        var rows = result.Single().Values;
        rows.Length.ShouldBe(2);
        rows[0][1].ShouldBe("\\x" + hex.ToLowerInvariant());
        rows[0][2].ShouldBe(text.Replace("''", "'", StringComparison.Ordinal));
        rows[1].ShouldBe(["2", "\\x00", "small"]);
    }

    [Test]
    public async Task Reads_tokens_that_need_the_next_byte_to_end()
    {
        // Each of these ends a token exactly where a read may stop: the lexer must wait for the next byte.
        const string Script = "GO\nINSERT [dbo].[T] ([a],[b],[c],[d],[e],[f]) VALUES (0,1.,.5,N'x''',0x,1E5)\nGO";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Single().Values.ShouldBe([["0", "1.", ".5", "x'", "\\x", "1E5"]]);
        result.Single().EndOffset.ShouldBe(Script.Length - "GO".Length);
    }
}
