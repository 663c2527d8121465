using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// The target a run with parallel jobs talks to: each job (an async flow) applies its tables through a connection of
/// its own, so every call goes to the target of the job making it (<see cref="Use"/>), or to the run's first target
/// outside the jobs (staging, journal, undo). The engine's code stays the same whichever connection it is on.
/// </summary>
internal sealed class JobTarget(IRestoreTarget main) : IRestoreTarget, IDumpFormats
{
    private readonly AsyncLocal<IRestoreTarget?> _job = new();

    /// <summary>The run's first target: it staged the dump, and is one of the jobs' connections.</summary>
    public IRestoreTarget Main => main;

    /// <summary>The target of the flow calling.</summary>
    public IRestoreTarget Current => _job.Value ?? main;

    /// <summary>From here on, this flow (a job) talks to <paramref name="target"/>.</summary>
    public void Use(IRestoreTarget target) => _job.Value = target;

    public string Description => main.Description;

    public int Session => Current.Session;

    public bool IsBroken => Current.IsBroken;

    public TimeSpan LockTimeout
    {
        get => Current.LockTimeout;
        set => Current.LockTimeout = value;
    }

    public IUndoDialect UndoDialect => main.UndoDialect;

    public string? Refuses(DumpFormat format) => main is IDumpFormats formats ? formats.Refuses(format) : null;

    public Task ConnectAsync(CancellationToken cancellationToken) => Current.ConnectAsync(cancellationToken);

    public bool IsTransient(Exception exception) => Current.IsTransient(exception);

    public bool IsLockTimeout(Exception exception) => Current.IsLockTimeout(exception);

    public Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken) => Current.ExplainLockTimeoutAsync(table, cancellationToken);

    public string Describe(Exception exception) => Current.Describe(exception);

    public Task BeginAsync(bool readOnly, CancellationToken cancellationToken) => Current.BeginAsync(readOnly, cancellationToken);

    public Task DeferConstraintsAsync(CancellationToken cancellationToken) => Current.DeferConstraintsAsync(cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken) => Current.CommitAsync(cancellationToken);

    public Task RollbackAsync(CancellationToken cancellationToken) => Current.RollbackAsync(cancellationToken);

    public Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken) => Current.ReadTableAsync(name, cancellationToken);

    public Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        Current.OpenLiveRowsAsync(mapping, columns, cancellationToken);

    public Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken) =>
        Current.CreateStagingAsync(mapping, dump, ordinal, cancellationToken);

    public Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken) =>
        Current.StageDeltaAsync(staged, delta, held, cancellationToken);

    public Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken) => Current.ReclassifyAsync(staged, rows, cancellationToken);

    public Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        Current.ReadDeltaAsync(staged, columns, cancellationToken);

    public Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken) =>
        Current.RewriteAsync(staged, columns, rows, cancellationToken);

    public Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken) =>
        Current.ReadRowsAsync(staged, rowClass, after, max, cancellationToken);

    public Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken) =>
        Current.ClassifyAsync(staged, liveRows, cancellationToken);

    public Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken) =>
        Current.ClassifyWholeRowsAsync(staged, liveOnly, cancellationToken);

    public IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, CancellationToken cancellationToken) =>
        Current.ReadIdentityFactsAsync(staged, identity, cancellationToken);

    public Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken) => Current.DropIdenticalConflictsAsync(staged, cancellationToken);

    public Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken) =>
        Current.FindMissingParentsAsync(staged, foreignKey, parent, instructions, unwritten, cancellationToken);

    public Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken) =>
        Current.ApplyAsync(staged, instructions, undo, cancellationToken);

    public Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken) =>
        Current.ApplyMergedAsync(staged, rows, undo, cancellationToken);

    public Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken) =>
        Current.ReadWitnessesAsync(staged, instructions, max, cancellationToken);

    public Task<int> CountWitnessesAsync(LiveTable live, IReadOnlyList<string> key, IReadOnlyList<RowWitness> witnesses, CancellationToken cancellationToken) =>
        Current.CountWitnessesAsync(live, key, witnesses, cancellationToken);

    public IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, CancellationToken cancellationToken) => Current.ReserveKeysAsync(staged, count, preview, cancellationToken);

    public Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken) => Current.ReseedAsync(live, cancellationToken);

    public Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken) =>
        Current.ReadJournalAsync(journal, fingerprint, cancellationToken);

    public Task<long> TransactionIdAsync(CancellationToken cancellationToken) => Current.TransactionIdAsync(cancellationToken);

    public Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken) => Current.IsCommittedAsync(transactionId, cancellationToken);

    public Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken) =>
        Current.RecordJournalAsync(journal, fingerprint, table, entry, cancellationToken);

    /// <summary>Nothing: the engine disposes the targets it made (the first one in <c>RunAsync</c>, the jobs' after them).</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
