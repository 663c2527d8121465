using System.Diagnostics;
using Polly;
using Polly.Retry;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Journal;
using Selective.Restore.Providers;
using Selective.Restore.Undo;

namespace Selective.Restore;

/// <summary>
/// Runs a selective restore: reads the selected dump tables' rows into bounded memory and spill files (one streaming
/// pass over the dump), orders the tables parents-first by foreign key, then per table — in a transaction, retried on
/// transient failures — compares the rows with the live table as it streams out, has the database confirm only the
/// rows that differ, applies the merge policy (and the identity key's rules, key maps and remaps) and reseeds sequences.
/// </summary>
public sealed partial class RestoreEngine
{
    // Rows per table a journal keeps as witnesses: enough that an app touching a few of them cannot look like an undo.
    private const int WitnessesPerTable = 5;

    // Keys a plan lists per table of the rows it would insert and of those it would update: a few to check by hand,
    // read back after the decisions (never all of them: memory stays bounded whatever the table's size).
    private const int PlannedKeyLimit = 10;

    private readonly RestoreSettings _settings;

    internal RestoreEngine(RestoreSettings settings) => _settings = settings;

    /// <summary>Runs the restore (or the plan). Expected outcomes are in the report; only cancellation and unexpected failures throw.</summary>
    public async Task<RestoreReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var target = _settings.TargetFactory();
        target.LockTimeout = _settings.LockTimeout;
        await using (target.ConfigureAwait(false))
        {
            var report = new RestoreReport(_settings.Source.Description, target.Description, _settings.Policy.Name, _settings.Plan, DateTimeOffset.UtcNow);
            var logger = _settings.Logger;
            Log.Starting(logger, _settings.Plan ? "Plan" : "Restore", _settings.Source.Description, target.Description, _settings.Policy.Name);
            var run = Run.Create(_settings, target, report);
            try
            {
                await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
            {
                // The table in flight was rolled back; what committed before stays, and the report, the undo script
                // and the journal say exactly that.
                await run.CancelledAsync().ConfigureAwait(false);
                report.Duration = clock.Elapsed;
                throw new RestoreCanceledException(report, ex, cancellationToken);
            }
            finally
            {
                run.DisposeDiffs();
                report.Duration = clock.Elapsed;
            }

            return report;
        }
    }

    /// <summary>
    /// Why <paramref name="formats"/> refuses <paramref name="source"/>, or null when it takes it (or the dump
    /// cannot be opened: staging then reports that as it always does).
    /// </summary>
    internal static string? RefusedFormat(IDumpFormats formats, DumpSource source, string? database)
    {
        DumpFormat format;
        if (source.Format is { } known)
        {
            format = known;
        }
        else
        {
            try
            {
                using var reader = source.Open(new DumpReaderOptions { Database = database });
                format = reader.Format;
            }
            catch (Exception ex) when (ex is DumpFormatException or IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return formats.Refuses(format) is { } reason ? $"{source.Description}: {reason}" : null;
    }

    /// <summary>One run's state.</summary>
    private sealed partial class Run(RestoreSettings settings, IRestoreTarget target, RestoreReport report)
    {
        private readonly List<TableState> _tables = []; // dump order
        private readonly Dictionary<TableName, TableState> _byName = [];
        private readonly List<TableState> _applyOrder = []; // parents first
        private RestoreJournal? _journal;
        private UndoLog? _undo;
        private readonly HashSet<TableName> _dumpTables = []; // every table the dump has, selected or not
        private string? _incomplete; // pg_dump's header without its closing comment (cut short): why, and where
        private readonly ResiliencePipeline _pipeline = settings.Pipeline ?? DefaultPipeline(settings, target);
        private readonly ProgressThrottle? _progress = settings.Progress is { } progress ? new ProgressThrottle(progress, settings.ProgressInterval) : null;
        private readonly Dictionary<TableState, int> _applyNumbers = []; // progress: the apply pass's tables, numbered in apply order
        private int _applyDone;
        private long _bytesRead; // what staging read of the dump, as stored, and the dump's size (-1 unknown)
        private long _bytesTotal = -1;

        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            // A dump this target cannot read as its own values (pg_dump into SQL Server) is refused before anything connects.
            if (target is IDumpFormats formats && RefusedFormat(formats, settings.Source, settings.DumpDatabase) is { } refused)
            {
                FailRun(refused);
                return;
            }

            if (settings.Source.IsSameDatabase(target.Description))
            {
                FailRun($"the source {settings.Source.Description} is the target database itself: restore from a copy (a PITR clone, a backup copy of the file)");
                return;
            }

            // 0. Resume: tables an earlier run committed are not applied again (nor staged, unless children follow their key maps).
            if (!await OpenJournalAndUndoAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            // 1. Stage every selected table (one pass over the dump). A malformed dump stops everything: nothing is applied.
            try
            {
                await _pipeline.ExecuteAsync(
                    async token =>
                    {
                        if (target.IsBroken || target.Session == 0)
                        {
                            await target.ConnectAsync(token).ConfigureAwait(false);
                        }

                        await StageAsync(only: null, token).ConfigureAwait(false);
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (target.Session == 0 && ex is not (OperationCanceledException or DumpFormatException))
            {
                // Never connected: nothing can be reported per table, and the caller must fix the connection. Thrown (docs/errors.md).
                throw new RestoreConnectionException($"could not connect to {target.Description}: {target.Describe(ex)}", ex);
            }
            catch (DumpFormatException ex)
            {
                FailRun(ex.Message);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The dump could not be read (a local file error, never retried): nothing is applied.
                FailRun($"{settings.Source.Description}: {ex.Message}");
                return;
            }

            // A pg_dump file cut short at a statement boundary reads cleanly, minus the tables after the cut.
            if (_incomplete is not null && !settings.AllowIncomplete)
            {
                FailRun($"{settings.Source.Description} is incomplete: {_incomplete}; nothing is applied. Restore from it anyway with --allow-incomplete (AllowIncompleteDump)");
                return;
            }

            // A pattern that matches nothing is a typo that would silently select nothing, or switch a protection off: a
            // table filter against the dump's tables, a policy or identity key against the tables of this restore.
            var some = $"{string.Join(", ", _tables.Select(t => t.Name).Take(10))}{(_tables.Count > 10 ? ", ..." : string.Empty)}";
            var unmatched = settings.Filter.PatternsMatchingNone(_dumpTables)
                .Select(p => $"the table pattern '{p}' matches no table in the dump{TableFilter.Hint(p, _dumpTables)}")
                .Concat(settings.TablePolicies.Where(p => !_tables.Exists(t => p.Pattern.Matches(t.Name)))
                    .Select(p => $"the policy for '{p.PatternText}' matches none of the tables of this restore ({some}); check the table name"))
                .Concat(settings.IdentityKeys.Where(k => !_tables.Exists(t => k.Pattern.Matches(t.Name)))
                    .Select(k => $"the identity key declared for '{k.PatternText}' matches none of the tables of this restore ({some}); check the table name, or leave the key out"))
                .ToList();
            if (unmatched.Count > 0)
            {
                report.InvalidOptions = true;
                FailRun(string.Join("; ", unmatched));
                return;
            }

            // 2. Parents before children. A table that failed staging may have decided which rows its children follow: they fail too.
            foreach (var failed in _tables.Where(t => t.Failed).ToList())
            {
                FailDependents(failed);
            }

            // One transaction means all tables or none: a table that failed before it began fails the others too.
            if (settings.TransactionMode == TransactionMode.SingleTransaction && !settings.Plan &&
                _tables.Where(t => t is { Failed: true } && t.Report.Outcome == TableOutcome.Failed).Select(t => t.Name).ToList() is { Count: > 0 } broken)
            {
                var reason = $"not applied: the restore is one transaction (all tables or none), and {string.Join(", ", broken)} failed before it began";
                foreach (var table in _tables.Where(t => t is { Failed: false, Completed: false }))
                {
                    Fail(table, new RestoreTableException(reason));
                }

                report.ErrorsList.Add(reason);
            }

            var staged = _tables.Where(t => t is { Failed: false, Staged: not null }).ToList();
            var groups = ForeignKeyGraph.Order([.. staged.Select(t => t.Live!)]);
            var ordered = groups.Select(g => (Group: g, Tables: g.Tables.Select(live => _byName[live.Name]).ToList())).ToList();
            _applyOrder.AddRange(ordered.SelectMany(g => g.Tables));
            foreach (var table in _applyOrder.Where(t => t is { Failed: false, Completed: false }))
            {
                _applyNumbers.Add(table, _applyNumbers.Count + 1);
            }

            // 3. Apply, each group in its own transaction, or all in one.
            if (settings.TransactionMode == TransactionMode.SingleTransaction)
            {
                var cycles = ordered.Where(g => g.Group.IsCycle).Select(g => g.Group).ToList();
                var pending = ordered.SelectMany(g => g.Tables).Where(t => t is { Failed: false, Completed: false }).ToList();
                if (pending.Count > 0)
                {
                    await ApplyAsync(pending, cycles, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (_jobs > 1)
            {
                await ApplyInParallelAsync(ordered, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var (group, tables) in ordered)
                {
                    // Tables failed because a parent failed are not applied, nor those an earlier run committed.
                    var live = tables.Where(t => t is { Failed: false, Completed: false }).ToList();
                    if (live.Count > 0)
                    {
                        await ApplyAsync(live, group.IsCycle ? [group] : [], cancellationToken).ConfigureAwait(false);
                    }

                    // A table a parent's failure failed before its turn is done too, for progress.
                    foreach (var table in tables.Where(t => t.Failed && !live.Contains(t) && _applyNumbers.ContainsKey(t)))
                    {
                        _applyDone++;
                        ReportApplyPass(table, settings.Plan ? RestorePhase.Diffing : RestorePhase.Applying, 0, force: true);
                    }
                }
            }

            // Applied tables in the order they were applied, then those that failed before (staging, mapping) or were applied by an earlier run.
            foreach (var table in ordered.SelectMany(g => g.Tables).Concat(_tables.Where(t => !staged.Contains(t))))
            {
                report.TablesList.Add(table.Report);
            }

            await FinishUndoAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary>After a cancel: every table is reported (committed ones as applied), and the undo script is written for them.</summary>
        public async Task CancelledAsync()
        {
            report.Cancelled = true;
            var committed = _tables.Where(t => t is { Completed: true }).ToList();
            foreach (var table in _tables.Where(t => !t.Completed && t.Report.Outcome is not (TableOutcome.Failed or TableOutcome.Skipped)))
            {
                table.Report.Inserted = table.Report.Updated = table.Report.Skipped = 0;
                table.Report.SetKeys(KeyClass.Inserted, []);
                table.Report.SetKeys(KeyClass.Updated, []);
                table.Report.Outcome = TableOutcome.Cancelled;
            }

            report.TablesList.Clear();
            foreach (var table in _applyOrder.Where(t => t.Completed).Concat(_tables.Where(t => !_applyOrder.Contains(t) || !t.Completed)).Distinct())
            {
                report.TablesList.Add(table.Report);
            }

            report.ErrorsList.Add(settings.Plan
                ? $"cancelled: the plan stopped after planning {committed.Count} tables (nothing was written)"
                : committed.Count == 0
                ? "cancelled: nothing was applied"
                : $"cancelled: {committed.Count} tables were committed before the cancel and stay applied ({string.Join(", ", committed.Select(t => t.Name).Take(20))}{(committed.Count > 20 ? ", ..." : string.Empty)}); the others were not applied");
            Log.Cancelled(settings.Logger, report.Errors[^1]);
            await FinishUndoAsync(CancellationToken.None).ConfigureAwait(false);
        }

        private void FailRun(string error)
        {
            Log.RunFailed(settings.Logger, error);
            report.ErrorsList.Add(error);
            foreach (var table in _tables)
            {
                if (!table.Completed)
                {
                    table.Report.Outcome = TableOutcome.Failed;
                }

                report.TablesList.Add(table.Report);
            }
        }

        private static ResiliencePipeline DefaultPipeline(RestoreSettings settings, IRestoreTarget target) =>
            settings.Retry.MaxRetryAttempts == 0
                ? ResiliencePipeline.Empty
                : new ResiliencePipelineBuilder()
                    .AddRetry(new RetryStrategyOptions
                    {
                        ShouldHandle = args => ValueTask.FromResult(
                            args.Outcome.Exception is { } e && e is not (RestoreTableException or DumpFormatException or OperationCanceledException) && target.IsTransient(e)),
                        MaxRetryAttempts = settings.Retry.MaxRetryAttempts,
                        Delay = settings.Retry.Delay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        OnRetry = args =>
                        {
                            Log.Retrying(settings.Logger, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "unknown");
                            return default;
                        },
                    })
                    .Build();

        // ------------------------------------------------------------ staging

        /// <summary>Streams the dump and stages the selected tables (or just <paramref name="only"/>, after a reconnect).</summary>
        private async Task StageAsync(HashSet<TableName>? only, CancellationToken cancellationToken)
        {
            var filter = only is null
                ? settings.Filter.Except(_tables.Where(t => t is { Completed: true, NeedsRebuild: false }).Select(t => Pattern(t.Name)))
                : TableFilter.Create(only.Select(Pattern));
            var reader = settings.Source.Open(new DumpReaderOptions { Tables = filter.Observing(name => _dumpTables.Add(name)), Database = settings.DumpDatabase });
            var stagedThisPass = new HashSet<TableName>();

            // Progress: tables are numbered as the dump brings them (a table in several blocks keeps its number); an
            // archive's TOC says how many there will be, a script only once it is read (a restage: the tables asked for).
            var numbers = new Dictionary<TableName, int>();
            var finished = new HashSet<TableName>();
            var tablesTotal = only?.Count ?? reader.TablesSelected;
            DumpTable? last = null;
            void ReportStaging(DumpTable table, bool force) =>
                _progress?.Report(new RestoreProgress(RestorePhase.Staging, table.Name, numbers[table.Name], finished.Count, tablesTotal, table.RowsRead, -1, reader.InputPosition, reader.InputLength), force);
            DumpPassProgress.ReportSkips(reader, RestorePhase.Staging, _progress, () => (finished.Count, tablesTotal));

            await using (reader.ConfigureAwait(false))
            {
                while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } dump)
                {
                    last = dump;
                    numbers.TryAdd(dump.Name, numbers.Count + 1);
                    ReportStaging(dump, force: true);
                    if (!_byName.TryGetValue(dump.Name, out var state))
                    {
                        state = new TableState(dump.Name, _tables.Count + 1, settings.EngineDiff);
                        _tables.Add(state);
                        _byName.Add(dump.Name, state);
                    }

                    if (state.Failed)
                    {
                        state.Report.DumpRows += await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                        finished.Add(dump.Name);
                        ReportStaging(dump, force: true);
                        continue;
                    }

                    var stored = _progress is null ? null : new Action(() => ReportStaging(dump, force: false));

                    var clock = Stopwatch.StartNew();
                    try
                    {
                        state.Live ??= await target.ReadTableAsync(dump.Name, cancellationToken).ConfigureAwait(false)
                                       ?? throw RestoreTableException.Incompatible($"the target database has no table {dump.Name}");
                        var mapping = Map(state, dump);
                        // A table staged again (after a reconnect) starts over, its stored dump rows too; so does one
                        // whose first block was refused before any row was read.
                        if (stagedThisPass.Add(dump.Name) || state.Diff is null)
                        {
                            state.Diff?.Dispose();
                            state.Diff = null; // stays null when the table is refused here
                            state.Diff = await DiffForAsync(state, mapping, cancellationToken).ConfigureAwait(false);
                            state.Staged = await target.CreateStagingAsync(mapping, dump, state.Ordinal, cancellationToken).ConfigureAwait(false);
                            KeepForJobs(state, dump);
                            state.Staged.DumpRows = await state.Diff.StoreAsync(dump, stored, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            state.Staged!.DumpRows += await state.Diff!.StoreAsync(dump, stored, cancellationToken).ConfigureAwait(false);
                        }

                        state.Report.DumpRows = state.Staged.DumpRows;
                        Log.Staged(settings.Logger, dump.Name, dump.RowsRead);
                    }
                    catch (RestoreTableException ex) when (ex.IsIncompatibility)
                    {
                        // Found before any row is read. A table the dump has no rows for has nothing to restore, so
                        // its shape cannot fail the run: it is noted, and fails only if a later block brings rows.
                        var rows = await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                        state.Report.DumpRows += rows;
                        if (rows == 0 && state.Staged is null)
                        {
                            state.NothingToRestore ??= $"nothing to restore: the dump has no rows for it (and {ex.Message})";
                        }
                        else if (settings.SkipIncompatibleTables)
                        {
                            Skip(state, ex.Message);
                        }
                        else
                        {
                            Fail(state, ex);
                        }
                    }
                    catch (Exception ex) when (target.IsTableFailure(ex))
                    {
                        Fail(state, new RestoreTableException(await DescribeAsync(ex, state).ConfigureAwait(false), ex));
                        state.Report.DumpRows += await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        state.Report.Duration += clock.Elapsed;
                    }

                    finished.Add(dump.Name);
                    ReportStaging(dump, force: true);
                }

                // The last event knows how many tables there were, and how far the reader got.
                if (last is not null)
                {
                    tablesTotal = numbers.Count;
                    ReportStaging(last, force: true);
                }

                _bytesRead = reader.InputPosition;
                _bytesTotal = reader.InputLength;
            }

            // Tables the dump has no rows for, whose shape the live database cannot take: nothing to do, reported as skipped.
            foreach (var state in _tables.Where(t => t is { NothingToRestore: not null, Staged: null, Failed: false, Completed: false }))
            {
                state.Failed = true; // never staged or applied
                state.Report.Outcome = TableOutcome.Skipped;
                state.Report.NotesList.Add(state.NothingToRestore!);
            }

            // Every block of a table is read now: rows repeated exactly are kept once, different rows under one key fail it.
            foreach (var name in stagedThisPass)
            {
                var state = _byName[name];
                if (state is { Failed: false, Diff: not null })
                {
                    try
                    {
                        state.Diff.Complete();
                        CheckStore(state);
                    }
                    catch (RestoreTableException ex)
                    {
                        Fail(state, ex);
                    }
                }
            }

            if (only is null)
            {
                _incomplete = reader.IsIncomplete ? reader.IncompleteReason ?? "pg_dump's opening comment lacks its closing one" : null;
                foreach (var notice in reader.Notices)
                {
                    report.WarningsList.Add(notice);
                }
            }

            if (only is not null)
            {
                foreach (var name in only)
                {
                    var state = _byName[name];
                    if (!state.Failed && state.Staged?.Session != target.Session)
                    {
                        Fail(state, new RestoreTableException("the table was not found in the dump when staging it again"));
                    }
                }
            }
        }

        private static string Pattern(TableName name) =>
            $"\"{name.Schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".\"{name.Name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

        /// <summary>Maps the dump's columns onto the live table once per table; a second appearance must have the same columns.</summary>
        private TableMapping Map(TableState state, DumpTable dump)
        {
            if (state.Mapping is { } existing)
            {
                return ColumnMapper.Reuse(existing, dump);
            }

            foreach (var note in state.Live!.Notes)
            {
                Warn(state, note);
            }

            state.Mapping = ColumnMapper.Map(state.Live!, dump, settings.SkipUnknownColumns, message => Warn(state, message), wholeRows: true, identity: settings.IdentityFor(state.Name)?.Columns);
            return state.Mapping;
        }

        // ------------------------------------------------------------ apply

        private async Task ApplyAsync(List<TableState> tables, List<ForeignKeyGroup> cycles, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var attempts = 0;
            try
            {
                await _pipeline.ExecuteAsync(
                    async token =>
                    {
                        attempts++;
                        foreach (var table in tables)
                        {
                            // What a parent leaves out is known once it is processed in this attempt (a cycle's later tables are not yet).
                            table.Excluded.Clear();
                            table.WouldFail = null;
                            table.WouldFailWith = null;
                        }

                        await EnsureStagedAsync(tables, token).ConfigureAwait(false);
                        await RebuildKeyMapsAsync(tables, token).ConfigureAwait(false);
                        var parts = _undo is null || settings.Plan ? null : tables.Select(t => _undo.Begin(t.Name)).ToList();
                        long transactionId = 0;
                        await target.BeginAsync(settings.Plan, token).ConfigureAwait(false);
                        try
                        {
                            if (cycles.Count > 0 && !settings.Plan)
                            {
                                await target.DeferConstraintsAsync(token).ConfigureAwait(false);
                            }

                            for (var i = 0; i < tables.Count; i++)
                            {
                                await ProcessAsync(tables[i], parts?[i].Writer, token).ConfigureAwait(false);
                            }

                            // Checkpoints are written just before the commit, naming undo parts already on disk: a journal in the
                            // target commits with the changes; a file's checkpoint carries the transaction ID to settle it by.
                            if (_journal is not null && !settings.Plan)
                            {
                                transactionId = await target.TransactionIdAsync(token).ConfigureAwait(false);
                                for (var i = 0; i < tables.Count; i++)
                                {
                                    if (parts is not null)
                                    {
                                        await UndoLog.SealAsync(parts[i]).ConfigureAwait(false);
                                    }

                                    // Recorded as it reads once committed; a failed commit marks the table failed again.
                                    tables[i].Report.Outcome = TableOutcome.Applied;
                                    await _journal.RecordAsync(tables[i].Report, tables[i].Map.HasEntries, parts?[i].Name, tables[i].Witnesses, transactionId, token).ConfigureAwait(false);
                                }
                            }

                            if (settings.Plan)
                            {
                                // A plan is never committed: its transaction is READ ONLY, and the policy's decisions live in
                                // the staging only. The key maps the tables planned after it follow are the engine's.
                                await target.RollbackAsync(token).ConfigureAwait(false);
                            }
                            else
                            {
                                await target.CommitAsync(token).ConfigureAwait(false);
                            }
                        }
                        catch
                        {
                            await target.RollbackQuietlyAsync().ConfigureAwait(false);
                            foreach (var part in parts ?? [])
                            {
                                await UndoLog.DiscardAsync(part).ConfigureAwait(false);
                            }

                            throw;
                        }

                        foreach (var part in parts ?? [])
                        {
                            await UndoLog.CommitAsync(part).ConfigureAwait(false);
                        }

                        if (_journal is not null && !settings.Plan)
                        {
                            // Committed: the confirmation must not be lost to a cancel arriving now (it is one small local write).
                            await _journal.ConfirmAsync(transactionId, CancellationToken.None).ConfigureAwait(false);
                        }
                    },
                    cancellationToken).ConfigureAwait(false);

                foreach (var table in tables)
                {
                    table.Report.Outcome = settings.Plan ? TableOutcome.Planned : TableOutcome.Applied;
                    table.Completed = true;
                }
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or DumpFormatException))
            {
                // Non-transient, or transient with the retries used up: the group's transaction was rolled back.
                var message = await DescribeAsync(ex, Current ?? tables[0]).ConfigureAwait(false);
                foreach (var table in tables)
                {
                    // Rolled back: nothing of this attempt was applied; the classification counts stay as information.
                    table.Report.Inserted = table.Report.Updated = table.Report.Skipped = 0;
                    table.Report.SetKeys(KeyClass.Inserted, []);
                    table.Report.SetKeys(KeyClass.Updated, []);
                    Fail(table, new RestoreTableException(
                        tables.Count > 1 ? $"{message}{Explain(cycles)} (the tables {string.Join(", ", tables.Select(t => t.Name))} are applied together, all or none)" : message,
                        ex));
                }

                foreach (var table in tables)
                {
                    FailDependents(table);
                }
            }
            finally
            {
                foreach (var table in tables)
                {
                    table.Report.Attempts = attempts;
                    table.Report.Duration += clock.Elapsed / tables.Count;
                }
            }

            // Committed (or failed): the group's tables are done (parallel jobs count them at once).
            foreach (var table in tables)
            {
                Interlocked.Increment(ref _applyDone);
                ReportApplyPass(table, settings.Plan ? RestorePhase.Diffing : RestorePhase.Applying, table.Report.Inserted + table.Report.Updated, force: true);
            }
        }

        /// <summary>Reports where the apply pass is (tables not in it, such as parents classified again on resume, are not reported).</summary>
        private void ReportApplyPass(TableState table, RestorePhase phase, long rows, bool force)
        {
            if (_progress is not null && _applyNumbers.TryGetValue(table, out var number))
            {
                _progress.Report(new RestoreProgress(phase, table.Name, number, _applyDone, _applyNumbers.Count, rows, table.Report.DumpRows, _bytesRead, _bytesTotal), force);
            }
        }

        /// <summary>
        /// Calls application code (a policy's resolver or missing-row filter): an exception it throws fails the table with
        /// its type, message, the policy and the row's key, kept as the inner exception (never retried: it would throw again).
        /// </summary>
        private static async ValueTask<T> PolicyCallAsync<T>(MergePolicy policy, string what, RowValues key, Func<ValueTask<T>> call, CancellationToken cancellationToken)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or RestoreTableException) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new RestoreTableException($"policy {policy.Name}'s {what} threw {ex.GetType().FullName} at key ({Describe(key)}): {ex.Message}", ex);
            }
        }

        /// <summary>After a lost connection the session's staging is gone: reconnect and stage the unfinished tables again.</summary>
        private async Task EnsureStagedAsync(List<TableState> tables, CancellationToken cancellationToken)
        {
            if (_jobs > 1)
            {
                await EnsureStagedForJobAsync(tables, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (!target.IsBroken && tables.TrueForAll(t => t.Staged!.Session == target.Session))
            {
                return;
            }

            if (target.IsBroken)
            {
                await target.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }

            // Stage every table still to be applied in one pass, so later groups do not re-read the dump again.
            var pending = _tables.Where(t => t is { Failed: false, Staged: not null, Completed: false }).Select(t => t.Name).ToHashSet();
            pending.UnionWith(tables.Select(t => t.Name));

            // Key maps are the engine's: applied parents' maps survive the lost session, and only the tables still to be
            // applied are staged again.
            Log.Restaging(settings.Logger, target.Description, pending.Count);
            report.WarningsList.Add($"the connection to {target.Description} was lost while applying {string.Join(", ", tables.Select(t => t.Name))}; reconnected and staged {pending.Count} tables again");
            await StageAsync(pending, cancellationToken).ConfigureAwait(false);
            var lost = tables.FirstOrDefault(t => t.Failed);
            if (lost is not null)
            {
                throw new RestoreTableException($"staging {lost.Name} again after a lost connection failed: {string.Join("; ", lost.Report.Errors)}");
            }
        }

        private async Task ProcessAsync(TableState table, TextWriter? undo, CancellationToken cancellationToken)
        {
            Current = table;
            var staged = table.Staged!;
            var tableReport = table.Report;
            tableReport.ResetCounts();
            var policy = settings.PolicyFor(table.Name);
            tableReport.Policy = policy.Name;
            if (settings.Plan)
            {
                WarnIfParentWouldFail(table);
            }

            ReportApplyPass(table, RestorePhase.Diffing, 0, force: true);
            var classification = await ClassifyAsync(table, _progress is null ? null : rows => ReportApplyPass(table, RestorePhase.Diffing, rows, force: false), cancellationToken)
                .ConfigureAwait(false);
            if (classification is { Missing: < 0 } or { Identical: < 0 } or { Conflicting: < 0 } or { LiveOnly: < 0 })
            {
                // Defence in depth: counts that cannot be true mean the rows were not what the reader said; write nothing.
                throw new RestoreTableException(
                    $"the counts do not add up (missing {classification.Missing}, identical {classification.Identical}, conflicting {classification.Conflicting}, " +
                    $"live-only {classification.LiveOnly} of {table.Staged!.DumpRows} dump rows), so nothing is applied to this table; please report this");
            }

            tableReport.Missing = classification.Missing;
            tableReport.Identical = classification.Identical;
            tableReport.Conflicting = classification.Conflicting;
            tableReport.LiveOnly = classification.LiveOnly;
            tableReport.Collisions = classification.Collisions;
            tableReport.Undetermined = classification.Undetermined;
            tableReport.Relocated = classification.Relocated;
            tableReport.HeldBack = classification.HeldBack;
            tableReport.MatchedOnWholeRows = staged.Mapping.Key.Count == 0;
            if (tableReport.MatchedOnWholeRows)
            {
                tableReport.NotesList.Add(staged.Mapping.Live.PrimaryKey.Count == 0
                    ? "no primary key (nor a unique key on NOT NULL columns): rows were matched on the whole row, copy for copy (a row the dump has 3 times and live once is 2 missing rows)"
                    : $"the dump has no values for the generated key ({string.Join(", ", staged.Mapping.Live.PrimaryKey)}): rows were matched on the whole row without it, copy for copy, and inserted rows got new keys");
            }

            ReportKeys(table, classification);
            Log.Classified(settings.Logger, table.Name, classification.Missing, classification.Identical, classification.Conflicting, classification.LiveOnly);
            if (classification.Collisions + classification.Undetermined + classification.Relocated + classification.HeldBack > 0)
            {
                Log.IdentityChecked(settings.Logger, table.Name, classification.Collisions, classification.Undetermined, classification.Relocated, classification.HeldBack);
            }

            if (classification.Collisions > 0 && settings.Collisions == CollisionHandling.Fail)
            {
                throw new RestoreTableException(
                    $"{classification.Collisions} dump rows have the key of a live row that is a different entity (identity {string.Join(", ", table.Identity!)} differs), " +
                    $"e.g. key {Describe(tableReport.CollisionKeys[0])}; collisions are set to fail");
            }

            // Remapped rows get new keys, and the rows that reference them follow. A plan takes no sequence value (it is
            // not transactional): it uses the keys the sequence would hand out now, so its children are counted as the
            // apply's (which may get other keys).
            var remapCollisions = classification.Collisions > 0 && settings.Collisions == CollisionHandling.Remap;
            if (remapCollisions)
            {
                await RemapAsync(table, table.Collisions!, cancellationToken).ConfigureAwait(false);
            }

            // Before the policy sees a row: rows under a held-back row of the same table are held, references to remapped rows rewritten.
            await FollowSelfReferencesAsync(table, cancellationToken).ConfigureAwait(false);

            if (policy.Conflicts == ConflictHandling.Fail && tableReport.Conflicting > 0)
            {
                throw new RestoreTableException($"{tableReport.Conflicting} rows conflict with live rows and the policy is {policy.Name}");
            }

            // The policy's decisions are classes of the delta's rows, by position: excluded and skipped rows are not
            // written, a conflict the policy overwrites is. A plan takes the same decisions (in the staging, which its
            // rolled-back transaction discards), so its counts and keys are what the apply would write.
            if (!settings.Plan)
            {
                ReportApplyPass(table, RestorePhase.Applying, 0, force: true);
            }

            long excluded = 0, skipped = 0, overwritten = 0;
            if (policy.MissingFilter is { } include && classification.Missing > 0)
            {
                // The rows left out are remembered by key when tables of this run reference them: theirs would have no parent row.
                var referenced = _tables.Exists(t => t != table && t.Live?.ForeignKeys.Any(fk => fk.Enforced && fk.ReferencedTable == table.Name) == true);
                await ForEachBatchAsync(staged, RowClass.Missing, async (rows, token) =>
                {
                    using var decisions = new DeltaEdits(TempDirectory);
                    foreach (var row in rows)
                    {
                        if (!await PolicyCallAsync(policy, "missing-row filter", row.Key, () => include(new MissingRowArguments(table.Name, row.Key, row.Dump, token)), token).ConfigureAwait(false))
                        {
                            decisions.Add(row.Position, DeltaClass.Excluded, null);
                            if (referenced)
                            {
                                table.Excluded.Hold(KeyMap.Encode(KeyTexts(row.Key)), MapKind.Excluded);
                            }
                        }
                    }

                    excluded += decisions.Count;
                    await ReclassifyAsync(staged, decisions, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }

            long merged = 0;
            var overwrites = false;
            var keyLimit = Math.Min(settings.ReportedKeyLimit, PlannedKeyLimit);
            var updatedKeys = new List<IReadOnlyList<string>>();
            using var remapDecisions = new DeltaEdits(TempDirectory);
            if (policy is { Conflicts: ConflictHandling.PerRow, Resolver: { } resolve } && tableReport.Conflicting > 0)
            {
                await ForEachBatchAsync(staged, RowClass.Conflicting, async (rows, token) =>
                {
                    using var decisions = new DeltaEdits(TempDirectory);
                    var mergedRows = new List<(RowValues, IReadOnlyDictionary<string, object?>, RowValues)>();
                    foreach (var row in rows)
                    {
                        var decision = await PolicyCallAsync(policy, "resolver", row.Key, () => resolve(new ConflictArguments(table.Name, row.Key, row.Dump, row.Live!, token)), token).ConfigureAwait(false);
                        switch (decision.Action)
                        {
                            case ConflictAction.TakeDump:
                                decisions.Add(row.Position, DeltaClass.Overwrite, null);
                                overwrites = true;
                                overwritten++;
                                KeepKey(updatedKeys, keyLimit, row.Key);
                                break;
                            case ConflictAction.Skip:
                                decisions.Add(row.Position, DeltaClass.Skipped, null);
                                skipped++;
                                break;
                            case ConflictAction.Remap:
                                remapDecisions.Add(row.Position, DeltaClass.Remapped, KeyMap.Encode(Enumerable.Range(0, row.Key.Columns.Count).Select(i => row.Key.TextAt(i)!)));
                                break;
                            case ConflictAction.Merge:
                                mergedRows.Add((row.Key, decision.MergedValues!, row.Live!));
                                break;
                            case ConflictAction.Fail:
                                throw new RestoreTableException($"policy {policy.Name} failed the table at key ({Describe(row.Key)}): {decision.Reason}");
                        }
                    }

                    await ReclassifyAsync(staged, decisions, token).ConfigureAwait(false);
                    if (settings.Plan)
                    {
                        // Merged values are written by the apply only; the plan refuses what it would refuse, and counts the rest.
                        foreach (var (key, values, _) in mergedRows.Where(m => m.Item2.Count > 0))
                        {
                            CheckMerged(staged.Mapping, values);
                            merged++;
                            KeepKey(updatedKeys, keyLimit, key);
                        }
                    }
                    else
                    {
                        merged += await target.ApplyMergedAsync(staged, mergedRows, undo, token).ConfigureAwait(false);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            if (remapDecisions.Count > 0)
            {
                await RemapAsync(table, remapDecisions, cancellationToken).ConfigureAwait(false);
                await FollowSelfReferencesAsync(table, cancellationToken).ConfigureAwait(false);
            }

            // Nothing to insert: no INSERT statement at all (a table with write rules cannot even run an empty one with ON
            // CONFLICT); nothing to overwrite: no UPDATE, which would still join every conflict with live.
            var instructions = new ApplyInstructions(
                InsertMissing: classification.Missing - excluded + classification.Collisions + remapDecisions.Count > 0,
                UpdateConflicting: policy.Conflicts == ConflictHandling.TakeDump,
                UpdateChosen: overwrites,
                Remapped: remapDecisions.Count > 0 || remapCollisions);

            // Rows whose parent row is neither live nor restored here: the database would refuse them. A plan warns;
            // an apply fails the table saying so, instead of the database's bare foreign key violation.
            await CheckParentsAsync(table, instructions, cancellationToken).ConfigureAwait(false);

            if (settings.Plan)
            {
                // What the apply would write. Nothing reaches live tables (nor sequences, the undo script or the journal).
                var remapped = (remapCollisions ? classification.Collisions : 0) + remapDecisions.Count;
                tableReport.Inserted = classification.Missing - excluded + remapped;
                tableReport.Remapped = remapped;
                tableReport.Updated = policy.Conflicts == ConflictHandling.TakeDump ? tableReport.Conflicting : overwritten + merged;
                tableReport.Skipped = excluded + skipped;
                if (remapped > 0 || classification.Relocated > 0)
                {
                    tableReport.SetRemaps(table.Map.Remaps(settings.ReportedKeyLimit));
                }

                if (remapped > 0)
                {
                    tableReport.NotesList.Add($"the new keys of the {remapped} remapped rows are those the sequence would hand out now (a plan takes none): the apply takes them from the sequence, and may get others");
                }

                if (!tableReport.MatchedOnWholeRows)
                {
                    tableReport.SetKeys(KeyClass.Inserted, await FirstKeysAsync(staged, RowClass.Missing, keyLimit, cancellationToken).ConfigureAwait(false));
                    tableReport.SetKeys(KeyClass.Updated, policy.Conflicts == ConflictHandling.TakeDump
                        ? await FirstKeysAsync(staged, RowClass.Conflicting, keyLimit, cancellationToken).ConfigureAwait(false)
                        : updatedKeys);
                }

                Log.Planned(settings.Logger, table.Name, tableReport.Inserted, tableReport.Updated, tableReport.Skipped);
                return;
            }

            var counts = await target.ApplyAsync(staged, instructions, undo, cancellationToken).ConfigureAwait(false);
            ReportApplyPass(table, RestorePhase.Applying, counts.Inserted + counts.Updated + merged, force: false);
            table.Witnesses = _journal is not null && counts.Inserted + counts.Updated > 0
                ? await target.ReadWitnessesAsync(staged, instructions, WitnessesPerTable, cancellationToken).ConfigureAwait(false)
                : [];
            tableReport.Inserted = counts.Inserted;
            tableReport.Remapped = counts.Remapped;
            tableReport.Updated = counts.Updated + merged;
            tableReport.Skipped = excluded + skipped;
            if (counts.Remapped > 0 || classification.Relocated > 0)
            {
                tableReport.SetRemaps(table.Map.Remaps(settings.ReportedKeyLimit));
            }

            var expected = tableReport.Missing - excluded + counts.Remapped;
            if (table.Live!.HasWriteRules && counts.Inserted + counts.Updated + expected > 0)
            {
                Warn(table, "the table has INSERT or UPDATE rules: rows may have been written elsewhere (where its rules send them), and the counts are what the server reported");
            }
            else if (counts.Inserted < expected)
            {
                Warn(table, $"{expected - counts.Inserted} missing rows were inserted concurrently by someone else and left as they are");
            }

            // Sequences can only fall behind rows this run wrote (reseeding is in the same transaction), so an
            // idempotent re-run does not scan for max(id) again.
            if (tableReport.Inserted + tableReport.Updated > 0)
            {
                foreach (var note in await target.ReseedAsync(table.Live!, cancellationToken).ConfigureAwait(false))
                {
                    tableReport.NotesList.Add(note);
                    if (undo is not null)
                    {
                        await undo.WriteAsync($"-- not undone: {ScriptText.Comment(note)}\n").ConfigureAwait(false);
                    }
                }
            }

            Log.Applied(settings.Logger, table.Name, tableReport.Inserted, tableReport.Updated, tableReport.Skipped);
        }

        /// <summary>
        /// Foreign keys whose parent rows a write of this table needs but the run does not write: the parent is not
        /// restored (not selected, failed, skipped; in a plan, one the apply would fail), or it is restored but its
        /// missing-row filter left those rows out. Rows to be written that name such a parent row, not live, would be
        /// refused by the database (a foreign key violation). An apply fails the table saying which and why; a plan warns
        /// with the same words. Asked of the database, typed, for the rows to be written only; a parent restored in this
        /// run is asked about only for the rows it left out, so a plan (which writes no parent row) and an apply (which
        /// wrote them) find the same rows.
        /// </summary>
        private async Task CheckParentsAsync(TableState table, ApplyInstructions instructions, CancellationToken cancellationToken)
        {
            if (instructions is { InsertMissing: false, UpdateConflicting: false, UpdateChosen: false })
            {
                return;
            }

            var staged = table.Staged!;
            var mapping = staged.Mapping;
            foreach (var fk in table.Live!.ForeignKeys)
            {
                if (!fk.Enforced || fk.ReferencedTable == table.Name || !fk.Columns.All(c => IsMapped(mapping, c)) ||
                    ParentCheckFor(fk) is not { } check ||
                    await CatalogAsync(fk.ReferencedTable, cancellationToken).ConfigureAwait(false) is not { } parent)
                {
                    continue;
                }

                // An overwrite never changes key columns: a reference made of them is broken by inserts only.
                var asked = fk.Columns.Any(c => mapping.Key.Contains(c, StringComparer.Ordinal)) ? instructions with { UpdateConflicting = false, UpdateChosen = false } : instructions;
                if (await target.FindMissingParentsAsync(staged, fk, parent, asked, check.Unwritten, cancellationToken).ConfigureAwait(false) is not { } missing)
                {
                    continue;
                }

                var one = missing.Rows == 1;
                var example = string.Join(", ", fk.Columns.Zip(missing.Reference, (c, v) => $"{c}={v}")) +
                    (missing.Key.Count == 0 ? string.Empty : $" in the row with key ({string.Join(", ", mapping.Key.Zip(missing.Key, (c, v) => $"{c}={v}"))})");
                var rows = one ? "1 row to be written references a row" : $"{missing.Rows} rows to be written reference rows";
                var cause = $"{rows} of {fk.ReferencedTable} that {(one ? "is" : "are")} not there (foreign key {fk.Name}, e.g. {example}), and {check.Why(one)}";
                var refused = $"so the database would refuse {(one ? "it" : "them")} (a foreign key violation)";
                if (settings.Plan)
                {
                    Warn(table, $"the apply would fail this table: {cause}, {refused}; {check.Hint(one)}");
                    table.WouldFail ??= $"its rows reference rows of {fk.ReferencedTable} that would not be there";
                    continue;
                }

                throw new RestoreTableException($"{cause}, {refused} and nothing is applied to this table; {check.Hint(one)}");
            }
        }

        /// <summary>
        /// Whether, and how, a foreign key's parent rows are checked before a write: null when the run writes every parent
        /// row the database does not already have (the parent is restored, leaving nothing out), or when the parent is
        /// restored in the same transaction later (a cycle, whose keys are checked at commit).
        /// </summary>
        private ParentCheck? ParentCheckFor(LiveForeignKey fk)
        {
            var name = fk.ReferencedTable;
            if (!_byName.TryGetValue(name, out var parent))
            {
                return new ParentCheck(_ => $"{name} is not part of this restore", _ => $"add {name} to the restore (-t {name}) so that its rows are restored first", null);
            }

            var first = $"{name} must be restored first";
            if (parent.Failed)
            {
                return new ParentCheck(_ => $"{name} {(parent.Report.Outcome == TableOutcome.Skipped ? "was skipped" : "failed")} in this run", _ => first, null);
            }

            if (parent.WouldFail is not null)
            {
                return new ParentCheck(_ => $"the apply would fail {name} too ({parent.WouldFail})", _ => first, null);
            }

            // Restored, and the rows its filter left out are the ones missing: the database cannot tell them from the rows
            // a plan would insert, so it is asked only about those (by the parent's key, as the filter saw it).
            if (!parent.Excluded.HasEntries || parent.Mapping is not { } parentMapping || ReferencesKey(fk, parentMapping) is null)
            {
                return null;
            }

            var order = parentMapping.Key.Select(k => fk.ReferencedColumns.ToList().IndexOf(k)).ToArray();
            var policy = settings.PolicyFor(name).Name;
            return new ParentCheck(
                one => $"the missing-row filter of {name} (policy {policy}) leaves {(one ? "that row" : "those rows")} out",
                one => $"let the filter of {name} include {(one ? "it" : "them")}, or leave out the rows that reference {(one ? "it" : "them")} too",
                reference => parent.Excluded.TryGet(KeyMap.Encode(order.Select(i => reference[i])), out _));
        }

        /// <summary>How a parent is checked: why its rows are not there, what to do, and which references count (null: all).</summary>
        private sealed record ParentCheck(Func<bool, string> Why, Func<bool, string> Hint, Func<IReadOnlyList<string>, bool>? Unwritten);

        /// <summary>The live shape of a table this run may not stage (a parent outside the restore), read once.</summary>
        private async Task<LiveTable?> CatalogAsync(TableName name, CancellationToken cancellationToken)
        {
            if (!_catalog.TryGetValue(name, out var live))
            {
                live = _byName.TryGetValue(name, out var known) && known.Live is { } read ? read : await target.ReadTableAsync(name, cancellationToken).ConfigureAwait(false);
                _catalog[name] = live;
            }

            return live;
        }

        /// <summary>The keys of the first <paramref name="limit"/> rows of a class, in position order (a plan's lists).</summary>
        private async Task<IReadOnlyList<IReadOnlyList<string>>> FirstKeysAsync(StagedTable staged, RowClass rowClass, int limit, CancellationToken cancellationToken)
        {
            if (limit == 0)
            {
                return [];
            }

            var rows = await target.ReadRowsAsync(staged, rowClass, 0, limit, cancellationToken).ConfigureAwait(false);
            return [.. rows.Take(limit).Select(r => KeyTexts(r.Key))];
        }

        private static void KeepKey(List<IReadOnlyList<string>> keys, int limit, RowValues key)
        {
            if (keys.Count < limit)
            {
                keys.Add(KeyTexts(key));
            }
        }

        private static IReadOnlyList<string> KeyTexts(RowValues key) => [.. Enumerable.Range(0, key.Columns.Count).Select(i => key.TextAt(i) ?? "NULL")];

        /// <summary>What every target refuses in a merged row, checked by a plan (which writes none) as the apply's write would.</summary>
        private static void CheckMerged(TableMapping mapping, IReadOnlyDictionary<string, object?> values)
        {
            foreach (var name in values.Keys)
            {
                var column = mapping.Live.Find(name) ?? throw new RestoreTableException($"a merged row sets column '{name}', which {mapping.Live.Name} does not have");
                if (mapping.Key.Contains(name, StringComparer.Ordinal))
                {
                    throw new RestoreTableException($"a merged row may not change key column '{name}'");
                }

                if (column.IsGenerated)
                {
                    throw new RestoreTableException($"a merged row may not set generated column '{name}'");
                }
            }
        }

        private async Task ReclassifyAsync(StagedTable staged, DeltaEdits decisions, CancellationToken cancellationToken)
        {
            if (decisions.Count > 0)
            {
                await target.ReclassifyAsync(staged, decisions, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task ForEachBatchAsync(StagedTable staged, RowClass rowClass, Func<IReadOnlyList<RowPair>, CancellationToken, Task> handle, CancellationToken cancellationToken)
        {
            long after = 0;
            while (true)
            {
                var rows = await target.ReadRowsAsync(staged, rowClass, after, settings.BatchSize, cancellationToken).ConfigureAwait(false);
                if (rows.Count == 0)
                {
                    return;
                }

                await handle(rows, cancellationToken).ConfigureAwait(false);
                after = rows[^1].Position;
            }
        }

        /// <summary>Why a cycle may have failed: its foreign keys that cannot be deferred.</summary>
        private static string Explain(List<ForeignKeyGroup> cycles)
        {
            var blocking = cycles.Where(c => c.BlockingKeys.Count > 0).ToList();
            return blocking.Count == 0
                ? string.Empty
                : "; " + string.Join("; ", blocking.Select(c =>
                    $"tables {string.Join(", ", c.Tables.Select(t => t.Name))} reference each other in a cycle through foreign keys that are not DEFERRABLE ({string.Join(", ", c.BlockingKeys)}), " +
                    "so rows that depend on each other across it cannot be restored: make one of them DEFERRABLE, or restore the rows by hand"));
        }

        private void Fail(TableState table, Exception ex)
        {
            table.Failed = true;
            table.Report.Outcome = TableOutcome.Failed;
            var message = Describe(ex);
            table.Report.ErrorsList.Add(message);
            Log.TableFailed(settings.Logger, table.Name.ToString(), message);
        }

        /// <summary>The live table cannot take the dump's rows and the user asked to skip such tables: reported, not failed.</summary>
        private void Skip(TableState table, string reason)
        {
            table.Failed = true; // never staged or applied
            table.Report.Outcome = TableOutcome.Skipped;
            Warn(table, "skipped: " + reason);
        }

        private void Warn(TableState table, string message)
        {
            if (!table.Report.WarningsList.Contains(message))
            {
                table.Report.WarningsList.Add(message);
                Log.TableWarning(settings.Logger, table.Name, message);
            }
        }

        private string Describe(Exception ex) => ex is RestoreTableException ? ex.Message : target.Describe(ex);

        /// <summary>Like <see cref="Describe(Exception)"/>, but a lock timeout names the table and who holds the lock (ask after the rollback).</summary>
        private async Task<string> DescribeAsync(Exception ex, TableState table) =>
            ex is not RestoreTableException && target.IsLockTimeout(ex) && !target.IsBroken
                ? await target.ExplainLockTimeoutAsync(table.Name, CancellationToken.None).ConfigureAwait(false)
                : Describe(ex);

        private static string Describe(RowValues key) =>
            string.Join(", ", key.Columns.Select(c => $"{c}={key.GetText(c) ?? "NULL"}"));

        private static string Describe(IReadOnlyList<string> key) => "(" + string.Join(", ", key) + ")";
    }

    private sealed class TableState(TableName name, int ordinal, DiffOptions options, TableReport? report = null)
    {
        public TableName Name { get; } = name;

        public int Ordinal { get; } = ordinal;

        public TableReport Report { get; } = report ?? new(name);

        /// <summary>Its key map must be built again before children that follow it are applied (after a reconnect, or on resume).</summary>
        public bool NeedsRebuild { get; set; }

        public LiveTable? Live { get; set; }

        public TableMapping? Mapping { get; set; }

        public StagedTable? Staged { get; set; }

        /// <summary>The engine diff's state (its stored dump rows), or null when the server diffs the table.</summary>
        public TableDiff? Diff { get; set; }

        /// <summary>The delta positions (and keys) of the collisions the last classification found (null when none), to remap.</summary>
        public DeltaEdits? Collisions { get; set; }

        /// <summary>Where this table's dump keys went in this run: the rows that reference it follow.</summary>
        public KeyMap Map { get; } = new(options);

        /// <summary>
        /// Staged keys that differ from the dump's own (the row's key followed a parent), mapped back to the dump's. A key
        /// map, so it spills like one.
        /// </summary>
        public KeyMap Origins { get; } = new(options);

        /// <summary>
        /// New keys of remapped rows, mapped back to the dump's key. Apart from <see cref="Origins"/>, which every
        /// remapped row looks up: a table where every row is remapped has an entry per row here, and those lookups
        /// must not search it (a new key is never a staged key).
        /// </summary>
        public KeyMap RemapOrigins { get; } = new(options);

        /// <summary>
        /// Keys (as the database prints them, encoded as key map keys) of the missing rows the missing-row filter left out
        /// in this attempt, kept only when tables of this run reference the table: their rows that name one have no parent row.
        /// </summary>
        public KeyMap Excluded { get; } = new(options);

        /// <summary>A plan's: the apply would fail this table (its rows name parent rows that would not be there); why, in short.</summary>
        public string? WouldFail { get; set; }

        /// <summary>A plan's: the table whose failure the apply would fail this one with (see <see cref="WouldFail"/>), or null.</summary>
        public TableState? WouldFailWith { get; set; }

        /// <summary>The first keys of each reported class (decoded), as the report lists them.</summary>
        public Dictionary<KeyClass, List<IReadOnlyList<string>>> ReportedKeys { get; } = new()
        {
            [KeyClass.Collision] = [],
            [KeyClass.Undetermined] = [],
            [KeyClass.HeldBack] = [],
        };

        /// <summary>The identity key columns (empty when none is declared), resolved on first classification.</summary>
        public List<string>? Identity { get; set; }

        public bool Failed { get; set; }

        /// <summary>Applied (or planned) and committed: never staged or applied again.</summary>
        public bool Completed { get; set; }

        /// <summary>Why the table, which the dump has no rows for, could not have been staged: it is reported, not failed.</summary>
        public string? NothingToRestore { get; set; }

        /// <summary>A few rows this run wrote, as written, for the journal (see <see cref="RowWitness"/>).</summary>
        public IReadOnlyList<RowWitness> Witnesses { get; set; } = [];
    }
}
