using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

public sealed class RestoreCommandTests
{
    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRunner.RunAsync(args);

    [Test]
    public async Task Plan_and_apply_write_the_report_with_the_documented_field_names()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE album (id int PRIMARY KEY, title text); INSERT INTO album SELECT g, 'Album ' || g FROM generate_series(1, 30) g;");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM album WHERE id > 25; UPDATE album SET title = 'x' WHERE id = 1; INSERT INTO album VALUES (99, 'new')");
        var json = Path.Combine(Path.GetDirectoryName(dump)!, "plan.json");

        var (exit, stdout, stderr) = await RunAsync("plan", dump, "--target", db.ConnectionString, "--json", json);
        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("public.album");
        using (var plan = JsonDocument.Parse(File.ReadAllText(json)))
        {
            plan.RootElement.GetProperty("dryRun").GetBoolean().ShouldBeTrue();
            var table = plan.RootElement.GetProperty("tables")[0];
            foreach (var field in (string[])["schema", "table", "dumpRows", "missing", "identical", "conflicting", "liveOnly", "inserted", "updated", "skipped", "duration", "errors"])
            {
                table.TryGetProperty(field, out _).ShouldBeTrue(field);
            }

            (table.GetProperty("dumpRows").GetInt64(), table.GetProperty("missing").GetInt64(), table.GetProperty("identical").GetInt64(),
                table.GetProperty("conflicting").GetInt64(), table.GetProperty("liveOnly").GetInt64(), table.GetProperty("inserted").GetInt64())
                .ShouldBe((30L, 5L, 24L, 1L, 1L, 0L));
        }

        (await db.ScalarAsync<long>("SELECT count(*) FROM album")).ShouldBe(26);
        (exit, _, stderr) = await RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "fail-on-conflict", "--json", json);
        exit.ShouldBe(1, "a failed table makes the exit code 1");
        stderr.ShouldContain("conflict");
        (exit, stdout, stderr) = await RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", "--json", json);
        exit.ShouldBe(0, stderr);
        using var applied = JsonDocument.Parse(File.ReadAllText(json));
        var t = applied.RootElement.GetProperty("tables")[0];
        (t.GetProperty("inserted").GetInt64(), t.GetProperty("updated").GetInt64()).ShouldBe((5L, 1L));
        applied.RootElement.GetProperty("target").GetString()!.ShouldNotContain("Password", Case.Insensitive);
    }

    [Test]
    public async Task An_unusable_target_exits_1_with_one_line_and_never_prints_the_password()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var dump = await db.DumpAsync();
        var missingDatabase = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = "sr_no_such_db", Password = "s3cr3t-Pa55" }.ConnectionString;

        var (exit, stdout, stderr) = await RunAsync("plan", dump, "--target", missingDatabase);

        exit.ShouldBe(1);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("sr_no_such_db");
        stderr.TrimEnd().ShouldNotContain('\n');
        (stdout + stderr).ShouldNotContain("s3cr3t");
    }

    [TestCase("apply", "x.sql", "--target", "Host=h", "--policy", "newest-wins")]
    [TestCase("apply", "x.sql")]
    [TestCase("plan", "x.sql", "--policy", "prefer-live", "--target", "Host=h")]
    public async Task Usage_errors_exit_2(params string[] args) => (await RunAsync(args)).Exit.ShouldBe(2);
}
