using Selective.Restore.Apply;
using Selective.Restore.Dump;

namespace Selective.Restore.Verify;

/// <summary>Counts and key ranges from comparing a staged dump table with its live table.</summary>
/// <param name="LiveRows">Rows in the live table.</param>
/// <param name="Missing">Dump rows whose key is not live.</param>
/// <param name="LiveOnly">Live rows whose key is not in the dump.</param>
/// <param name="LiveOnlyInDumpRange">Live-only rows whose key lies between the dump's smallest and largest key.</param>
/// <param name="Identical">Dump rows equal, column for column, to the live row with the same key.</param>
/// <param name="Conflicting">Dump rows whose key is live but some column differs.</param>
/// <param name="NullKeys">Dump rows with NULL in a key column (never matched).</param>
/// <param name="DumpMinKey">The dump's smallest key as text (composite keys as a row, e.g. <c>(1,a)</c>), or null when it has no keyed rows.</param>
/// <param name="DumpMaxKey">The dump's largest key as text, or null.</param>
/// <param name="LiveMinKey">The live table's smallest key as text, or null when it is empty.</param>
/// <param name="LiveMaxKey">The live table's largest key as text, or null.</param>
internal readonly record struct VerifyCounts(
    long LiveRows,
    long Missing,
    long LiveOnly,
    long LiveOnlyInDumpRange,
    long Identical,
    long Conflicting,
    long NullKeys,
    string? DumpMinKey,
    string? DumpMaxKey,
    string? LiveMinKey,
    string? LiveMaxKey);

/// <summary>A live table that holds rows itself (not a partitioned parent), with the partitioned tables above it.</summary>
internal sealed record LiveTableEntry(TableName Name, IReadOnlyList<TableName> Ancestors);

/// <summary>A column fed by a sequence (serial, identity or nextval default).</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column.</param>
/// <param name="Readable">False when the session may not read the column, so its maximum is unknown.</param>
internal sealed record SequenceColumn(TableName Table, string Column, bool Readable);

/// <summary>A live sequence's position.</summary>
/// <param name="Name">The sequence.</param>
/// <param name="Increment">Its increment (negative for descending sequences).</param>
/// <param name="Readable">False when the session may not read it, so <paramref name="LastValue"/> is unknown.</param>
/// <param name="LastValue">last_value.</param>
/// <param name="IsCalled">is_called: whether <paramref name="LastValue"/> has been handed out.</param>
/// <param name="Columns">The columns it feeds.</param>
internal sealed record LiveSequence(TableName Name, long Increment, bool Readable, long LastValue, bool IsCalled, IReadOnlyList<SequenceColumn> Columns)
{
    /// <summary>The last value handed out (or, for a fresh sequence, the one before the first).</summary>
    public long HighestHandedOut => IsCalled ? LastValue : LastValue - Increment;
}

/// <summary>What the backup check needs from a database beyond staging: read-only comparisons and catalog reads.</summary>
internal interface IVerifyTarget : IRestoreTarget
{
    /// <summary>
    /// Compares a staged table with its live table by key inside the current transaction (read-only, set-based on the
    /// server). Throws <see cref="RestoreTableException"/> when the dump has duplicate keys; a database error leaves
    /// the transaction usable for the next table.
    /// </summary>
    Task<VerifyCounts> CompareAsync(StagedTable staged, CancellationToken cancellationToken);

    /// <summary>Tables in user schemas that hold rows (ordinary tables and partitions, not extension members).</summary>
    Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken);

    /// <summary>The live sequence and the columns it feeds, or null when there is no such sequence.</summary>
    Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken);

    /// <summary>How many rows the live table has (for a table the dump has no rows for, which needs no key).</summary>
    Task<long> CountRowsAsync(Schema.LiveTable live, CancellationToken cancellationToken);

    /// <summary>The largest value of a column (as bigint), or null when the table is empty.</summary>
    Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken);
}
