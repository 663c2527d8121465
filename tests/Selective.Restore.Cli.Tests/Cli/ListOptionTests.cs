using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>apply/plan -l/--list, as pg_restore -l: the tables the command would select, without a target (issue 15).</summary>
public sealed class ListOptionTests
{
    private const string Dump = """
        COPY public.accounts (id) FROM stdin;
        1
        2
        \.
        COPY sales.orders (id) FROM stdin;
        1
        \.

        """;

    [TestCase("apply")]
    [TestCase("plan")]
    public async Task List_prints_the_selected_tables_and_connects_to_nothing(string command)
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var (exit, output, err) = await CliRunner.RunAsync(command, "-l", dump);
        exit.ShouldBe(0, err);
        output.ShouldContain("public.accounts");
        output.ShouldContain("sales.orders");
        output.ShouldContain("2 tables, 3 rows");

        // A target that could not be reached is never tried: nothing but the dump is read.
        (exit, output, err) = await CliRunner.RunAsync(command, "--list", "-N", "sales", dump, "--target", "Host=192.0.2.1;Port=1;Database=x;Timeout=1");
        exit.ShouldBe(0, err);
        output.ShouldContain("public.accounts");
        output.ShouldNotContain("sales.orders");
    }

    [Test]
    public async Task Without_list_the_target_is_still_required()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var (exit, _, err) = await CliRunner.RunAsync("apply", dump);
        exit.ShouldBe(2);
        err.ShouldContain("Option '--target' is required.");
    }
}
