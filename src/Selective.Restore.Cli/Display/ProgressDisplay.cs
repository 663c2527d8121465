
namespace Selective.Restore.Cli.Display;

/// <summary>
/// Shows a run's progress on stderr while it runs (<see cref="ShowAsync{T}"/>), as <see cref="ProgressOutput"/> says.
/// Other stderr lines of the run (warnings, <c>--verbose</c> logs) go through <see cref="Log"/>, so that they are
/// printed above a bar instead of through it.
/// </summary>
internal abstract class ProgressDisplay : IProgress<RestoreProgress>, IDisposable
{
    /// <summary>Where the run's other stderr lines go while progress is shown.</summary>
    public abstract TextWriter Log { get; }

    /// <summary>
    /// A display for <paramref name="output"/> on <paramref name="error"/> (a thread-safe writer); <paramref name="waiting"/>
    /// says what the run does before its first report.
    /// </summary>
    public static ProgressDisplay Create(ProgressOutput output, TextWriter error, string waiting = ProgressState.Connecting) => output.Style switch
    {
        ProgressStyle.Bar => new BarDisplay(error, output.Width, output.BarAfter, waiting),
        ProgressStyle.Lines => new LineDisplay(error, output.FirstLine, output.Every, waiting),
        _ => new NoDisplay(error),
    };

    /// <summary>Runs <paramref name="work"/> while progress is shown; the display is gone (or stopped) when it returns.</summary>
    public abstract Task<T> ShowAsync<T>(Func<Task<T>> work);

    /// <inheritdoc/>
    public abstract void Report(RestoreProgress value);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the display holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>No progress: lines go straight to stderr.</summary>
    private sealed class NoDisplay(TextWriter error) : ProgressDisplay
    {
        public override TextWriter Log => error;

        public override Task<T> ShowAsync<T>(Func<Task<T>> work) => work();

        public override void Report(RestoreProgress value)
        {
        }
    }
}
