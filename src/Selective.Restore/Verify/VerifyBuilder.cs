using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// The entry point of the backup check:
/// <c>BackupVerification.FromDump("backup.sql.gz").ToPostgreSql(cs).FailOn(VerifyProblem.LiveOnlyInDumpRange).Build().RunAsync()</c>.
/// </summary>
public static class BackupVerification
{
    /// <summary>Starts configuring a check of a dump file (or <c>-Fd</c> directory) against a live database.</summary>
    public static VerifyBuilder FromDump(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new VerifyBuilder(DumpSource.File(path));
    }

    /// <summary>Starts configuring a check of a database read as a dump (<c>new PostgreSqlSource(cs)</c>, <c>new SqliteSource(path)</c>) against a live database.</summary>
    public static VerifyBuilder FromDatabase(DumpSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new VerifyBuilder(source);
    }
}

/// <summary>
/// Configures a backup check. Defaults: all tables, no logging, and no problem fails the check
/// (<see cref="VerifyReport.GateTripped"/> stays false until <see cref="FailOn"/> names some).
/// </summary>
public sealed class VerifyBuilder
{
    private readonly List<string> _include = [];
    private readonly List<string> _exclude = [];
    private readonly HashSet<VerifyProblem> _failOn = [];
    private ILogger _logger = NullLogger.Instance;
    private IProgress<RestoreProgress>? _progress;
    private TimeSpan _progressInterval = TimeSpan.FromMilliseconds(ProgressThrottle.Interval);
    private bool _skipUnknownColumns;
    private string? _database;
    private Func<IVerifyTarget>? _target;
    private Diff.DiffOptions _diffOptions = new();

    internal VerifyBuilder(DumpSource source) => Source = source;

    internal DumpSource Source { get; }

    /// <summary>Check only tables matching these patterns (pg_dump <c>-t</c> style, see <see cref="TableFilter"/>), on both sides.</summary>
    public VerifyBuilder IncludeTables(params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _include.AddRange(patterns);
        return this;
    }

    /// <summary>Leave out tables matching these patterns (wins over <see cref="IncludeTables"/>).</summary>
    public VerifyBuilder ExcludeTables(params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _exclude.AddRange(patterns);
        return this;
    }

    /// <summary>Ignore (with a warning) dump columns the live table does not have, instead of failing the table.</summary>
    public VerifyBuilder SkipUnknownColumns(bool skip = true)
    {
        _skipUnknownColumns = skip;
        return this;
    }

    /// <summary>
    /// Check only this database's section of a dump that holds several (pg_dumpall); see <see cref="Dump.DumpReaderOptions.Database"/>.
    /// Without it, a dump with the data of two databases stops the check.
    /// </summary>
    public VerifyBuilder FromDatabase(string? database)
    {
        _database = string.IsNullOrEmpty(database) ? null : database;
        return this;
    }

    /// <summary>Logs progress and problems (never credentials), every component into this one logger.</summary>
    public VerifyBuilder WithLogger(ILogger logger)
    {
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        return this;
    }

    /// <summary>
    /// Logs progress and problems (never credentials) into loggers of <paramref name="loggerFactory"/>, one category per
    /// component (<see cref="RestoreLogCategory"/>), with the event IDs of <see cref="RestoreEventId"/>.
    /// </summary>
    public VerifyBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = new CategoryLogger(loggerFactory);
        return this;
    }

    /// <summary>
    /// Reports where the check is, as a restore does (<see cref="RestoreProgress"/>): staging, then diffing each
    /// table (a check applies nothing). Called on the check's own flow when a table starts and ends each phase, and in
    /// between at most every 100 ms.
    /// </summary>
    public VerifyBuilder WithProgress(IProgress<RestoreProgress> progress) =>
        WithProgress(progress, TimeSpan.FromMilliseconds(ProgressThrottle.Interval));

    /// <summary>
    /// Like <see cref="WithProgress(IProgress{RestoreProgress})"/>, with the least time between two reports that
    /// mark no table boundary: <see cref="TimeSpan.Zero"/> reports every 64 dump rows and every read of live rows.
    /// </summary>
    public VerifyBuilder WithProgress(IProgress<RestoreProgress> progress, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _progressInterval = interval;
        return this;
    }

    /// <summary>
    /// Problems that trip the gate (<see cref="VerifyReport.GateTripped"/>); calls add up. Every problem is reported
    /// either way. Pass <see cref="VerifyProblems.All"/> to gate on everything.
    /// </summary>
    public VerifyBuilder FailOn(params VerifyProblem[] problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var problem in problems)
        {
            if (!Enum.IsDefined(problem))
            {
                throw new ArgumentOutOfRangeException(nameof(problems), problem, "Unknown problem kind.");
            }

            _failOn.Add(problem);
        }

        return this;
    }

    /// <summary>
    /// Sets the database the backup is checked against: called by provider packages (e.g. <c>ToPostgreSql</c>), which
    /// wrap it in an extension method. <paramref name="target"/> creates one <see cref="IVerifyTarget"/> per check; the
    /// engine disposes it.
    /// </summary>
    public VerifyBuilder WithTarget(Func<IVerifyTarget> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        return this;
    }

    /// <summary>The engine diff's memory budget and temp directory (tests use small budgets to make it spill).</summary>
    internal VerifyBuilder WithDiffOptions(Diff.DiffOptions options)
    {
        _diffOptions = options.Validate();
        return this;
    }

    /// <summary>Validates the configuration and returns the verifier.</summary>
    /// <exception cref="InvalidOperationException">No target, or the dump does not exist.</exception>
    /// <exception cref="ArgumentException">A table pattern is malformed.</exception>
    public BackupVerifier Build()
    {
        if (_target is null)
        {
            throw new InvalidOperationException("No target database: call a target's extension, e.g. .ToPostgreSql(connectionString).");
        }

        Source.Check();
        return new BackupVerifier(new VerifySettings(
            Source,
            TableFilter.Create(_include, _exclude),
            [.. VerifyProblems.All.Where(_failOn.Contains)],
            _logger,
            _skipUnknownColumns,
            _database,
            _diffOptions,
            _target)
        {
            Progress = _progress is null ? null : new ProgressThrottle(_progress, _progressInterval),
        });
    }
}

/// <summary>Everything <see cref="VerifyBuilder.Build"/> validated.</summary>
internal sealed record VerifySettings(
    DumpSource Source,
    TableFilter Filter,
    IReadOnlyList<VerifyProblem> FailOn,
    ILogger Logger,
    bool SkipUnknownColumns,
    string? Database,
    Diff.DiffOptions Diff,
    Func<IVerifyTarget> TargetFactory)
{
    /// <summary>Where progress goes, throttled; null for none.</summary>
    public ProgressThrottle? Progress { get; init; }
}
