using System.Diagnostics;
using System.Globalization;
using System.Text;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Display;

/// <summary>
/// Progress of split and inspect on stderr, as apply, plan and verify show theirs: plain lines on a pipe, a bar on a
/// terminal, nothing with --quiet; stdout is the same whatever stderr shows. No database needed.
/// </summary>
public sealed class SplitInspectProgressTests
{
    private const string Prefix = "selective-restore: progress: ";
    private const string BarPiece = "━";

    private const string Head = "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\nCOPY public.notes (id, body) FROM stdin;\n";
    private const string Tail = "\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n";

    private static string Rows(int from, int to)
    {
        var text = new StringBuilder();
        for (var i = from; i <= to; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i}\tnote {i}\n");
        }

        return text.ToString();
    }

    /// <summary>A plain dump of one table, public.notes, with <paramref name="rows"/> rows.</summary>
    private static string Dump(TempDirectory dir, int rows = 2_000) => dir.Write("dump.sql", Head + Rows(1, rows) + Tail);

    [Test]
    public async Task On_a_pipe_split_prints_plain_lines_that_name_the_table_and_how_far_and_stdout_is_only_the_summary()
    {
        using var dir = new TempDirectory();
        var dump = Dump(dir);
        var size = new FileInfo(dump).Length / 1e6;

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, "split", dump, "-o", dir.File("parts"));

        exit.ShouldBe(0, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldAllBe(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        lines[0].ShouldStartWith(Prefix + "splitting public.notes: table 1/?, 0 rows, ");
        lines.ShouldNotContain(l => l.Contains(CliRunner.Escape, StringComparison.Ordinal));

        // The last line: the dump read to its end, so the table count is known and the pass is whole.
        lines[^1].ShouldStartWith(string.Create(CultureInfo.InvariantCulture, $"{Prefix}splitting public.notes: table 1/1, 2,000 rows, {size:0.0} of {size:0.0} MB read"));
        lines[^1].ShouldContain(", 100%");
        stdout.ShouldNotContain("progress");
        stdout.ShouldStartWith("Wrote 1 table files (2,000 rows, ");
    }

    [TestCase("inspect")]
    [TestCase("apply", "-l")]
    [TestCase("plan", "--list")]
    public async Task On_a_pipe_inspect_and_list_print_plain_lines_too(params string[] command)
    {
        using var dir = new TempDirectory();
        var dump = Dump(dir);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, [.. command, dump]);

        exit.ShouldBe(0, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldAllBe(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        lines[0].ShouldStartWith(Prefix + "inspecting public.notes: table 1/?, 0 rows, ");
        lines[^1].ShouldStartWith(Prefix + "inspecting public.notes: table 1/1, 2,000 rows, ");
        lines[^1].ShouldContain(", 100%");
        stdout.ShouldNotContain("progress");
        stdout.ShouldContain("1 tables, 2,000 rows");
    }

    [TestCase("split", "lines")]
    [TestCase("split", "bar")]
    [TestCase("inspect", "lines")]
    [TestCase("inspect", "bar")]
    [TestCase("apply -l", "bar")]
    public async Task Quiet_prints_nothing_on_stderr_and_the_same_summary_on_stdout(string command, string style)
    {
        using var dir = new TempDirectory();
        var dump = Dump(dir);
        var progress = style == "bar" ? CliRunner.Terminal : CliRunner.Pipe;
        string[] Args(string output) => command == "split" ? ["split", dump, "-o", dir.File(output)] : [.. command.Split(' '), dump];

        var (exit, stdout, stderr) = await CliRunner.RunAsync(progress, Args("loud"));
        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldContain("public.notes", customMessage: "without --quiet, progress is shown");

        var (quietExit, quietOut, quietErr) = await CliRunner.RunAsync(progress, [.. Args("quiet"), "-q"]);
        quietExit.ShouldBe(0, quietOut + quietErr);
        quietErr.ShouldBeEmpty();
        quietOut.Replace("quiet", "loud", StringComparison.Ordinal).ShouldBe(stdout);
    }

    [TestCase("split")]
    [TestCase("inspect")]
    public async Task Quiet_still_prints_errors(string command)
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Head + Rows(1, 100) + "101\tnote\textra field\n" + Tail);
        string[] args = command == "split" ? ["split", dump, "-o", dir.File("parts"), "--quiet"] : ["inspect", dump, "--quiet"];

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, args);

        exit.ShouldBe(1, stdout + stderr);
        stderr.ShouldStartWith("selective-restore: ");
        stderr.ShouldContain("line 109");
        stderr.ShouldNotContain("progress");
    }

    [TestCase("split")]
    [TestCase("inspect")]
    public async Task Quiet_and_verbose_together_are_a_usage_error(string command)
    {
        using var dir = new TempDirectory();
        var dump = Dump(dir, rows: 10);
        string[] args = command == "split" ? ["split", dump, "-o", dir.File("parts"), "-q", "--verbose"] : ["inspect", dump, "-q", "--verbose"];

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, args);

        exit.ShouldBe(2, stdout + stderr);
        stderr.ShouldContain("--verbose");
        stdout.ShouldBeEmpty();
        Directory.Exists(dir.File("parts")).ShouldBeFalse();
    }

    [TestCase("split")]
    [TestCase("inspect")]
    public async Task On_a_terminal_a_bar_names_the_table_with_a_percentage(string command)
    {
        using var dir = new TempDirectory();
        var dump = Dump(dir);
        string[] args = command == "split" ? ["split", dump, "-o", dir.File("parts")] : ["inspect", dump];

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Terminal, args);

        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldContain(CliRunner.HideCursor);
        stderr.ShouldContain(BarPiece + BarPiece + BarPiece);
        stderr.ShouldContain((command == "split" ? "splitting" : "inspecting") + " public.notes");
        stderr.ShouldContain("%");
        stderr.ShouldEndWith("\u001b[?25h"); // the cursor is shown again
        stdout.ShouldNotContain(CliRunner.Escape);
        stdout.ShouldContain(command == "split" ? "Wrote 1 table files (2,000 rows" : "1 tables, 2,000 rows");
    }

    /// <summary>
    /// The real command under a pseudo-terminal (<c>script</c>): stderr is a terminal, so the bar is drawn. The dump is
    /// a FIFO the test writes: half of the rows, then nothing until the bar has been seen, so the split waits in the
    /// middle of its table. No timing involved, only a bound on how long the whole test may take.
    /// </summary>
    [Test]
    public async Task Under_a_pseudo_terminal_the_real_split_draws_its_bar_while_it_waits_for_the_dump()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("util-linux script is not installed");
        }

        using var dir = new TempDirectory();
        var fifo = Fifo(dir);
        var cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "selective-restore.dll");
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var argument in (string[])["-qfec", $"dotnet {cli} split {fifo} -o {dir.File("parts")}", "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var screen = new StringBuilder();
        var seen = new TaskCompletionSource();
        var reading = Task.Factory.StartNew(
            () => Read(process.StandardOutput, screen, seen, text => text.Contains(CliRunner.HideCursor, StringComparison.Ordinal) && text.Contains(BarPiece, StringComparison.Ordinal) &&
                                                                    text.Contains("splitting public.notes", StringComparison.Ordinal) && text.Contains('%', StringComparison.Ordinal)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            await FeedAsync(fifo, seen.Task, reading, () => Shown(screen));
            (await Task.WhenAny(reading, Task.Delay(TimeSpan.FromMinutes(2))) == reading).ShouldBeTrue($"the split did not end once the dump did: {Shown(screen)}");
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, Shown(screen));
            screen.ToString().ShouldContain("Wrote 1 table files (40,000 rows");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The real command with stderr on a pipe: plain lines, the first after two seconds, which the test waits for by
    /// holding the rest of the dump back (as above), not by timing.
    /// </summary>
    [Test]
    public async Task On_a_pipe_the_real_inspect_prints_a_progress_line_while_it_waits_for_the_dump()
    {
        using var dir = new TempDirectory();
        var fifo = Fifo(dir);
        using var process = CliRunner.Start("inspect", fifo);
        var stdout = CliRunner.Drain(process.StandardOutput);
        var stderr = new StringBuilder();
        var seen = new TaskCompletionSource();
        var reading = Task.Factory.StartNew(
            () => Read(process.StandardError, stderr, seen, text => text.Contains(Prefix + "inspecting public.notes: table 1/?, ", StringComparison.Ordinal)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            await FeedAsync(fifo, seen.Task, reading, () => Shown(stderr));
            (await Task.WhenAny(reading, Task.Delay(TimeSpan.FromMinutes(2))) == reading).ShouldBeTrue($"inspect did not end once the dump did: {Shown(stderr)}");
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, Shown(stderr));
            Shown(stderr).ShouldNotContain(CliRunner.Escape.Replace("\u001b", "\\e", StringComparison.Ordinal));
            (await stdout).ShouldContain("1 tables, 40,000 rows");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Fifo(TempDirectory dir)
    {
        var path = dir.File("dump.fifo");
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        mkfifo.ExitCode.ShouldBe(0);
        return path;
    }

    /// <summary>
    /// Writes the dump into the FIFO: its head and half of its rows, then, once <paramref name="seen"/> says the progress
    /// was shown (the command is waiting for the rest), the other half and the end.
    /// </summary>
    private static async Task FeedAsync(string fifo, Task seen, Task reading, Func<string> shown)
    {
        // Opening a FIFO blocks until the command opens it too: on a thread of its own.
        var writer = await Task.Factory.StartNew(() => new FileStream(fifo, FileMode.Open, FileAccess.Write), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .WaitAsync(TimeSpan.FromMinutes(2));
        await using (writer)
        {
            await writer.WriteAsync(Encoding.UTF8.GetBytes(Head + Rows(1, 20_000)));
            await writer.FlushAsync();
            var first = await Task.WhenAny(seen, reading, Task.Delay(TimeSpan.FromMinutes(2)));
            (first == seen).ShouldBeTrue($"no progress while the command waited for the dump; it showed: {shown()}");
            await writer.WriteAsync(Encoding.UTF8.GetBytes(Rows(20_001, 40_000) + Tail));
        }
    }

    private static string Shown(StringBuilder screen)
    {
        lock (screen)
        {
            return screen.ToString().Replace("\u001b", "\\e", StringComparison.Ordinal);
        }
    }

    /// <summary>Reads a child's output to its end, and says once <paramref name="shows"/> holds for what it printed.</summary>
    private static void Read(StreamReader output, StringBuilder screen, TaskCompletionSource seen, Func<string, bool> shows)
    {
        var buffer = new char[4096];
        int read;
        while ((read = output.Read(buffer, 0, buffer.Length)) > 0)
        {
            lock (screen)
            {
                screen.Append(buffer, 0, read);
                if (shows(screen.ToString()))
                {
                    seen.TrySetResult();
                }
            }
        }
    }
}
