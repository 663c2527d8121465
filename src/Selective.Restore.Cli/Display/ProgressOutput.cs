namespace Selective.Restore.Cli.Display;

/// <summary>How progress is shown on stderr: a live bar, plain lines, or nothing.</summary>
internal enum ProgressStyle
{
    /// <summary>Nothing (<c>--quiet</c>, and the in-process runs that do not ask for progress).</summary>
    None,

    /// <summary>Plain lines now and then: stderr is a pipe or a file (a CI log, <c>2&gt;run.log</c>).</summary>
    Lines,

    /// <summary>A progress bar redrawn in place, with rate and time left: stderr is a terminal.</summary>
    Bar,
}

/// <summary>
/// How the CLI shows progress on stderr. <see cref="Program"/> decides it from the real stderr (<see cref="ForStderr"/>);
/// tests choose it, so that a bar can be drawn into a <see cref="StringWriter"/> and lines printed at every report.
/// </summary>
/// <param name="Style">Bar, lines or nothing.</param>
/// <param name="Width">The terminal's width in columns, for the bar.</param>
internal sealed record ProgressOutput(ProgressStyle Style, int Width = 80)
{
    /// <summary>Plain lines: when the first is printed (a run shorter than this prints none).</summary>
    public TimeSpan FirstLine { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Plain lines: the time between two; <see cref="TimeSpan.Zero"/> prints one at every report instead (tests).</summary>
    public TimeSpan Every { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The bar: when it appears (a shorter run shows none); <see cref="TimeSpan.Zero"/> at once (tests).</summary>
    public TimeSpan BarAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>No progress at all.</summary>
    public static ProgressOutput None { get; } = new(ProgressStyle.None);

    /// <summary>
    /// A bar when stderr is a terminal that can draw one, plain lines otherwise (redirected, or <c>TERM=dumb</c>, as
    /// in an editor's shell buffer, which cannot move the cursor).
    /// </summary>
    public static ProgressOutput ForStderr()
    {
        if (Console.IsErrorRedirected || string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal))
        {
            return new ProgressOutput(ProgressStyle.Lines);
        }

        int width;
        try
        {
            width = Console.WindowWidth;
        }
        catch (IOException)
        {
            width = 0;
        }

        return new ProgressOutput(ProgressStyle.Bar, width > 0 ? width : 80);
    }
}
