using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>A table pattern, policy or identity key that matches nothing is a typo: exit 2 naming it, never silence (issue 10, point 13).</summary>
public sealed class PatternTypoTests
{
    private const string Dump = """
        SET client_encoding = 'UTF8';
        COPY public.accounts (id, email) FROM stdin;
        1	a@example.com
        \.
        COPY public.orders (id, account_id) FROM stdin;
        1	1
        \.

        """;

    [Test]
    public void The_filter_names_the_patterns_that_match_none_of_the_tables()
    {
        var filter = TableFilter.Create(["public.acounts", "public.orders", "*.audit_*"], ["public.x"]);
        filter.PatternsMatchingNone([new TableName("public", "accounts"), new TableName("public", "orders")])
            .ShouldBe(["public.acounts", "*.audit_*", "public.x"]);
        TableFilter.All.PatternsMatchingNone([]).ShouldBeEmpty();
    }

    [Test]
    public async Task A_pattern_that_misses_only_by_case_names_the_table_it_would_have_matched()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "SET client_encoding = 'UTF8';\nCOPY dbo.\"Employees\" (id) FROM stdin;\n1\n\\.\n");

        var (exit, _, err) = await CliRunner.RunAsync("inspect", dump, "-t", "dbo.Employees");

        exit.ShouldBe(2);
        err.ShouldContain("the table pattern 'dbo.Employees' matches no table in the dump; did you mean \"dbo\".\"Employees\"? (unquoted names fold to lower case: quote them for exact case)");
        (await CliRunner.RunAsync("inspect", dump, "-t", "dbo.\"Employees\"")).Exit.ShouldBe(0);
    }

    [TestCase("inspect")]
    [TestCase("split")]
    public async Task Inspect_and_split_exit_2_naming_a_pattern_that_matches_nothing(string command)
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);
        string[] args = command == "split" ? ["split", dump, "--out", dir.File("out"), "-t", "public.acounts"] : ["inspect", dump, "-t", "public.acounts"];

        var (exit, _, err) = await CliRunner.RunAsync(args);

        exit.ShouldBe(2);
        err.ShouldContain("the table pattern 'public.acounts' matches no table in the dump");

        var (excluded, _, excludeErr) = await CliRunner.RunAsync(command == "split" ? ["split", dump, "--out", dir.File("out2"), "-T", "*.audit"] : ["inspect", dump, "-T", "*.audit"]);
        excluded.ShouldBe(2);
        excludeErr.ShouldContain("'*.audit'");

        var (fine, _, _) = await CliRunner.RunAsync(command == "split" ? ["split", dump, "--out", dir.File("out3"), "-t", "public.acc*"] : ["inspect", dump, "-t", "public.acc*"]);
        fine.ShouldBe(0);
    }

    [Test]
    public async Task Apply_plan_and_verify_exit_2_and_apply_nothing()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE accounts (id int PRIMARY KEY, email text); CREATE TABLE orders (id int PRIMARY KEY, account_id int)");
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        foreach (var verb in new[] { "apply", "plan", "verify" })
        {
            var (exit, _, err) = await CliRunner.RunAsync(verb, dump, "--target", db.ConnectionString, "-t", "public.orders", "-t", "public.acounts");
            exit.ShouldBe(2, err);
            (await db.ScalarAsync<long>("SELECT count(*) FROM orders")).ShouldBe(0);
        }

        var (ok, _, okErr) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "-t", "public.orders");
        ok.ShouldBe(0, okErr);
    }

    [Test]
    public async Task A_policy_for_a_table_the_restore_does_not_have_stops_the_run_before_anything_is_applied()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE accounts (id int PRIMARY KEY, email text); CREATE TABLE orders (id int PRIMARY KEY, account_id int)");
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithPolicy("public.acounts", MergePolicy.PreferDump)
            .Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.InvalidOptions.ShouldBeTrue();
        report.Errors.ShouldHaveSingleItem().ShouldContain("the policy for 'public.acounts' matches none of the tables of this restore (public.accounts, public.orders)");
        (await db.ScalarAsync<long>("SELECT count(*) FROM accounts")).ShouldBe(0);

        var verify = await BackupVerification.FromDump(dump).ToPostgreSql(db.ConnectionString).IncludeTables("public.acounts").Build().RunAsync();
        verify.InvalidOptions.ShouldBeTrue();
    }

    [TestCase("a[b", "Table pattern 'a[b' is not a valid pattern (unterminated bracket)")]
    [TestCase("\"unterminated", "Table pattern '\"unterminated' has an unbalanced double quote.")]
    [TestCase("x.y.z", "Table pattern 'x.y.z' must be TABLE or SCHEMA.TABLE")]
    [TestCase("", "Table pattern '' is empty.")]
    public async Task An_invalid_pattern_exits_2_in_the_pattern_s_own_terms(string pattern, string expected)
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var (exit, _, err) = await CliRunner.RunAsync("inspect", dump, "-T", pattern);

        exit.ShouldBe(2, err);
        err.ShouldContain(expected);
        err.ShouldNotContain("(?:");
        err.ShouldNotContain("(Parameter");
    }
}
