using System.Diagnostics;
using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>
/// Ctrl-C or SIGTERM during an apply: the table in flight is rolled back, then the summary, the JSON report, the undo
/// script and the journal say what committed, and the same command resumes (issue 10, point 7).
/// </summary>
public sealed class CancelTests
{
    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a, v text);
        INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 50) g;
        INSERT INTO b SELECT g, 1 + g % 50, 'b' || g FROM generate_series(1, 50) g;
        """;

    // b's missing rows take 0.4 s each to insert: the run is inside b's transaction for seconds.
    private const string Incident = """
        DELETE FROM b WHERE id > 30; DELETE FROM a WHERE id > 40;
        CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NEW; END $$;
        CREATE TRIGGER slow BEFORE INSERT ON b FOR EACH ROW EXECUTE FUNCTION slow();
        """;

    [TestCase("INT")]
    [TestCase("TERM")]
    public async Task A_signal_rolls_back_the_table_in_flight_and_reports_what_committed(string signal)
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);
        using var dir = new TempDirectory();
        string[] args = ["apply", dump, "--target", db.ConnectionString, "--journal", dir.File("journal"), "--undo", dir.File("undo.sql"), "--json", dir.File("report.json")];
        using var process = CliRunner.Start(args);
        var stdout = CliRunner.Drain(process.StandardOutput);
        var stderr = CliRunner.Drain(process.StandardError);

        // Wait until a's commit is confirmed in the journal: the run is then inside b's slow transaction.
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(dir.File("journal")) && (await File.ReadAllTextAsync(dir.File("journal"))).Contains("\"confirmed\"", StringComparison.Ordinal)))
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), "the first table never committed");
            await Task.Delay(50);
        }
        await Task.Delay(300);
        Signal(process, signal);
        (await WaitAsync(process, TimeSpan.FromSeconds(30))).ShouldBeTrue("the process did not end after the signal");

        var output = await stdout;
        process.ExitCode.ShouldBe(130, output + await stderr);
        (await stderr).ShouldContain("cancelling");
        output.ShouldContain("cancelled: 1 tables were committed before the cancel and stay applied (public.a)");

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(dir.File("report.json")));
        json.RootElement.GetProperty("cancelled").GetBoolean().ShouldBeTrue();
        var tables = json.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!);
        tables["a"].GetProperty("outcome").GetString().ShouldBe("applied");
        tables["a"].GetProperty("inserted").GetInt64().ShouldBe(10);
        tables["b"].GetProperty("outcome").GetString().ShouldBe("cancelled");
        tables["b"].GetProperty("inserted").GetInt64().ShouldBe(0);
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(50);
        (await db.ScalarAsync<long>("SELECT count(*) FROM b")).ShouldBe(30); // rolled back

        // The undo script covers exactly what committed.
        File.Exists(dir.File("undo.sql")).ShouldBeTrue();
        (await File.ReadAllTextAsync(dir.File("undo.sql"))).ShouldContain("public.a");

        // The same command resumes: a is not applied again, b is.
        await db.ExecuteAsync("DROP TRIGGER slow ON b");
        var (exit, resumed, err) = await CliRunner.RunAsync(args);
        exit.ShouldBe(0, resumed + err);
        (await db.ScalarAsync<long>("SELECT count(*) FROM b")).ShouldBe(50);
        await db.PsqlAsync(dir.File("undo.sql"));
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(40);
        (await db.ScalarAsync<long>("SELECT count(*) FROM b")).ShouldBe(30);
    }

    [Test]
    public async Task A_second_signal_stops_at_once()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Incident);
        using var dir = new TempDirectory();

        using var process = CliRunner.Start(["apply", dump, "--target", db.ConnectionString, "--journal", dir.File("journal")]);
        var stderr = CliRunner.Drain(process.StandardError);
        _ = CliRunner.Drain(process.StandardOutput);
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(dir.File("journal")) && (await File.ReadAllTextAsync(dir.File("journal"))).Contains("\"confirmed\"", StringComparison.Ordinal)))
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
            await Task.Delay(50);
        }

        Signal(process, "INT");
        Signal(process, "INT");
        (await WaitAsync(process, TimeSpan.FromSeconds(30))).ShouldBeTrue();
        process.ExitCode.ShouldBe(130);
        (await stderr).ShouldContain("stopped at once");
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private static async Task<bool> WaitAsync(Process process, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
    }
}
