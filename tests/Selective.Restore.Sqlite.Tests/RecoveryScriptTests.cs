using System.Diagnostics;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests;

/// <summary>samples/restore.cs, the file-based recovery script (<c>dotnet run samples/restore.cs</c>), restores what a SQLite database lost.</summary>
public sealed class RecoveryScriptTests
{
    [Test]
    public void The_file_based_recovery_script_restores_the_missing_rows()
    {
        using var live = new SqliteFile("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'kept'), (2, 'lost'), (3, 'edited');");
        var dump = live.File("backup.sql");
        SqliteDump.WriteAsync(live.ConnectionString, dump).GetAwaiter().GetResult();
        live.Execute("DELETE FROM notes WHERE id = 2; UPDATE notes SET body = 'changed since' WHERE id = 3;");

        var root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in new[] { "run", "samples/restore.cs", "--", dump, live.Path })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        process.ExitCode.ShouldBe(0, output.Result + error);
        live.Content("notes").ShouldBe(["1\t'kept'", "2\t'lost'", "3\t'changed since'"]);
        output.Result.ShouldContain("undo script: ");
        File.Exists(Path.ChangeExtension(dump, ".undo.sql")).ShouldBeTrue();
    }
}
