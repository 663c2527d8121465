using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>-j/--jobs N on plan and apply: tables in parallel over N connections, as pg_restore -j (issue 15).</summary>
public sealed class JobsOptionTests
{
    [TestCase("apply", "-j", "0")]
    [TestCase("apply", "--jobs", "65")]
    [TestCase("plan", "-j", "two")]
    [TestCase("plan", "-j", "-3")]
    public async Task A_number_of_jobs_out_of_range_is_a_usage_error(string command, string option, string value)
    {
        var (exit, output, err) = await CliRunner.RunAsync(command, "x.sql", "--target", "Host=h", option, value);

        exit.ShouldBe(2, err);
        output.ShouldBeEmpty();
        err.ShouldContain(value);
    }

    [Test]
    public async Task Jobs_with_a_single_transaction_are_a_usage_error()
    {
        var (exit, _, err) = await CliRunner.RunAsync("apply", "x.sql", "--target", "Host=h", "-j", "2", "--single-transaction");

        exit.ShouldBe(2, err);
        err.ShouldContain("-j/--jobs cannot be combined with --single-transaction");

        // One job is what --single-transaction runs anyway.
        (exit, _, err) = await CliRunner.RunAsync("apply", "no-such-dump.sql", "--target", "Host=h", "-j", "1", "--single-transaction");
        err.ShouldNotContain("--single-transaction");
        exit.ShouldBe(1, err);
    }

    [Test]
    public async Task Plan_and_apply_take_jobs_and_report_what_one_job_reports()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE artists (id int PRIMARY KEY, name text);
            CREATE TABLE albums (id int PRIMARY KEY, artist_id int NOT NULL REFERENCES artists, title text);
            CREATE TABLE tracks (id int PRIMARY KEY, album_id int NOT NULL REFERENCES albums, title text);
            CREATE TABLE genres (id int PRIMARY KEY, name text);
            INSERT INTO artists SELECT g, 'artist ' || g FROM generate_series(1, 50) g;
            INSERT INTO albums SELECT g, 1 + g % 50, 'album ' || g FROM generate_series(1, 200) g;
            INSERT INTO tracks SELECT g, 1 + g % 200, 'track ' || g FROM generate_series(1, 1000) g;
            INSERT INTO genres SELECT g, 'genre ' || g FROM generate_series(1, 20) g;
            """);
        var dump = await db.DumpAsync("-Fc", "music.dump");
        await db.ExecuteAsync("DELETE FROM tracks WHERE album_id % 4 = 0; DELETE FROM albums WHERE id % 4 = 0; DELETE FROM genres WHERE id > 15");
        var dir = Path.GetDirectoryName(dump)!;

        var (exit, _, err) = await CliRunner.RunAsync("plan", dump, "--target", db.ConnectionString, "--jobs", "3", "--json", Path.Combine(dir, "plan3.json"));
        exit.ShouldBe(0, err);
        (exit, _, err) = await CliRunner.RunAsync("plan", dump, "--target", db.ConnectionString, "--json", Path.Combine(dir, "plan1.json"));
        exit.ShouldBe(0, err);
        Counts(Path.Combine(dir, "plan3.json")).ShouldBe(Counts(Path.Combine(dir, "plan1.json")));

        (exit, _, err) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "-j", "3", "--json", Path.Combine(dir, "apply.json"));
        exit.ShouldBe(0, err);
        Counts(Path.Combine(dir, "apply.json")).ShouldBe(Counts(Path.Combine(dir, "plan1.json")));
        Counts(Path.Combine(dir, "apply.json")).Sum(t => t.Inserted).ShouldBe(250 + 50 + 5);
        (await db.ScalarAsync<long>("SELECT count(*) FROM tracks")).ShouldBe(1000);
    }

    // Per table, in the report's order: what was found, and what was (or would be) inserted.
    private static (string Table, long Missing, long Identical, long LiveOnly, long Inserted)[] Counts(string json)
    {
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var dryRun = report.RootElement.GetProperty("dryRun").GetBoolean();
        return [.. report.RootElement.GetProperty("tables").EnumerateArray().Select(t => (
            t.GetProperty("table").GetString()!,
            t.GetProperty("missing").GetInt64(),
            t.GetProperty("identical").GetInt64(),
            t.GetProperty("liveOnly").GetInt64(),
            dryRun ? t.GetProperty("missing").GetInt64() : t.GetProperty("inserted").GetInt64()))];
    }
}
