using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.SqlServer;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.SqlServer.SsmsScripts;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>UTF-8 with and without BOM, UTF-16 LE and BE with BOM: same rows; offsets are those of the stream the parser reads.</summary>
public sealed class ScriptEncodingTests
{
    [TestCase(ScriptEncoding.Utf8)]
    [TestCase(ScriptEncoding.Utf8Bom)]
    [TestCase(ScriptEncoding.Utf16LE)]
    [TestCase(ScriptEncoding.Utf16BE)]
    public async Task Reads_the_same_rows_in_every_encoding(ScriptEncoding encoding)
    {
        var result = await ScriptHarness.ReadAsync(Shop, encoding);

        result.Encoding.ShouldBe(ScriptHarness.EncodingName(encoding));
        result.Tables[0].Values.ShouldBe(ShopCustomers);
        result.Tables[1].Values.ShouldBe(ShopOrderLines);
        result.Tables[0].Rows.Select(r => r.Line).ShouldBe([.. Enumerable.Range(1, 5).Select(i => Line(Shop, CustomersInsert, i))], "line numbers are true line numbers");

        // UTF-8 offsets are file offsets (a BOM counts); UTF-16 offsets are offsets in the UTF-8 transcoding (no BOM).
        var shift = encoding == ScriptEncoding.Utf8Bom ? 3 : 0;
        result.Tables[0].StartOffset.ShouldBe(Offset(Shop, CustomersInsert) + shift);
        result.Tables[0].Rows[2].ByteOffset.ShouldBe(Offset(Shop, "(3, N'美咲") + shift);
    }

    [Test]
    public async Task Utf16_renders_exactly_like_utf8_but_for_the_encoding_name()
    {
        var utf8 = (await ScriptHarness.ReadAsync(Shop)).Render();

        (await ScriptHarness.ReadAsync(Shop, ScriptEncoding.Utf16LE)).Render().ShouldBe(utf8.Replace("encoding=UTF8", "encoding=UTF16LE", StringComparison.Ordinal));
        (await ScriptHarness.ReadAsync(Shop.ReplaceLineEndings("\r\n"), ScriptEncoding.Utf16BE)).Render()
            .ShouldBe((await ScriptHarness.ReadAsync(Shop.ReplaceLineEndings("\r\n"))).Render().Replace("encoding=UTF8", "encoding=UTF16BE", StringComparison.Ordinal));
    }

    [Test]
    public async Task Reads_surrogate_pairs_split_across_every_read_boundary()
    {
        var script = "GO\nINSERT [dbo].[E] ([V]) VALUES (N'🐘🎉𝄞'), (N'a🐘b'), (N'" + string.Concat(Enumerable.Repeat("😀x", 40)) + "')\n";

        foreach (var encoding in new[] { ScriptEncoding.Utf16LE, ScriptEncoding.Utf16BE })
        {
            // The harness reads with 1..7 byte chunks: every pair is split at every position somewhere.
            var result = await ScriptHarness.ReadAsync(script, encoding);

            result.Single().Values.ShouldBe([["🐘🎉𝄞"], ["a🐘b"], [string.Concat(Enumerable.Repeat("😀x", 40))]]);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Transcodes_utf16_to_utf8_whatever_the_read_sizes(bool bigEndian)
    {
        var text = string.Concat(Enumerable.Range(0, 3000).Select(i => i % 7 == 0 ? "🐘" : i % 5 == 0 ? "Ж" : i % 3 == 0 ? "\n" : "a"));
        var encoding = bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode;
        foreach (var chunks in new[] { new[] { 1 }, [1, 2, 3, 4, 5, 6, 7], [3], [65536] })
        {
            using var stream = new Utf16ToUtf8Stream(new TrickleStream(encoding.GetBytes(text), chunks), bigEndian, startOffset: 0);
            using var output = new MemoryStream();
            var buffer = new byte[5];
            int n;
            while ((n = stream.Read(buffer, 0, chunks[0] == 3 ? 5 : buffer.Length)) > 0)
            {
                output.Write(buffer, 0, n);
            }

            output.ToArray().ShouldBe(Encoding.UTF8.GetBytes(text), $"chunks {string.Join(",", chunks)}");
        }
    }

    [Test]
    public async Task Rejects_an_unpaired_surrogate_at_its_line()
    {
        var script = "USE [db]\nGO\nINSERT [dbo].[T] ([A]) VALUES (N'ok')\nINSERT [dbo].[T] ([A]) VALUES (N'x\uD83Dy')\n";
        var bytes = ScriptHarness.Encode(script, ScriptEncoding.Utf16LE);

        var error = await ScriptHarness.FailAsync(bytes);

        error.Line.ShouldBe(4);
        error.ByteOffset.ShouldBe(Offset(script, "\uD83D"), "the offset of the bad spot in the UTF-8 stream");
        error.Table.ShouldBe(new TableName("dbo", "T"));
        error.Reason.ShouldBe($"invalid UTF-16: unpaired surrogate U+D83D (UTF-16 byte offset {2 + (2 * Index(script, "\uD83D"))})");

        var result = await ScriptHarness.ReadAllModesAsync(bytes);
        result.Single().Values.ShouldBe([["ok"]], "rows before the bad spot are read, the bad one is not returned");
    }

    [Test]
    public async Task Rejects_a_lone_low_surrogate_and_an_odd_byte_count()
    {
        var lowSurrogate = await ScriptHarness.FailAsync(ScriptHarness.Encode("GO\n\uDC00", ScriptEncoding.Utf16BE));
        lowSurrogate.Reason.ShouldBe("invalid UTF-16: unpaired surrogate U+DC00 (UTF-16 byte offset 8)");
        lowSurrogate.Line.ShouldBe(2);
        lowSurrogate.ByteOffset.ShouldBe(3);

        byte[] odd = [.. ScriptHarness.Encode("GO\nGO\n", ScriptEncoding.Utf16LE), 0x41];
        var oddError = await ScriptHarness.FailAsync(odd);
        oddError.Reason.ShouldBe("invalid UTF-16: the file ends in the middle of a character (odd byte count; UTF-16 byte offset 14)");
        oddError.Line.ShouldBe(3);

        var highAtEnd = await ScriptHarness.FailAsync(ScriptHarness.Encode("GO\n\uD83D", ScriptEncoding.Utf16LE));
        highAtEnd.Reason.ShouldBe("invalid UTF-16: the file ends after an unpaired high surrogate U+D83D (UTF-16 byte offset 8)");
    }

    [Test]
    public async Task Utf16_byte_order_marks_select_the_sql_server_reader_even_without_tsql_markers()
    {
        foreach (var encoding in new[] { Encoding.Unicode, Encoding.BigEndianUnicode })
        {
            byte[] bytes = [.. encoding.GetPreamble(), .. encoding.GetBytes("INSERT t VALUES (1)")];
            await using var reader = DumpReader.Open(new MemoryStream(bytes));

            reader.Format.ShouldBe(DumpFormat.SqlServerScript);
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            table.Name.ShouldBe(new TableName("dbo", "t"));
            (await table.ReadAsync()).ShouldBeTrue();
            table.Current.GetString(0).ShouldBe("1");
        }
    }
}
