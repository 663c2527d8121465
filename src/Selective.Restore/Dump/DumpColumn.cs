namespace Selective.Restore.Dump;

/// <summary>A column of a table's data in the dump.</summary>
/// <param name="Name">The column name, or null when the dump gave no column list and no <c>CREATE TABLE</c> to take it from (data-only <c>--inserts</c> dumps); match such columns by <paramref name="Position"/>.</param>
/// <param name="Position">1-based position: in the statement's column list when it has one, otherwise in the table's declared column order.</param>
public readonly record struct DumpColumn(string? Name, int Position);
