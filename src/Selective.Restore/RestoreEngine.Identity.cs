using Selective.Restore.Providers;

namespace Selective.Restore;

/// <content>Identity keys and key maps: which parents a table's rows follow, and what is left when a parent fails.</content>
public sealed partial class RestoreEngine
{
    private sealed partial class Run
    {
        /// <summary>
        /// Follows the parents' key maps, then classifies (with the identity key when one is declared);
        /// <paramref name="liveRows"/> hears how many live rows the diff has read.
        /// </summary>
        private async Task<Classification> ClassifyAsync(TableState table, Action<long>? liveRows, CancellationToken cancellationToken)
        {
            var mapping = table.Staged!.Mapping;
            table.Identity ??= ResolveIdentity(table);
            var parents = new List<ParentReference>();
            foreach (var fk in table.Live!.ForeignKeys)
            {
                if (fk.ReferencedTable != table.Name && _byName.TryGetValue(fk.ReferencedTable, out var parent) && parent.Mapping is { } parentMapping &&
                    ReferencesKey(fk, parentMapping) is { } columns && columns.TrueForAll(c => IsMapped(mapping, c)))
                {
                    parents.Add(new ParentReference(columns, parent));
                }
            }

            return await EngineClassifyAsync(table, parents, liveRows, cancellationToken).ConfigureAwait(false);
        }

        private static List<IReadOnlyList<string>> SelfReferences(TableState table) =>
            [.. table.Live!.ForeignKeys
                .Where(fk => fk.ReferencedTable == table.Name)
                .Select(fk => ReferencesKey(fk, table.Staged!.Mapping))
                .Where(columns => columns is not null && columns.TrueForAll(c => IsMapped(table.Staged!.Mapping, c)))
                .Select(columns => (IReadOnlyList<string>)columns!)];

        private async Task FollowSelfReferencesAsync(TableState table, CancellationToken cancellationToken)
        {
            var (held, nowIdentical) = await FollowOwnKeyMapAsync(table, cancellationToken).ConfigureAwait(false);
            var tableReport = table.Report;
            tableReport.HeldBack += held;
            tableReport.Conflicting -= nowIdentical;
            tableReport.Identical += nowIdentical;
            if (held > 0)
            {
                tableReport.SetKeys(KeyClass.HeldBack, table.ReportedKeys[KeyClass.HeldBack]);
            }
        }

        private static void ReportKeys(TableState table, Classification classification)
        {
            var tableReport = table.Report;
            tableReport.KeyColumns = table.Staged!.Mapping.Key;
            foreach (var (keyClass, count) in new[] { (KeyClass.Collision, classification.Collisions), (KeyClass.Undetermined, classification.Undetermined), (KeyClass.HeldBack, classification.HeldBack) })
            {
                if (count > 0)
                {
                    tableReport.SetKeys(keyClass, table.ReportedKeys[keyClass]);
                }
            }
        }

        /// <summary>The declared identity key's columns for the table (empty when none), checked against the live table and the dump.</summary>
        private List<string> ResolveIdentity(TableState table)
        {
            if (settings.IdentityFor(table.Name) is not { } identity)
            {
                return [];
            }

            var mapping = table.Staged!.Mapping;
            foreach (var column in identity.Columns)
            {
                if (table.Live!.Find(column) is null)
                {
                    throw RestoreTableException.Incompatible($"identity key column {column} (declared for {identity.PatternText}) does not exist in the live table");
                }

                if (!IsMapped(mapping, column))
                {
                    throw RestoreTableException.Incompatible($"identity key column {column} (declared for {identity.PatternText}) has no values in the dump");
                }
            }

            if (identity.Columns.All(mapping.Key.Contains))
            {
                Warn(table, $"the identity key ({string.Join(", ", identity.Columns)}) is part of the key rows are matched on, so it can never differ: it adds nothing");
            }

            return [.. identity.Columns];
        }

        /// <summary>The referencing columns in the order of the referenced table's key, or null when the foreign key references other columns.</summary>
        private static List<string>? ReferencesKey(LiveForeignKey fk, TableMapping referenced)
        {
            if (fk.ReferencedColumns.Count != referenced.Key.Count || !referenced.Key.All(fk.ReferencedColumns.Contains))
            {
                return null;
            }

            return [.. referenced.Key.Select(k => fk.Columns[fk.ReferencedColumns.ToList().IndexOf(k)])];
        }

        private static bool IsMapped(TableMapping mapping, string column) =>
            mapping.Targets.Any(t => string.Equals(t?.Name, column, StringComparison.Ordinal));

        /// <summary>
        /// Applied parents whose key maps were never built in this process (a resumed run) are classified again,
        /// read-only: remapped rows are live now and come back as relocated, held-back keys as held back.
        /// </summary>
        private async Task RebuildKeyMapsAsync(List<TableState> tables, CancellationToken cancellationToken)
        {
            var first = tables.Min(t => _applyOrder.IndexOf(t));
            foreach (var parent in _applyOrder.Take(first < 0 ? _applyOrder.Count : first).Where(t => t is { NeedsRebuild: true, Failed: false, Staged: not null }))
            {
                await target.BeginAsync(readOnly: true, cancellationToken).ConfigureAwait(false);
                try
                {
                    await ClassifyAsync(parent, liveRows: null, cancellationToken).ConfigureAwait(false);
                    await FollowOwnKeyMapAsync(parent, cancellationToken).ConfigureAwait(false);
                    await target.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await target.RollbackQuietlyAsync().ConfigureAwait(false);
                    throw;
                }

                parent.NeedsRebuild = false;
            }
        }

        /// <summary>
        /// A failed table whose key map decides which rows its children may follow (an identity key, or a policy that can
        /// remap) takes its children in this run down with it: without the map they could attach to a different entity.
        /// Each child's error names the table that failed, its error, and which of the two it was.
        /// </summary>
        private void FailDependents(TableState parent)
        {
            if (Decides(parent) is not { } decides)
            {
                return;
            }

            var cause = WhyNotRestored(parent);
            var queue = new Queue<TableState>([parent]);
            while (queue.TryDequeue(out var failed))
            {
                foreach (var child in _tables.Where(t => t is { Failed: false, Completed: false, Live: not null } && t.Live.ForeignKeys.Any(fk => fk.ReferencedTable == failed.Name)))
                {
                    var through = ReferenceEquals(failed, parent)
                        ? $"it references {parent.Name}, which {cause}"
                        : $"it references {failed.Name}, which is not restored because {parent.Name} {cause}";
                    Fail(child, new RestoreTableException($"not restored: {through}; {decides}"));
                    queue.Enqueue(child);
                }
            }
        }

        /// <summary>
        /// A plan's <see cref="FailDependents"/>: a table whose parent (at any depth, through such tables) the apply would
        /// fail, and whose key map decides which rows its children may follow, would be failed with it: the plan warns
        /// with the apply's words (and the table's own children follow).
        /// </summary>
        private void WarnIfParentWouldFail(TableState table)
        {
            foreach (var fk in table.Live!.ForeignKeys)
            {
                if (fk.ReferencedTable == table.Name || !_byName.TryGetValue(fk.ReferencedTable, out var parent) || parent.WouldFail is null ||
                    (parent.WouldFailWith ?? parent) is not { } root || Decides(root) is not { } decides)
                {
                    continue;
                }

                var through = ReferenceEquals(parent, root)
                    ? $"it references {root.Name}, which the apply would fail ({root.WouldFail})"
                    : $"it references {parent.Name}, which would not be restored because the apply would fail {root.Name}";
                Warn(table, $"the apply would fail this table: not restored: {through}; {decides}");
                table.WouldFail = $"it would not be restored with {root.Name}";
                table.WouldFailWith = root;
                return;
            }
        }

        /// <summary>Why a table's failure fails the tables that reference it (its key map decides where their rows go), or null when it does not.</summary>
        private string? Decides(TableState parent)
        {
            var identity = settings.IdentityFor(parent.Name);
            var policy = settings.PolicyFor(parent.Name);
            return identity is not null
                ? $"{parent.Name}'s identity key ({string.Join(", ", identity.Columns)}) decides which of its rows are the live rows' entities, and which rows that reference it may attach to"
                : policy.Conflicts == ConflictHandling.PerRow
                ? $"{parent.Name}'s policy {policy.Name} decides its conflicts row by row and may move rows to new keys, which the rows that reference it must follow"
                : null;
        }

        /// <summary>Why a table is not restored, for the errors of the tables that depend on it: "failed (its error)" or "was skipped (why)".</summary>
        private static string WhyNotRestored(TableState table)
        {
            if (table.Report.Outcome == TableOutcome.Skipped)
            {
                var skipped = table.Report.Warnings.LastOrDefault(w => w.StartsWith("skipped: ", StringComparison.Ordinal));
                return skipped is null ? "was skipped" : $"was skipped ({skipped["skipped: ".Length..]})";
            }

            return table.Report.Errors.Count == 0 ? "failed" : $"failed ({table.Report.Errors[0]})";
        }
    }
}
