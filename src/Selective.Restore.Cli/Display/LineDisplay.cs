
namespace Selective.Restore.Cli.Display;

/// <summary>
/// Progress as plain lines (stderr is a pipe or a file): the first once the run has lasted <paramref name="first"/>,
/// then one every <paramref name="every"/>, from a timer, so a run that waits on one long statement still says where
/// it is. A short run prints none. With <paramref name="every"/> zero, a line at every report instead (tests).
/// <paramref name="waiting"/> says what the run does before its first report.
/// </summary>
internal sealed class LineDisplay(TextWriter error, TimeSpan first, TimeSpan every, string waiting) : ProgressDisplay
{
    private const string Prefix = "selective-restore: progress: ";

    private readonly ProgressState _state = new(waiting);
    private readonly Lock _gate = new();

    public override TextWriter Log => error;

    public override async Task<T> ShowAsync<T>(Func<Task<T>> work)
    {
        if (every <= TimeSpan.Zero)
        {
            return await work().ConfigureAwait(false);
        }

        var timer = new Timer(_ => Print(), null, first, every);
        await using (timer.ConfigureAwait(false))
        {
            // Disposing waits for a line being printed: none comes after the run.
            return await work().ConfigureAwait(false);
        }
    }

    public override void Report(RestoreProgress value)
    {
        lock (_gate)
        {
            _state.Update(value);
        }

        if (every <= TimeSpan.Zero)
        {
            Print();
        }
    }

    private void Print()
    {
        string line;
        lock (_gate)
        {
            line = _state.Line();
        }

        error.WriteLine(Prefix + line);
    }
}
