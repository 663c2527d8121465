using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Selective.Restore.Tests.Support;

/// <summary>
/// Runs the real <c>sqlite3</c> binary (scripts/test installs it). Where it is missing, a test using it is ignored saying so,
/// except under CI=true, where it fails: CI must run them.
/// </summary>
internal static class SqliteShell
{
    /// <summary>Runs <c>sqlite3 DB ARGS...</c> and returns what it prints (UTF-8); a non-zero exit or anything on stderr fails the test.</summary>
    public static string Run(string database, params string[] arguments)
    {
        var start = new ProcessStartInfo("sqlite3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-batch");
        start.ArgumentList.Add(database);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            Missing(ex.Message);
            throw; // unreachable
        }

        using (process)
        {
            var output = ProcessOutput.Drain(process.StandardOutput);
            var error = ProcessOutput.Drain(process.StandardError);
            process.WaitForExit();
            error.Result.ShouldBeEmpty($"sqlite3 {string.Join(' ', arguments)} wrote to stderr");
            process.ExitCode.ShouldBe(0);
            return output.Result;
        }
    }

    /// <summary>The version sqlite3 reports (<c>3.40.1</c>).</summary>
    public static Version Version()
    {
        var text = Run(":memory:", "SELECT sqlite_version();").Trim();
        return System.Version.Parse(text);
    }

    private static void Missing(string why)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"sqlite3 is not installed but CI=true: the tests against the real sqlite3 must run in CI ({why}).");
        }

        Assert.Ignore($"sqlite3 is not installed ({why}); test against the real sqlite3 not run (apt-get install sqlite3).");
    }
}
