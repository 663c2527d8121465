namespace Selective.Restore.Providers;

/// <summary>
/// Optional for a target: whether a restore may write through several of its sessions at once
/// (<see cref="RestoreBuilder.WithJobs"/>). A target without this role takes parallel sessions.
/// </summary>
public interface IParallelSessions
{
    /// <summary>Why this database must be restored over one session, or null when sessions may write in parallel.</summary>
    string? RefusesParallelSessions { get; }
}
