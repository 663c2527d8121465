namespace Selective.Restore;

/// <summary>Options for <see cref="DumpInspector"/>.</summary>
public sealed class InspectOptions
{
    /// <summary>
    /// Where the inspection is (<see cref="RestoreProgress"/>, phase <see cref="RestorePhase.Inspecting"/>): the table
    /// and its number, its rows read, the dump's bytes read of its size. Called on the inspection's own flow when a table
    /// starts and ends, in between at most every <see cref="ProgressInterval"/>, and once more when the dump has been
    /// read (with the number of tables, which a script names only as it is read). Default: null, no reports.
    /// </summary>
    public IProgress<RestoreProgress>? Progress { get; set; }

    /// <summary>
    /// The least time between two <see cref="Progress"/> reports that mark no table boundary. Default: 100 ms;
    /// <see cref="TimeSpan.Zero"/> reports every 64 rows.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan ProgressInterval
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            field = value;
        }
    } = TimeSpan.FromMilliseconds(ProgressThrottle.Interval);
}
