using Microsoft.Data.Sqlite;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>--from: a database in place of the dump, for inspect, plan, apply and verify (issue 14).</summary>
public sealed class FromDatabaseTests
{
    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Test]
    public async Task Yesterday_s_app_db_restores_what_today_s_lost()
    {
        using var dir = new TempDirectory();
        var live = dir.File("app.db");
        var backup = dir.File("yesterday.db");
        Execute(live, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'a'), (2, 'b'), (3, 'c');");
        File.Copy(live, backup);
        Execute(live, "DELETE FROM notes WHERE id = 2;");

        var (inspectExit, inspected, _) = await CliRunner.RunAsync("inspect", "--from", backup);
        inspectExit.ShouldBe(0);
        inspected.ShouldContain("main.notes");

        var (exit, output, err) = await CliRunner.RunAsync("apply", "--from", backup, "--target", live);

        exit.ShouldBe(0, output + err);
        output.ShouldContain("sqlite://" + backup);
        var (verifyExit, verified, verifyErr) = await CliRunner.RunAsync("verify", "--from", backup, "--target", live);
        verifyExit.ShouldBe(0, verified + verifyErr);
    }

    [TestCase]
    [TestCase("dump.sql", "--from", "backup.db")]
    public async Task The_dump_or_a_database_exactly_one_is_a_usage_error_otherwise(params string[] source)
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = await CliRunner.RunAsync(["plan", .. source.Select(s => s.Contains('.', StringComparison.Ordinal) ? dir.File(s) : s), "--target", dir.File("app.db")]);

        exit.ShouldBe(2, err);
        err.ShouldContain("give the dump, or a database with --from (one of them)");
    }

    [Test]
    public async Task A_SQL_Server_database_is_not_a_source_yet()
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = await CliRunner.RunAsync("plan", "--from", "Server=db;Database=shop;User ID=sa;Password=hunter2;TrustServerCertificate=true", "--target", dir.File("app.db"));

        exit.ShouldBe(2, err);
        err.ShouldContain("a SQL Server database cannot be a source yet");
        err.ShouldNotContain("hunter2");
    }
}
