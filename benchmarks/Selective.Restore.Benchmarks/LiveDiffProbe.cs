using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.PostgreSql;
using Selective.Restore.Providers;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// Whole-process probe of the engine-side diff on a real server (issue 12): one dump table held by the
/// <see cref="DumpRowStore"/>, the live table streamed out with <c>COPY ... TO STDOUT</c>, both compared by
/// <see cref="KeyedDiff"/>. Prints each phase's time, CPU and the peak RSS. No writes: this measures the read side
/// that replaces staging every dump row.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/Selective.Restore.Benchmarks -- --live-diff DUMP CONNECTION|LIVE_COPY_FILE SCHEMA.TABLE KEYCOLUMN [BUDGET_MB]: what apply does (the in-step walk), or the hash join with SR_PROBE_HASH_JOIN=1.</remarks>
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
        if (File.Exists(connectionString))
        {
            // A file of the live table's COPY text instead of a server: the diff's own CPU, without the server's export.
            await StoreAsync(dump, store).ConfigureAwait(false);
            var storedAt = clock.Elapsed;
            var cpuAt = Cpu();
            await using var file = File.OpenRead(connectionString);
            var result = await KeyedDiff.RunAsync(store, new CopyLineReader(file), new RowLayout([key], [key]), new CountingSink(), async: true, CancellationToken.None).ConfigureAwait(false);
            using var self = Process.GetCurrentProcess();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{table} from a file: identical {result.Identical:N0}, candidates {result.Candidates:N0}, missing {result.Missing:N0}; spilled {result.SpillBytes / 1048576.0:N0} MB; " +
                $"store {storedAt.TotalSeconds:N2} s ({cpuAt.TotalSeconds:N2} s CPU), live {result.LiveTime.TotalSeconds:N2} s, join {result.JoinTime.TotalSeconds:N2} s; CPU {self.TotalProcessorTime.TotalSeconds:N2} s; peak RSS {self.PeakWorkingSet64 / 1048576.0:N0} MB"));
            return 0;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using (var set = new NpgsqlCommand(PostgreSqlLiveRows.OutputSettings, connection))
        {
            await set.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        // The dump first, then the live side (as apply does: the dump rows are staged before the table's transaction).
        var layout = new RowLayout([key], [key]);
        var sink = new CountingSink();
        DiffCounts counts;
        TimeSpan stored;
        TimeSpan storeCpu;
        if (Environment.GetEnvironmentVariable("SR_PROBE_HASH_JOIN") != "1")
        {
            // What apply does for a keyed table: the dump rows in order, then walked in step with the live rows.
            using var sequence = new DumpSequence([key], options);
            while (await dump.ReadAsync().ConfigureAwait(false))
            {
                sequence.Add(dump.Current.CopyLine, dump.Current.Line, sequence.RowsAdded + 1);
            }

            var read = clock.Elapsed;
            sequence.Complete();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dump read in {read.TotalSeconds:N2} s, keys twice looked for in {(clock.Elapsed - read).TotalSeconds:N2} s"));
            stored = clock.Elapsed;
            storeCpu = Cpu();
            var export = await PostgreSqlLiveRows.OpenAsync(connection, dump.Name, columns).ConfigureAwait(false);
            await using (export.ConfigureAwait(false))
            {
                counts = await OrderedDiff.RunAsync(sequence, new CopyLineReader(export), layout, sink, async: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        else
        {
            await StoreAsync(dump, store).ConfigureAwait(false);
            stored = clock.Elapsed;
            storeCpu = Cpu();
            var export = await PostgreSqlLiveRows.OpenAsync(connection, dump.Name, columns).ConfigureAwait(false);
            await using (export.ConfigureAwait(false))
            {
                counts = await KeyedDiff.RunAsync(store, new CopyLineReader(export), layout, sink, async: true, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var total = clock.Elapsed;
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{table}: dump {counts.DumpRows:N0}, live {counts.LiveRows:N0}; identical {counts.Identical:N0}, candidates {counts.Candidates:N0}, missing {counts.Missing:N0}, live-only {counts.LiveOnly:N0}; " +
            $"spilled {counts.Spilled} ({counts.SpillBytes / 1048576.0:N0} MB); store {stored.TotalSeconds:N2} s ({storeCpu.TotalSeconds:N2} s CPU so far), then {(total - stored).TotalSeconds:N2} s (live {counts.LiveTime.TotalSeconds:N2} s, join {counts.JoinTime.TotalSeconds:N2} s), total {total.TotalSeconds:N2} s; " +
            $"CPU {process.TotalProcessorTime.TotalSeconds:N2} s; peak RSS {process.PeakWorkingSet64 / 1048576.0:N0} MB"));
        return 0;
    }

    private static TimeSpan Cpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static async Task StoreAsync(DumpTable dump, DumpRowStore store)
    {
        while (await dump.ReadAsync().ConfigureAwait(false))
        {
            store.Add(dump.Current.CopyLine, dump.Current.Line, dump.Current.ByteOffset);
        }
    }

    private sealed class CountingSink : IDiffSink
    {
        public long Bytes { get; private set; }

        public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset) => Bytes += dumpLine.Length;

        public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) => Bytes += dumpLine.Length;

        public void LiveOnly(ReadOnlySpan<byte> liveLine) => Bytes += liveLine.Length;
    }
}
