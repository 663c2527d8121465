using System.Globalization;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// A dump table staged on SQL Server: the delta as a typed temp table (<c>#sr_delta_N</c>) filled from a text one
/// (<c>#sr_text_N</c>, the bulk copy's target), one staged column per dump column in the live column's type.
/// </summary>
internal sealed class SqlServerStaging : StagedTable
{
    public SqlServerStaging(TableMapping mapping, int session, int ordinal, SqlServerTableShape shape)
        : base(mapping, session)
    {
        var n = ordinal.ToString(CultureInfo.InvariantCulture);
        Delta = "#sr_delta_" + n;
        Text = "#sr_text_" + n;
        Edit = "#sr_edit_" + n;
        Output = "#sr_out_" + n;
        LiveOnly = "#sr_live_" + n;
        var columns = new List<SqlServerStageColumn>(mapping.DumpColumns.Count);
        for (var i = 0; i < mapping.DumpColumns.Count; i++)
        {
            var stage = "c" + (i + 1).ToString(CultureInfo.InvariantCulture);
            if (mapping.Targets[i] is { } target && shape.Columns.FirstOrDefault(c => string.Equals(c.Name, target.Name, StringComparison.Ordinal)) is { Type: { } type } row)
            {
                columns.Add(new SqlServerStageColumn(target.Name, stage, target.DataType, type, type.Kind == SqlServerTypeKind.String ? row.Collation : null));
            }
            else
            {
                // Staged but never written (a dump column the live table lacks): kept as text, compared with nothing.
                var dump = mapping.DumpColumns[i];
                columns.Add(new SqlServerStageColumn(dump.Name ?? "#" + dump.Position.ToString(CultureInfo.InvariantCulture), stage, "nvarchar(max)", new SqlServerType("nvarchar", SqlServerTypeKind.String, 0), null));
            }
        }

        Columns = columns;
        Written = [.. Enumerable.Range(0, columns.Count).Where(i => mapping.Targets[i] is { IsGenerated: false }).Select(i => columns[i])];
        Key = [.. mapping.Key.Select(k => Written.FirstOrDefault(c => string.Equals(c.Live, k, StringComparison.Ordinal))
            ?? throw RestoreTableException.Incompatible($"the dump has no column for key column '{k}'"))];
        Compared = [.. Written.Where(c => !Key.Contains(c))];
        IdentityInsert = Written.Any(c => mapping.Live.Find(c.Live)?.Identity == IdentityColumn.Always);
    }

    /// <summary>The typed delta: sr_n, sr_class, sr_live, sr_hold, then c1.. (one per dump column).</summary>
    public string Delta { get; }

    /// <summary>The bulk copy's target: sr_n then c1.. as text (bytes for binary columns).</summary>
    public string Text { get; }

    /// <summary>Edits the engine sends (classes, new keys, rewritten values), bulk-copied before they are applied.</summary>
    public string Edit { get; }

    /// <summary>What a write's OUTPUT clause gives the undo script.</summary>
    public string Output { get; }

    /// <summary>A table without a key: the live rows no dump row matched by text.</summary>
    public string LiveOnly { get; }

    /// <summary>One staged column per dump column, in dump order.</summary>
    public IReadOnlyList<SqlServerStageColumn> Columns { get; }

    /// <summary>The staged columns written to live columns (generated and extra ones left out).</summary>
    public IReadOnlyList<SqlServerStageColumn> Written { get; }

    /// <summary>The key's staged columns, in key order (empty for a table matched on whole rows).</summary>
    public IReadOnlyList<SqlServerStageColumn> Key { get; }

    /// <summary>The written columns outside the key: what makes a row conflicting.</summary>
    public IReadOnlyList<SqlServerStageColumn> Compared { get; }

    /// <summary>An IDENTITY column is written, so inserts need <c>SET IDENTITY_INSERT ... ON</c>.</summary>
    public bool IdentityInsert { get; }

    /// <summary>The staged column of a live column.</summary>
    public SqlServerStageColumn Column(string live) =>
        Written.FirstOrDefault(c => string.Equals(c.Live, live, StringComparison.Ordinal))
        ?? throw RestoreTableException.Incompatible($"the dump has no values for column {live}");
}
