using System.Diagnostics;

namespace Selective.Restore.Sqlite.Tests;

/// <summary>The README's first command: the quick start runs on SQLite with nothing but the .NET SDK, and exits 0.</summary>
public sealed class QuickStartTests
{
    [Test]
    public void The_quick_start_restores_what_was_lost_and_exits_0()
    {
        // The solution builds samples/QuickStart with the tests (this project depends on it for the order).
        var root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));
        var program = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(root, "samples/QuickStart/bin", c, "net10.0/QuickStart.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault()
            .ShouldNotBeNull("samples/QuickStart was not built");
        var directory = Directory.CreateTempSubdirectory("sr-quickstart-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(program);
            start.ArgumentList.Add(directory);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();

            process.ExitCode.ShouldBe(0, output.Result + error);
            output.Result.ShouldContain("5. restore   succeeded");
            output.Result.ShouldContain("Дмитрий | 0 | 1");
            output.Result.ShouldContain("Zoë Ñandú | 12.5 | 2");
            File.Exists(Path.Combine(directory, "undo.sql")).ShouldBeTrue();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
