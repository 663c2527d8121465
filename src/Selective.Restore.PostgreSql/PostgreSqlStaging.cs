using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>A table's staging in the session: temp tables for the delta the engine sent, and the classified delta.</summary>
internal sealed class PostgreSqlStaging(TableMapping mapping, string stageName, string deltaName, int session) : StagedTable(mapping, session)
{
    /// <summary>The engine's delta as it arrives (<c>sr_stage_N</c>).</summary>
    public string StageName { get; } = stageName;

    /// <summary>The classified delta (<c>sr_delta_N</c>: position, class, whether the key is live, the row); the engine's decisions are its classes.</summary>
    public string DeltaName { get; } = deltaName;
}
