using Selective.Restore.Apply;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Identity;
using Selective.Restore.Merge;

namespace Selective.Restore;

/// <content>
/// The engine-side diff (issue 12): a table's dump rows stay on the client; in its transaction the live table streams
/// out and is compared with them, and only the rows that differ (missing, or other text under a live key) are staged
/// for the server's classification: typed confirmation, and with an identity key collisions, undetermined and
/// relocated rows (still server SQL). Rows whose parents' key maps have entries are all staged and rewritten first.
/// </content>
public sealed partial class RestoreEngine
{
    private sealed partial class Run
    {
        /// <summary>The engine diff for a table: by key, or on whole rows for a table without one.</summary>
        private async Task<TableDiff> DiffForAsync(TableState state, TableMapping mapping, CancellationToken cancellationToken) =>
            mapping.Key.Count == 0
                ? await WholeRowDiffForAsync(state, mapping, cancellationToken).ConfigureAwait(false)
                : TableDiff.ForKeys(mapping, settings.EngineDiff);

        /// <summary>
        /// The diff of a table without a usable key: its rows are matched on the whole row, as a multiset (a row the dump
        /// has 3 times and live once is 2 missing rows). Refused, before any row is read, where whole rows cannot say it.
        /// </summary>
        private async Task<TableDiff> WholeRowDiffForAsync(TableState state, TableMapping mapping, CancellationToken cancellationToken)
        {
            const string Prefix = "the live table has no primary key (nor a unique key on NOT NULL columns), so rows are matched on the whole row";
            if (settings.IdentityFor(state.Name) is not null)
            {
                throw RestoreTableException.Incompatible($"{Prefix}, and an identity key is declared for it: an identity key needs a key to tell entities apart");
            }

            if (mapping.DumpColumns.Count == 0)
            {
                throw RestoreTableException.Incompatible($"{Prefix}, and the dump names no columns for it");
            }

            for (var i = 0; i < mapping.Targets.Count; i++)
            {
                if (mapping.Targets[i] is not null)
                {
                    continue;
                }

                var column = mapping.DumpColumns[i];
                throw RestoreTableException.Incompatible($"{Prefix}, and the dump's column {column.Name ?? "#" + column.Position} is not in it: a row without it is not the dump's row");
            }

            if (await ParentWithKeyMapAsync(state, cancellationToken).ConfigureAwait(false) is { } parent)
            {
                throw RestoreTableException.Incompatible(
                    $"{Prefix}, and it references {parent}, whose rows may move to other keys (an identity key or a per-row policy): following them is not supported for a table without a key yet");
            }

            return TableDiff.ForWholeRows(mapping, settings.EngineDiff);
        }

        /// <summary>A table this one references (at any depth) whose rows may be remapped or held back, or null.</summary>
        private async Task<TableName?> ParentWithKeyMapAsync(TableState state, CancellationToken cancellationToken)
        {
            var seen = new HashSet<TableName> { state.Name };
            foreach (var fk in state.Live!.ForeignKeys)
            {
                if (await MayHaveKeyMapAsync(fk.ReferencedTable, seen, cancellationToken).ConfigureAwait(false))
                {
                    return fk.ReferencedTable;
                }
            }

            return null;
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

        /// <summary>
        /// After staging (and after a diff, which finds them in a spilled store): NULL keys and different rows under one
        /// key fail the table, naming the key and the two dump lines the store kept; exact repeats are a warning.
        /// </summary>
        private void CheckStore(TableState state)
        {
            var store = state.Diff!.Problems;
            if (store.NullKeyRows > 0)
            {
                throw RestoreTableException.NullKeys(store.NullKeyRows, state.Mapping!.Key);
            }

            if (state.Diff.DuplicateKeyError(state.Mapping!.Key) is { } error)
            {
                throw error;
            }

            if (store.Repeats > 0)
            {
                Warn(state, RestoreTableException.RepeatsWarning(store.Repeats));
            }
        }

        /// <summary>
        /// The engine diff of one table, in its transaction: live rows streamed and compared with the stored dump rows, the
        /// delta staged, and the server's classification of the delta (typed confirmation, identity) completed with the
        /// rows found identical by their text, which never left the client. When a parent's key map has entries (its rows
        /// moved to other keys, or are held back), the rows' references change before they can be compared: every row is
        /// staged (repeats removed), rewritten through the maps and classified by the server.
        /// </summary>
        private async Task<Classification> EngineClassifyAsync(TableState table, IReadOnlyList<ParentReference> parents, bool referenced, CancellationToken cancellationToken)
        {
            var diff = table.Diff!;
            var staged = table.Staged!;
            var follow = parents.Any(p => p.Parent.HasKeyMap);
            using var result = await diff.RunAndStageAsync(target, staged, againstNothing: follow, cancellationToken).ConfigureAwait(false);
            var counts = result.Counts;

            // Repeats a spilled store found while it joined are a warning.
            CheckStore(table);
            if (diff.Store is { IsMultiset: true })
            {
                // Copies left unpaired by their text on both sides may still be equal typed (a float or a time zone
                // printed otherwise): the database pairs those; the rest are missing. Nothing conflicts without a key.
                var missing = await target.ClassifyWholeRowsAsync(staged, result.LiveOnlyRows, cancellationToken).ConfigureAwait(false);
                var paired = counts.Missing - missing;
                return new Classification(missing, counts.Identical + paired, 0, counts.LiveOnly - paired, 0, 0, 0, 0);
            }

            await target.PrepareAsync(staged, parents, referenced, cancellationToken).ConfigureAwait(false);
            Classification classification;
            if (follow)
            {
                classification = await target.ClassifyAsync(staged, liveRows: null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // The live rows identical by text never reached the server: it classifies the rest, and they are added back.
                var server = await target.ClassifyAsync(staged, liveRows: counts.LiveRows - counts.Identical, cancellationToken).ConfigureAwait(false);
                classification = server with { Identical = server.Identical + counts.Identical };
            }

            table.Collisions?.Dispose();
            table.Collisions = null;
            return table.Identity is { Count: > 0 } identity
                ? await ClassifyIdentityAsync(table, identity, classification, cancellationToken).ConfigureAwait(false)
                : classification;
        }

        /// <summary>
        /// The identity key's classes (collision, undetermined, relocated), decided here from what the database's typed
        /// comparison says about each missing or conflicting row; only the rows whose class changes go back. The
        /// collisions are kept (<see cref="TableState.Collisions"/>) for remapping.
        /// </summary>
        private async Task<Classification> ClassifyIdentityAsync(TableState table, IReadOnlyList<string> identity, Classification classification, CancellationToken cancellationToken)
        {
            var staged = table.Staged!;
            using var changes = new Reclassifications(TempDirectory);
            long missing = classification.Missing, conflicting = classification.Conflicting, collisions = 0, undetermined = 0, relocated = 0;
            await foreach (var facts in target.ReadIdentityFactsAsync(staged, identity, cancellationToken).ConfigureAwait(false))
            {
                var from = facts.KeyLive ? DeltaClass.Conflicting : DeltaClass.Missing;
                var to = IdentityClassifier.Decide(facts);
                if (to == from)
                {
                    continue;
                }

                if (from == DeltaClass.Missing)
                {
                    missing--;
                }
                else
                {
                    conflicting--;
                }

                switch (to)
                {
                    case DeltaClass.Collision:
                        collisions++;
                        (table.Collisions ??= new Reclassifications(TempDirectory)).Add(facts.Position, DeltaClass.Remapped, null);
                        break;
                    case DeltaClass.Undetermined:
                        undetermined++;
                        break;
                    default:
                        relocated++;
                        break;
                }

                changes.Add(facts.Position, to, to == DeltaClass.Relocated ? facts.LiveKey : null);
            }

            if (changes.Count > 0)
            {
                await target.ReclassifyAsync(staged, changes, cancellationToken).ConfigureAwait(false);
            }

            return classification with { Missing = missing, Conflicting = conflicting, Collisions = collisions, Undetermined = undetermined, Relocated = relocated };
        }

        /// <summary>
        /// Gives the rows at <paramref name="positions"/> (ascending) new keys, from values the target hands out: they are
        /// inserted under them, and rows that reference them follow.
        /// </summary>
        private async Task RemapAsync(StagedTable staged, Reclassifications positions, CancellationToken cancellationToken)
        {
            using var remaps = new Reclassifications(TempDirectory);
            using var rows = positions.Read().GetEnumerator();
            await foreach (var key in target.ReserveKeysAsync(staged, positions.Count, cancellationToken).ConfigureAwait(false))
            {
                if (!rows.MoveNext())
                {
                    throw new InvalidOperationException("the target handed out more keys than asked for");
                }

                remaps.Add(rows.Current.Position, DeltaClass.Remapped, [key]);
            }

            if (remaps.Count != positions.Count)
            {
                throw new RestoreTableException($"{positions.Count} rows must be remapped to new keys, but the target handed out {remaps.Count}");
            }

            await target.ReclassifyAsync(staged, remaps, cancellationToken).ConfigureAwait(false);
        }

        private string TempDirectory => settings.EngineDiff.TempDirectory ?? Path.GetTempPath();

        // Live tables read for MayHaveKeyMapAsync (parents not staged, or not yet).
        private readonly Dictionary<TableName, Schema.LiveTable?> _catalog = [];

        public void DisposeDiffs()
        {
            foreach (var table in _tables)
            {
                table.Diff?.Dispose();
                table.Diff = null;
                table.Collisions?.Dispose();
                table.Collisions = null;
            }
        }
    }
}
