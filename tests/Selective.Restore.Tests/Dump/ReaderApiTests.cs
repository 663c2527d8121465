using System.IO.Compression;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>How callers drive the reader: partial reads, moving on, cancellation, stream ownership.</summary>
public sealed class ReaderApiTests
{
    private const string Mixed =
        "SET client_encoding = 'UTF8';\n" +
        "COPY public.a (id, v) FROM stdin;\n1\tx\n2\ty\n3\tz\n\\.\n" +
        "INSERT INTO public.b VALUES (1, 'p');\nINSERT INTO public.b VALUES (2, 'q'), (3, 'r');\n" +
        "COPY public.c (id) FROM stdin;\n\\.\n" +
        "INSERT INTO public.d VALUES\n\t(1),\n\t(2);\n";

    [Test]
    public async Task Reading_only_the_first_row_of_each_table_gives_the_same_tables_in_every_mode()
    {
        var full = await DumpHarness.ReadAsync(Mixed);
        var dump = DumpHarness.Utf8(Mixed);

        foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
        {
            Stream stream = mode.Chunks is null ? new MemoryStream(dump) : new TrickleStream(dump, mode.Chunks);
            await using var reader = DumpReader.Open(stream);
            var seen = new List<(TableName Name, string? First, DumpTable Table)>();
            while ((mode.Async ? await reader.NextTableAsync() : reader.NextTable()) is { } table)
            {
                var first = (mode.Async ? await table.ReadAsync() : table.Read()) ? table.Current.GetString(1 % Math.Max(1, table.Current.FieldCount)) : null;
                seen.Add((table.Name, first, table));
            }

            seen.Select(s => s.Name).ShouldBe(full.Tables.Select(t => t.Name), $"mode {mode}");
            seen.Select(s => s.First).ShouldBe(["x", "p", null, "1"], $"mode {mode}");
            seen.Select(s => s.Table.RowsRead).ShouldBe(full.Tables.Select(t => t.RowsRead), $"mode {mode}: moving on counts the rows it skips");
            seen.Select(s => s.Table.EndOffset).ShouldBe(full.Tables.Select(t => t.EndOffset), $"mode {mode}");
            seen.ShouldAllBe(s => s.Table.IsCompleted);
            (await seen[0].Table.ReadAsync()).ShouldBeFalse("a finished table has no more rows");
        }
    }

    [Test]
    public async Task Honours_cancellation()
    {
        await using var reader = DumpReader.Open(new TrickleStream(DumpHarness.Utf8(Mixed), 3));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () => await reader.NextTableAsync(cancelled.Token));
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public async Task Disposes_the_stream_unless_asked_to_leave_it_open(bool leaveOpen, bool gzip)
    {
        var bytes = DumpHarness.Utf8(Mixed);
        if (gzip)
        {
            using var compressed = new MemoryStream();
            await using (var writer = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await writer.WriteAsync(bytes);
            }

            bytes = compressed.ToArray();
        }

        var stream = new MemoryStream(bytes);
        await using (var reader = DumpReader.Open(stream, leaveOpen: leaveOpen))
        {
            (await reader.NextTableAsync()).ShouldNotBeNull();
        }

        stream.CanRead.ShouldBe(leaveOpen);
    }

    [Test]
    public void Leaves_the_stream_open_when_rejecting_it_if_asked()
    {
        var stream = new MemoryStream("PGDMP\u0001"u8.ToArray());

        Should.Throw<DumpFormatException>(() => DumpReader.Open(stream, leaveOpen: true));
        stream.CanRead.ShouldBeTrue();
        Should.Throw<DumpFormatException>(() => DumpReader.Open(stream = new MemoryStream("PGDMP\u0001"u8.ToArray())));
        stream.CanRead.ShouldBeFalse();
    }

    [Test]
    public void Rejects_null_options_and_streams()
    {
        Should.Throw<ArgumentNullException>(() => DumpReader.Open((Stream)null!));
        Should.Throw<ArgumentException>(() => DumpReader.Open(string.Empty));
        Should.Throw<InvalidOperationException>(() => DumpReader.Open(new MemoryStream(), new DumpReaderOptions { Tables = null! }));
    }

    [Test]
    public async Task Describes_tables_and_rows()
    {
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(Mixed)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.ReadAsync()).ShouldBeTrue();

        table.ToString().ShouldBe("public.a (Copy, 2 columns)");
        table.Current.ToString().ShouldBe("public.a row at line 3");
        new TableName("Sales", "Order \"Lines\"").ToString().ShouldBe("\"Sales\".\"Order \"\"Lines\"\"\"");
        new TableName("public", "_ok_1").ToString().ShouldBe("public._ok_1");
        new TableName("public", "1st").ToString().ShouldBe("public.\"1st\"");
    }
}
