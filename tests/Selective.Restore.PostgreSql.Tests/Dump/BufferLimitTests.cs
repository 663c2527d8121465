using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Plain;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Memory stays bounded for any input (issue 10, point 6): a row, a table's header statement or a single token larger
/// than <see cref="DumpReaderOptions.MaxBufferedBytes"/> is an error naming where it starts, the same in every read
/// mode; statements that are skipped are never held whole, so they may be of any size.
/// </summary>
public sealed class BufferLimitTests
{
    private const int Limit = 1024;
    private const string P = "SET client_encoding = 'UTF8';\n";

    /// <summary>Reads like <see cref="DumpHarness.RunAsync"/>, with a buffering limit.</summary>
    private static Func<byte[], ReadMode, TableFilter, Task<DumpResult>> WithLimit(int limit) => async (dump, mode, filter) =>
    {
        Stream stream = mode.Chunks is null ? new MemoryStream(dump, writable: false) : new TrickleStream(dump, mode.Chunks);
        var result = new DumpResult();
        if (mode.ViaReader)
        {
            using var reader = DumpReader.Open(stream, new DumpReaderOptions { Tables = filter, SourceName = DumpHarness.SourceName, MaxBufferedBytes = limit });
            await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async ? reader.NextTableAsync() : new ValueTask<DumpTable?>(reader.NextTable()));
        }
        else
        {
            using var parser = new PlainDumpParser(stream, DumpHarness.SourceName, filter, mode.BufferSize, maxBuffered: limit);
            await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async
                ? parser.NextTableAsync(async: true, CancellationToken.None)
                : new ValueTask<DumpTable?>(SyncPath.Complete(parser.NextTableAsync(async: false, CancellationToken.None))));
        }

        return result;
    };

    private static async Task<DumpFormatException> FailAsync(string sql, int limit = Limit)
    {
        var result = await DumpHarness.ReadAllModesAsync(DumpHarness.Utf8(sql), modes: DumpHarness.LargeInputModes, run: WithLimit(limit));
        return result.Error.ShouldNotBeNull("the dump was expected to be rejected");
    }

    private static async Task<DumpResult> ReadAsync(string sql, int limit = Limit)
    {
        var result = await DumpHarness.ReadAllModesAsync(DumpHarness.Utf8(sql), modes: DumpHarness.LargeInputModes, run: WithLimit(limit));
        result.Error.ShouldBeNull();
        return result;
    }

    [Test]
    public async Task A_copy_row_longer_than_the_limit_is_an_error_naming_where_it_starts()
    {
        var sql = P + "COPY public.t (id, v) FROM stdin;\n1\t" + new string('a', Limit - 2) + "\n2\t" + new string('b', Limit - 1) + "\n3\tc\n\\.\n";
        var error = await FailAsync(sql);

        error.Reason.ShouldBe($"row 2 is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.Line.ShouldBe(4);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "2\tb"));
        error.Table.ShouldBe(new TableName("public", "t"));
    }

    [Test]
    public async Task A_copy_row_with_escapes_longer_than_the_limit_is_an_error_too()
    {
        var sql = P + "COPY public.t (id, v) FROM stdin;\n1\t" + string.Concat(Enumerable.Repeat("x\\\\", Limit)) + "\n\\.\n";
        var error = await FailAsync(sql);

        error.Reason.ShouldBe($"row 1 is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.Line.ShouldBe(3);
    }

    [Test]
    public async Task A_row_of_exactly_the_limit_is_read()
    {
        var sql = P + "COPY public.t (id, v) FROM stdin;\n1\t" + new string('a', Limit - 2) + "\n\\.\n";
        (await ReadAsync(sql)).Single().RowsRead.ShouldBe(1);
    }

    [Test]
    public async Task An_insert_tuple_longer_than_the_limit_is_an_error()
    {
        var sql = P + "INSERT INTO public.t VALUES (1, 'a');\nINSERT INTO public.t VALUES (2, '" + new string('b', Limit) + "');\n";
        var error = await FailAsync(sql);

        error.Reason.ShouldBe($"row 2 is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.Line.ShouldBe(3);
        error.Table.ShouldBe(new TableName("public", "t"));
    }

    [Test]
    public async Task A_copy_header_longer_than_the_limit_is_an_error()
    {
        var columns = string.Join(", ", Enumerable.Range(1, 300).Select(i => "c" + i));
        var sql = P + $"COPY public.t ({columns}) FROM stdin;\n\\.\n";
        var error = await FailAsync(sql);

        error.Reason.ShouldBe($"the statement is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes) before its data starts");
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "COPY"));
    }

    [Test]
    public async Task A_single_token_longer_than_the_limit_is_an_error_even_in_a_skipped_statement()
    {
        var sql = P + "COMMENT ON TABLE public.t IS '" + new string('x', 3 * Limit) + "';\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        var error = await FailAsync(sql);

        error.Reason.ShouldBe($"a token (a quoted string or name, a dollar-quoted body, or a comment) is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "'xxx"));
    }

    [Test]
    public async Task Skipped_and_kept_statements_of_any_size_are_read_without_holding_them_whole()
    {
        // 400 times the limit: a function body of small tokens, a CREATE TABLE and a SET (kept statements are dropped when too long).
        var body = string.Concat(Enumerable.Repeat("a + 1, ", 60_000));
        var columns = string.Join(",\n", Enumerable.Range(1, 1500).Select(i => $"    c{i} integer"));
        var sql = P + $"SELECT {body} 1;\nCREATE TABLE public.t (\n{columns}\n);\nSET search_path = {string.Join(", ", Enumerable.Repeat("public", 2000))};\n" +
                  "COPY public.t (c1) FROM stdin;\n1\n\\.\n";
        var dump = await ReadAsync(sql);

        dump.Single().Values.ShouldBe([["1"]]);
    }

    [Test]
    public void The_limit_is_validated()
    {
        Should.Throw<InvalidOperationException>(() => DumpReader.Open(new MemoryStream(), new DumpReaderOptions { MaxBufferedBytes = 1023 }))
            .Message.ShouldBe("DumpReaderOptions.MaxBufferedBytes must be between 1024 (1 KiB) and 1073741824 (1 GiB); it is 1023.");
        Should.Throw<InvalidOperationException>(() => DumpReader.Open(new MemoryStream(), new DumpReaderOptions { MaxBufferedBytes = (1 << 30) + 1 }));
        new DumpReaderOptions().MaxBufferedBytes.ShouldBe(256 * 1024 * 1024);
    }

    [Test]
    public async Task A_gzip_bomb_of_one_endless_row_stops_at_the_limit()
    {
        // 64 MiB of one line inflating from about 64 KiB: the reader stops once it holds 1 MiB of it, naming where the row starts.
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(P + "COPY public.t (v) FROM stdin;\n"));
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)'a');
            for (var i = 0; i < 64; i++)
            {
                await gzip.WriteAsync(chunk);
            }
        }

        compressed.Position = 0;
        await using var reader = DumpReader.Open(compressed, new DumpReaderOptions { SourceName = "bomb.sql.gz", MaxBufferedBytes = 1 << 20 });
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));

        error.Message.ShouldBe("bomb.sql.gz: line 3, byte offset 60, table public.t: row 1 is longer than 1048576 bytes (DumpReaderOptions.MaxBufferedBytes)");
    }

    [Test]
    public async Task A_sql_server_row_longer_than_the_limit_is_an_error()
    {
        var script = "SET IDENTITY_INSERT [dbo].[T] ON\nGO\nINSERT [dbo].[T] ([A], [B]) VALUES (1, N'a')\nINSERT [dbo].[T] ([A], [B]) VALUES (2, N'" + new string('b', 2 * Limit) + "')\nGO\n";
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(script)), new DumpReaderOptions { SourceName = "t.sql", MaxBufferedBytes = Limit });
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));

        error.Reason.ShouldBe($"row 2 is longer than {Limit} bytes (DumpReaderOptions.MaxBufferedBytes)");
        error.Line.ShouldBe(3);
        error.Table.ShouldBe(new TableName("dbo", "T"));
    }
}
