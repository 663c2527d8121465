namespace Selective.Restore.Dump;

/// <summary>Why a column of the source table has no values in the dump's rows.</summary>
public enum DumpOmittedColumnKind
{
    /// <summary>An IDENTITY column: the source database numbered the rows itself, and the dump does not say how.</summary>
    Identity,

    /// <summary>A computed column (<c>X AS (...)</c>; SQLite's generated columns, <c>GENERATED ALWAYS AS (...)</c>): its value follows from the others.</summary>
    Computed,

    /// <summary>A <c>rowversion</c> / <c>timestamp</c> column: the database sets it on every write.</summary>
    RowVersion,

    /// <summary>A hidden period column of a system-versioned table (<c>GENERATED ALWAYS AS ROW START HIDDEN</c>).</summary>
    HiddenPeriod,
}

/// <summary>
/// A column the source table has but the dump's rows carry no value for, because the source database fills it in: SQL
/// Server leaves these columns out of an <c>INSERT</c> written without a column list, and SQLite its generated columns (see <see cref="DumpTable.OmittedColumns"/>).
/// </summary>
/// <param name="Name">The column's name, as the dump's <c>CREATE TABLE</c> spells it.</param>
/// <param name="Kind">What kind of column it is.</param>
public readonly record struct DumpOmittedColumn(string Name, DumpOmittedColumnKind Kind);
