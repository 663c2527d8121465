using System.Diagnostics;
using Selective.Restore.Cli;
using Selective.Restore.Cli.Display;

namespace Selective.Restore.Tests.Support;

/// <summary>Runs the CLI in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Like <see cref="RunAsync(string[])"/>, with stderr shown as <paramref name="progress"/> says (a pipe, a terminal).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(ProgressOutput progress, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error, progress);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Lines at every report (a real pipe prints one every few seconds, which a short test never sees).</summary>
    public static readonly ProgressOutput Pipe = new(ProgressStyle.Lines) { FirstLine = TimeSpan.Zero, Every = TimeSpan.Zero };

    /// <summary>A terminal 100 columns wide, the bar drawn at once (a real one waits a second).</summary>
    public static readonly ProgressOutput Terminal = new(ProgressStyle.Bar, 100) { BarAfter = TimeSpan.Zero };

    /// <summary>What starts an ANSI escape sequence: a terminal's output has them, a pipe's must not.</summary>
    public const string Escape = "\u001b[";

    /// <summary>The escape sequence that hides the cursor while a bar is drawn.</summary>
    public const string HideCursor = "\u001b[?25l";

    /// <summary>
    /// Starts the CLI as a real process (signals and kills reach it as they would in production), stdout and stderr
    /// redirected. <c>env</c> resets SIGINT to its default first: a process started in the background of a
    /// non-interactive shell inherits it ignored.
    /// </summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "selective-restore.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Reads a child's stream to its end on a thread of its own: a pipe's reads block, and blocked pool threads starve a 2-core machine's pool.</summary>
    public static Task<string> Drain(StreamReader reader) => ProcessOutput.Drain(reader);
}
