using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.SqlServer.SsmsScripts;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary><see cref="DumpTable.CopyRawToAsync"/> on a SQL Server script: the section's statements byte for byte, as UTF-8.</summary>
public sealed class ScriptCopyRawTests
{
    private static async Task<List<(TableName Name, string Raw, long Start, long End, long Rows)>> CopyAllRawAsync(byte[] script, ReadMode mode, TableFilter filter)
    {
        var results = new List<(TableName, string, long, long, long)>();
        Stream Open(byte[] bytes) => mode.Chunks is null ? new MemoryStream(bytes) : new TrickleStream(bytes, mode.Chunks);
        using var parser = mode.ViaReader ? null : ScriptHarness.CreateParser(script, Open, filter, mode.BufferSize);
        using var reader = mode.ViaReader ? DumpReader.Open(Open(script), new DumpReaderOptions { Tables = filter }) : null;
        while (true)
        {
            var table = reader is not null
                ? mode.Async ? await reader.NextTableAsync() : reader.NextTable()
                : mode.Async ? await parser!.NextTableAsync(async: true, CancellationToken.None) : SyncPath.Complete(parser!.NextTableAsync(async: false, CancellationToken.None));
            if (table is null)
            {
                return results;
            }

            using var output = new MemoryStream();
            var rows = mode.Async ? await table.CopyRawToAsync(output) : table.CopyRawTo(output);
            rows.ShouldBe(table.RowsRead);
            table.IsCompleted.ShouldBeTrue();
            results.Add((table.Name, Encoding.UTF8.GetString(output.ToArray()), table.StartOffset, table.EndOffset, rows));
        }
    }

    private const string Mixed =
        "USE [db]\nGO\n" +
        "SET IDENTITY_INSERT [dbo].[A] ON \nGO\n" +
        "INSERT [dbo].[A] ([id], [v]) VALUES (1, N'x\ty')\nGO\n" +
        "INSERT [dbo].[A] ([id], [v]) VALUES (2, N'multi\nline')   \n-- between\n" +
        "SET IDENTITY_INSERT [dbo].[A] OFF\nSET IDENTITY_INSERT [dbo].[A] ON\n" +
        "INSERT [dbo].[A] ([id], [v]) VALUES (3, NULL);\n" +
        "SET IDENTITY_INSERT [dbo].[A] OFF\nGO\n" +
        "INSERT INTO [dbo].[B] ([id]) VALUES\n\t(1),\n\t(2);\nINSERT INTO [dbo].[B] ([id]) VALUES\n\t(3);\r\n" +
        "INSERT [dbo].[C] ([id]) VALUES (1) -- trailing comment\n" +
        "INSERT [dbo].[D] ([v]) VALUES (N'Zoë 🐘')\r\n" +
        "CREATE TABLE [dbo].[E]([id] [int] NULL)\nGO\n" +
        "INSERT [dbo].[E] VALUES (1)";

    [Test]
    public async Task Copies_every_section_byte_for_byte_in_every_read_mode_and_encoding()
    {
        foreach (var encoding in ScriptHarness.AllEncodings)
        {
            var script = ScriptHarness.Encode(Mixed, encoding);
            var shift = encoding == ScriptEncoding.Utf8Bom ? 3 : 0;
            foreach (var mode in DumpHarness.Modes)
            {
                var sections = await CopyAllRawAsync(script, mode, TableFilter.All);

                sections.Select(s => s.Name.Name).ShouldBe(["A", "B", "C", "D", "E"], $"mode {mode} {encoding}");
                sections.Select(s => s.Rows).ShouldBe([3L, 3L, 1L, 1L, 1L]);
                sections.Select(s => s.Raw).ShouldBe(
                [
                    "INSERT [dbo].[A] ([id], [v]) VALUES (1, N'x\ty')\nGO\nINSERT [dbo].[A] ([id], [v]) VALUES (2, N'multi\nline')   \n-- between\n" +
                    "SET IDENTITY_INSERT [dbo].[A] OFF\nSET IDENTITY_INSERT [dbo].[A] ON\nINSERT [dbo].[A] ([id], [v]) VALUES (3, NULL);\n",
                    "INSERT INTO [dbo].[B] ([id]) VALUES\n\t(1),\n\t(2);\nINSERT INTO [dbo].[B] ([id]) VALUES\n\t(3);\r\n",
                    "INSERT [dbo].[C] ([id]) VALUES (1)",
                    "INSERT [dbo].[D] ([v]) VALUES (N'Zoë 🐘')\r\n",
                    "INSERT [dbo].[E] VALUES (1)",
                ], $"mode {mode} {encoding}");
                foreach (var (name, raw, start, end, _) in sections)
                {
                    start.ShouldBe(Offset(Mixed, raw) + shift, $"{name}");
                    end.ShouldBe(start + Encoding.UTF8.GetByteCount(raw), $"{name}");
                }
            }
        }
    }

    [Test]
    public async Task Copies_the_selected_tables_after_skipped_ones()
    {
        var script = ScriptHarness.Encode(Mixed, ScriptEncoding.Utf8);
        foreach (var mode in DumpHarness.Modes)
        {
            var sections = await CopyAllRawAsync(script, mode, TableFilter.Create(["*.\"B\"", "*.\"E\""]));

            sections.Select(s => s.Name.Name).ShouldBe(["B", "E"], $"mode {mode}");
            sections[0].Raw.ShouldStartWith("INSERT INTO [dbo].[B]");
        }
    }

    [Test]
    public async Task Copies_a_section_larger_than_the_buffer()
    {
        var rows = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"INSERT [dbo].[Big] ([id], [v]) VALUES ({i}, N'value {i} ünï')\nGO\n"));
        var script = "USE [x]\nGO\n" + rows + "INSERT [dbo].[After] ([id]) VALUES (1)\n";
        foreach (var mode in DumpHarness.LargeInputModes)
        {
            var sections = await ScriptCopyAllAsync(ScriptHarness.Encode(script, ScriptEncoding.Utf16LE), mode);

            sections.Select(s => s.Rows).ShouldBe([20_000L, 1L]);
            sections[0].Raw.ShouldBe(rows[..^"GO\n".Length]);
        }
    }

    private static Task<List<(TableName Name, string Raw, long Start, long End, long Rows)>> ScriptCopyAllAsync(byte[] script, ReadMode mode) =>
        CopyAllRawAsync(script, mode, TableFilter.All);

    [Test]
    public async Task Must_be_called_before_reading_rows_and_validates_what_it_copies()
    {
        await using (var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(Shop, ScriptEncoding.Utf8))))
        {
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            (await table.ReadAsync()).ShouldBeTrue();

            await Should.ThrowAsync<InvalidOperationException>(async () => await table.CopyRawToAsync(new MemoryStream()));
        }

        var bad = "GO\nINSERT [dbo].[T] ([A]) VALUES (1)\nINSERT [dbo].[T] ([A]) VALUES (2, 3)\n";
        await using (var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(bad, ScriptEncoding.Utf8))))
        {
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();

            var error = await Should.ThrowAsync<DumpFormatException>(async () => await table.CopyRawToAsync(new MemoryStream()));
            error.Line.ShouldBe(3);
            error.ByteOffset.ShouldBe(Offset(bad, "(2, 3)"));
        }
    }
}
