using Selective.Restore.Dump;

namespace Selective.Restore.Providers;

/// <summary>How a dump table's columns land in the live table.</summary>
/// <param name="Live">The live table.</param>
/// <param name="DumpColumns">The dump's columns in row order.</param>
/// <param name="Targets">For each dump column, the live column it is written to, or null when it is staged but not written (extra or generated).</param>
/// <param name="Key">The key columns rows are matched on (the primary key).</param>
public sealed record TableMapping(LiveTable Live, IReadOnlyList<DumpColumn> DumpColumns, IReadOnlyList<LiveColumn?> Targets, IReadOnlyList<string> Key);

/// <summary>
/// A dump table's staging on the target (the delta the engine sent, its classes, the policy's decisions), as the
/// provider keeps it: each provider subclasses it with what it needs (temp table names, say); the engine reads only this.
/// </summary>
public abstract class StagedTable(TableMapping mapping, int session)
{
    /// <summary>How the dump table's columns land in the live table.</summary>
    public TableMapping Mapping { get; } = mapping;

    /// <summary>Rows staged: the dump's rows read for the table, then the engine's delta once it is staged.</summary>
    public long DumpRows { get; set; }

    /// <summary>The target session the staging lives in; a reconnect loses it.</summary>
    public int Session { get; } = session;
}
