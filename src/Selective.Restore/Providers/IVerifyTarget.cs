
namespace Selective.Restore.Providers;

/// <summary>Where a table's keys lie, in the database's own order: the dump's range, the live range, and how many live rows fall in the dump's.</summary>
/// <param name="DumpMinKey">The dump's smallest key as text (composite keys as a row, e.g. <c>(1,a)</c>), or null when it has no keyed rows.</param>
/// <param name="DumpMaxKey">The dump's largest key as text, or null.</param>
/// <param name="LiveMinKey">The live table's smallest key as text, or null when it is empty.</param>
/// <param name="LiveMaxKey">The live table's largest key as text, or null.</param>
/// <param name="LiveInDumpRange">Live rows whose key lies between the dump's smallest and largest key (0 when the dump has none).</param>
public readonly record struct KeyRanges(string? DumpMinKey, string? DumpMaxKey, string? LiveMinKey, string? LiveMaxKey, long LiveInDumpRange);

/// <summary>A live table that holds rows itself (not a partitioned parent), with the partitioned tables above it.</summary>
public sealed record LiveTableEntry(TableName Name, IReadOnlyList<TableName> Ancestors);

/// <summary>A column fed by a sequence (serial, identity or nextval default).</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column.</param>
/// <param name="Readable">False when the session may not read the column, so its maximum is unknown.</param>
public sealed record SequenceColumn(TableName Table, string Column, bool Readable);

/// <summary>A live sequence's position.</summary>
/// <param name="Name">The sequence.</param>
/// <param name="Increment">Its increment (negative for descending sequences).</param>
/// <param name="Readable">False when the session may not read it, so <paramref name="LastValue"/> is unknown.</param>
/// <param name="LastValue">last_value.</param>
/// <param name="IsCalled">is_called: whether <paramref name="LastValue"/> has been handed out.</param>
/// <param name="Columns">The columns it feeds.</param>
public sealed record LiveSequence(TableName Name, long Increment, bool Readable, long LastValue, bool IsCalled, IReadOnlyList<SequenceColumn> Columns)
{
    /// <summary>The last value handed out (or, for a fresh sequence, the one before the first).</summary>
    public long HighestHandedOut => IsCalled ? LastValue : LastValue - Increment;
}

/// <summary>What the backup check needs from a database beyond staging: read-only comparisons and catalog reads.</summary>
public interface IVerifyTarget : IRestoreTarget
{
    /// <summary>
    /// The key ranges of a table the engine has diffed, inside the current (read-only) transaction: the dump's keys come
    /// as COPY text lines of the key columns (<paramref name="dumpKeys"/>; a key may come twice), ordered by the database
    /// as it orders the live keys.
    /// </summary>
    Task<KeyRanges> CompareKeyRangesAsync(StagedTable staged, IRowLines dumpKeys, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="action"/> so that a database error in it leaves the current transaction usable for the next table.</summary>
    Task<T> IsolatedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken);

    /// <summary>Tables in user schemas that hold rows (ordinary tables and partitions, not extension members).</summary>
    Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken);

    /// <summary>The live sequence and the columns it feeds, or null when there is no such sequence.</summary>
    Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken);

    /// <summary>How many rows the live table has (for a table the dump has no rows for, which needs no key).</summary>
    Task<long> CountRowsAsync(LiveTable live, CancellationToken cancellationToken);

    /// <summary>The largest value of a column (as bigint), or null when the table is empty.</summary>
    Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken);
}
