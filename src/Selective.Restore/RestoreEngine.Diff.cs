using Selective.Restore.Diff;
using Selective.Restore.Providers;

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
            var prefix = mapping.Live.PrimaryKey.Count == 0
                ? "the live table has no primary key (nor a unique key on NOT NULL columns), so rows are matched on the whole row"
                : $"the dump has no values for the generated key ({string.Join(", ", mapping.Live.PrimaryKey)}), so rows are matched on the whole row";
            if (settings.IdentityFor(state.Name) is not null)
            {
                throw RestoreTableException.Incompatible($"{prefix}, and an identity key is declared for it that is not a unique key of NOT NULL columns in the live table: an identity key needs a key to tell entities apart");
            }

            if (mapping.DumpColumns.Count == 0)
            {
                throw RestoreTableException.Incompatible($"{prefix}, and the dump names no columns for it");
            }

            for (var i = 0; i < mapping.Targets.Count; i++)
            {
                if (mapping.Targets[i] is not null)
                {
                    continue;
                }

                var column = mapping.DumpColumns[i];
                throw RestoreTableException.Incompatible($"{prefix}, and the dump's column {column.Name ?? "#" + column.Position} is not in it: a row without it is not the dump's row");
            }

            // Rows that may have to follow a parent's key map are kept in dump order too, to be rewritten before the diff.
            var follows = await ParentWithKeyMapAsync(state, cancellationToken).ConfigureAwait(false) is not null;
            return TableDiff.ForWholeRows(mapping, settings.EngineDiff, keepRows: follows);
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

            var live = await CatalogAsync(name, cancellationToken).ConfigureAwait(false);
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
        /// delta staged, and the server's classification of the delta (typed confirmation) completed with the rows found
        /// identical by their text, which never left the client; then the identity key's classes. When a parent's key map
        /// has entries (its rows moved to other keys, or are held back), the stored rows follow it first (<see cref="Follow"/>).
        /// </summary>
        private async Task<Classification> EngineClassifyAsync(TableState table, IReadOnlyList<ParentReference> parents, Action<long>? liveRows, CancellationToken cancellationToken)
        {
            var diff = table.Diff!;
            var staged = table.Staged!;
            table.Map.Clear();
            table.Origins.Clear();
            table.RemapOrigins.Clear();
            foreach (var keys in table.ReportedKeys.Values)
            {
                keys.Clear();
            }

            table.Collisions?.Dispose();
            table.Collisions = null;
            var active = parents.Where(p => p.Parent.Map.HasEntries).ToList();
            using var followed = active.Count == 0 ? null : diff.Sequence is not null ? Follow(table, active) : FollowWholeRows(table, active);
            using var result = await (followed?.Diff ?? diff).RunAndStageAsync(target, staged, followed?.Held, liveRows, cancellationToken).ConfigureAwait(false);
            var counts = result.Counts;

            // Repeats a spilled store found while it joined are a warning.
            CheckStore(table);
            if (diff.Store is { IsMultiset: true })
            {
                // Copies left unpaired by their text on both sides may still be equal typed (a float or a time zone
                // printed otherwise): the database pairs those; the rest are missing. Nothing conflicts without a key.
                // Held copies were left out of the engine's pairing by text: the typed pairing accounts for their live rows.
                var (missing, held, pairedHeld) = await target.ClassifyWholeRowsAsync(staged, result.LiveOnlyRows, cancellationToken).ConfigureAwait(false);
                var paired = counts.Missing - missing;
                return new Classification(missing, counts.Identical + paired, 0, counts.LiveOnly - paired - pairedHeld, 0, 0, 0, held);
            }

            // The live rows identical by text never reached the server: it classifies the rest, and they are added back.
            // Held rows were left out of the diff, so their live rows are among the rest: the server pairs them.
            var server = await target.ClassifyAsync(staged, liveRows: counts.LiveRows - counts.Identical, cancellationToken).ConfigureAwait(false);
            var classification = server with { Identical = server.Identical + counts.Identical };
            return table.Identity is { Count: > 0 } identity
                ? await ClassifyIdentityAsync(table, identity, classification, cancellationToken).ConfigureAwait(false)
                : classification;
        }

        /// <summary>
        /// The table's stored rows made to follow its parents' key maps, as the diff reads them: foreign key fields that
        /// name a parent key with a new home (remapped, relocated, moved) take that key; rows that name a held-back parent
        /// row are held back (staged as such, never written) and so are their own keys, for their children. A row whose
        /// own key changed (it holds the foreign key) is mapped from its dump key, so its children follow it too. A re-run
        /// compares the rewritten rows with what the first run wrote and finds them identical.
        /// </summary>
        private FollowedRows Follow(TableState table, List<ParentReference> parents)
        {
            var diff = table.Diff!;
            var source = diff.Sequence!;
            var mapping = table.Staged!.Mapping;
            var keyOrdinals = source.KeyOrdinals.ToArray();
            var references = parents.Select(p => (Ordinals: p.Columns.Select(c => DumpOrdinal(mapping, c)).ToArray(), p.Parent.Map)).ToList();
            var rewritten = new DumpSequence(keyOrdinals, diff.Options);
            var held = new SpillFile(TempDirectory);
            try
            {
                var keys = new KeyBuffer();
                var chars = new char[4096];
                source.Rows.Rewind();
                while (source.Rows.TryRead(out var stored, out var lineNumber, out var ordinal))
                {
                    if (source.IsSkipped(ordinal))
                    {
                        continue;
                    }

                    var line = FollowParents(stored, references, keys, ref chars, out var isHeld);
                    if (!isHeld && line is null)
                    {
                        rewritten.Add(stored, lineNumber, ordinal);
                        continue;
                    }

                    var original = KeyText(keys, stored, keyOrdinals)!;
                    var row = line ?? stored;
                    var current = line is null ? original : KeyText(keys, row, keyOrdinals)!;
                    if (isHeld)
                    {
                        held.Write(row, lineNumber, ordinal);
                        table.Map.Hold(original, MapKind.HeldBack);
                        Report(table, KeyClass.HeldBack, current);
                        continue;
                    }

                    if (!string.Equals(current, original, StringComparison.Ordinal))
                    {
                        table.Map.Move(original, current, MapKind.Moved);
                        table.Origins.Move(current, original, MapKind.Moved);
                    }

                    rewritten.Add(row, lineNumber, ordinal);
                }

                rewritten.Complete();
                return new FollowedRows(diff.Over(rewritten), held);
            }
            catch
            {
                rewritten.Dispose();
                held.Dispose();
                throw;
            }
        }

        /// <summary>
        /// <see cref="Follow"/> for a table without a key: its rows, kept in dump order, rewritten into a fresh multiset
        /// store, and the rows under held-back parents set aside (staged as held; nothing references a table without a key,
        /// so it needs no key map of its own).
        /// </summary>
        private FollowedRows FollowWholeRows(TableState table, List<ParentReference> parents)
        {
            var diff = table.Diff!;
            var source = diff.Rows ?? throw new InvalidOperationException($"{table.Name}'s rows were not kept in dump order");
            var mapping = table.Staged!.Mapping;
            var references = parents.Select(p => (Ordinals: p.Columns.Select(c => DumpOrdinal(mapping, c)).ToArray(), p.Parent.Map)).ToList();
            var rewritten = new DumpRowStore([], diff.Options);
            var held = new SpillFile(TempDirectory);
            try
            {
                var keys = new KeyBuffer();
                var chars = new char[4096];
                source.Rewind();
                while (source.TryRead(out var stored, out var lineNumber, out var ordinal))
                {
                    var line = FollowParents(stored, references, keys, ref chars, out var isHeld);
                    if (isHeld)
                    {
                        held.Write(line ?? stored, lineNumber, ordinal);
                    }
                    else
                    {
                        rewritten.Add(line ?? stored, lineNumber, ordinal);
                    }
                }

                return new FollowedRows(diff.Over(rewritten), held);
            }
            catch
            {
                rewritten.Dispose();
                held.Dispose();
                throw;
            }
        }

        /// <summary>
        /// One stored row made to follow its parents' key maps: the rewritten line, or null when no reference moved;
        /// <paramref name="isHeld"/> when one names a held-back parent row. Most rows reference a parent row that stayed
        /// where it was: they are looked up without a string.
        /// </summary>
        private static byte[]? FollowParents(ReadOnlySpan<byte> stored, List<(int[] Ordinals, KeyMap Map)> references, KeyBuffer keys, ref char[] chars, out bool isHeld)
        {
            byte[]? line = null;
            isHeld = false;
            foreach (var (ordinals, map) in references)
            {
                // A NULL foreign key references nothing, and follows nothing.
                if (!KeyChars(keys, line ?? stored, ordinals, ref chars, out var length) || !map.TryGet(chars.AsSpan(0, length), out var to))
                {
                    continue;
                }

                if (to is null)
                {
                    isHeld = true;
                }
                else
                {
                    line = CopyFields.Replace(line ?? stored, ordinals, to);
                }
            }

            return line;
        }

        /// <summary>The key fields of a COPY line as raw text joined by tabs, or null when one is NULL.</summary>
        /// <summary>Whether a reference of the row names a held-back row (<see cref="FollowParents"/>'s test alone, without rewriting).</summary>
        private static bool ReferencesHeld(ReadOnlySpan<byte> row, List<(int[] Ordinals, KeyMap Map)> references, KeyBuffer keys, ref char[] chars)
        {
            foreach (var (ordinals, map) in references)
            {
                if (KeyChars(keys, row, ordinals, ref chars, out var length) && map.TryGet(chars.AsSpan(0, length), out var to) && to is null)
                {
                    return true;
                }
            }

            return false;
        }

        private static string? KeyText(KeyBuffer keys, ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals)
        {
            var key = keys.Of(line, ordinals, 0, out var isNull);
            return isNull ? null : System.Text.Encoding.UTF8.GetString(key);
        }

        /// <summary>The key fields of a COPY line as raw text joined by tabs, in <paramref name="chars"/>; false when one is NULL.</summary>
        private static bool KeyChars(KeyBuffer keys, ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals, ref char[] chars, out int length)
        {
            var key = keys.Of(line, ordinals, 0, out var isNull);
            if (isNull)
            {
                length = 0;
                return false;
            }

            if (chars.Length < key.Length)
            {
                chars = new char[key.Length]; // UTF-8 never decodes to more chars than bytes
            }

            length = System.Text.Encoding.UTF8.GetChars(key, chars);
            return true;
        }

        private static int DumpOrdinal(TableMapping mapping, string column)
        {
            for (var i = 0; i < mapping.Targets.Count; i++)
            {
                if (string.Equals(mapping.Targets[i]?.Name, column, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            throw RestoreTableException.Incompatible($"the dump has no values for column {column}");
        }

        /// <summary>Lists a key (as staged: raw COPY fields) under its class in the report, up to the report's limit.</summary>
        private void Report(TableState table, KeyClass keyClass, string key)
        {
            var keys = table.ReportedKeys[keyClass];
            if (keys.Count < settings.ReportedKeyLimit)
            {
                keys.Add([.. KeyMap.Decode(key)]);
            }
        }

        /// <summary>The dump's own key of a row whose key is <paramref name="current"/> as staged.</summary>
        /// <remarks><paramref name="remapped"/>: <paramref name="current"/> may be a remapped row's new key.</remarks>
        private static string DumpKeyOf(TableState table, string current, bool remapped = false) =>
            (remapped && table.RemapOrigins.HasEntries && table.RemapOrigins.TryGet(current, out var original)) || (table.Origins.HasEntries && table.Origins.TryGet(current, out original))
                ? original!
                : current;

        /// <summary>
        /// The identity key's classes (collision, undetermined, relocated), decided here from what the database's typed
        /// comparison says about each missing or conflicting row; only the rows whose class changes go back. Each gets a
        /// key map entry (children hold back under collisions and undetermined rows, and follow relocated ones), and the
        /// collisions are kept (<see cref="TableState.Collisions"/>) for remapping.
        /// </summary>
        private async Task<Classification> ClassifyIdentityAsync(TableState table, IReadOnlyList<string> identity, Classification classification, CancellationToken cancellationToken)
        {
            var staged = table.Staged!;
            using var changes = new DeltaEdits(TempDirectory);
            long missing = classification.Missing, conflicting = classification.Conflicting, collisions = 0, undetermined = 0, relocated = 0;

            // Collisions remapped right after this go to the target once, as remapped rows with their new keys, not
            // first as collisions (a table where every row collides had each row updated twice on the server).
            var remapNext = settings.Collisions == CollisionHandling.Remap;
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

                var original = DumpKeyOf(table, facts.Key);
                switch (to)
                {
                    case DeltaClass.Collision:
                        collisions++;
                        table.Map.Hold(original, MapKind.Collision);
                        Report(table, KeyClass.Collision, facts.Key);
                        (table.Collisions ??= new DeltaEdits(TempDirectory)).Add(facts.Position, DeltaClass.Remapped, facts.Key);
                        if (remapNext)
                        {
                            continue;
                        }

                        break;
                    case DeltaClass.Undetermined:
                        undetermined++;
                        table.Map.Hold(original, MapKind.Undetermined);
                        Report(table, KeyClass.Undetermined, facts.Key);
                        break;
                    default:
                        relocated++;
                        table.Map.Move(original, facts.LiveKey!, MapKind.Relocated);
                        break;
                }

                changes.Add(facts.Position, to, null);
            }

            if (changes.Count > 0)
            {
                await target.ReclassifyAsync(staged, changes, cancellationToken).ConfigureAwait(false);
            }

            return classification with { Missing = missing, Conflicting = conflicting, Collisions = collisions, Undetermined = undetermined, Relocated = relocated };
        }

        /// <summary>
        /// Gives the rows of <paramref name="rows"/> (positions ascending, each with its key as staged) new keys, from
        /// values the target hands out (a plan's: those it would hand out now): they are inserted under them, and rows
        /// that reference them follow.
        /// </summary>
        private async Task RemapAsync(TableState table, DeltaEdits rows, CancellationToken cancellationToken)
        {
            using var remaps = new DeltaEdits(TempDirectory);
            using var next = rows.Read().GetEnumerator();
            await foreach (var value in target.ReserveKeysAsync(table.Staged!, rows.Count, preview: settings.Plan, cancellationToken).ConfigureAwait(false))
            {
                if (!next.MoveNext())
                {
                    throw new InvalidOperationException("the target handed out more keys than asked for");
                }

                var (position, _, current) = next.Current;
                var key = KeyMap.Encode([value]);
                var original = DumpKeyOf(table, current!);
                remaps.Add(position, DeltaClass.Remapped, key);
                table.Map.Move(original, key, MapKind.Remapped);
                table.RemapOrigins.Move(key, original, MapKind.Remapped);
            }

            if (remaps.Count != rows.Count)
            {
                throw new RestoreTableException($"{rows.Count} rows must be remapped to new keys, but the target handed out {remaps.Count}");
            }

            await target.ReclassifyAsync(table.Staged!, remaps, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Rows that reference their own table (self-references) follow its key map: a row under a held-back row is held
        /// back too, to any depth (one level per pass over the delta), and references to rows that moved are rewritten.
        /// Returns the rows newly held and the conflicting rows that became identical once rewritten (a re-run after a remap).
        /// </summary>
        private async Task<(long Held, long NowIdentical)> FollowOwnKeyMapAsync(TableState table, CancellationToken cancellationToken)
        {
            var selfReferences = SelfReferences(table);
            if (!table.Map.HasEntries || selfReferences.Count == 0)
            {
                return (0, 0);
            }

            var staged = table.Staged!;
            var key = staged.Mapping.Key;
            var referencing = selfReferences.SelectMany(r => r).Distinct(StringComparer.Ordinal).ToList();
            List<string> columns = [.. key, .. referencing.Where(c => !key.Contains(c, StringComparer.Ordinal))];

            // Field 0 is the position; the columns follow.
            var keyFields = key.Select(c => columns.IndexOf(c) + 1).ToArray();
            var referenceFields = selfReferences.Select(r => r.Select(c => columns.IndexOf(c) + 1).ToArray()).ToList();
            var writtenFields = referencing.Select(c => columns.IndexOf(c) + 1).ToArray();
            using var rows = new SpillFile(TempDirectory);
            var stream = await target.ReadDeltaAsync(staged, columns, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var reader = new CopyLineReader(stream);
                while (await reader.ReadAsync(async: true, cancellationToken).ConfigureAwait(false))
                {
                    var line = reader.Line;
                    var tab = line.IndexOf((byte)'\t');
                    if (tab < 0 || !long.TryParse(line[..tab], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position))
                    {
                        throw new InvalidOperationException("the target's delta rows must start with their position");
                    }

                    rows.Write(line, position, 0);
                }
            }

            // Rows under a held-back row are held and leave the rows, one level per pass, until a pass holds none.
            var keys = new KeyBuffer();
            var chars = new char[4096];
            var ownReferences = referenceFields.Select(fields => (fields, table.Map)).ToList();
            long held = 0;
            using var heldEdits = new DeltaEdits(TempDirectory);
            using var rewrites = new DeltaEdits(TempDirectory);
            var current = rows;
            try
            {
                while (true)
                {
                    long heldThisPass = 0;
                    var next = new SpillFile(TempDirectory);
                    current.Rewind();
                    while (current.TryRead(out var line, out var position, out _))
                    {
                        if (!ReferencesHeld(line, ownReferences, keys, ref chars))
                        {
                            next.Write(line, position, 0);
                            continue;
                        }

                        var own = KeyText(keys, line, keyFields)!;
                        table.Map.Hold(DumpKeyOf(table, own, remapped: true), MapKind.HeldBack);
                        Report(table, KeyClass.HeldBack, own);
                        heldEdits.Add(position, DeltaClass.HeldBack, null);
                        heldThisPass++;
                    }

                    if (!ReferenceEquals(current, rows))
                    {
                        current.Dispose();
                    }

                    current = next;
                    held += heldThisPass;
                    if (heldThisPass == 0)
                    {
                        break;
                    }
                }

                // References to rows that moved take their new keys.
                current.Rewind();
                while (current.TryRead(out var stored, out var position, out _))
                {
                    // The held rows left in the passes above: what is left only follows moved references.
                    if (FollowParents(stored, ownReferences, keys, ref chars, out _) is { } line)
                    {
                        rewrites.Add(position, null, FieldsText(line, writtenFields));
                    }
                }
            }
            finally
            {
                if (!ReferenceEquals(current, rows))
                {
                    current.Dispose();
                }
            }

            if (heldEdits.Count > 0)
            {
                await target.ReclassifyAsync(staged, heldEdits, cancellationToken).ConfigureAwait(false);
            }

            if (rewrites.Count == 0)
            {
                return (held, 0);
            }

            await target.RewriteAsync(staged, referencing, rewrites, cancellationToken).ConfigureAwait(false);
            return (held, await target.DropIdenticalConflictsAsync(staged, cancellationToken).ConfigureAwait(false));
        }

        /// <summary>Fields of a COPY line as raw text joined by tabs, NULLs (<c>\N</c>) included.</summary>
        private static string FieldsText(ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals)
        {
            var parts = new List<string>(ordinals.Length);
            foreach (var ordinal in ordinals)
            {
                CopyFields.TryFind(line, ordinal, out var start, out var length);
                parts.Add(System.Text.Encoding.UTF8.GetString(line.Slice(start, length)));
            }

            return string.Join('\t', parts);
        }

        /// <summary>A foreign key whose referencing columns (in the order of the parent's key) follow the parent's key map.</summary>
        private sealed record ParentReference(IReadOnlyList<string> Columns, TableState Parent);

        /// <summary>A table's rows rewritten to follow its parents' key maps, and the rows held back.</summary>
        private sealed class FollowedRows(TableDiff diff, SpillFile held) : IDisposable
        {
            public TableDiff Diff { get; } = diff;

            public SpillFile Held { get; } = held;

            public void Dispose()
            {
                Diff.Dispose();
                Held.Dispose();
            }
        }

        private string TempDirectory => settings.EngineDiff.TempDirectory ?? Path.GetTempPath();

        // Live tables read for MayHaveKeyMapAsync and CheckParentsAsync (parents not staged, or not yet); parallel jobs share it.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<TableName, LiveTable?> _catalog = new();

        public void DisposeDiffs()
        {
            foreach (var table in _tables)
            {
                table.Diff?.Dispose();
                table.Diff = null;
                table.Collisions?.Dispose();
                table.Collisions = null;
                table.Map.Dispose();
                table.Origins.Dispose();
                table.RemapOrigins.Dispose();
                table.Excluded.Dispose();
            }
        }
    }
}
