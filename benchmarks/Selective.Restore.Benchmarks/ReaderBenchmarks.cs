using BenchmarkDotNet.Attributes;
using Selective.Restore.Dump;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// The reader's three access paths over a whole in-memory dump per operation: counting rows (inspect),
/// materializing rows and decoding one field, and copying table sections byte for byte (split).
/// Subclasses pick the dump (COPY form or INSERT form).
/// </summary>
public abstract class ReaderBenchmarks
{
    private byte[] _dump = [];

    /// <summary>The dump style this class reads.</summary>
    protected abstract DumpStyle Style { get; }

    /// <summary>Generates (or reuses) the dump.</summary>
    [GlobalSetup]
    public void Setup() => _dump = Corpus.Get(Style);

    /// <summary>Reference point: one vectorized pass over the bytes (count newlines), the floor for any line-based reader.</summary>
    [Benchmark(Baseline = true)]
    public int CountNewlines() => _dump.AsSpan().Count((byte)'\n');

    /// <summary>The inspect command's path: <see cref="DumpInspector.InspectAsync(DumpReader, CancellationToken)"/> (skips and validates every row).</summary>
    [Benchmark]
    public async Task<long> InspectAsync()
    {
        var reader = Open();
        await using (reader.ConfigureAwait(false))
        {
            var inventory = await DumpInspector.InspectAsync(reader).ConfigureAwait(false);
            return inventory.TotalRows;
        }
    }

    /// <summary>Counting rows with the synchronous API (<see cref="DumpTable.Skip"/>).</summary>
    [Benchmark]
    public long Skip()
    {
        using var reader = Open();
        long rows = 0;
        while (reader.NextTable() is { } table)
        {
            rows += table.Skip();
        }

        return rows;
    }

    /// <summary>Every row materialized (<see cref="DumpTable.Read"/>), only its raw COPY line touched.</summary>
    [Benchmark]
    public long ReadRows()
    {
        using var reader = Open();
        long bytes = 0;
        while (reader.NextTable() is { } table)
        {
            while (table.Read())
            {
                bytes += table.Current.CopyLine.Length;
            }
        }

        return bytes;
    }

    /// <summary>Every row materialized and its second field decoded with <see cref="DumpRow.GetString"/> (splits the line into fields).</summary>
    [Benchmark]
    public long ReadRowsGetString()
    {
        using var reader = Open();
        long chars = 0;
        while (reader.NextTable() is { } table)
        {
            var field = Math.Min(1, table.Columns.Count - 1);
            while (table.Read())
            {
                chars += table.Current.GetString(field)?.Length ?? 0;
            }
        }

        return chars;
    }

    /// <summary>As <see cref="ReadRowsGetString"/> through the async API (<see cref="DumpTable.ReadAsync"/>).</summary>
    [Benchmark]
    public async Task<long> ReadRowsGetStringAsync()
    {
        var reader = Open();
        await using (reader.ConfigureAwait(false))
        {
            long chars = 0;
            while (await reader.NextTableAsync().ConfigureAwait(false) is { } table)
            {
                var field = Math.Min(1, table.Columns.Count - 1);
                while (await table.ReadAsync().ConfigureAwait(false))
                {
                    chars += table.Current.GetString(field)?.Length ?? 0;
                }
            }

            return chars;
        }
    }

    /// <summary>The split command's path: <see cref="DumpTable.CopyRawToAsync"/> of every table to <see cref="Stream.Null"/>.</summary>
    [Benchmark]
    public async Task<long> CopyRawToNullAsync()
    {
        var reader = Open();
        await using (reader.ConfigureAwait(false))
        {
            long rows = 0;
            while (await reader.NextTableAsync().ConfigureAwait(false) is { } table)
            {
                rows += await table.CopyRawToAsync(Stream.Null).ConfigureAwait(false);
            }

            return rows;
        }
    }

    /// <summary>As <see cref="CopyRawToNullAsync"/> with the synchronous API.</summary>
    [Benchmark]
    public long CopyRawToNull()
    {
        using var reader = Open();
        long rows = 0;
        while (reader.NextTable() is { } table)
        {
            rows += table.CopyRawTo(Stream.Null);
        }

        return rows;
    }

    private DumpReader Open() => DumpReader.Open(new MemoryStream(_dump, writable: false));
}

/// <summary>The reader over a ~64 MB COPY-form dump (pg_dump's default output).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Corpus(DumpStyle.Copy)]
public class CopyDumpBenchmarks : ReaderBenchmarks
{
    /// <inheritdoc />
    protected override DumpStyle Style => DumpStyle.Copy;
}

/// <summary>The reader over a ~32 MB <c>pg_dump --inserts</c> dump (one INSERT statement per row: the SQL lexer path).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Corpus(DumpStyle.Inserts)]
public class InsertDumpBenchmarks : ReaderBenchmarks
{
    /// <inheritdoc />
    protected override DumpStyle Style => DumpStyle.Inserts;
}
