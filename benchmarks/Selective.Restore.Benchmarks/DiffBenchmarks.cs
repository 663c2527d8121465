using System.Text;
using BenchmarkDotNet.Attributes;
using Selective.Restore.Diff;
using Selective.Restore.Providers;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// The engine-side diff's inner loop (issue 12): 1M dump rows against 1M live rows in pgbench_accounts' shape (1% of
/// the dump's rows missing live, 0.1% edited), all in memory and through spill partitions. Rows per second is the
/// figure to compare with the server streaming the live table out.
/// </summary>
[MemoryDiagnoser]
public class DiffBenchmarks
{
    private const int Rows = 1_000_000;

    private readonly List<byte[]> _dump = [];
    private byte[] _live = [];

    /// <summary>In memory (a 1 GiB budget) or spilled (a 16 MiB budget: 64 partitions on disk).</summary>
    [Params(false, true)]
    public bool Spill { get; set; }

    /// <summary>Builds both sides once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var live = new StringBuilder();
        for (var i = 1; i <= Rows; i++)
        {
            var line = $"{i}\t{(i % 10) + 1}\t{i % 7919 * 3}\t{new string(' ', 84)}";
            _dump.Add(Encoding.UTF8.GetBytes(line));
            if (i % 100 == 0)
            {
                continue; // missing live
            }

            live.Append(i % 1000 == 1 ? line.Replace("\t", "\t-", StringComparison.Ordinal) : line).Append('\n');
        }

        _live = Encoding.UTF8.GetBytes(live.ToString());
    }

    /// <summary>Stores the dump side, then streams the live side through the diff.</summary>
    [Benchmark]
    public async Task<long> DiffAsync()
    {
        var options = new DiffOptions { MemoryBudget = Spill ? 16L << 20 : 1L << 30 };
        using var store = new DumpRowStore([0], options);
        for (var i = 0; i < _dump.Count; i++)
        {
            store.Add(_dump[i], i + 1, 0);
        }

        var counts = await KeyedDiff.RunAsync(store, new CopyLineReader(new MemoryStream(_live)), new RowLayout([0], [0]), NullSink.Instance, async: true, CancellationToken.None).ConfigureAwait(false);
        return counts.Identical;
    }

    private sealed class NullSink : IDiffSink
    {
        public static readonly NullSink Instance = new();

        public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset)
        {
        }

        public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine)
        {
        }

        public void LiveOnly(ReadOnlySpan<byte> liveLine)
        {
        }
    }
}
