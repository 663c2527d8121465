using Selective.Restore.Dump;
using Selective.Restore.Merge;
using Selective.Restore.Schema;

namespace Selective.Restore.Apply;

/// <summary>Which classified dump rows to read back to the client.</summary>
internal enum RowClass
{
    Missing,
    Conflicting,
}

/// <summary>What a policy decided for a key, recorded server-side for set-based application.</summary>
internal enum KeyAction
{
    /// <summary>A missing row the filter left out.</summary>
    Exclude,

    /// <summary>A conflicting row to overwrite with the dump's values.</summary>
    TakeDump,

    /// <summary>A conflicting row left as it is and counted as skipped.</summary>
    Skip,
}

/// <summary>How a dump table's columns land in the live table.</summary>
/// <param name="Live">The live table.</param>
/// <param name="DumpColumns">The dump's columns in row order.</param>
/// <param name="Targets">For each dump column, the live column it is written to, or null when it is staged but not written (extra or generated).</param>
/// <param name="Key">The key columns rows are matched on (the primary key).</param>
internal sealed record TableMapping(LiveTable Live, IReadOnlyList<DumpColumn> DumpColumns, IReadOnlyList<LiveColumn?> Targets, IReadOnlyList<string> Key);

/// <summary>A dump table staged on the server: the rows, the classified delta, and the policy decisions.</summary>
internal sealed class StagedTable(TableMapping mapping, string stageName, string deltaName, string decideName, long dumpRows, int session)
{
    public TableMapping Mapping { get; } = mapping;

    public string StageName { get; } = stageName;

    public string DeltaName { get; } = deltaName;

    public string Decide { get; } = decideName;

    public long DumpRows { get; set; } = dumpRows;

    /// <summary>The target session the staging lives in; a reconnect loses it.</summary>
    public int Session { get; } = session;
}

/// <summary>Counts from classifying a staged table against live.</summary>
internal readonly record struct Classification(long Missing, long Identical, long Conflicting, long LiveOnly);

/// <summary>A dump row read back for a policy, with the live row when it conflicts.</summary>
internal sealed record RowPair(long Position, RowValues Key, RowValues Dump, RowValues? Live);

/// <summary>What the set-based apply step should do.</summary>
/// <param name="InsertMissing">Insert the missing rows that were not excluded.</param>
/// <param name="UpdateConflicting">Overwrite every conflicting row (prefer-dump) rather than only those marked take-dump.</param>
internal readonly record struct ApplyInstructions(bool InsertMissing, bool UpdateConflicting);

/// <summary>Rows written by the apply step.</summary>
internal readonly record struct ApplyCounts(long Inserted, long Updated, long Excluded, long Skipped);

/// <summary>
/// The seam between the engine and one database: everything that speaks a dialect lives behind it
/// (PostgreSQL now; SQLite and SQL Server next). One instance owns one session (connection); staging
/// tables are session-scoped, so after a reconnect <see cref="Session"/> changes and tables must be staged again.
/// </summary>
internal interface IRestoreTarget : IAsyncDisposable
{
    /// <summary>The target described for reports and logs, never with a password.</summary>
    string Description { get; }

    /// <summary>Increments on every (re)connect.</summary>
    int Session { get; }

    /// <summary>Connects, or reconnects after a broken connection.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>True when the connection is gone (staged tables with it).</summary>
    bool IsBroken { get; }

    /// <summary>True for failures worth retrying (serialization failure, deadlock, dropped connection).</summary>
    bool IsTransient(Exception exception);

    /// <summary>A database error as one line: the server's message and detail (which key, which constraint), no stack or credentials.</summary>
    string Describe(Exception exception);

    /// <summary>Reads a live table's shape from the catalog, or null when it does not exist.</summary>
    Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken);

    /// <summary>Creates session-scoped staging for the table and streams the dump rows into it.</summary>
    Task<StagedTable> StageAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken);

    /// <summary>Stages more rows for an already staged table (the same table appears again in the dump).</summary>
    Task<long> StageMoreAsync(StagedTable staged, DumpTable dump, CancellationToken cancellationToken);

    Task BeginAsync(bool readOnly, CancellationToken cancellationToken);

    Task DeferConstraintsAsync(CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);

    Task RollbackAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Compares staged rows with live by key, NULL-safely, inside the current transaction; keeps the
    /// missing and conflicting rows server-side for the apply step. Fails on NULL or duplicate keys in the dump.
    /// </summary>
    Task<Classification> ClassifyAsync(StagedTable staged, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="max"/> classified rows whose <see cref="RowPair.Position"/> is above <paramref name="after"/>.</summary>
    Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken);

    /// <summary>Records decisions for keys (batched, server-side).</summary>
    Task RecordDecisionsAsync(StagedTable staged, IReadOnlyList<(RowValues Key, KeyAction Action)> decisions, CancellationToken cancellationToken);

    /// <summary>Writes merged rows (only the named columns) in one round trip per batch.</summary>
    Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values)> rows, CancellationToken cancellationToken);

    /// <summary>Inserts the missing rows and overwrites the chosen conflicting rows, set-based.</summary>
    Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, CancellationToken cancellationToken);

    /// <summary>Moves the table's sequences past the highest value present; returns what was changed.</summary>
    Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken);
}
