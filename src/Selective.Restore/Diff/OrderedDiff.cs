using System.Runtime.InteropServices;
using Selective.Restore.Providers;

namespace Selective.Restore.Diff;

/// <summary>
/// The diff of one table when both sides come in nearly the same order (the usual case: pg_dump writes a table in its
/// physical order, and the live table streams out in its physical order, which a restore-worthy incident rarely
/// reshuffles): the dump's rows, read back in their order from a <see cref="SpillFile"/>, and the live rows are walked
/// in step. Rows with the same key at the same step are compared at once; rows out of step wait in two small tables
/// (dump rows whose live row has not come yet, live rows whose dump row has not come yet) until their partner comes.
/// Nothing is partitioned and nothing of the live side is written to disk. When the waiting rows outgrow the memory
/// budget (the two orders have little in common), the rest of both sides goes to a <see cref="KeyedDiff"/> hash join.
/// Matching and comparing are on the bytes; hashes only find the waiting rows.
/// </summary>
internal sealed class OrderedDiff : IDisposable
{
    // Bookkeeping per waiting row besides its bytes (dictionary entry, array headers).
    private const int EntryOverhead = 96;

    private readonly int[] _dumpKey;
    private readonly int[] _liveKey;
    private readonly int[]? _dumpCompared;
    private readonly int[]? _liveCompared;
    private readonly IDiffSink _sink;
    private readonly KeyBuffer _dumpKeys = new();
    private readonly KeyBuffer _liveKeys = new();
    private readonly Dictionary<byte[], Waiting> _dumpWaiting = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], byte[]> _liveWaiting = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], Waiting>.AlternateLookup<ReadOnlySpan<byte>> _dumpLookup;
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _liveLookup;
    private long _dumpWaitingBytes;
    private long _liveWaitingBytes;

    // Dump rows that waited while the waiting table was full (mostly rows deleted live): a hash-partitioned store,
    // joined at the end with the live rows still waiting (or with the rest of both sides, if the walk gives up).
    private DumpRowStore? _rest;
    private readonly long _threshold;
    private readonly DiffOptions _options;

    // Dump rows walked, and how many of them had to wait, since the last look at the ratio.
    private long _walked;
    private long _waited;

    // The dump row in step (copied: the spill file's span does not outlive the next read).
    private byte[] _dump = new byte[256];
    private int _dumpLength;
    private long _dumpLine;
    private long _dumpPosition;
    private bool _dumpDone;

    private OrderedDiff(RowLayout layout, IDiffSink sink, DiffOptions options)
    {
        // An eighth of the budget for each side's waiting rows (what they cost in objects is about twice their bytes),
        // and half of it for the rows that go on to the hash join: together within the budget.
        _threshold = options.MemoryBudget / 8;
        _options = options;
        _dumpKey = [.. layout.DumpKey];
        _liveKey = [.. layout.LiveKey];
        _dumpCompared = layout.DumpCompared?.ToArray();
        _liveCompared = layout.LiveCompared?.ToArray();
        _sink = sink;
        _dumpLookup = _dumpWaiting.GetAlternateLookup<ReadOnlySpan<byte>>();
        _liveLookup = _liveWaiting.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    private long DumpRows { get; set; }

    private long Identical { get; set; }

    private long Candidates { get; set; }

    private long Missing { get; set; }

    private long LiveRows { get; set; }

    private long LiveOnly { get; set; }

    /// <summary>
    /// Diffs <paramref name="dump"/> (complete: a table's rows in dump order, no NULL key, repeats skipped, no key twice)
    /// against <paramref name="live"/>. Run again, it gives the same result (a retried transaction).
    /// </summary>
    public static async ValueTask<DiffCounts> RunAsync(DumpSequence dump, CopyLineReader live, RowLayout layout, IDiffSink sink, bool async, CancellationToken cancellationToken)
    {
        if (!dump.Completed || dump.Fallback is not null || dump.Problems.DuplicateCount > 0)
        {
            throw new InvalidOperationException("An ordered diff needs a complete dump sequence without keys twice.");
        }

        var options = dump.Options;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var diff = new OrderedDiff(layout, sink, options);
        dump.Rows.Rewind();
        diff.NextDump(dump);
        while (await live.ReadAsync(async, cancellationToken).ConfigureAwait(false))
        {
            diff.Step(dump, live.Line);
            if (diff._liveWaitingBytes > diff._threshold || diff.OutOfStep())
            {
                var rest = await diff.HashJoinRestAsync(dump, live, layout, async, cancellationToken).ConfigureAwait(false);
                return rest with { LiveTime = clock.Elapsed };
            }
        }

        var counts = await diff.FinishAsync(dump, layout, async, cancellationToken).ConfigureAwait(false);
        return counts with { LiveTime = clock.Elapsed };
    }

    /// <summary>One live row: matched with the dump row in step, or with a waiting dump row, or left waiting.</summary>
    private void Step(DumpSequence dump, ReadOnlySpan<byte> line)
    {
        LiveRows++;
        var liveKey = _liveKeys.Of(line, _liveKey, LiveRows, out var isNull);
        if (isNull)
        {
            LiveOnly++; // a NULL key matches nothing
            return;
        }

        while (!_dumpDone)
        {
            var dumpKey = _dumpKeys.Of(_dump.AsSpan(0, _dumpLength), _dumpKey, _dumpLine, out _);
            if (dumpKey.SequenceEqual(liveKey))
            {
                Compare(_dump.AsSpan(0, _dumpLength), _dumpLine, _dumpPosition, line);
                NextDump(dump);
                return;
            }

            // The dump row's live partner came earlier: matched now, and the live row meets the next dump row.
            if (_liveLookup.Remove(dumpKey, out _, out var waitingLive))
            {
                _liveWaitingBytes -= waitingLive.Length + dumpKey.Length + EntryOverhead;
                Compare(_dump.AsSpan(0, _dumpLength), _dumpLine, _dumpPosition, waitingLive);
                NextDump(dump);
                continue;
            }

            break;
        }

        // The live row's dump partner came earlier.
        if (_dumpLookup.Remove(liveKey, out _, out var waitingDump))
        {
            _dumpWaitingBytes -= waitingDump.Line.Length + liveKey.Length + EntryOverhead;
            Compare(waitingDump.Line, waitingDump.LineNumber, waitingDump.Position, line);
            return;
        }

        if (_dumpDone)
        {
            if (_rest is null)
            {
                LiveOnly++; // every dump row has come: none will match it
            }
            else
            {
                WaitLive(liveKey, line); // it may belong to a dump row on disk
            }

            return;
        }

        // Out of step on both sides: both wait, and both sides move on.
        var dumpKeyBytes = _dumpKeys.Of(_dump.AsSpan(0, _dumpLength), _dumpKey, _dumpLine, out _).ToArray();
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_dumpWaiting, dumpKeyBytes, out var exists);
        if (exists)
        {
            // The sequence's check leaves no key twice.
            throw new InvalidOperationException($"the dump row at line {_dumpLine} repeats a key the dump sequence did not report");
        }

        slot = new Waiting(_dump.AsSpan(0, _dumpLength).ToArray(), _dumpLine, _dumpPosition);
        _dumpWaitingBytes += _dumpLength + dumpKeyBytes.Length + EntryOverhead;
        _waited++;
        if (_dumpWaitingBytes > _threshold)
        {
            // Mostly rows deleted live (they wait to the end): they go to the hash-partitioned rest, and the live rows
            // still to come that belong to them wait instead, to meet them at the end.
            MoveWaitingDumpRows();
        }

        NextDump(dump);
        WaitLive(liveKey, line);
    }

    private void WaitLive(ReadOnlySpan<byte> liveKey, ReadOnlySpan<byte> line)
    {
        if (!_liveLookup.ContainsKey(liveKey))
        {
            var liveKeyBytes = liveKey.ToArray();
            _liveWaiting.Add(liveKeyBytes, line.ToArray());
            _liveWaitingBytes += line.Length + liveKeyBytes.Length + EntryOverhead;
        }
        else
        {
            LiveOnly++; // a live key twice (no unique key live): the second is not the dump row's counterpart
        }
    }

    private void Compare(ReadOnlySpan<byte> dumpLine, long lineNumber, long position, ReadOnlySpan<byte> liveLine)
    {
        DumpRows++;
        var same = _dumpCompared is null
            ? dumpLine.SequenceEqual(liveLine)
            : CopyFields.SameFields(dumpLine, _dumpCompared, liveLine, _liveCompared);
        if (same)
        {
            Identical++;
        }
        else
        {
            Candidates++;
            _sink.Candidate(dumpLine, lineNumber, position, liveLine);
        }
    }

    private void NextDump(DumpSequence dump)
    {
        ReadOnlySpan<byte> line;
        do
        {
            if (!dump.Rows.TryRead(out line, out _dumpLine, out _dumpPosition))
            {
                _dumpDone = true;
                _dumpLength = 0;
                return;
            }
        }
        while (dump.IsSkipped(_dumpPosition)); // a repeat of an earlier row: counted once

        if (_dump.Length < line.Length)
        {
            _dump = new byte[Math.Max(line.Length, _dump.Length * 2)];
        }

        line.CopyTo(_dump);
        _dumpLength = line.Length;
        _walked++;
    }

    /// <summary>
    /// Whether the two orders have too little in common to walk in step: more than a quarter of the last 64Ki dump rows
    /// had to wait (half the table edited and moved, a clustered table). Then a hash join of the rest costs less than
    /// the waiting.
    /// </summary>
    private bool OutOfStep()
    {
        if (_walked < 65_536)
        {
            return false;
        }

        var outOfStep = _waited * 4 > _walked;
        _walked = _waited = 0;
        return outOfStep;
    }

    /// <summary>
    /// After the last live row: the dump rows not read yet meet the live rows still waiting; so do the dump rows that
    /// went to the rest; the dump rows left have no live partner, nor have the live rows left.
    /// </summary>
    private async ValueTask<DiffCounts> FinishAsync(DumpSequence dump, RowLayout layout, bool async, CancellationToken cancellationToken)
    {
        while (!_dumpDone)
        {
            var key = _dumpKeys.Of(_dump.AsSpan(0, _dumpLength), _dumpKey, _dumpLine, out _);
            if (_liveLookup.Remove(key, out _, out var partner))
            {
                Compare(_dump.AsSpan(0, _dumpLength), _dumpLine, _dumpPosition, partner);
            }
            else
            {
                EmitMissing(_dump.AsSpan(0, _dumpLength), _dumpLine, _dumpPosition);
            }

            NextDump(dump);
        }

        foreach (var waiting in _dumpWaiting.Values)
        {
            EmitMissing(waiting.Line, waiting.LineNumber, waiting.Position);
        }

        _dumpWaiting.Clear();
        if (_rest is null)
        {
            LiveOnly += _liveWaiting.Count;
            _liveWaiting.Clear();
            return Counts(spilled: false, 0);
        }

        // The live rows still waiting against the dump rows that went to the rest (no more live rows to stream).
        var waitingLive = _liveWaiting.Values.ToList();
        _liveWaiting.Clear();
        var rest = await KeyedDiff.RunAsync(_rest, waitingLive, new CopyLineReader(Stream.Null), layout, _sink, async, cancellationToken).ConfigureAwait(false);
        return Add(rest, waitingLive.Count);
    }

    private void MoveWaitingDumpRows()
    {
        var rest = _rest ??= new DumpRowStore(_dumpKey, new DiffOptions { MemoryBudget = Math.Max(DiffOptions.MinimumBudget, _options.MemoryBudget / 2), Partitions = _options.Partitions, TempDirectory = _options.TempDirectory });
        foreach (var waiting in _dumpWaiting.Values)
        {
            rest.Add(waiting.Line, waiting.LineNumber, waiting.Position);
        }

        _dumpWaiting.Clear();
        _dumpWaiting.TrimExcess();
        _dumpWaitingBytes = 0;
    }

    private DiffCounts Counts(bool spilled, long spillBytes) =>
        new(DumpRows, Identical, Candidates, Missing, LiveRows, LiveOnly, spilled, spillBytes);

    /// <summary>This walk's counts plus the hash join's; <paramref name="liveCountedHere"/> live rows were counted by both.</summary>
    private DiffCounts Add(DiffCounts rest, int liveCountedHere) =>
        new(DumpRows + rest.DumpRows, Identical + rest.Identical, Candidates + rest.Candidates, Missing + rest.Missing,
            LiveRows + rest.LiveRows - liveCountedHere, LiveOnly + rest.LiveOnly, Spilled: true, rest.SpillBytes);

    private void EmitMissing(ReadOnlySpan<byte> line, long lineNumber, long position)
    {
        DumpRows++;
        Missing++;
        _sink.Missing(line, lineNumber, position);
    }

    /// <summary>
    /// The orders differ too much to walk in step: the waiting dump rows and the rest of the dump go to the
    /// hash-partitioned rest, the waiting live rows and the rest of the live stream are joined with it.
    /// </summary>
    private async ValueTask<DiffCounts> HashJoinRestAsync(DumpSequence dump, CopyLineReader live, RowLayout layout, bool async, CancellationToken cancellationToken)
    {
        MoveWaitingDumpRows();
        var store = _rest!;
        while (!_dumpDone)
        {
            store.Add(_dump.AsSpan(0, _dumpLength), _dumpLine, _dumpPosition);
            NextDump(dump);
        }

        var waitingLive = _liveWaiting.Values.ToList();
        _liveWaiting.Clear();
        _liveWaiting.TrimExcess();
        _dumpWaitingBytes = _liveWaitingBytes = 0;
        var rest = await KeyedDiff.RunAsync(store, waitingLive, live, layout, _sink, async, cancellationToken).ConfigureAwait(false);
        return Add(rest, waitingLive.Count); // the waiting live rows were counted here already
    }

    public void Dispose() => _rest?.Dispose();

    private readonly record struct Waiting(byte[] Line, long LineNumber, long Position);

    /// <summary>Byte-array keys compared by content, looked up by span without a copy.</summary>
    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
