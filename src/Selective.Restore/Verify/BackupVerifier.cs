using System.Diagnostics;
using System.Globalization;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// Checks a backup against the live database before anyone trusts it: reads the selected dump tables into the engine's
/// stores (one streaming pass, as a plan does), then — in one read-only transaction, so every table is compared
/// against the same snapshot — diffs each with its live table by key (the live rows streamed out, only the rows that
/// differ confirmed by the server), compares the dump's sequence values with the live sequences, and lists the tables
/// present on one side only. Nothing live is written.
/// </summary>
public sealed class BackupVerifier
{
    private readonly VerifySettings _settings;

    internal BackupVerifier(VerifySettings settings) => _settings = settings;

    /// <summary>
    /// Runs the check. Problems, tables that cannot be compared and a malformed dump are in the report; only
    /// cancellation and unexpected failures (e.g. the database cannot be reached) throw.
    /// </summary>
    public async Task<VerifyReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var target = _settings.TargetFactory();
        await using (target.ConfigureAwait(false))
        {
            var report = new VerifyReport(_settings.Source.Description, target.Description, _settings.FailOn, DateTimeOffset.UtcNow);
            VerifyLog.Starting(_settings.Logger, _settings.Source.Description, target.Description);
            try
            {
                await new Run(_settings, target, report).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                report.Duration = clock.Elapsed;
            }

            return report;
        }
    }

    /// <summary>One run's state.</summary>
    private sealed class Run(VerifySettings settings, IVerifyTarget target, VerifyReport report)
    {
        private readonly List<TableState> _tables = []; // dump order
        private readonly Dictionary<TableName, TableState> _byName = [];
        private readonly List<VerifyFinding> _sequenceFindings = [];
        private readonly HashSet<TableName> _seen = []; // every table asked about, in the dump or live
        private TableFilter? _filter;
        private long _bytesRead; // what staging read of the dump, as stored, and the dump's size (-1 unknown), for progress
        private long _bytesTotal = -1;

        private TableFilter Filter => _filter ??= settings.Filter.Observing(name => _seen.Add(name));

        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            // A dump this target cannot read as its own values (pg_dump into SQL Server) is refused before anything connects.
            if (target is IDumpFormats formats && RestoreEngine.RefusedFormat(formats, settings.Source, settings.Database) is { } refused)
            {
                VerifyLog.RunFailed(settings.Logger, refused);
                report.ErrorsList.Add(refused);
                Finish();
                return;
            }

            if (settings.Source.IsSameDatabase(target.Description))
            {
                var same = $"the source {settings.Source.Description} is the target database itself: check a copy against it";
                VerifyLog.RunFailed(settings.Logger, same);
                report.ErrorsList.Add(same);
                Finish();
                return;
            }

            try
            {
                await target.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new RestoreConnectionException($"could not connect to {target.Description}: {target.Describe(ex)}", ex);
            }

            // 1. Read every selected table (one pass over the dump); temp tables cannot be created in a read-only transaction.
            IReadOnlyList<SequenceValue> sequences;
            try
            {
                sequences = await StageAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DumpFormatException ex)
            {
                VerifyLog.RunFailed(settings.Logger, ex.Message);
                report.ErrorsList.Add(ex.Message);
                DisposeDiffs();
                Finish();
                return;
            }

            // 2. Compare in one read-only transaction: one snapshot for every table, and proof nothing live is written.
            await target.BeginAsync(readOnly: true, cancellationToken).ConfigureAwait(false);
            try
            {
                var compared = _tables.Where(t => t is { Failed: false, Staged: not null }).ToList();
                for (var i = 0; i < compared.Count; i++)
                {
                    var table = compared[i];
                    var number = i + 1;
                    void ReportDiffing(long rows, int done, bool force) => settings.Progress?.Report(
                        new RestoreProgress(RestorePhase.Diffing, table.Name, number, done, compared.Count, rows, table.Report.DumpRows, _bytesRead, _bytesTotal), force);
                    ReportDiffing(0, i, force: true);
                    await CompareAsync(table, settings.Progress is null ? null : rows => ReportDiffing(rows, i, force: false), cancellationToken).ConfigureAwait(false);
                    ReportDiffing(table.Report.LiveRows, i + 1, force: true);
                }

                foreach (var table in _tables.Where(t => t is { Failed: false, Staged: null, Empty: not null, Live: not null }))
                {
                    var r = table.Report;
                    r.Compared = true;
                    r.LiveRows = r.LiveOnly = await target.CountRowsAsync(table.Live!, cancellationToken).ConfigureAwait(false);
                    r.WarningsList.Add($"the dump has no rows for it, so every live row is live-only (rows could not have been matched: {table.Empty})");
                }

                await FindLiveOnlyTablesAsync(cancellationToken).ConfigureAwait(false);

                // A pattern that matches no table on either side is a typo that would silently check nothing.
                foreach (var pattern in settings.Filter.PatternsMatchingNone(_seen))
                {
                    report.InvalidOptions = true;
                    report.ErrorsList.Add($"the table pattern '{pattern}' matches no table in the dump or the live database{TableFilter.Hint(pattern, _seen)}");
                }

                await CompareSequencesAsync(sequences, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await target.RollbackQuietlyAsync().ConfigureAwait(false);
                DisposeDiffs();
            }

            Finish();
        }

        private void DisposeDiffs()
        {
            foreach (var table in _tables)
            {
                table.Diff?.Dispose();
                table.Diff = null;
            }
        }

        private void Finish()
        {
            foreach (var table in _tables)
            {
                report.TablesList.Add(table.Report);
            }

            foreach (var table in _tables)
            {
                AddTableFindings(table.Report);
            }

            foreach (var name in report.TablesOnlyInLive)
            {
                Add(VerifyProblem.TableOnlyInLive, name, $"live table {name} has no data in the dump");
            }

            foreach (var finding in _sequenceFindings)
            {
                report.ProblemsList.Add(finding);
                VerifyLog.Problem(settings.Logger, VerifyProblems.Name(finding.Kind), finding.Message);
            }
        }

        // ------------------------------------------------------------ staging

        private async Task<IReadOnlyList<SequenceValue>> StageAsync(CancellationToken cancellationToken)
        {
            var reader = settings.Source.Open(new DumpReaderOptions { Tables = Filter, Database = settings.Database });

            // Progress, as a restore's staging reports it (see RestoreEngine.StageAsync).
            var finished = new HashSet<TableName>();
            var tablesTotal = reader.TablesSelected;
            DumpTable? last = null;
            void ReportStaging(DumpTable table, bool force) =>
                settings.Progress?.Report(new RestoreProgress(RestorePhase.Staging, table.Name, _byName[table.Name].Ordinal, finished.Count, tablesTotal, table.RowsRead, -1, reader.InputPosition, reader.InputLength), force);
            DumpPassProgress.ReportSkips(reader, RestorePhase.Staging, settings.Progress, () => (finished.Count, tablesTotal));

            await using (reader.ConfigureAwait(false))
            {
                while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } dump)
                {
                    if (!_byName.TryGetValue(dump.Name, out var state))
                    {
                        state = new TableState(dump.Name, _tables.Count + 1);
                        _tables.Add(state);
                        _byName.Add(dump.Name, state);
                    }

                    last = dump;
                    ReportStaging(dump, force: true);

                    var clock = Stopwatch.StartNew();
                    try
                    {
                        if (state.Failed || !state.Report.InLive)
                        {
                            state.Report.DumpRows += await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        if (state.Live is null)
                        {
                            state.Live = await target.ReadTableAsync(dump.Name, cancellationToken).ConfigureAwait(false);
                            if (state.Live is null)
                            {
                                state.Report.InLive = false;
                                state.Report.DumpRows += await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                                continue;
                            }
                        }

                        var mapping = Map(state, dump);
                        if (state.Staged is null)
                        {
                            state.Diff = TableDiff.ForKeys(mapping, settings.Diff);
                            state.Staged = await target.CreateStagingAsync(mapping, dump, state.Ordinal, cancellationToken).ConfigureAwait(false);
                        }

                        var stored = settings.Progress is null ? null : new Action(() => ReportStaging(dump, force: false));
                        state.Report.DumpRows += await state.Diff!.StoreAsync(dump, stored, cancellationToken).ConfigureAwait(false);
                        VerifyLog.Staged(settings.Logger, dump.Name, dump.RowsRead);
                    }
                    catch (RestoreTableException ex) when (ex.IsIncompatibility && state.Staged is null)
                    {
                        // Found before any row was read. A table the dump has no rows for needs no key: its live rows
                        // are simply live-only (counted when comparing). With rows, it cannot be compared.
                        var rows = await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                        state.Report.DumpRows += rows;
                        if (rows == 0)
                        {
                            state.Empty ??= ex.Message;
                        }
                        else
                        {
                            Fail(state, ex);
                        }
                    }
                    catch (Exception ex) when (target.IsTableFailure(ex))
                    {
                        // Read past the rest first: when the dump itself is malformed, that (not the staging symptom) is the error.
                        state.Report.DumpRows += await dump.SkipAsync(cancellationToken).ConfigureAwait(false);
                        Fail(state, ex);
                    }
                    finally
                    {
                        state.Report.Duration += clock.Elapsed;
                        finished.Add(dump.Name);
                        ReportStaging(dump, force: true);
                    }
                }

                if (last is not null)
                {
                    tablesTotal = _tables.Count;
                    ReportStaging(last, force: true);
                }

                _bytesRead = reader.InputPosition;
                _bytesTotal = reader.InputLength;
                foreach (var notice in reader.Notices)
                {
                    report.WarningsList.Add(notice);
                    VerifyLog.Warning(settings.Logger, notice);
                }

                // Every block of every table is read: keys that occur twice are found now (exact repeats count once,
                // different rows under one key make the table an error).
                foreach (var state in _tables.Where(t => t is { Failed: false, Diff: not null }))
                {
                    state.Diff!.Complete();
                    CheckStore(state);
                }

                return [.. reader.Sequences];
            }
        }

        /// <summary>Maps the dump's columns onto the live table once per table; a second appearance must have the same columns.</summary>
        private TableMapping Map(TableState state, DumpTable dump)
        {
            if (state.Mapping is { } existing)
            {
                return ColumnMapper.Reuse(existing, dump);
            }

            // Verify never inserts, so a live NOT NULL column the dump lacks is no obstacle: it is just not compared.
            state.Mapping = ColumnMapper.Map(state.Live!, dump, settings.SkipUnknownColumns, message => Warn(state, message), forWriting: false);
            state.Report.Key = state.Mapping.Key;
            return state.Mapping;
        }

        // ------------------------------------------------------------ comparing

        /// <summary>Different rows under one key make the table an error, naming both dump lines (after staging, and after a diff that spilled).</summary>
        private void CheckStore(TableState table)
        {
            if (table.Diff!.DuplicateKeyError(table.Mapping!.Key) is { } error)
            {
                table.Diff.Dispose();
                table.Diff = null;
                Fail(table, error);
            }
        }

        /// <summary>
        /// The engine diff of one table in the read-only transaction: the live rows streamed and compared with the stored
        /// dump rows, the rows that differ confirmed by the server's typed comparison, then the key ranges.
        /// </summary>
        private async Task CompareAsync(TableState table, Action<long>? liveRows, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var diff = table.Diff!;
            var staged = table.Staged!;
            try
            {
                var (counts, classification, ranges) = await target.IsolatedAsync(
                    async () =>
                    {
                        using var result = await diff.RunAndStageAsync(target, staged, held: null, liveRows, cancellationToken).ConfigureAwait(false);
                        var counts = result.Counts;
                        var classification = await target.ClassifyAsync(staged, counts.LiveRows - counts.Identical, cancellationToken).ConfigureAwait(false);
                        using var keys = new SpillFile(diff.Options.TempDirectory ?? Path.GetTempPath(), positions: false);
                        diff.WriteKeys(keys);
                        var ranges = await target.CompareKeyRangesAsync(staged, keys, cancellationToken).ConfigureAwait(false);
                        return (counts, classification, ranges);
                    },
                    cancellationToken).ConfigureAwait(false);

                var r = table.Report;
                if (diff.Problems.Repeats > 0)
                {
                    r.WarningsList.Add(RestoreTableException.RepeatsWarning(diff.Problems.Repeats, "each is counted once"));
                }

                // Rows identical by text never reached the server; every live row matched by key lies in the dump's key range.
                r.Compared = true;
                r.LiveRows = counts.LiveRows;
                r.Missing = classification.Missing;
                r.Identical = classification.Identical + counts.Identical;
                r.Conflicting = classification.Conflicting;
                r.LiveOnly = classification.LiveOnly;
                r.LiveOnlyInDumpRange = ranges.LiveInDumpRange - r.Identical - r.Conflicting;
                r.NullKeys = diff.Problems.NullKeyRows;
                r.DumpMinKey = ranges.DumpMinKey;
                r.DumpMaxKey = ranges.DumpMaxKey;
                r.LiveMinKey = ranges.LiveMinKey;
                r.LiveMaxKey = ranges.LiveMaxKey;
                VerifyLog.Compared(settings.Logger, table.Name, r.Missing, r.LiveOnly, r.LiveOnlyInDumpRange, r.Conflicting, r.Identical);
            }
            catch (Exception ex) when (target.IsTableFailure(ex))
            {
                Fail(table, ex);
            }
            finally
            {
                table.Report.Duration += clock.Elapsed;
            }
        }

        private async Task FindLiveOnlyTablesAsync(CancellationToken cancellationToken)
        {
            // A leaf partition is covered when the dump has it or a partitioned table above it (--load-via-partition-root);
            // partitioned tables hold no rows themselves and are not listed.
            foreach (var entry in await target.ListTablesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Filter.Matches(entry.Name) && !_byName.ContainsKey(entry.Name) && !entry.Ancestors.Any(_byName.ContainsKey))
                {
                    report.TablesOnlyInLiveList.Add(entry.Name);
                }
            }
        }

        private async Task CompareSequencesAsync(IReadOnlyList<SequenceValue> values, CancellationToken cancellationToken)
        {
            // The last setval of a sequence is the one a restore would leave.
            var latest = new Dictionary<TableName, SequenceValue>();
            var order = new List<TableName>();
            foreach (var value in values)
            {
                if (latest.TryAdd(value.Sequence, value))
                {
                    order.Add(value.Sequence);
                }
                else
                {
                    latest[value.Sequence] = value;
                }
            }

            foreach (var name in order)
            {
                var value = latest[name];
                var live = await target.ReadSequenceAsync(name, cancellationToken).ConfigureAwait(false);
                var selected = Filter.IsAll || Filter.Matches(name) ||
                               (live?.Columns.Any(c => Filter.Matches(c.Table)) ?? false);
                if (!selected)
                {
                    continue;
                }

                var s = new VerifySequenceReport(value);
                report.SequencesList.Add(s);
                if (live is null)
                {
                    _sequenceFindings.Add(Finding(VerifyProblem.SequenceOnlyInDump, name, $"the dump sets sequence {name} to {value.Value}, which the live database does not have"));
                    continue;
                }

                s.InLive = true;
                await CompareSequenceAsync(s, value, live, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task CompareSequenceAsync(VerifySequenceReport s, SequenceValue value, LiveSequence live, CancellationToken cancellationToken)
        {
            var reasons = new List<string>();
            if (!live.Readable)
            {
                Warn($"sequence {live.Name} cannot be read (no SELECT or USAGE privilege); it is not compared");
            }
            else
            {
                s.LiveValue = live.LastValue;
                s.LiveIsCalled = live.IsCalled;
                var dumpHighest = value.IsCalled ? value.Value : value.Value - live.Increment;
                var liveHighest = live.HighestHandedOut;
                if (live.Increment > 0 ? liveHighest < dumpHighest : liveHighest > dumpHighest)
                {
                    reasons.Add(string.Create(CultureInfo.InvariantCulture,
                        $"it has handed out up to {liveHighest} but the dump has {dumpHighest} (reset since the backup, or the live database is older than it)"));
                }
            }

            foreach (var column in live.Columns)
            {
                long? max = null;
                if (!column.Readable)
                {
                    Warn($"column {column.Table}.{column.Column} cannot be read; its largest value is not compared with sequence {live.Name}");
                }
                else
                {
                    try
                    {
                        max = await target.MaxValueAsync(column.Table, column.Column, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (target.IsTableFailure(ex))
                    {
                        Warn($"the largest value of {column.Table}.{column.Column} could not be read: {Describe(ex)}");
                    }
                }

                s.ColumnsList.Add(new VerifySequenceColumn(column.Table, column.Column, max));

                // Descending sequences hand out ever smaller values; only the dump's value is compared for them.
                if (live.Readable && live.Increment > 0 && max > live.HighestHandedOut)
                {
                    reasons.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{column.Table}.{column.Column} already holds {max}, above the {live.HighestHandedOut} it has handed out, so nextval would hand out IDs that exist"));
                }
            }

            if (reasons.Count > 0)
            {
                s.Behind = true;
                _sequenceFindings.Add(Finding(VerifyProblem.SequenceBehind, live.Name, $"sequence {live.Name} is behind: {string.Join("; ", reasons)}"));
            }
        }

        // ------------------------------------------------------------ findings

        private void AddTableFindings(VerifyTableReport t)
        {
            if (!t.InLive)
            {
                Add(VerifyProblem.TableOnlyInDump, t.Name, string.Create(CultureInfo.InvariantCulture, $"dump table {t.Name} ({t.DumpRows} rows) has no live table"));
                return;
            }

            if (!t.Compared)
            {
                return;
            }

            var range = t.DumpMinKey is null ? string.Empty : $" [{t.DumpMinKey} .. {t.DumpMaxKey}]";
            if (t.Missing > 0)
            {
                Add(VerifyProblem.MissingRows, t.Name, string.Create(CultureInfo.InvariantCulture, $"{t.Name}: {t.Missing} of {t.DumpRows} dump rows are not in the live table"));
            }

            if (t.LiveOnly > 0)
            {
                Add(VerifyProblem.LiveOnlyRows, t.Name, string.Create(CultureInfo.InvariantCulture, $"{t.Name}: {t.LiveOnly} of {t.LiveRows} live rows are not in the dump"));
            }

            if (t.LiveOnlyInDumpRange > 0)
            {
                Add(VerifyProblem.LiveOnlyInDumpRange, t.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{t.Name}: {t.LiveOnlyInDumpRange} live rows not in the dump have keys inside the key range of the dump{range} (reused IDs, or rows the backup lacks)"));
            }

            if (t.Conflicting > 0)
            {
                Add(VerifyProblem.ConflictingRows, t.Name, string.Create(CultureInfo.InvariantCulture, $"{t.Name}: {t.Conflicting} rows have the same key in dump and live but different values"));
            }

            if (t.NullKeys > 0)
            {
                Add(VerifyProblem.NullKeyRows, t.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{t.Name}: {t.NullKeys} dump rows have NULL in key column(s) {string.Join(", ", t.Key)} and match nothing"));
            }
        }

        private void Add(VerifyProblem kind, TableName name, string message)
        {
            var finding = Finding(kind, name, message);
            report.ProblemsList.Add(finding);
            VerifyLog.Problem(settings.Logger, VerifyProblems.Name(kind), message);
        }

        private VerifyFinding Finding(VerifyProblem kind, TableName name, string message) => new(kind, name, message, settings.FailOn.Contains(kind));

        // ------------------------------------------------------------ helpers

        private void Fail(TableState table, Exception ex)
        {
            table.Failed = true;
            var message = Describe(ex);
            table.Report.ErrorsList.Add(message);
            VerifyLog.TableFailed(settings.Logger, table.Name, message);
        }

        private void Warn(TableState table, string message)
        {
            if (!table.Report.WarningsList.Contains(message))
            {
                table.Report.WarningsList.Add(message);
                VerifyLog.TableWarning(settings.Logger, table.Name, message);
            }
        }

        private void Warn(string message)
        {
            if (!report.WarningsList.Contains(message))
            {
                report.WarningsList.Add(message);
                VerifyLog.Warning(settings.Logger, message);
            }
        }

        private string Describe(Exception ex) => ex is RestoreTableException ? ex.Message : target.Describe(ex);
    }

    private sealed class TableState(TableName name, int ordinal)
    {
        public TableName Name { get; } = name;

        public int Ordinal { get; } = ordinal;

        public VerifyTableReport Report { get; } = new(name);

        public LiveTable? Live { get; set; }

        public TableMapping? Mapping { get; set; }

        public StagedTable? Staged { get; set; }

        /// <summary>The table's dump rows, kept by the engine for its diff.</summary>
        public TableDiff? Diff { get; set; }

        public bool Failed { get; set; }

        /// <summary>Why a table the dump has no rows for could not be staged; it is compared by counting live rows.</summary>
        public string? Empty { get; set; }
    }
}
