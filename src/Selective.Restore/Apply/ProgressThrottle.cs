namespace Selective.Restore;

/// <summary>
/// Hands a run's progress to the user's <see cref="IProgress{T}"/>: events that mark a table's start or end always,
/// the others at most every <paramref name="interval"/> (by default <see cref="Interval"/> ms), so a handler that draws
/// or logs costs nothing measurable.
/// </summary>
internal sealed class ProgressThrottle(IProgress<RestoreProgress> progress, TimeSpan interval)
{
    /// <summary>The default least time between two events that mark no table boundary, in milliseconds.</summary>
    public const long Interval = 100;

    private readonly long _interval = (long)interval.TotalMilliseconds;
    private long _next;

    public void Report(RestoreProgress value, bool force)
    {
        // TickCount64 is cheap; callers ask per buffer or per 64 rows, never per row.
        var now = Environment.TickCount64;
        if (!force && now < _next)
        {
            return;
        }

        _next = now + _interval;
        progress.Report(value);
    }
}
