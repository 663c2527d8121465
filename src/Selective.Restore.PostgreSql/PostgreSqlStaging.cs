using Selective.Restore.Apply;

namespace Selective.Restore.PostgreSql;

/// <summary>A table's staging in the session: temp tables for the delta the engine sent, its classes, and the policy's decisions.</summary>
internal sealed class PostgreSqlStaging(TableMapping mapping, string stageName, string deltaName, string decideName, int session) : StagedTable(mapping, session)
{
    /// <summary>The engine's delta as it arrives (<c>sr_stage_N</c>).</summary>
    public string StageName { get; } = stageName;

    /// <summary>The classified delta (<c>sr_delta_N</c>: position, class, whether the key is live, the row).</summary>
    public string DeltaName { get; } = deltaName;

    /// <summary>The policy's decisions by key (<c>sr_decide_N</c>).</summary>
    public string Decide { get; } = decideName;

    /// <summary>A policy decided to take the dump's row for some conflicts (recorded since the table's classification).</summary>
    public bool HasTakeDumpDecisions { get; set; }
}
