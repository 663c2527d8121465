using System.Globalization;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>A staged column: the live column it mirrors (or the dump's name for one the table lacks) and its staged name.</summary>
internal sealed record SqliteStageColumn(string Live, string Stage, bool Written);

/// <summary>
/// A dump table staged in SQLite: the delta in a temp table whose value columns have no type, so every value keeps
/// the storage class it came with (SQLite converts values only toward a column's declared affinity).
/// </summary>
internal sealed class SqliteStaging : StagedTable
{
    public SqliteStaging(TableMapping mapping, int session, int ordinal, SqliteTableShape shape)
        : base(mapping, session)
    {
        Shape = shape;
        var n = ordinal.ToString(CultureInfo.InvariantCulture);
        Delta = "sr_delta_" + n;
        LiveOnly = "sr_live_" + n;
        Old = "sr_old_" + n;
        Columns = [.. mapping.DumpColumns.Select((d, i) => new SqliteStageColumn(
            mapping.Targets[i]?.Name ?? d.Name ?? "#" + d.Position.ToString(CultureInfo.InvariantCulture),
            "c" + (i + 1).ToString(CultureInfo.InvariantCulture),
            mapping.Targets[i] is { IsGenerated: false }))];
        Written = [.. Columns.Where(c => c.Written)];
        Key = [.. mapping.Key.Select(k => Written.FirstOrDefault(c => string.Equals(c.Live, k, StringComparison.Ordinal))
            ?? throw RestoreTableException.Incompatible($"the dump has no column for key column '{k}'"))];
        Compared = [.. Written.Where(c => !Key.Contains(c))];
    }

    public SqliteTableShape Shape { get; }

    /// <summary>temp.sr_delta_N: sr_n, sr_class, sr_live, sr_hold, then c1.. (one per dump column, no type).</summary>
    public string Delta { get; }

    /// <summary>A table without a key: the live rows no dump row matched by text.</summary>
    public string LiveOnly { get; }

    /// <summary>The values overwritten rows had, for the undo script.</summary>
    public string Old { get; }

    public IReadOnlyList<SqliteStageColumn> Columns { get; }

    public IReadOnlyList<SqliteStageColumn> Written { get; }

    public IReadOnlyList<SqliteStageColumn> Key { get; }

    public IReadOnlyList<SqliteStageColumn> Compared { get; }

    /// <summary>The staged column of a live column.</summary>
    public SqliteStageColumn Column(string live) =>
        Written.FirstOrDefault(c => string.Equals(c.Live, live, StringComparison.Ordinal))
        ?? throw RestoreTableException.Incompatible($"the dump has no values for column {live}");
}
