using Selective.Restore.Apply;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Merge;

namespace Selective.Restore;

/// <content>
/// The engine-side diff (issue 12): a table's dump rows stay on the client; in its transaction the live table streams
/// out and is compared with them, and only the rows that differ (missing, or other text under a live key) are staged
/// for the server's typed classification. Tables whose rows may follow key maps (identity keys, self-references,
/// parents with identity keys or per-row policies) keep the server-side diff until the identity logic moves too.
/// </content>
public sealed partial class RestoreEngine
{
    private sealed partial class Run
    {
        /// <summary>The engine diff for a table, or null when it keeps the server-side diff.</summary>
        private async Task<TableDiff?> EngineDiffForAsync(TableState state, TableMapping mapping, CancellationToken cancellationToken)
        {
            if (settings.EngineDiff is not { } options || mapping.Key.Count == 0 || mapping.DumpColumns.Count == 0 ||
                settings.IdentityFor(state.Name) is not null ||
                state.Live!.ForeignKeys.Any(fk => fk.ReferencedTable == state.Name))
            {
                return null;
            }

            // Its own per-row policy may remap its rows (they are in the delta, so that works); its parents' key maps it cannot follow yet.
            var seen = new HashSet<TableName> { state.Name };
            foreach (var fk in state.Live.ForeignKeys)
            {
                if (await MayHaveKeyMapAsync(fk.ReferencedTable, seen, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }

            // Compared: the dump columns written to a live column, in dump order; the live side is read in that order.
            var compared = Enumerable.Range(0, mapping.DumpColumns.Count).Where(i => mapping.Targets[i] is not null).ToList();
            var dumpKey = new List<int>();
            var liveKey = new List<int>();
            foreach (var key in mapping.Key)
            {
                var position = compared.FindIndex(i => string.Equals(mapping.Targets[i]!.Name, key, StringComparison.Ordinal));
                if (position < 0)
                {
                    return null; // a key column the dump does not have (an IDENTITY column a T-SQL INSERT left out)
                }

                dumpKey.Add(compared[position]);
                liveKey.Add(position);
            }

            var wholeLine = compared.Count == mapping.DumpColumns.Count;
            var layout = new RowLayout(dumpKey, liveKey, wholeLine ? null : compared, wholeLine ? null : Enumerable.Range(0, compared.Count).ToList());
            return new TableDiff(new DumpRowStore(dumpKey, options), layout, [.. compared.Select(i => mapping.Targets[i]!.Name)]);
        }

        /// <summary>
        /// Whether the table's rows may be remapped or held back (so rows that reference them follow a key map, which
        /// the server-side diff does): it has an identity key or a per-row policy (which may remap), or one of its
        /// parents, at any depth, may. Parents are read from the catalog when they are not staged (yet).
        /// </summary>
        private async Task<bool> MayHaveKeyMapAsync(TableName name, HashSet<TableName> seen, CancellationToken cancellationToken)
        {
            if (!seen.Add(name))
            {
                return false;
            }

            if (settings.IdentityFor(name) is not null || settings.PolicyFor(name).Conflicts == ConflictHandling.PerRow)
            {
                return true;
            }

            if (!_catalog.TryGetValue(name, out var live))
            {
                live = _byName.TryGetValue(name, out var known) && known.Live is { } read ? read : await target.ReadTableAsync(name, cancellationToken).ConfigureAwait(false);
                _catalog[name] = live;
            }

            foreach (var fk in live?.ForeignKeys ?? [])
            {
                if (fk.ReferencedTable != name && await MayHaveKeyMapAsync(fk.ReferencedTable, seen, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Reads a dump block's rows into the table's store (the client keeps them; nothing is staged yet).</summary>
        private static async Task<long> StoreRowsAsync(TableDiff diff, DumpTable dump, CancellationToken cancellationToken)
        {
            // The readers hand out rows with the table's field count (they refuse any other), so rows are not split here.
            long rows = 0;
            while (await dump.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // The position slot carries the row's ordinal in the table: what an error about its value names.
                diff.Store.Add(dump.Current.CopyLine, dump.Current.Line, diff.Store.RowsAdded + 1);
                rows++;
            }

            return rows;
        }

        /// <summary>
        /// After staging (and after a diff, which finds them in a spilled store): NULL keys and different rows under one
        /// key fail the table, naming the key and the two dump lines the store kept; exact repeats are a warning.
        /// </summary>
        private void CheckStore(TableState state)
        {
            var store = state.Diff!.Store;
            if (store.NullKeyRows > 0)
            {
                throw RestoreTableException.NullKeys(store.NullKeyRows, state.Mapping!.Key);
            }

            if (store.DuplicateCount > 0)
            {
                var duplicate = store.Duplicates[0];
                var key = duplicate.Key.Split('\t').Select(field => CopyText.Decode(System.Text.Encoding.UTF8.GetBytes(field)) ?? "NULL").ToList();
                var exception = new RepeatedKeyException(state.Mapping!.Key, key, store.DuplicateCount);
                throw new RestoreTableException($"{exception.Message} (dump lines {duplicate.FirstLine} and {duplicate.SecondLine})", exception);
            }

            if (store.Repeats > 0)
            {
                Warn(state, RestoreTableException.RepeatsWarning(store.Repeats));
            }
        }

        /// <summary>
        /// The engine diff of one table, in its transaction: live rows streamed and compared with the stored dump rows, the
        /// delta staged, and the server's classification of the delta (typed confirmation) completed with the rows found
        /// identical by their text, which never left the client.
        /// </summary>
        private async Task<Classification> EngineClassifyAsync(TableState table, bool referenced, CancellationToken cancellationToken)
        {
            var diff = table.Diff!;
            var staged = table.Staged!;
            using var delta = new SpillFile(diff.Store.Options.TempDirectory ?? Path.GetTempPath());
            DiffCounts counts;
            var live = await target.OpenLiveRowsAsync(staged.Mapping, diff.LiveColumns, cancellationToken).ConfigureAwait(false);
            await using (live.ConfigureAwait(false))
            {
                counts = await KeyedDiff.RunAsync(diff.Store, new CopyLineReader(live), diff.Layout, new DeltaSink(delta), async: true, cancellationToken).ConfigureAwait(false);
            }

            // A spilled store finds repeats and duplicate keys when its partitions are joined.
            CheckStore(table);
            staged.Repeats = 0;
            staged.DumpRows = await target.StageDeltaAsync(staged, delta, cancellationToken).ConfigureAwait(false);
            await target.PrepareAsync(staged, [], referenced, cancellationToken).ConfigureAwait(false);
            // The live rows identical by text never reached the server: it classifies the rest, and they are added back.
            var server = await target.ClassifyAsync(staged, null, liveRows: counts.LiveRows - counts.Identical, cancellationToken).ConfigureAwait(false);
            return server with { Identical = server.Identical + counts.Identical };
        }

        // Live tables read for MayHaveKeyMapAsync (parents not staged, or not yet).
        private readonly Dictionary<TableName, Schema.LiveTable?> _catalog = [];

        public void DisposeDiffs()
        {
            foreach (var table in _tables)
            {
                table.Diff?.Dispose();
                table.Diff = null;
            }
        }

        private sealed class DeltaSink(SpillFile delta) : IDiffSink
        {
            public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset) => delta.Write(dumpLine, lineNumber, byteOffset);

            public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) => delta.Write(dumpLine, lineNumber, byteOffset);
        }
    }

    /// <summary>A table diffed by the engine: its dump rows, how they line up with the live columns, the live columns to read.</summary>
    private sealed class TableDiff(DumpRowStore store, RowLayout layout, IReadOnlyList<string> liveColumns) : IDisposable
    {
        public DumpRowStore Store { get; } = store;

        public RowLayout Layout { get; } = layout;

        public IReadOnlyList<string> LiveColumns { get; } = liveColumns;

        public void Dispose() => Store.Dispose();
    }
}
