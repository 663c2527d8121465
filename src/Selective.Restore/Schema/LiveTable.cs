using Selective.Restore.Dump;

namespace Selective.Restore.Schema;

/// <summary>A column of a live table, as the target database's catalog describes it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Position">1-based position among the table's non-dropped columns.</param>
/// <param name="DataType">The type as the database spells it (e.g. <c>character varying(20)</c>, <c>integer[]</c>).</param>
/// <param name="NotNull">The column rejects NULL.</param>
/// <param name="HasDefault">The column has a default (including serial and identity columns).</param>
/// <param name="IsGenerated">A generated (computed) column: never written.</param>
/// <param name="Identity">'a' for GENERATED ALWAYS AS IDENTITY, 'd' for BY DEFAULT, null otherwise.</param>
/// <param name="Sequence">The sequence that feeds this column (serial, identity or nextval default), or null.</param>
public sealed record LiveColumn(string Name, int Position, string DataType, bool NotNull, bool HasDefault, bool IsGenerated, char? Identity, TableName? Sequence);

/// <summary>A foreign key of a live table.</summary>
/// <param name="Name">The constraint name.</param>
/// <param name="Columns">The referencing columns, in key order.</param>
/// <param name="ReferencedTable">The referenced table.</param>
/// <param name="ReferencedColumns">The referenced columns, in key order.</param>
/// <param name="Deferrable">The constraint is DEFERRABLE, so checking can wait until commit.</param>
public sealed record LiveForeignKey(string Name, IReadOnlyList<string> Columns, TableName ReferencedTable, IReadOnlyList<string> ReferencedColumns, bool Deferrable);

/// <summary>A live table's shape: what the diff needs to match, compare and write rows.</summary>
/// <param name="Name">The table.</param>
/// <param name="Columns">Non-dropped columns in position order.</param>
/// <param name="PrimaryKey">Primary key columns in key order (empty when the table has none).</param>
/// <param name="UniqueKeys">Other unique constraints and indexes, each a list of columns.</param>
/// <param name="ForeignKeys">Foreign keys of this table.</param>
/// <param name="IsPartitioned">A partitioned parent (rows live in partitions).</param>
public sealed record LiveTable(
    TableName Name,
    IReadOnlyList<LiveColumn> Columns,
    IReadOnlyList<string> PrimaryKey,
    IReadOnlyList<IReadOnlyList<string>> UniqueKeys,
    IReadOnlyList<LiveForeignKey> ForeignKeys,
    bool IsPartitioned)
{
    /// <summary>
    /// The table has INSERT or UPDATE rules (e.g. rows routed to inheritance children): <c>INSERT ... ON CONFLICT</c>
    /// cannot be used on it, and the counts the server reports for writes may not be the rows written.
    /// </summary>
    public bool HasWriteRules { get; init; }

    /// <summary>Primary or unique keys whose checking is DEFERRABLE: <c>ON CONFLICT</c> cannot use them.</summary>
    public IReadOnlyList<IReadOnlyList<string>> DeferrableKeys { get; init; } = [];

    /// <summary>The column called <paramref name="name"/>, or null.</summary>
    public LiveColumn? Find(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));
}
