using Selective.Restore.Journal;
using Selective.Restore.Undo;

namespace Selective.Restore;

/// <content>Journals and undo scripts: resuming a killed run, and writing what reverts it.</content>
public sealed partial class RestoreEngine
{
    private sealed partial class Run
    {
        private async Task<bool> OpenJournalAndUndoAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (settings.JournalPath is { } journalPath)
                {
                    // An unconfirmed checkpoint (killed between it and the commit's confirmation) is settled by the database.
                    _journal = await FileJournal.OpenAsync(
                        journalPath,
                        Fingerprint(),
                        (id, token) => _pipeline.ExecuteAsync(async t => await target.IsCommittedAsync(id, t).ConfigureAwait(false), token).AsTask(),
                        cancellationToken).ConfigureAwait(false);
                }
                else if (settings.JournalTable is { } journalTable)
                {
                    _journal = await _pipeline.ExecuteAsync(
                        async token => await TargetJournal.OpenAsync(target, journalTable, Fingerprint(), token).ConfigureAwait(false),
                        cancellationToken).ConfigureAwait(false);
                }

                if (_journal is not null)
                {
                    report.Journal = _journal.Location;
                    foreach (var (name, entry) in _journal.Completed)
                    {
                        var state = new TableState(name, _tables.Count + 1, settings.EngineDiff, entry.Report) { Completed = true, NeedsRebuild = entry.HasKeyMap, Witnesses = entry.Witnesses };
                        state.Report.AppliedEarlier = true;
                        state.Report.NotesList.Add($"applied by an earlier run of this restore (journal {_journal.Location})");
                        _tables.Add(state);
                        _byName.Add(name, state);
                    }

                    if (!await JournalStillHoldsAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return false;
                    }
                }

                if (settings.UndoPath is { } undoPath)
                {
                    // Parts belong to one restore: only those this journal lists may be there already.
                    var listed = _journal?.Completed.Values.Select(e => e.UndoPart).OfType<string>().Select(p => Path.ChangeExtension(p, ".sql")).ToHashSet(StringComparer.Ordinal) ?? [];
                    _undo = UndoLog.Open(undoPath, listed);

                    // Parts a killed run left pending: the journal's checkpoints say which tables committed.
                    var committed = _journal?.Completed.Values.Select(e => e.UndoPart).OfType<string>().ToHashSet(StringComparer.Ordinal);
                    foreach (var interrupted in _undo.ResolvePending(committed, _journal?.UncertainUndoParts ?? []))
                    {
                        report.WarningsList.Add(
                            $"the undo part {interrupted} was left by a run killed while committing a table, and whether that commit happened can no longer be told; it is not in the undo script (run it by hand if that table's changes are there)");
                    }
                }

                return true;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException || (ex is not OperationCanceledException && target.IsTransient(ex)) || ex is System.Data.Common.DbException)
            {
                FailRun(ex is System.Data.Common.DbException ? "journal: " + target.Describe(ex) : ex.Message);
                return false;
            }
        }

        /// <summary>
        /// The journal says tables were applied: are the rows it saw written still there as written? When none is (the
        /// undo script was run since, most likely), the journal no longer describes the database, and resuming from it
        /// would report a restore that is not there: the run stops.
        /// </summary>
        private async Task<bool> JournalStillHoldsAsync(CancellationToken cancellationToken)
        {
            var witnessed = _tables.Where(t => t is { Completed: true } && t.Witnesses.Count > 0).ToList();
            if (witnessed.Count == 0)
            {
                return true;
            }

            int total = 0, held = 0;
            await _pipeline.ExecuteAsync(
                async token =>
                {
                    total = held = 0;
                    if (target.IsBroken || target.Session == 0)
                    {
                        await target.ConnectAsync(token).ConfigureAwait(false);
                    }

                    foreach (var table in witnessed)
                    {
                        var live = await target.ReadTableAsync(table.Name, token).ConfigureAwait(false);
                        total += table.Witnesses.Count;
                        held += live is null ? 0 : await target.CountWitnessesAsync(live, table.Report.KeyColumns, table.Witnesses, token).ConfigureAwait(false);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            if (held > 0)
            {
                if (held < total)
                {
                    report.WarningsList.Add($"{total - held} of {total} rows that the journal saw earlier runs write have changed since; the tables it lists as applied are not applied again");
                }

                return true;
            }

            // The journal's tables are not reported as applied: that is what the journal can no longer vouch for.
            var first = witnessed[0];
            _tables.Clear();
            _byName.Clear();
            FailRun(
                $"the journal {_journal!.Location} says {string.Join(", ", witnessed.Select(t => t.Name).Take(10))} were applied, but none of the rows it saw written is there any more as written " +
                $"(e.g. {first.Name} ({string.Join(", ", first.Report.KeyColumns.Zip(first.Witnesses[0].Key, (c, v) => $"{c}={v}"))})): the undo script was probably run. " +
                "A journal describes one restore: to restore again, start a new one (remove the journal, or give a new one, and give --undo a new path)");
            return false;
        }

        private async Task FinishUndoAsync(CancellationToken cancellationToken)
        {
            if (_undo is null)
            {
                return;
            }

            var header = $"""
                -- Undo script of the selective restore of {settings.Source.Description} into {target.Description}.
                -- Written {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z. Run it with: {target.UndoDialect.RunCommand(Path.GetFileName(_undo.ScriptPath))} (add your connection options).
                -- It is one transaction: it deletes the rows the restore inserted and puts back the values it overwrote, children
                -- before parents, and stops (undoing nothing) if any of those rows was changed or deleted since.
                -- Sequences are not moved back: that could hand out IDs already in use.
                """;
            try
            {
                await _undo.WriteScriptAsync(header, target.UndoDialect, cancellationToken).ConfigureAwait(false);
                report.UndoScript = _undo.ScriptPath;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The tables are committed whatever happens here: say so, and where the parts are.
                report.ErrorsList.Add($"the undo script {_undo.ScriptPath} could not be written ({ex.Message}); what was applied stays applied, and its undo parts are in {_undo.ScriptPath}.parts/");
            }
        }

        /// <summary>What makes two runs the same restore: the dump (path, size, time), the target and every option that decides what is written.</summary>
        private string Fingerprint()
        {
            var text = string.Join('\n',
                settings.Source.Fingerprint,
                "target " + target.Description,
                "tables " + settings.Filter,
                "policy " + settings.Policy.Name,
                "policies " + string.Join(';', settings.TablePolicies.Select(p => p.Pattern + "=" + p.Policy.Name)),
                "identity " + string.Join(';', settings.IdentityKeys.Select(k => k.PatternText + "=" + string.Join(',', k.Columns))),
                "collisions " + settings.Collisions,
                "transactions " + settings.TransactionMode,
                "skip " + settings.SkipUnknownColumns + " " + settings.SkipIncompatibleTables);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        }
    }
}
