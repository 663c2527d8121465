using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <content>
/// Parallel jobs (<see cref="RestoreBuilder.WithJobs"/>, <c>-j</c>): the dump is staged once, as in a sequential run;
/// then each foreign-key group is applied, through the same code, on whichever of N connections is free, once every
/// group it references has finished (committed, or failed with its consequences for its children already decided).
/// Each connection gets its own (empty) staging for the tables it applies; the dump rows stay the engine's. Groups
/// whose tables follow key maps (identity keys, per-row policies, and every table below them), read a resumed
/// parent's map again, or call application code run one at a time, in the sequential order, so that they see exactly
/// what a sequential run shows them. The report is built afterwards in the sequential order.
/// </content>
public sealed partial class RestoreEngine
{
    private sealed partial class Run
    {
        // The table being staged or processed in this flow (each job has its own), for errors that do not name one.
        private readonly AsyncLocal<StrongBox<TableState?>> _jobCurrent = new();
        private readonly StrongBox<TableState?> _mainCurrent = new();
        private readonly Dictionary<TableState, DumpTable> _shapes = [];
        private readonly ConcurrentDictionary<TableState, IRestoreTarget> _stagedOn = new();
        private readonly Lock _jobLock = new();
        private JobTarget? _jobTarget;
        private int _jobs = 1;

        private TableState? Current
        {
            get => (_jobCurrent.Value ?? _mainCurrent).Value;
            set => (_jobCurrent.Value ?? _mainCurrent).Value = value;
        }

        /// <summary>
        /// The run, with its jobs: more than one talks to <paramref name="target"/> through a <see cref="JobTarget"/>. A
        /// target that refuses parallel sessions (SQLite) gets one, and the report says so.
        /// </summary>
        public static Run Create(RestoreSettings settings, IRestoreTarget target, RestoreReport report)
        {
            var jobs = settings.Jobs;
            if (jobs > 1 && target is IParallelSessions { RefusesParallelSessions: { } reason })
            {
                report.WarningsList.Add($"{jobs} parallel jobs were asked for, but {reason}: the restore ran over one connection");
                jobs = 1;
            }

            if (jobs == 1)
            {
                return new Run(settings, target, report);
            }

            var routed = new JobTarget(target);
            return new Run(settings, routed, report) { _jobs = jobs, _jobTarget = routed };
        }

        /// <summary>After a table's staging: what a job's connection needs to stage it again (its shape, not its rows).</summary>
        private void KeepForJobs(TableState state, DumpTable dump)
        {
            if (_jobTarget is null)
            {
                return;
            }

            _shapes[state] = new DumpTable(NoRows.Instance, dump.Name, dump.Columns, dump.Form, dump.StartOffset, dump.StartLine)
            {
                OmittedColumns = dump.OmittedColumns,
                InsertableColumnsOnly = dump.InsertableColumnsOnly,
                ArchiveEntryId = dump.ArchiveEntryId,
                ArchiveDataOffset = dump.ArchiveDataOffset,
                ArchiveDataFile = dump.ArchiveDataFile,
                IsCompleted = true,
            };
            _stagedOn[state] = _jobTarget.Main;
        }

        /// <summary>Applies the groups (parents first) over the jobs' connections; see the type's remarks.</summary>
        private async Task ApplyInParallelAsync(List<(ForeignKeyGroup Group, List<TableState> Tables)> ordered, CancellationToken cancellationToken)
        {
            var count = ordered.Count;
            var groupOf = new Dictionary<TableName, int>();
            for (var i = 0; i < count; i++)
            {
                foreach (var table in ordered[i].Tables)
                {
                    groupOf[table.Name] = i;
                }
            }

            // The groups each group references (Tarjan's order puts them before it).
            var parents = new List<int>[count];
            for (var i = 0; i < count; i++)
            {
                var own = i;
                parents[i] = [.. ordered[i].Tables.SelectMany(t => t.Live!.ForeignKeys)
                    .Select(fk => groupOf.TryGetValue(fk.ReferencedTable, out var parent) ? parent : own)
                    .Where(parent => parent != own)
                    .Distinct()];
            }

            var serial = SerialTables();
            var position = _applyOrder.Select((table, index) => (table, index)).ToDictionary(p => p.table, p => p.index);
            var dispatched = new bool[count];
            var done = new bool[count];
            var serialBusy = false;
            var connections = new List<IRestoreTarget> { _jobTarget!.Main };
            var running = new Dictionary<Task, (int Group, IRestoreTarget Connection, bool Serial)>();
            ExceptionDispatchInfo? failure = null;
            try
            {
                var wanted = Math.Min(_jobs, ordered.Count(g => g.Tables.Exists(t => t is { Failed: false, Completed: false })));
                await OpenConnectionsAsync(connections, wanted, cancellationToken).ConfigureAwait(false);
                var free = new Queue<IRestoreTarget>(connections);
                while (true)
                {
                    while (failure is null && !cancellationToken.IsCancellationRequested && free.Count > 0 && Next() is { } next)
                    {
                        var (group, tables, isSerial) = next;
                        dispatched[group] = true;
                        serialBusy |= isSerial;
                        var connection = free.Dequeue();
                        var holders = Holders(tables, isSerial, t => t.Completed || t.Failed || done[groupOf[t.Name]]);
                        running.Add(RunJobAsync(connection, tables, ordered[group].Group, holders, cancellationToken), (group, connection, isSerial));
                    }

                    if (running.Count == 0)
                    {
                        break;
                    }

                    var finished = await Task.WhenAny(running.Keys).ConfigureAwait(false);
                    var (finishedGroup, finishedConnection, wasSerial) = running[finished];
                    running.Remove(finished);
                    try
                    {
                        await finished.ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // A cancel, or a failure no table owns: no new group starts, the running ones end, then it surfaces.
                        failure ??= ExceptionDispatchInfo.Capture(ex);
                    }

                    done[finishedGroup] = true;
                    serialBusy &= !wasSerial;
                    free.Enqueue(finishedConnection);
                }
            }
            finally
            {
                foreach (var connection in connections.Skip(1))
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            failure?.Throw();
            cancellationToken.ThrowIfCancellationRequested();
            if (Array.IndexOf(dispatched, false) is var stuck and >= 0)
            {
                throw new InvalidOperationException($"parallel jobs: {ordered[stuck].Group} was never ready; please report this");
            }

            // The first group in the sequential order that is ready (its parents finished), with its tables still to
            // apply; serial groups one at a time and in order. A group left with nothing to apply finishes at once.
            (int Group, List<TableState> Tables, bool Serial)? Next()
            {
                // RebuildKeyMapsAsync's tables (a resumed run's parents with key maps): a group after one reads and rebuilds its map.
                var firstRebuild = _applyOrder.FindIndex(t => t is { NeedsRebuild: true, Failed: false, Staged: not null });
                bool RebuildPendingBefore(int index) => firstRebuild >= 0 && firstRebuild < index;
                var serialBlocked = serialBusy;
                for (var i = 0; i < count; i++)
                {
                    if (dispatched[i])
                    {
                        continue;
                    }

                    if (!parents[i].TrueForAll(p => done[p]))
                    {
                        // Which of its tables are left is known only when it is ready: assume a resumed map may be read.
                        serialBlocked |= ordered[i].Tables.Exists(serial.Contains) || RebuildPendingBefore(position[ordered[i].Tables[^1]] + 1);
                        continue;
                    }

                    var live = ordered[i].Tables.Where(t => t is { Failed: false, Completed: false }).ToList();
                    if (live.Count == 0)
                    {
                        ReportFailedBefore(ordered[i].Tables, live);
                        dispatched[i] = done[i] = true;
                        serialBlocked = serialBusy;
                        i = -1; // its children may be ready now
                        continue;
                    }

                    var isSerial = ordered[i].Tables.Exists(serial.Contains) || RebuildPendingBefore(live.Min(t => position[t]));
                    if (isSerial && serialBlocked)
                    {
                        continue;
                    }

                    ReportFailedBefore(ordered[i].Tables, live);
                    return (i, live, isSerial);
                }

                return null;
            }
        }

        /// <summary>As the sequential loop does: a table a parent's failure failed before its turn is done too, for progress.</summary>
        private void ReportFailedBefore(List<TableState> tables, List<TableState> live)
        {
            foreach (var table in tables.Where(t => t.Failed && !live.Contains(t) && _applyNumbers.ContainsKey(t)))
            {
                Interlocked.Increment(ref _applyDone);
                ReportApplyPass(table, settings.Plan ? RestorePhase.Diffing : RestorePhase.Applying, 0, force: true);
            }
        }

        /// <summary>
        /// Tables applied one at a time among themselves: those whose key maps others follow (an identity key, a
        /// per-row policy) and every table below them, whose rows follow those maps; and tables whose policy calls
        /// application code, which may not expect two calls at once.
        /// </summary>
        private HashSet<TableState> SerialTables()
        {
            var children = new Dictionary<TableName, List<TableState>>();
            foreach (var table in _tables.Where(t => t.Live is not null))
            {
                foreach (var fk in table.Live!.ForeignKeys.Where(fk => fk.ReferencedTable != table.Name))
                {
                    if (!children.TryGetValue(fk.ReferencedTable, out var list))
                    {
                        children[fk.ReferencedTable] = list = [];
                    }

                    list.Add(table);
                }
            }

            var serial = new HashSet<TableState>();
            var queue = new Queue<TableState>(_tables.Where(t => settings.IdentityFor(t.Name) is not null || settings.PolicyFor(t.Name).Conflicts == ConflictHandling.PerRow));
            while (queue.TryDequeue(out var table))
            {
                if (serial.Add(table) && children.TryGetValue(table.Name, out var list))
                {
                    list.ForEach(queue.Enqueue);
                }
            }

            serial.UnionWith(_tables.Where(t => settings.PolicyFor(t.Name) is { MissingFilter: not null } or { Resolver: not null }));
            return serial;
        }

        /// <summary>
        /// The memory holders a job uses: its tables' stores and key maps; a serial job's also those of the finished
        /// tables before it (parents whose maps it follows, resumed tables it classifies again), never those of a
        /// table another job is still to apply.
        /// </summary>
        private List<IMemoryHolder> Holders(List<TableState> tables, bool serial, Func<TableState, bool> finished)
        {
            var used = serial
                ? _applyOrder.Take(tables.Max(_applyOrder.IndexOf)).Where(finished).Concat(tables)
                : tables;
            var holders = new List<IMemoryHolder>();
            foreach (var table in used)
            {
                if (table.Diff is { } diff)
                {
                    holders.AddRange(new IMemoryHolder?[] { diff.Sequence, diff.Store }.OfType<IMemoryHolder>());
                }

                holders.AddRange([table.Map, table.Origins, table.RemapOrigins]);
            }

            return holders;
        }

        /// <summary>One job: the group's tables applied, through the same code as in a sequential run, on <paramref name="connection"/>.</summary>
        private Task RunJobAsync(IRestoreTarget connection, List<TableState> tables, ForeignKeyGroup group, List<IMemoryHolder> holders, CancellationToken cancellationToken) =>
            Task.Run(
                async () =>
                {
                    _jobTarget!.Use(connection);
                    _jobCurrent.Value = new StrongBox<TableState?>();
                    using var claim = settings.EngineDiff.Gauge.BeginJob(holders);
                    await ApplyAsync(tables, group.IsCycle ? [group] : [], cancellationToken).ConfigureAwait(false);
                },
                CancellationToken.None);

        /// <summary>
        /// Opens the jobs' other connections (the run's first is one of them). A connection that cannot be opened leaves
        /// the restore with fewer jobs, and the report says so: the result is the same with any number.
        /// </summary>
        private async Task OpenConnectionsAsync(List<IRestoreTarget> connections, int wanted, CancellationToken cancellationToken)
        {
            while (connections.Count < wanted)
            {
                var connection = settings.TargetFactory();
                connection.LockTimeout = settings.LockTimeout;
                try
                {
                    await _pipeline.ExecuteAsync(async token => await connection.ConnectAsync(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    report.WarningsList.Add(
                        $"only {connections.Count} of the {wanted} connections for parallel jobs could be opened ({connection.Describe(ex)}): the restore ran over {connections.Count}");
                    return;
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                connections.Add(connection);
            }
        }

        /// <summary>
        /// <see cref="EnsureStagedAsync"/> for a job: the connection reconnected if it broke, and the group's tables (and
        /// the resumed tables <see cref="RebuildKeyMapsAsync"/> classifies again) given a staging in its session when
        /// they have none there. The dump's rows are the engine's: nothing is read again.
        /// </summary>
        private async Task EnsureStagedForJobAsync(List<TableState> tables, CancellationToken cancellationToken)
        {
            var connection = _jobTarget!.Current;
            var lost = connection.IsBroken;
            if (lost)
            {
                await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }

            var first = tables.Min(_applyOrder.IndexOf);
            var needed = _applyOrder.Take(first).Where(t => t is { NeedsRebuild: true, Failed: false, Staged: not null }).Concat(tables);
            var staged = 0;
            foreach (var table in needed)
            {
                if (_stagedOn.TryGetValue(table, out var on) && ReferenceEquals(on, connection) && table.Staged!.Session == connection.Session)
                {
                    continue;
                }

                var staging = await connection.CreateStagingAsync(table.Mapping!, _shapes[table], table.Ordinal, cancellationToken).ConfigureAwait(false);
                staging.DumpRows = table.Staged!.DumpRows;
                table.Staged = staging;
                _stagedOn[table] = connection;
                staged++;
            }

            if (lost && staged > 0)
            {
                Log.Restaging(settings.Logger, connection.Description, staged);
                lock (_jobLock)
                {
                    report.WarningsList.Add($"the connection to {connection.Description} was lost while applying {string.Join(", ", tables.Select(t => t.Name))}; reconnected and staged {staged} tables again");
                }
            }
        }

        /// <summary>A dump table's description kept after its rows were read: a job's staging needs only that.</summary>
        private sealed class NoRows : ITableSource
        {
            public static readonly NoRows Instance = new();

            public ValueTask<bool> ReadRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken) => ValueTask.FromResult(false);

            public ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken) =>
                throw new InvalidOperationException($"{table.Name}'s rows were read when it was staged");
        }
    }
}
