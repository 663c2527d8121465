using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>-n/--schema and -N/--exclude-schema select tables by schema, as pg_restore's do (issue 15).</summary>
public sealed class SchemaOptionTests
{
    private const string Dump = """
        COPY public.accounts (id) FROM stdin;
        1
        \.
        COPY sales.orders (id) FROM stdin;
        1
        \.
        COPY sales.lines (id) FROM stdin;
        1
        \.
        COPY "Audit".log (id) FROM stdin;
        1
        \.

        """;

    [Test]
    public async Task Schemas_select_and_leave_out_tables()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var (exit, output, err) = await CliRunner.RunAsync("inspect", dump, "-n", "sales");
        exit.ShouldBe(0, err);
        output.ShouldContain("sales.orders");
        output.ShouldContain("sales.lines");
        output.ShouldNotContain("public.accounts");

        (exit, output, err) = await CliRunner.RunAsync("inspect", dump, "-n", "sales", "-t", "public.accounts", "-N", "sales", "--schema", "\"Audit\"");
        exit.ShouldBe(0, err);
        output.ShouldContain("public.accounts");
        output.ShouldContain("\"Audit\".log");
        output.ShouldNotContain("sales.");
    }

    [Test]
    public async Task A_schema_that_matches_nothing_or_is_malformed_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", Dump);

        var (exit, _, err) = await CliRunner.RunAsync("inspect", dump, "-n", "salse");
        exit.ShouldBe(2, err);
        err.ShouldContain("salse.*");

        (exit, _, err) = await CliRunner.RunAsync("inspect", dump, "-N", "a.b");
        exit.ShouldBe(2, err);
        err.ShouldContain("Schema pattern 'a.b' is not a valid pattern");
    }
}
