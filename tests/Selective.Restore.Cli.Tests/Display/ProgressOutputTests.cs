using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Display;

/// <summary>
/// Progress on stderr (issue 15): a bar on a terminal, plain lines on a pipe, nothing with --quiet; the summary on
/// stdout is the same whatever stderr shows. SQLite targets, so nothing needs to be installed.
/// </summary>
public sealed class ProgressOutputTests
{
    private const string Bar = "━━━";

    /// <summary>A live database that lost every 7th of its notes, and a sqlite3 .dump from before (with <paramref name="gone"/>, a table live lacks).</summary>
    private static (string Live, string Dump) Scenario(TempDirectory dir, int rows = 2_000, bool gone = false)
    {
        var live = dir.File("app.db");
        Execute(live, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);");
        var dump = new StringBuilder("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n");
        using (var connection = Open(live))
        using (var transaction = connection.BeginTransaction())
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO notes VALUES ($id, $body)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var body = insert.Parameters.Add("$body", SqliteType.Text);
            for (var i = 1; i <= rows; i++)
            {
                dump.Append(CultureInfo.InvariantCulture, $"INSERT INTO notes VALUES({i},'note {i}');\n");
                if (i % 7 != 0)
                {
                    (id.Value, body.Value) = (i, $"note {i}");
                    insert.ExecuteNonQuery();
                }
            }

            transaction.Commit();
        }

        if (gone)
        {
            dump.Append("CREATE TABLE gone (id INTEGER PRIMARY KEY);\nINSERT INTO gone VALUES(1);\n");
        }

        dump.Append("COMMIT;\n");
        var path = dir.File("dump.sql");
        File.WriteAllText(path, dump.ToString());
        return (live, path);
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Test]
    public async Task On_a_pipe_plain_lines_say_the_phase_the_table_and_how_far_and_stdout_is_only_the_summary()
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, "apply", dump, "--target", live);

        exit.ShouldBe(0, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldAllBe(l => l.StartsWith("selective-restore: progress: ", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("staging main.notes: table 1/?, ", StringComparison.Ordinal) && l.Contains(" MB read", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("diffing main.notes: table 1/1, ", StringComparison.Ordinal) && l.Contains("(the dump has 2,000)", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("applying main.notes: table 1/1, 285 rows written", StringComparison.Ordinal) && l.Contains(", 100%", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains(CliRunner.Escape, StringComparison.Ordinal));
        stdout.ShouldNotContain("progress");
        stdout.ShouldContain("1 tables, 285 inserted");
    }

    [TestCase("apply")]
    [TestCase("verify")]
    public async Task Reading_past_a_large_table_left_out_says_so_while_it_lasts(string command)
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir);
        // A 4 MB table the run does not select, before the one it does.
        var text = new StringBuilder("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE archive (id INTEGER PRIMARY KEY, body TEXT);\n");
        for (var i = 1; i <= 40_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"INSERT INTO archive VALUES({i},'{new string('a', 64)}');\n");
        }

        text.Append(File.ReadAllText(dump)["PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n".Length..]);
        File.WriteAllText(dump, text.ToString());

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, command, dump, "--target", live, "-t", "notes");

        exit.ShouldBe(0, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var skipping = lines.Where(l => l.Contains("staging: skipping main.archive: not selected, 0/? tables done, ", StringComparison.Ordinal)).ToList();
        skipping.ShouldNotBeEmpty(stderr);
        skipping.ShouldAllBe(l => l.Contains(" MB read", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("staging main.notes: table 1/?, ", StringComparison.Ordinal));
    }

    [Test]
    public async Task Verify_prints_its_progress_too()
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, "verify", dump, "--target", live);

        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldContain("selective-restore: progress: staging main.notes: table 1/?, ");
        stderr.ShouldContain("selective-restore: progress: diffing main.notes: table 1/1, 1,715 live rows read (the dump has 2,000)");
        stdout.ShouldNotContain("progress");
    }

    [TestCase("lines")]
    [TestCase("bar")]
    public async Task Quiet_prints_neither_progress_nor_warnings_and_the_summary_still_has_them(string style)
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir, gone: true);
        var progress = style == "bar" ? CliRunner.Terminal : CliRunner.Pipe;

        var (exit, stdout, stderr) = await CliRunner.RunAsync(progress, "apply", dump, "--target", live, "--skip-incompatible-tables");
        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldContain("selective-restore: warning: main.gone: skipped: ");
        stderr.ShouldContain("main.notes");

        Execute(live, "DELETE FROM notes WHERE id % 7 = 0");
        var (quietExit, quietOut, quietErr) = await CliRunner.RunAsync(progress, "apply", dump, "--target", live, "--skip-incompatible-tables", "--quiet");
        quietExit.ShouldBe(0, quietOut + quietErr);
        quietErr.ShouldBeEmpty();
        quietOut.ShouldContain("skipped: ");
        quietOut.ShouldContain("285 inserted");
    }

    [Test]
    public async Task Quiet_still_prints_errors()
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir, gone: true);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, "apply", dump, "-q", "--target", live);

        exit.ShouldBe(1, stdout + stderr);
        stderr.ShouldContain("selective-restore: error: main.gone failed");
        stderr.ShouldNotContain("progress");
        stdout.ShouldContain("285 inserted");
    }

    [TestCase("plan")]
    [TestCase("apply")]
    public async Task Quiet_and_verbose_together_are_a_usage_error(string command)
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir, rows: 10);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Pipe, command, dump, "--target", live, "--quiet", "--verbose");

        exit.ShouldBe(2, stdout + stderr);
        stderr.ShouldContain("--quiet and --verbose cannot be used together");
        stdout.ShouldBeEmpty();
    }

    [Test]
    public async Task On_a_terminal_a_bar_names_the_table_with_a_percentage_and_warnings_are_printed_above_it()
    {
        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir, gone: true);

        var (exit, stdout, stderr) = await CliRunner.RunAsync(CliRunner.Terminal, "plan", dump, "--target", live, "--skip-incompatible-tables");

        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldContain(CliRunner.HideCursor);
        stderr.ShouldContain(Bar);
        stderr.ShouldContain("main.notes");
        stderr.ShouldContain("%");
        stderr.ShouldContain("selective-restore: warning: main.gone: skipped: ");
        stderr.ShouldEndWith("\u001b[?25h"); // the cursor is shown again
        stdout.ShouldNotContain(CliRunner.Escape);
        stdout.ShouldContain("2 tables, would insert 285, would update 0"); // a plan counts what the apply would write
    }

    /// <summary>
    /// The real command under a pseudo-terminal (<c>script</c>): stderr is a terminal, so the bar is drawn. The test holds
    /// the database's write lock, so the run waits (after staging, before applying) until the bar has been seen: no
    /// timing involved, only a bound on how long the whole test may take.
    /// </summary>
    [Test]
    public async Task Under_a_pseudo_terminal_the_real_command_draws_its_bar()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("util-linux script is not installed");
        }

        using var dir = new TempDirectory();
        var (live, dump) = Scenario(dir);
        var cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "selective-restore.dll");
        using var locker = Open(live);
        using (var begin = locker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var argument in (string[])["-qfec", $"dotnet {cli} apply {dump} --target {live} --lock-timeout 5m", "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var screen = new StringBuilder();
        var seen = new TaskCompletionSource();
        // A thread of its own: a pipe's reads block, and blocked pool threads starve a 2-core machine's pool.
        var reading = Task.Factory.StartNew(() => Read(process, screen, seen), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // The bar must show while the run waits for the lock; only then may it go on.
            var first = await Task.WhenAny(seen.Task, reading, Task.Delay(TimeSpan.FromMinutes(2)));
            (first == seen.Task).ShouldBeTrue($"no bar on the terminal; it showed: {Shown(screen)}");
            using (var rollback = locker.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            (await Task.WhenAny(reading, Task.Delay(TimeSpan.FromMinutes(2))) == reading).ShouldBeTrue($"the run did not end once the lock was released: {Shown(screen)}");
            await process.WaitForExitAsync();
            process.ExitCode.ShouldBe(0, screen.ToString());
            screen.ToString().ShouldContain("1 tables, 285 inserted");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Shown(StringBuilder screen)
    {
        lock (screen)
        {
            return screen.ToString().Replace("\u001b", "\\e", StringComparison.Ordinal);
        }
    }

    /// <summary>Reads the terminal's output to its end, and says once it shows a bar drawn in place.</summary>
    private static void Read(Process process, StringBuilder screen, TaskCompletionSource seen)
    {
        var buffer = new char[4096];
        int read;
        while ((read = process.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
        {
            lock (screen)
            {
                screen.Append(buffer, 0, read);
                var text = screen.ToString();

                // The cursor hidden, a bar, the table and how far.
                if (text.Contains(CliRunner.HideCursor, StringComparison.Ordinal) && text.Contains(Bar, StringComparison.Ordinal) &&
                    text.Contains("main.notes", StringComparison.Ordinal) && text.Contains('%', StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        }
    }
}
