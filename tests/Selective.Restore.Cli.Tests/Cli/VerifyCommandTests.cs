using System.Text.Json;
using Npgsql;
using Selective.Restore.Tests.Support;
using Selective.Restore.Tests.Verify;

namespace Selective.Restore.Tests.Cli;

/// <summary><c>selective-restore verify</c>: exit codes 0 / 1 / 2 / 3, the JSON contract, and no password anywhere.</summary>
public sealed class VerifyCommandTests
{
    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRunner.RunAsync(args);

    [Test]
    public async Task A_complete_backup_exits_0_even_with_fail_on_all_and_the_json_has_the_documented_fields()
    {
        await using var db = await Scenario.CreateAsync(BackupVerifierTests.Shop);
        var dump = await db.DumpAsync();
        var json = Path.Combine(Path.GetDirectoryName(dump)!, "verify.json");

        var (exit, stdout, stderr) = await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "all", "--json", json);

        exit.ShouldBe(0, stdout + stderr);
        stderr.ShouldBeEmpty();
        stdout.ShouldContain("3 tables, 2 sequences: 0 problems (0 gated), OK");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        foreach (var field in (string[])["source", "target", "startedAt", "duration", "completed", "gateTripped", "succeeded", "failOn", "errors", "warnings", "problems", "tables", "tablesOnlyInLive", "sequences"])
        {
            root.TryGetProperty(field, out _).ShouldBeTrue(field);
        }

        (root.GetProperty("completed").GetBoolean(), root.GetProperty("gateTripped").GetBoolean(), root.GetProperty("succeeded").GetBoolean()).ShouldBe((true, false, true));
        root.GetProperty("failOn").GetArrayLength().ShouldBe(9);
        var orders = root.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "orders");
        foreach (var field in (string[])["schema", "table", "inLive", "compared", "key", "dumpRows", "liveRows", "missing", "liveOnly", "liveOnlyInDumpRange", "identical", "conflicting", "nullKeys", "dumpMinKey", "dumpMaxKey", "liveMinKey", "liveMaxKey", "duration", "errors", "warnings"])
        {
            orders.TryGetProperty(field, out _).ShouldBeTrue(field);
        }

        (orders.GetProperty("dumpRows").GetInt64(), orders.GetProperty("liveRows").GetInt64(), orders.GetProperty("identical").GetInt64(), orders.GetProperty("dumpMinKey").GetString(), orders.GetProperty("dumpMaxKey").GetString())
            .ShouldBe((200L, 200L, 200L, "1", "200"));
        var sequence = root.GetProperty("sequences").EnumerateArray().Single(s => s.GetProperty("sequence").GetString() == "orders_id_seq");
        foreach (var field in (string[])["schema", "sequence", "dumpValue", "dumpIsCalled", "inLive", "liveValue", "liveIsCalled", "behind", "columns"])
        {
            sequence.TryGetProperty(field, out _).ShouldBeTrue(field);
        }

        var column = sequence.GetProperty("columns")[0];
        (column.GetProperty("table").GetString(), column.GetProperty("column").GetString(), column.GetProperty("liveMax").GetInt64()).ShouldBe(("orders", "id", 200L));
    }

    [Test]
    public async Task Problems_exit_0_unless_gated_and_3_when_a_gated_kind_is_found()
    {
        await using var db = await Scenario.CreateAsync(BackupVerifierTests.Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM order_lines WHERE order_id = 3; CREATE TABLE audit (id int PRIMARY KEY)");
        var json = Path.Combine(Path.GetDirectoryName(dump)!, "verify.json");

        var (exit, stdout, _) = await RunAsync("verify", dump, "--target", db.ConnectionString);
        exit.ShouldBe(0, "problems are reported, not gated, without --fail-on");
        stdout.ShouldContain("note missing-rows: public.order_lines: 2 of 400 dump rows are not in the live table");
        stdout.ShouldContain("note table-only-in-live: live table public.audit has no data in the dump");

        (await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "live-only-rows,conflicting-rows")).Exit.ShouldBe(0);
        (exit, stdout, _) = await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "conflicting-rows", "--fail-on", "missing-rows", "--json", json);
        exit.ShouldBe(3);
        stdout.ShouldContain("FAIL missing-rows: public.order_lines");
        stdout.ShouldContain("note table-only-in-live");
        stdout.ShouldContain("2 problems (1 gated), FAILED");
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var problems = doc.RootElement.GetProperty("problems").EnumerateArray()
                .Select(p => (p.GetProperty("kind").GetString(), p.GetProperty("schema").GetString(), p.GetProperty("name").GetString(), p.GetProperty("gated").GetBoolean()))
                .ToList();
            problems.ShouldBe([("missing-rows", "public", "order_lines", true), ("table-only-in-live", "public", "audit", false)]);
            doc.RootElement.GetProperty("failOn").EnumerateArray().Select(e => e.GetString()).ShouldBe(["missing-rows", "conflicting-rows"]);
            (doc.RootElement.GetProperty("gateTripped").GetBoolean(), doc.RootElement.GetProperty("succeeded").GetBoolean()).ShouldBe((true, false));
        }

        (await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "all")).Exit.ShouldBe(3);
        (await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "all", "-t", "public.orders")).Exit.ShouldBe(0, "the filter leaves the problems out");
    }

    [Test]
    public async Task A_malformed_dump_exits_1_with_the_error_on_stderr()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1);");
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "SET client_encoding = 'UTF8';\n\nCOPY public.a (id) FROM stdin;\n1\n2\n");
        var json = dir.File("verify.json");

        var (exit, stdout, stderr) = await RunAsync("verify", dump, "--target", db.ConnectionString, "--fail-on", "all", "--json", json);

        exit.ShouldBe(1);
        stderr.ShouldContain("truncated");
        stderr.TrimEnd().ShouldNotContain('\n');
        stdout.ShouldContain("INCOMPLETE");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        doc.RootElement.GetProperty("completed").GetBoolean().ShouldBeFalse();
        doc.RootElement.GetProperty("errors")[0].GetString()!.ShouldContain("truncated");
    }

    [Test]
    public async Task The_password_is_never_printed_and_an_unusable_target_exits_1_with_one_line()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var dump = await db.DumpAsync();
        var json = Path.Combine(Path.GetDirectoryName(dump)!, "verify.json");
        const string Secret = "s3cr3t-Pa55";
        var withPassword = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Password = Secret }.ConnectionString;
        var missingDatabase = new NpgsqlConnectionStringBuilder(withPassword) { Database = "sr_no_such_db" }.ConnectionString;

        var (exit, stdout, stderr) = await RunAsync("verify", dump, "--target", withPassword, "--json", json, "-v");
        exit.ShouldBe(0, stderr);
        (stdout + stderr + File.ReadAllText(json)).ShouldNotContain(Secret);

        (exit, stdout, stderr) = await RunAsync("verify", dump, "--target", missingDatabase);
        exit.ShouldBe(1);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("sr_no_such_db");
        stderr.TrimEnd().ShouldNotContain('\n');
        (stdout + stderr).ShouldNotContain(Secret);
    }

    [TestCase("verify", "x.sql", "--target", "Host=h", "--fail-on", "missing-rows,nonsense")]
    [TestCase("verify", "x.sql", "--target", "Host=h", "--fail-on", "")]
    [TestCase("verify", "x.sql")]
    [TestCase("verify", "--target", "Host=h")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var (exit, _, stderr) = await RunAsync(args);
        exit.ShouldBe(2, stderr);
    }

    [Test]
    public async Task The_help_documents_the_exit_codes()
    {
        var (exit, stdout, _) = await RunAsync("verify", "--help");
        exit.ShouldBe(0);
        stdout.ShouldContain("3 a problem named in --fail-on was found");
        stdout.ShouldContain("live-only-in-dump-range");
    }
}
