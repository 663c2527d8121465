using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using Selective.Restore.Diff;
using Selective.Restore.Dump;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// Whole-process probe of the engine-side diff on a real server (issue 12): one dump table held by the
/// <see cref="DumpRowStore"/>, the live table streamed out with <c>COPY ... TO STDOUT</c>, both compared by
/// <see cref="KeyedDiff"/>. Prints each phase's time, CPU and the peak RSS. No writes: this measures the read side
/// that replaces staging every dump row.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/Selective.Restore.Benchmarks -- --live-diff DUMP CONNECTION SCHEMA.TABLE KEYCOLUMN [BUDGET_MB]</remarks>
internal static class LiveDiffProbe
{
    public static async Task<int> RunAsync(string dumpPath, string connectionString, string table, string keyColumn, long budgetMb)
    {
        var clock = Stopwatch.StartNew();
        var options = new DiffOptions { MemoryBudget = budgetMb << 20 };
        await using var reader = DumpReader.Open(dumpPath);
        DumpTable? dump = null;
        while (await reader.NextTableAsync().ConfigureAwait(false) is { } candidate)
        {
            if (string.Equals(candidate.Name.ToString(), table, StringComparison.Ordinal))
            {
                dump = candidate;
                break;
            }
        }

        if (dump is null)
        {
            await Console.Error.WriteLineAsync($"{table} is not in {dumpPath}").ConfigureAwait(false);
            return 1;
        }

        var columns = dump.Columns.Select(c => c.Name ?? throw new InvalidOperationException($"{table} has no column names")).ToList();
        var key = columns.IndexOf(keyColumn);
        using var store = new DumpRowStore([key], options);
        while (await dump.ReadAsync().ConfigureAwait(false))
        {
            store.Add(dump.Current.CopyLine, dump.Current.Line, dump.Current.ByteOffset);
        }

        var stored = clock.Elapsed;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using (var set = new NpgsqlCommand("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO'; SET extra_float_digits = 3; SET IntervalStyle = 'postgres'", connection))
        {
            await set.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var quoted = string.Join(", ", columns.Select(c => "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        var sink = new CountingSink();
        DiffCounts counts;
        using (var export = await connection.BeginTextExportAsync($"COPY {dump.Name} ({quoted}) TO STDOUT").ConfigureAwait(false))
        {
            counts = await KeyedDiff.RunAsync(store, new CopyLineReader(new TextReaderStream(export)), new RowLayout([key], [key]), sink, async: true, CancellationToken.None).ConfigureAwait(false);
        }

        var total = clock.Elapsed;
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{table}: dump {counts.DumpRows:N0}, live {counts.LiveRows:N0}; identical {counts.Identical:N0}, candidates {counts.Candidates:N0}, missing {counts.Missing:N0}, live-only {counts.LiveOnly:N0}; " +
            $"spilled {counts.Spilled} ({counts.SpillBytes / 1048576.0:N0} MB); store {stored.TotalSeconds:N2} s, live diff {(total - stored).TotalSeconds:N2} s, total {total.TotalSeconds:N2} s; " +
            $"CPU {process.TotalProcessorTime.TotalSeconds:N2} s; peak RSS {process.PeakWorkingSet64 / 1048576.0:N0} MB"));
        return 0;
    }

    private sealed class CountingSink : IDiffSink
    {
        public long Bytes { get; private set; }

        public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset) => Bytes += dumpLine.Length;

        public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) => Bytes += dumpLine.Length;
    }

    /// <summary>Npgsql gives a text COPY only as a TextReader: this turns it back into UTF-8 bytes, a buffer at a time.</summary>
    private sealed class TextReaderStream(TextReader reader) : Stream
    {
        private readonly char[] _chars = new char[32 * 1024];
        private readonly Encoder _encoder = new UTF8Encoding(false, true).GetEncoder();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // At most a quarter of the buffer in chars: each char is at most 3 UTF-8 bytes (a surrogate pair 4 for 2).
            var read = await reader.ReadAsync(_chars.AsMemory(0, Math.Min(_chars.Length, buffer.Length / 4)), cancellationToken).ConfigureAwait(false);
            return read == 0 ? _encoder.GetBytes([], buffer.Span, flush: true) : _encoder.GetBytes(_chars.AsSpan(0, read), buffer.Span, flush: false);
        }

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
