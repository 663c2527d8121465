using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Diff;

/// <summary>
/// A table diffed by the engine: its dump rows (in dump order for a keyed table; hash-partitioned for a table without
/// a key, or a keyed one with too many repeated keys), how they line up with the live columns, the live columns to read.
/// <c>apply</c>, <c>plan</c> and <c>verify</c> share it.
/// </summary>
internal sealed class TableDiff : IDisposable
{
    private readonly DumpRowStore? _store;

    private TableDiff(DumpSequence sequence, RowLayout layout, IReadOnlyList<string> liveColumns)
        : this(layout, liveColumns) => Sequence = sequence;

    private TableDiff(DumpRowStore store, RowLayout layout, IReadOnlyList<string> liveColumns)
        : this(layout, liveColumns) => _store = store;

    private TableDiff(RowLayout layout, IReadOnlyList<string> liveColumns)
    {
        Layout = layout;
        LiveColumns = liveColumns;
    }

    public DumpSequence? Sequence { get; }

    /// <summary>The hash-partitioned store, if the table is diffed through one.</summary>
    public DumpRowStore? Store => _store ?? Sequence?.Fallback;

    public RowLayout Layout { get; }

    public IReadOnlyList<string> LiveColumns { get; }

    public DiffOptions Options => Sequence?.Options ?? _store!.Options;

    /// <summary>What the checks read: NULL keys, repeats and duplicate keys.</summary>
    public KeyProblems Problems => Sequence?.Problems ?? _store!.Problems;

    /// <summary>
    /// The diff of a keyed table: the dump columns written to a live column are compared, in dump order (the live side is
    /// read in that order). The mapping has every key column (the column mapper refuses a dump without one).
    /// </summary>
    public static TableDiff ForKeys(TableMapping mapping, DiffOptions options)
    {
        var compared = Enumerable.Range(0, mapping.DumpColumns.Count).Where(i => mapping.Targets[i] is not null).ToList();
        var dumpKey = new List<int>();
        var liveKey = new List<int>();
        foreach (var key in mapping.Key)
        {
            var position = compared.FindIndex(i => string.Equals(mapping.Targets[i]!.Name, key, StringComparison.Ordinal));
            if (position < 0)
            {
                throw RestoreTableException.Incompatible($"the dump has no values for key column {key}");
            }

            dumpKey.Add(compared[position]);
            liveKey.Add(position);
        }

        var wholeLine = compared.Count == mapping.DumpColumns.Count;
        var layout = new RowLayout(dumpKey, liveKey, wholeLine ? null : compared, wholeLine ? null : Enumerable.Range(0, compared.Count).ToList());
        return new TableDiff(new DumpSequence(dumpKey, options), layout, [.. compared.Select(i => mapping.Targets[i]!.Name)]);
    }

    /// <summary>
    /// The diff of a table without a key: every dump column is compared, in dump order, as a multiset of whole rows.
    /// <paramref name="keepRows"/>: the rows are also kept in dump order (<see cref="Rows"/>), for a table whose
    /// references may have to follow a parent's key map before it is compared.
    /// </summary>
    public static TableDiff ForWholeRows(TableMapping mapping, DiffOptions options, bool keepRows = false) =>
        new(new DumpRowStore([], options), new RowLayout([], []), [.. mapping.Targets.Select(t => t!.Name)])
        {
            Rows = keepRows ? new SpillFile(options.TempDirectory ?? Path.GetTempPath()) : null,
        };

    /// <summary>A table without a key's rows in dump order, when kept (<see cref="ForWholeRows"/>).</summary>
    public SpillFile? Rows { get; private init; }

    /// <summary>The same table's diff over another multiset store (its rows rewritten to follow parents' key maps).</summary>
    public TableDiff Over(DumpRowStore store) => new(store, Layout, LiveColumns);

    /// <summary>
    /// Reads a dump block's rows into the store (the client keeps them; nothing is staged yet); returns how many.
    /// <paramref name="progress"/> is called every <see cref="ProgressRows"/> rows (asking the time per row would cost).
    /// </summary>
    public async Task<long> StoreAsync(DumpTable dump, Action? progress, CancellationToken cancellationToken)
    {
        // The readers hand out rows with the table's field count (they refuse any other), so rows are not split here.
        long rows = 0;
        while (await dump.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // The position slot carries the row's ordinal in the table: what an error about its value names.
            if (Sequence is { } sequence)
            {
                sequence.Add(dump.Current.CopyLine, dump.Current.Line, sequence.RowsAdded + 1);
            }
            else
            {
                Rows?.Write(dump.Current.CopyLine, dump.Current.Line, _store!.RowsAdded + 1);
                _store!.Add(dump.Current.CopyLine, dump.Current.Line, _store.RowsAdded + 1);
            }

            if ((++rows & (ProgressRows - 1)) == 0)
            {
                progress?.Invoke();
            }
        }

        return rows;
    }

    /// <summary>How often <see cref="StoreAsync"/> calls its progress callback, in rows (a power of two).</summary>
    public const int ProgressRows = 64;

    /// <summary>Different rows under one key, found so far: the error naming the key and both dump lines, or null.</summary>
    public RestoreTableException? DuplicateKeyError(IReadOnlyList<string> keyColumns)
    {
        if (Problems.DuplicateCount == 0)
        {
            return null;
        }

        var duplicate = Problems.Duplicates[0];
        var key = KeyMap.Decode(duplicate.Key);
        var exception = new RepeatedKeyException(keyColumns, key, Problems.DuplicateCount);
        return new RestoreTableException($"{exception.Message} (dump lines {duplicate.FirstLine} and {duplicate.SecondLine})", exception);
    }

    /// <summary>After the table's last block: the sequence looks for keys that occur twice.</summary>
    public void Complete() => Sequence?.Complete();

    /// <summary>
    /// Compares the stored rows with <paramref name="live"/> (COPY text lines of <see cref="LiveColumns"/>): both sides in
    /// (nearly) the same order, the usual case, walk in step; otherwise a hash join. Can run again (a retry).
    /// </summary>
    public async Task<DiffCounts> RunAsync(Stream live, IDiffSink sink, CancellationToken cancellationToken) =>
        this is { Sequence: { Fallback: null } sequence }
            ? await OrderedDiff.RunAsync(sequence, new CopyLineReader(live), Layout, sink, async: true, cancellationToken).ConfigureAwait(false)
            : await KeyedDiff.RunAsync(Store!, new CopyLineReader(live), Layout, sink, async: true, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The table's diff in the target's current transaction: the live rows streamed out and compared with the stored
    /// rows, different rows under one key refused, and the delta staged for the server's classification, with the
    /// <paramref name="held"/> rows (held back whatever their values). Dispose the result after the classification (it
    /// holds the live rows a table without a key left unpaired).
    /// </summary>
    /// <param name="target">The target, in the table's transaction.</param>
    /// <param name="staged">The table's staging.</param>
    /// <param name="held">Rows held back whatever their values, or null.</param>
    /// <param name="liveRows">Called with the live rows read so far as they stream out (per buffer read), or null.</param>
    /// <param name="cancellationToken">Cancels the diff.</param>
    public async Task<StagedDiff> RunAndStageAsync(IRestoreTarget target, StagedTable staged, SpillFile? held, Action<long>? liveRows, CancellationToken cancellationToken)
    {
        var directory = Options.TempDirectory ?? Path.GetTempPath();
        using var delta = new SpillFile(directory);
        var sink = new DeltaSink(delta, directory);
        try
        {
            DiffCounts counts;
            var opened = await target.OpenLiveRowsAsync(staged.Mapping, LiveColumns, cancellationToken).ConfigureAwait(false);
            var live = liveRows is null ? opened : new LineCountingStream(opened, liveRows);
            await using (live.ConfigureAwait(false))
            {
                counts = await RunAsync(live, sink, cancellationToken).ConfigureAwait(false);
            }

            // A spilled store finds different rows under one key while it joins.
            if (DuplicateKeyError(staged.Mapping.Key) is { } error)
            {
                throw error;
            }

            staged.DumpRows = await target.StageDeltaAsync(staged, delta, held, cancellationToken).ConfigureAwait(false);
            return new StagedDiff(counts, sink);
        }
        catch
        {
            sink.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The same table's diff over other rows (the stored ones rewritten to follow parents' key maps): the layout and live
    /// columns are this diff's; disposing it disposes <paramref name="sequence"/> only.
    /// </summary>
    public TableDiff Over(DumpSequence sequence) => new(sequence, Layout, LiveColumns);

    /// <summary>
    /// Writes the key fields of every stored keyed row (COPY text, key column order; NULL keys were never stored, a
    /// repeated key may come twice) to <paramref name="keys"/>: what the database orders to find the dump's key range.
    /// </summary>
    public void WriteKeys(SpillFile keys)
    {
        var sequence = Sequence ?? throw new InvalidOperationException("Only a keyed table has keys.");
        var buffer = new byte[4096];
        sequence.Rows.Rewind();
        while (sequence.Rows.TryRead(out var line, out _, out _))
        {
            if (buffer.Length < line.Length)
            {
                buffer = new byte[line.Length];
            }

            var length = CopyFields.Key(line, sequence.KeyOrdinals, buffer);
            if (length >= 0)
            {
                keys.Write(buffer.AsSpan(0, length), 0, 0);
            }
        }
    }

    public void Dispose()
    {
        Sequence?.Dispose();
        _store?.Dispose();
        Rows?.Dispose();
    }
}

/// <summary>A diff whose delta is staged: its counts, and (a table without a key) the live rows no dump row matched by text.</summary>
internal sealed class StagedDiff(DiffCounts counts, DeltaSink sink) : IDisposable
{
    public DiffCounts Counts { get; } = counts;

    /// <summary>Live rows of a table without a key left unpaired by their text; null when there are none.</summary>
    public SpillFile? LiveOnlyRows => sink.LiveOnlyRows;

    public void Dispose() => sink.Dispose();
}
