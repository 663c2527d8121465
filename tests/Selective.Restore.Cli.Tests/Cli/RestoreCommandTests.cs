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
                .ShouldBe((30L, 5L, 24L, 1L, 1L, 5L)); // a plan's "inserted": what the apply would insert
            table.GetProperty("insertedKeys").EnumerateArray().Select(k => k[0].GetString()).ShouldBe(["26", "27", "28", "29", "30"], ignoreOrder: true);
            table.GetProperty("updatedKeys").GetArrayLength().ShouldBe(0);
        }

        stdout.ShouldContain("would insert keys: (");
        stdout.ShouldContain("(26)");

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
    public async Task Plan_and_dry_run_say_what_would_be_written_name_the_first_keys_and_warn_of_missing_parents()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE customers (id int PRIMARY KEY, name text);
            CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, total numeric);
            INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 5) g;
            INSERT INTO orders SELECT g, 1 + g % 5, g FROM generate_series(1, 40) g;
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM orders WHERE id > 12; DELETE FROM orders WHERE customer_id = 5; DELETE FROM customers WHERE id = 5; UPDATE orders SET total = 0 WHERE id IN (1, 2)");
        var before = await db.ContentAsync("orders");

        // Orders only: 30 would be inserted (the first 10 keys listed), and the 8 of customer 5 have no parent.
        var (exit, stdout, stderr) = await RunAsync("plan", dump, "--target", db.ConnectionString, "-t", "public.orders");

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("Nothing was written");
        stdout.ShouldContain("would insert");
        // Ten keys (in the order the diff met the rows), every one a missing order's, then how many more.
        var keys = System.Text.RegularExpressions.Regex.Match(stdout, @"would insert keys: ((?:\(\d+\) ?){10}) and 20 more\n");
        keys.Success.ShouldBeTrue(stdout);
        keys.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => int.Parse(k.Trim('(', ')'), System.Globalization.CultureInfo.InvariantCulture))
            .ShouldAllBe(id => id == 4 || id == 9 || id > 12);
        stdout.ShouldContain("warning: the apply would fail this table: 8 rows to be written reference rows of public.customers that are not there (foreign key orders_customer_id_fkey, e.g. customer_id=5 in the row with key (id=");
        stdout.ShouldContain("add public.customers to the restore (-t public.customers)");
        stdout.ShouldContain("1 tables, would insert 30, would update 0, would skip 0, 0 failed");

        // apply --dry-run with a policy: the updates it would make, too.
        (exit, stdout, stderr) = await RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", "--dry-run");

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("would update keys: (1) (2)");
        stdout.ShouldNotContain("warning: the apply would fail"); // customers is restored first
        (await db.ContentAsync("orders")).ShouldBe(before);
        (await db.ScalarAsync<long>("SELECT count(*) FROM customers")).ShouldBe(4);

        // The apply fails the child-only table with the same words.
        (exit, stdout, _) = await RunAsync("apply", dump, "--target", db.ConnectionString, "-t", "public.orders");
        exit.ShouldBe(1);
        stdout.ShouldContain("error: 8 rows to be written reference rows of public.customers that are not there");
        (await db.ContentAsync("orders")).ShouldBe(before);
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
