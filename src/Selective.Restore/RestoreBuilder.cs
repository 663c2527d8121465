using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Selective.Restore.Dump;
using Selective.Restore.IO;
using Selective.Restore.Providers;
using Selective.Restore.Undo;

namespace Selective.Restore;

/// <summary>The entry point: <c>SelectiveRestore.FromDump("backup.sql.gz").ToPostgreSql(cs).Build().RunAsync()</c>.</summary>
public static class SelectiveRestore
{
    /// <summary>Starts configuring a restore from a dump file (re-opened if a lost connection forces staging again).</summary>
    public static RestoreBuilder FromDump(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new RestoreBuilder(DumpSource.File(path));
    }

    /// <summary>
    /// Starts configuring a restore from a database read as a dump (a PITR clone, a replica out of rotation,
    /// yesterday's copy of <c>app.db</c>): <c>new PostgreSqlSource(cs)</c>, <c>new SqliteSource(path)</c>. It is read
    /// in one consistent snapshot per pass, and may not be the target database itself.
    /// </summary>
    public static RestoreBuilder FromDatabase(DumpSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new RestoreBuilder(source);
    }
}

/// <summary>Retry behaviour for transient failures (serialization failures, deadlocks, dropped connections).</summary>
public sealed class RestoreRetryOptions
{
    /// <summary>Retries after the first attempt. Default: 4. Range 0–100; 0 turns retrying off.</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>Delay before the first retry, doubled each time with jitter. Default: 200 ms. Range 0–5 min.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);

    internal void Validate()
    {
        if (MaxRetryAttempts is < 0 or > 100)
        {
            throw new InvalidOperationException($"RestoreRetryOptions.MaxRetryAttempts must be between 0 and 100 (was {MaxRetryAttempts}).");
        }

        if (Delay < TimeSpan.Zero || Delay > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException($"RestoreRetryOptions.Delay must be between 0 and 5 minutes (was {Delay}).");
        }
    }
}

/// <summary>
/// Configures a selective restore. Every option has a safe default: all tables, <see cref="MergePolicy.PreferLive"/>,
/// one transaction per table, retries of transient failures, no logging.
/// </summary>
public sealed class RestoreBuilder
{
    private readonly List<string> _include = [];
    private readonly List<string> _exclude = [];
    private readonly List<(TableFilter Pattern, string PatternText, MergePolicy Policy)> _tablePolicies = [];
    private MergePolicy _policy = MergePolicy.PreferLive;
    private TransactionMode _transactionMode = TransactionMode.PerTable;
    private bool _plan;
    private ResiliencePipeline? _pipeline;
    private RestoreRetryOptions _retry = new();
    private ILogger _logger = NullLogger.Instance;
    private IProgress<RestoreProgress>? _progress;
    private TimeSpan _progressInterval = TimeSpan.FromMilliseconds(ProgressThrottle.Interval);
    private bool _skipUnknownColumns;
    private bool _skipIncompatibleTables;
    private int _batchSize = 1000;
    private readonly List<IdentityKey> _identityKeys = [];
    private CollisionHandling _collisions = CollisionHandling.Skip;
    private int _reportedKeyLimit = 10_000;
    private string? _undoPath;
    private string? _journalPath;
    private TableName? _journalTable;
    private Func<IRestoreTarget>? _target;
    private TimeSpan _lockTimeout = RestoreTimeouts.DefaultLockTimeout;
    private bool _allowIncomplete;
    private Diff.DiffOptions _diffOptions = new();
    private string? _database;
    private int _jobs = 1;

    internal RestoreBuilder(DumpSource source) => Source = source;

    internal DumpSource Source { get; }

    /// <summary>Restore only tables matching these patterns (pg_dump <c>-t</c> style, see <see cref="TableFilter"/>).</summary>
    public RestoreBuilder IncludeTables(params string[] patterns)
    {
        _include.AddRange(patterns);
        return this;
    }

    /// <summary>Leave out tables matching these patterns (wins over <see cref="IncludeTables"/>).</summary>
    public RestoreBuilder ExcludeTables(params string[] patterns)
    {
        _exclude.AddRange(patterns);
        return this;
    }

    /// <summary>The policy for every table without a more specific one. Default: <see cref="MergePolicy.PreferLive"/>.</summary>
    public RestoreBuilder WithPolicy(MergePolicy policy)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        return this;
    }

    /// <summary>
    /// The policy for tables matching <paramref name="tablePattern"/>; the first matching pattern wins. A pattern that
    /// matches none of the restore's tables stops the run before anything is applied (a typo would switch it off).
    /// </summary>
    public RestoreBuilder WithPolicy(string tablePattern, MergePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _tablePolicies.Add((TableFilter.Create([tablePattern]), tablePattern, policy));
        return this;
    }

    /// <summary>Transaction per table (default) or one for the whole restore.</summary>
    public RestoreBuilder WithTransactionMode(TransactionMode mode)
    {
        _transactionMode = mode;
        return this;
    }

    /// <summary>
    /// Restores tables in parallel over <paramref name="jobs"/> connections to the target, as <c>pg_restore -j</c> does:
    /// the dump is read once, then each table (or foreign-key cycle) is applied in its own transaction on whichever
    /// connection is free, a child table only after its parent tables are committed (or failed, with the same
    /// consequences for it as in a sequential run). The report and the database afterwards are those of a run on one
    /// connection, tables listed in the same order; only timings differ. Tables whose rows follow another table's key
    /// map (identity keys, remaps, custom policies) and tables with application-defined callbacks are applied one at
    /// a time among themselves. Log and progress callbacks may come from several threads. A target that cannot take
    /// writes from several sessions (SQLite) runs on one connection, with a warning in the report. Default: 1; range
    /// 1–64. Cannot be combined with <see cref="TransactionMode.SingleTransaction"/> (one transaction cannot span
    /// connections): <see cref="Build"/> refuses that.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="jobs"/> is below 1 or above 64.</exception>
    public RestoreBuilder WithJobs(int jobs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jobs, MaxJobs);
        _jobs = jobs;
        return this;
    }

    /// <summary>The most connections <see cref="WithJobs"/> takes.</summary>
    public const int MaxJobs = 64;

    /// <summary>
    /// Dry run: stage, classify and decide as the apply would — custom policies and missing-row filters run — but write
    /// nothing: each transaction is READ ONLY and rolled back, no sequence value is taken (rows to remap get the keys
    /// the sequence would hand out now, and the rows that reference them follow) and nothing is reseeded. The report's
    /// inserted, updated and skipped are what the apply would do, with the first keys of each
    /// (<c>TableReport.InsertedKeys</c>, <c>TableReport.UpdatedKeys</c>), and a table whose rows name parent rows that
    /// will not be there (the parent is not restored, the apply would fail it, or its missing-row filter leaves them
    /// out) is warned about as the apply would fail it. Needs only SELECT on the tables and TEMP on the database.
    /// </summary>
    public RestoreBuilder AsPlan(bool plan = true)
    {
        _plan = plan;
        return this;
    }

    /// <summary>Replaces the default retry with your own pipeline; it wraps each table's transaction (staging again after a lost connection).</summary>
    public RestoreBuilder WithResiliencePipeline(ResiliencePipeline pipeline)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        return this;
    }

    /// <summary>Tunes the default retry of transient failures.</summary>
    public RestoreBuilder WithRetry(RestoreRetryOptions options)
    {
        _retry = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>Logs progress and problems (never credentials), every component into this one logger.</summary>
    public RestoreBuilder WithLogger(ILogger logger)
    {
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        return this;
    }

    /// <summary>
    /// Logs progress and problems (never credentials) into loggers of <paramref name="loggerFactory"/>, one category per
    /// component (<see cref="RestoreLogCategory"/>), with the event IDs of <see cref="RestoreEventId"/>.
    /// </summary>
    public RestoreBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = new CategoryLogger(loggerFactory);
        return this;
    }

    /// <summary>
    /// Reports where the run is (<see cref="RestoreProgress"/>): the phase, the table and its position, rows and dump
    /// bytes read. Called on the run's own flow when a table starts and ends each phase, and in between at most every 100 ms.
    /// </summary>
    public RestoreBuilder WithProgress(IProgress<RestoreProgress> progress) =>
        WithProgress(progress, TimeSpan.FromMilliseconds(ProgressThrottle.Interval));

    /// <summary>
    /// Like <see cref="WithProgress(IProgress{RestoreProgress})"/>, with the least time between two reports that mark no
    /// table boundary: <see cref="TimeSpan.Zero"/> reports every 64 dump rows and every read of live rows.
    /// </summary>
    public RestoreBuilder WithProgress(IProgress<RestoreProgress> progress, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _progressInterval = interval;
        return this;
    }

    /// <summary>Ignore (with a warning) dump columns the live table does not have, instead of failing the table.</summary>
    public RestoreBuilder SkipUnknownColumns(bool skip = true)
    {
        _skipUnknownColumns = skip;
        return this;
    }

    /// <summary>
    /// Skip (with a warning, outcome <see cref="TableOutcome.Skipped"/>) tables the live database cannot take
    /// the dump's rows into — no such table, a live NOT NULL column without default that the dump lacks, no usable key,
    /// a dump column the live table lacks (unless <see cref="SkipUnknownColumns"/>) — instead of failing them.
    /// </summary>
    public RestoreBuilder SkipIncompatibleTables(bool skip = true)
    {
        _skipIncompatibleTables = skip;
        return this;
    }

    /// <summary>Rows read back per round trip for application-defined policies. Default: 1000; range 1–100000.</summary>
    public RestoreBuilder WithBatchSize(int rows)
    {
        _batchSize = rows;
        return this;
    }

    /// <summary>
    /// Declares the identity (natural) key of the tables matching <paramref name="tablePattern"/>: the columns that say
    /// which entity a row is (e.g. <c>email</c>, or <c>username, domain</c>). A dump row whose primary key is live is
    /// then the same entity only when every identity column is non-NULL on both sides and equal: a different identity
    /// is a <em>collision</em> (see <see cref="OnCollision"/>), a NULL makes the row <em>undetermined</em> (never
    /// merged or overwritten). A missing row whose identity is live under another key is not inserted again. The first
    /// matching pattern wins.
    /// </summary>
    /// <exception cref="ArgumentException">No columns, an empty column name, or a malformed pattern.</exception>
    public RestoreBuilder WithIdentityKey(string tablePattern, params string[] columns)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tablePattern);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0 || columns.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"The identity key for {tablePattern} needs one or more column names.", nameof(columns));
        }

        if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Length)
        {
            throw new ArgumentException($"The identity key for {tablePattern} names a column twice.", nameof(columns));
        }

        _identityKeys.Add(new IdentityKey(TableFilter.Create([tablePattern]), tablePattern, [.. columns]));
        return this;
    }

    /// <summary>What happens to collisions (same key, different identity). Default: <see cref="CollisionHandling.Skip"/>.</summary>
    public RestoreBuilder OnCollision(CollisionHandling handling)
    {
        if (!Enum.IsDefined(handling))
        {
            throw new ArgumentOutOfRangeException(nameof(handling), handling, "Unknown collision handling.");
        }

        _collisions = handling;
        return this;
    }

    /// <summary>
    /// How many keys per list (collisions, undetermined, held back, remaps) a table's report carries; counts are always
    /// exact. Default: 10000; range 0–1000000.
    /// </summary>
    public RestoreBuilder WithReportedKeyLimit(int keys)
    {
        _reportedKeyLimit = keys;
        return this;
    }

    /// <summary>
    /// Writes an undo script to <paramref name="path"/>: SQL (a psql script, one transaction) that reverts exactly what
    /// the restore applied — deletes the rows it inserted, puts back the values it overwrote — and refuses, undoing
    /// nothing, if any of those rows changed since. Sequences are not moved back (that could hand out IDs in use).
    /// Each table's part is kept in <c>PATH.parts/</c> as it commits, so a resumed run's script covers both runs.
    /// </summary>
    public RestoreBuilder WithUndoScript(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _undoPath = path;
        return this;
    }

    /// <summary>
    /// Records a checkpoint per committed table in the journal file at <paramref name="path"/>. Re-running the same
    /// restore (same dump, target and options) with the same journal after a crash or kill skips the tables it lists,
    /// applies the rest, and reports both; a journal of a different restore is refused.
    /// </summary>
    public RestoreBuilder WithJournal(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _journalPath = path;
        return this;
    }

    /// <summary>
    /// Records a checkpoint per committed table in <paramref name="table"/> in the target database (created if absent;
    /// needs CREATE on its schema), written in each table's own transaction: after a kill at any point the journal is
    /// exact, and so is the undo script of the resumed run. Otherwise like <see cref="WithJournal"/>.
    /// </summary>
    public RestoreBuilder WithJournalTable(TableName table)
    {
        if (string.IsNullOrWhiteSpace(table.Schema) || string.IsNullOrWhiteSpace(table.Name))
        {
            throw new ArgumentException("The journal table needs a schema and a name.", nameof(table));
        }

        _journalTable = table;
        return this;
    }

    /// <summary>
    /// The longest wait for a lock on a live table (held by another session, e.g. an open transaction or an ALTER TABLE)
    /// before that table fails, naming who holds it; not retried. Statements themselves never time out: a large table
    /// must not fail for being large. Default: 30 s; <see cref="TimeSpan.Zero"/> waits forever; at most 24 h.
    /// </summary>
    public RestoreBuilder WithLockTimeout(TimeSpan timeout)
    {
        _lockTimeout = timeout;
        return this;
    }

    /// <summary>The engine diff's memory budget and spill settings (tests use small budgets to make it spill).</summary>
    internal RestoreBuilder WithDiffOptions(Diff.DiffOptions options)
    {
        _diffOptions = options.Validate();
        return this;
    }

    /// <summary>
    /// Restore from a plain pg_dump file that starts with pg_dump's header but lacks its closing
    /// <c>-- PostgreSQL database dump complete</c> (cut short: tables after the cut are missing). Without this, such a
    /// run stops before applying anything. Hand-written files have neither line and are not affected.
    /// </summary>
    public RestoreBuilder AllowIncompleteDump(bool allow = true)
    {
        _allowIncomplete = allow;
        return this;
    }

    /// <summary>
    /// Restore from this database's section of a dump that holds several (pg_dumpall); see <see cref="DumpReaderOptions.Database"/>.
    /// Without it, a dump with the data of two databases stops the run before anything is applied.
    /// </summary>
    public RestoreBuilder FromDatabase(string? database)
    {
        _database = string.IsNullOrEmpty(database) ? null : database;
        return this;
    }

    /// <summary>
    /// Sets the database the restore writes to: called by provider packages (e.g. <c>ToPostgreSql</c>), which wrap it
    /// in an extension method. <paramref name="target"/> creates one <see cref="IRestoreTarget"/> per run; the engine
    /// disposes it.
    /// </summary>
    public RestoreBuilder WithTarget(Func<IRestoreTarget> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        return this;
    }

    /// <summary>Validates the configuration and returns the engine.</summary>
    /// <exception cref="InvalidOperationException">No target, or an option is out of range.</exception>
    /// <exception cref="ArgumentException">A table pattern is malformed.</exception>
    /// <exception cref="IOException">The undo script or journal path exists and is not a regular file (a link, a FIFO, a device, a directory...): nothing is ever written through or over one.</exception>
    public RestoreEngine Build()
    {
        if (_target is null)
        {
            throw new InvalidOperationException("No target database: call a target's extension, e.g. .ToPostgreSql(connectionString).");
        }

        if (_batchSize is < 1 or > 100_000)
        {
            throw new InvalidOperationException($"Batch size must be between 1 and 100000 (was {_batchSize}).");
        }

        if (_reportedKeyLimit is < 0 or > 1_000_000)
        {
            throw new InvalidOperationException($"Reported key limit must be between 0 and 1000000 (was {_reportedKeyLimit}).");
        }

        if (_journalPath is not null && _journalTable is not null)
        {
            throw new InvalidOperationException("Choose one journal: a file (WithJournal) or a table in the target (WithJournalTable).");
        }

        if (_plan && (_undoPath is not null || _journalPath is not null || _journalTable is not null))
        {
            throw new InvalidOperationException("A plan writes nothing, so it has no undo script or journal.");
        }

        if (_jobs > 1 && _transactionMode == TransactionMode.SingleTransaction)
        {
            throw new InvalidOperationException($"Parallel jobs (WithJobs({_jobs})) cannot be combined with TransactionMode.SingleTransaction: one transaction cannot span connections.");
        }

        if (_lockTimeout < TimeSpan.Zero || _lockTimeout > RestoreTimeouts.MaxLockTimeout)
        {
            throw new InvalidOperationException($"The lock timeout must be between 0 (wait forever) and 24 hours (was {_lockTimeout}).");
        }

        _retry.Validate();
        CheckOutputPaths();
        Source.Check();
        return new RestoreEngine(new RestoreSettings(
            Source,
            TableFilter.Create(_include, _exclude),
            _policy,
            [.. _tablePolicies],
            _transactionMode,
            _plan,
            _pipeline,
            _retry,
            _logger,
            _progress,
            _skipUnknownColumns,
            _skipIncompatibleTables,
            _batchSize,
            [.. _identityKeys],
            _collisions,
            _reportedKeyLimit,
            _undoPath,
            _journalPath,
            _journalTable,
            _lockTimeout,
            _allowIncomplete,
            _database,
            _target) { EngineDiff = _diffOptions, ProgressInterval = _progressInterval, Jobs = _jobs });
    }

    /// <summary>Refuses special files as output before anything connects or is applied (see <see cref="OutputPath"/>).</summary>
    private void CheckOutputPaths()
    {
        if (_undoPath is not null)
        {
            UndoLog.CheckPaths(_undoPath);
        }

        if (_journalPath is not null)
        {
            OutputPath.CheckFile(Path.GetFullPath(_journalPath), "journal");
        }
    }
}

/// <summary>Everything <see cref="RestoreBuilder.Build"/> validated.</summary>
internal sealed record RestoreSettings(
    DumpSource Source,
    TableFilter Filter,
    MergePolicy Policy,
    IReadOnlyList<(TableFilter Pattern, string PatternText, MergePolicy Policy)> TablePolicies,
    TransactionMode TransactionMode,
    bool Plan,
    ResiliencePipeline? Pipeline,
    RestoreRetryOptions Retry,
    ILogger Logger,
    IProgress<RestoreProgress>? Progress,
    bool SkipUnknownColumns,
    bool SkipIncompatibleTables,
    int BatchSize,
    IReadOnlyList<IdentityKey> IdentityKeys,
    CollisionHandling Collisions,
    int ReportedKeyLimit,
    string? UndoPath,
    string? JournalPath,
    TableName? JournalTable,
    TimeSpan LockTimeout,
    bool AllowIncomplete,
    string? DumpDatabase,
    Func<IRestoreTarget> TargetFactory)
{
    public IdentityKey? IdentityFor(TableName table) => IdentityKeys.FirstOrDefault(k => k.Pattern.Matches(table));

    /// <summary>The engine-side diff's settings: memory budget, partitions, temp directory.</summary>
    public Diff.DiffOptions EngineDiff { get; init; } = new();

    /// <summary>The least time between two progress reports that mark no table boundary.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(ProgressThrottle.Interval);

    /// <summary>Connections tables are applied over in parallel (<see cref="RestoreBuilder.WithJobs"/>).</summary>
    public int Jobs { get; init; } = 1;

    public MergePolicy PolicyFor(TableName table)
    {
        foreach (var (pattern, _, policy) in TablePolicies)
        {
            if (pattern.Matches(table))
            {
                return policy;
            }
        }

        return Policy;
    }
}
