using Selective.Restore.Providers;
namespace Selective.Restore.Diff;

/// <summary>Where the diff sends the rows that differ: only these travel on (to the database, or to a policy).</summary>
internal interface IDiffSink
{
    /// <summary>A dump row whose key is not live.</summary>
    void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset);

    /// <summary>
    /// A dump row whose key is live with other text: a conflict, or the same values printed differently; the database's
    /// typed comparison decides.
    /// </summary>
    void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine);

    /// <summary>
    /// A live row of a table without a key (a multiset) that no dump row matched by its text: it may still be a dump
    /// row printed differently, which the database's typed comparison pairs. Keyed tables never call it.
    /// </summary>
    void LiveOnly(ReadOnlySpan<byte> liveLine);
}

/// <summary>Which fields of a dump row and of a live row hold the same columns (key and compared values).</summary>
/// <param name="DumpKey">Key fields in dump rows.</param>
/// <param name="LiveKey">The same key fields in live rows.</param>
/// <param name="DumpCompared">Fields compared, in dump rows; null: the whole line (the live rows have the dump's columns in the dump's order).</param>
/// <param name="LiveCompared">The same fields in live rows; null with <paramref name="DumpCompared"/>.</param>
internal sealed record RowLayout(IReadOnlyList<int> DumpKey, IReadOnlyList<int> LiveKey, IReadOnlyList<int>? DumpCompared = null, IReadOnlyList<int>? LiveCompared = null);

/// <summary>What the diff counted.</summary>
/// <param name="DumpRows">Distinct dump rows with a key (repeats and NULL keys not counted).</param>
/// <param name="Identical">Dump rows whose key is live with the same text.</param>
/// <param name="Candidates">Dump rows whose key is live with other text (sent to <see cref="IDiffSink.Candidate"/>).</param>
/// <param name="Missing">Dump rows whose key is not live (sent to <see cref="IDiffSink.Missing"/>).</param>
/// <param name="LiveRows">Live rows read.</param>
/// <param name="LiveOnly">Live rows whose key is not in the dump (a NULL key field included: it matches nothing).</param>
/// <param name="Spilled">Whether the table went through partitions on disk.</param>
/// <param name="SpillBytes">Bytes written to spill files, both sides.</param>
internal readonly record struct DiffCounts(long DumpRows, long Identical, long Candidates, long Missing, long LiveRows, long LiveOnly, bool Spilled, long SpillBytes)
{
    /// <summary>Time spent reading the live rows (and routing them to partitions when spilled).</summary>
    public TimeSpan LiveTime { get; init; }

    /// <summary>Time spent joining spilled partitions (zero in memory).</summary>
    public TimeSpan JoinTime { get; init; }
}

/// <summary>
/// The diff of one table, in the engine: the dump's rows (held by a <see cref="DumpRowStore"/>) against the live rows the
/// database streams out, matched by key text, compared byte by byte. A hash join: the dump side is the build side, in
/// memory while it fits, otherwise both sides go through the same hash partitions on disk and are joined partition by
/// partition (again split when a partition alone exceeds the budget). Rows need no order on either side. The hash
/// only routes rows; every match and every comparison is on the bytes.
/// </summary>
internal static class KeyedDiff
{
    // Partitions of a partition that is still too large, and how deep that may go (64 × 16³ parts: far past any table).
    private const int SubPartitions = 16;
    private const int MaxLevel = 4;

    public static ValueTask<DiffCounts> RunAsync(DumpRowStore dump, CopyLineReader live, RowLayout layout, IDiffSink sink, bool async, CancellationToken cancellationToken) =>
        RunAsync(dump, [], live, layout, sink, async, cancellationToken);

    /// <summary>The diff, with live rows read ahead (<paramref name="first"/>, e.g. by an <see cref="OrderedDiff"/> that gave up) before the stream's.</summary>
    public static async ValueTask<DiffCounts> RunAsync(DumpRowStore dump, IReadOnlyList<byte[]> first, CopyLineReader live, RowLayout layout, IDiffSink sink, bool async, CancellationToken cancellationToken)
    {
        var state = new State(dump, layout, sink);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ResetMatches(dump);

        // A hybrid hash join: a live row whose partition is in memory is matched at once; the others go to the
        // partitions on disk (created as rows come: none when the whole store is in memory), joined afterwards.
        var liveParts = new SpillFile?[dump.Resident.Length];
        var directory = dump.Options.TempDirectory ?? Path.GetTempPath();
        try
        {
            foreach (var line in first)
            {
                state.Route(line, 0, liveParts, directory);
            }

            while (await live.ReadAsync(async, cancellationToken).ConfigureAwait(false))
            {
                state.Route(live.Line, live.LineNumber, liveParts, directory);
            }

            var liveTime = clock.Elapsed;
            var spillBytes = liveParts.Sum(p => p?.Length ?? 0);
            var counts = JoinPartitions(state, dump, liveParts, spillBytes, cancellationToken);
            return counts with { LiveTime = liveTime, JoinTime = clock.Elapsed - liveTime };
        }
        finally
        {
            foreach (var part in liveParts)
            {
                part?.Dispose();
            }
        }
    }

    private static void ResetMatches(DumpRowStore dump)
    {
        foreach (var arena in dump.Resident)
        {
            arena?.ResetMatches();
        }
    }

    /// <summary>Joins every partition: one on disk with its live rows, one in memory (matched already) by emitting its unmatched rows.</summary>
    private static DiffCounts JoinPartitions(State state, DumpRowStore dump, SpillFile?[] liveParts, long spillBytes, CancellationToken cancellationToken)
    {
        spillBytes += dump.SpillBytes;
        var partitions = dump.Resident.Length;
        if (!dump.Spilled)
        {
            // All in memory, all matched already: no threads needed.
            foreach (var arena in dump.Resident)
            {
                state.EmitMissing(arena);
            }

            return state.Counts(spilled: false, spillBytes);
        }

        var directory = dump.Options.TempDirectory ?? Path.GetTempPath();

        // Partitions are independent: joined on every core, each thread with its own arena (reused from one partition
        // to the next) and counters. The sink is shared, under a lock: it sees only the rows that differ.
        var workers = DumpRowStore.JoinWorkers(partitions);
        var forks = new State[workers];
        var sharedSink = workers > 1 ? new LockedSink(state.Sink) : state.Sink;
        var next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, worker =>
        {
            var fork = forks[worker] = state.Fork(sharedSink);
            int i;
            while ((i = Interlocked.Increment(ref next)) < partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var livePart = liveParts[i];
                if (dump.Files[i] is { } dumpPart)
                {
                    var resplit = Join(fork, dumpPart, livePart, level: 1, directory, cancellationToken);
                    Interlocked.Add(ref spillBytes, resplit);
                }
                else
                {
                    // Its live rows were matched as they were routed.
                    fork.EmitMissing(dump.Resident[i]);
                }

                // The dump's partitions stay until the store goes: a retried transaction diffs them again.
                livePart?.Dispose();
            }
        });

        foreach (var fork in forks)
        {
            state.Add(fork);
        }

        dump.Joined = true;
        return state.Counts(spilled: true, spillBytes);
    }

    /// <summary>Joins one partition pair from disk; returns bytes spilled again when it had to be split.</summary>
    private static long Join(State state, SpillFile dumpPart, SpillFile? livePart, int level, string directory, CancellationToken cancellationToken)
    {
        // Each level hashes with its own salt: rows of one partition share their partition hash's low bits, which would
        // crowd a split using the same hash.
        var salt = state.Dump.Salt + level;
        var arena = state.Arena(salt, dumpPart.Rows);
        var keys = state.Keys;
        dumpPart.Rewind();
        while (dumpPart.TryRead(out var line, out var lineNumber, out var byteOffset))
        {
            var key = keys.Of(line, state.Dump.KeyOrdinals, lineNumber, out _);
            state.Dump.AddTo(arena, line, key, arena.HashOf(key), lineNumber, byteOffset, count: !state.Dump.Joined);
            // What the partition needs, not what the reused arena holds from a larger one before it.
            if (arena.UsedBytes > state.Dump.Options.MemoryBudget && level < MaxLevel)
            {
                return Split(state, arena, dumpPart, livePart, level, directory, cancellationToken);
            }
        }

        if (livePart is not null)
        {
            state.ProbeAll(arena, livePart, salt);
        }

        state.EmitMissing(arena);
        return 0;
    }

    /// <summary>A partition too large for memory: the rows read so far and the rest go to sub-partitions, joined in turn.</summary>
    private static long Split(State state, RowArena arena, SpillFile dumpPart, SpillFile? livePart, int level, string directory, CancellationToken cancellationToken)
    {
        var salt = state.Dump.Salt + level;
        var dumpSubs = Create(SubPartitions, directory);
        var liveSubs = Create(SubPartitions, directory, positions: false);
        try
        {
            // Repeats and duplicate keys found so far stay counted: their second rows were dropped and are not met again.
            for (var i = 0; i < arena.Count; i++)
            {
                for (var copy = 0; copy < arena.Copies(i); copy++)
                {
                    dumpSubs[DumpRowStore.Partition(arena.HashAt(i), SubPartitions)].Write(arena.Line(i), arena.LineNumber(i), arena.ByteOffset(i));
                }
            }

            var keys = new KeyBuffer();
            while (dumpPart.TryRead(out var line, out var lineNumber, out var byteOffset))
            {
                var key = keys.Of(line, state.Dump.KeyOrdinals, lineNumber, out _);
                dumpSubs[DumpRowStore.Partition(RowArena.Hash(key, salt), SubPartitions)].Write(line, lineNumber, byteOffset);
            }

            if (livePart is not null)
            {
                livePart.Rewind();
                while (livePart.TryRead(out var line, out var lineNumber, out _))
                {
                    var key = keys.Of(line, state.LiveKey, lineNumber, out _);
                    liveSubs[DumpRowStore.Partition(RowArena.Hash(key, salt), SubPartitions)].Write(line, 0, 0);
                }
            }

            long spilled = dumpSubs.Sum(p => p.Length) + liveSubs.Sum(p => p.Length);
            for (var i = 0; i < SubPartitions; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                spilled += Join(state, dumpSubs[i], liveSubs[i], level + 1, directory, cancellationToken);
                dumpSubs[i].Dispose();
                liveSubs[i].Dispose();
            }

            return spilled;
        }
        finally
        {
            foreach (var part in dumpSubs.Concat(liveSubs))
            {
                part.Dispose();
            }
        }
    }

    /// <summary>Creates <paramref name="count"/> spill files (all or none).</summary>
    internal static SpillFile[] Create(int count, string directory, bool positions = true)
    {
        var files = new SpillFile[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                files[i] = new SpillFile(directory, positions);
            }

            return files;
        }
        catch
        {
            foreach (var file in files)
            {
                file?.Dispose();
            }

            throw;
        }
    }

    /// <summary>Serializes a sink's calls for partitions joined in parallel.</summary>
    private sealed class LockedSink(IDiffSink inner) : IDiffSink
    {
        private readonly Lock _lock = new();

        public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset)
        {
            lock (_lock)
            {
                inner.Missing(dumpLine, lineNumber, byteOffset);
            }
        }

        public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine)
        {
            lock (_lock)
            {
                inner.Candidate(dumpLine, lineNumber, byteOffset, liveLine);
            }
        }

        public void LiveOnly(ReadOnlySpan<byte> liveLine)
        {
            lock (_lock)
            {
                inner.LiveOnly(liveLine);
            }
        }
    }

    private sealed class State(DumpRowStore dump, RowLayout layout, IDiffSink sink)
    {
        private readonly int[] _liveKey = [.. layout.LiveKey];
        private readonly int[]? _dumpCompared = layout.DumpCompared?.ToArray();
        private readonly int[]? _liveCompared = layout.LiveCompared?.ToArray();
        private RowArena? _arena;

        public DumpRowStore Dump { get; } = dump;

        public IDiffSink Sink => sink;

        /// <summary>A key buffer for this state's thread.</summary>
        public KeyBuffer Keys { get; } = new();

        /// <summary>A state for another thread: same dump, layout and (shared) sink, its own buffers, arena and counters.</summary>
        public State Fork(IDiffSink shared) => new(Dump, layout, shared);

        /// <summary>This thread's arena for a partition from disk, emptied: its memory is reused from partition to partition.</summary>
        public RowArena Arena(int salt, long expectedRows)
        {
            if (_arena is null)
            {
                return _arena = Dump.NewArena(salt, expectedRows);
            }

            _arena.Reset(salt, expectedRows);
            return _arena;
        }

        /// <summary>Adds a fork's counts.</summary>
        public void Add(State fork)
        {
            DumpRows += fork.DumpRows;
            Identical += fork.Identical;
            Candidates += fork.Candidates;
            Missing += fork.Missing;
            LiveOnly += fork.LiveOnly;
        }

        public ReadOnlySpan<int> LiveKey => _liveKey;

        public long DumpRows { get; set; }

        public long Identical { get; set; }

        public long Candidates { get; set; }

        public long Missing { get; set; }

        public long LiveRows { get; set; }

        public long LiveOnly { get; set; }

        /// <summary>
        /// Reads one live row: matched at once when its partition is in memory, else written to the partition's live
        /// file (created on its first row). Synchronous, out of the async loop: the per-row work stays in fully optimized code.
        /// </summary>
        public void Route(ReadOnlySpan<byte> line, long lineNumber, SpillFile?[] liveParts, string directory)
        {
            LiveRows++;
            var key = Keys.Of(line, _liveKey, lineNumber, out var isNull);
            if (isNull)
            {
                LiveOnly++;
                return;
            }

            var hash = RowArena.Hash(key, Dump.Salt);
            var partition = DumpRowStore.Partition(hash, liveParts.Length);
            if (Dump.Files[partition] is null)
            {
                Probe(Dump.Resident[partition], line, key, hash);
            }
            else
            {
                (liveParts[partition] ??= new SpillFile(directory, positions: false)).Write(line, 0, 0);
            }
        }

        /// <summary>Matches every live row of a partition file (counted when they were routed) against an arena hashed with <paramref name="salt"/>.</summary>
        public void ProbeAll(RowArena? arena, SpillFile livePart, int salt)
        {
            livePart.Rewind();
            while (livePart.TryRead(out var line, out _, out _))
            {
                // Routing skipped NULL keys and checked the field count.
                var key = Keys.Of(line, _liveKey, 0, out _);
                Probe(arena, line, key, RowArena.Hash(key, salt));
            }
        }

        /// <summary>Matches one live row (counted by the caller) by its key and the key's hash; no arena: its partition holds no dump row.</summary>
        public void Probe(RowArena? arena, ReadOnlySpan<byte> line, ReadOnlySpan<byte> key, int hash)
        {
            var index = arena is null ? -1 : arena.Find(key, hash);

            // A second live row under a key already matched can only come from a key that is not unique live: it is
            // not the dump row's counterpart. In a multiset, live copies beyond the dump's are live-only.
            if (index < 0 || arena!.IsMatched(index))
            {
                LiveOnly++;
                if (Dump.IsMultiset)
                {
                    sink.LiveOnly(line);
                }

                return;
            }

            arena.SetMatched(index);
            if (Dump.IsMultiset)
            {
                Identical++;
                return;
            }

            var dumpLine = arena.Line(index);
            var same = _dumpCompared is null
                ? dumpLine.SequenceEqual(line)
                : CopyFields.SameFields(dumpLine, _dumpCompared, line, _liveCompared);
            if (same)
            {
                Identical++;
            }
            else
            {
                Candidates++;
                sink.Candidate(dumpLine, arena.LineNumber(index), arena.ByteOffset(index), line);
            }
        }

        /// <summary>Dump rows (copies, in a multiset) no live row matched: each goes to the sink, once per missing copy.</summary>
        public void EmitMissing(RowArena? arena)
        {
            if (arena is null)
            {
                return;
            }

            for (var i = 0; i < arena.Count; i++)
            {
                DumpRows += arena.Copies(i);
                for (var copy = arena.LiveCopies(i); copy < arena.Copies(i); copy++)
                {
                    Missing++;
                    sink.Missing(arena.Line(i), arena.LineNumber(i), arena.ByteOffset(i));
                }
            }
        }

        public DiffCounts Counts(bool spilled, long spillBytes) =>
            new(DumpRows, Identical, Candidates, Missing, LiveRows, LiveOnly, spilled, spillBytes);
    }
}
