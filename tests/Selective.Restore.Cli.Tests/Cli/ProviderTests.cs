using Selective.Restore.Cli.Commands;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>
/// --target names a PostgreSQL or a SQL Server database: given by --provider or told from the string's keys, never
/// guessed (issues 13 and 14). A pg_dump dump is refused for SQL Server before anything connects.
/// </summary>
public sealed class ProviderTests
{
    [TestCase("Host=db;Database=shop;Username=restore", "postgresql")]
    [TestCase("host=db;port=5433;database=shop", "postgresql")]
    [TestCase("Server=db;Port=5432;Database=shop", "postgresql")]
    [TestCase("Server=db;Database=shop;User ID=restore;TrustServerCertificate=true", "sqlserver")]
    [TestCase("Data Source=tcp:db,1433;Initial Catalog=shop;Integrated Security=true", "sqlserver")]
    [TestCase("Server=(localdb)\\MSSQLLocalDB;Database=shop", "sqlserver")]
    [TestCase("Data Source=app.db", "sqlite")]
    [TestCase("Data Source=/var/lib/shop/shop.sqlite3;Mode=ReadWrite", "sqlite")]
    [TestCase("app.db", "sqlite")]
    [TestCase("Data Source=db;Initial Catalog=shop", "sqlserver")]
    public void The_provider_is_told_from_the_connection_string(string target, string provider)
    {
        TargetProvider.Resolve(null, target).ShouldBe(provider);
        TargetProvider.Resolve("postgresql", target).ShouldBe("postgresql"); // --provider decides
    }

    [TestCase("Database=shop;Password=secret", "cannot tell")]
    [TestCase("Host=db;Data Source=db2;Password=secret", "keys of PostgreSQL")]
    [TestCase("Data Source=app.db;Initial Catalog=x;Password=secret", "keys of SQL Server")]
    [TestCase("Host=db;Password=secret;oops", "is not a connection string")]
    public void A_string_that_could_be_either_is_a_usage_error_that_never_echoes_it(string target, string expected)
    {
        var error = Should.Throw<CliUsageException>(() => TargetProvider.Resolve(null, target));
        error.Message.ShouldContain(expected);
        error.Message.ShouldNotContain("secret");
        if (!expected.StartsWith("is not", StringComparison.Ordinal))
        {
            error.Message.ShouldContain("--provider postgresql|sqlserver|sqlite");
        }
    }

    [Test]
    public async Task An_ambiguous_target_exits_2_before_reading_anything()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "COPY public.t (id) FROM stdin;\n1\n\\.\n");

        var (exit, _, err) = await CliRunner.RunAsync("plan", dump, "--target", "Database=shop;Password=hunter2");

        exit.ShouldBe(2, err);
        err.ShouldContain("--provider");
        err.ShouldNotContain("hunter2");
    }

    [Test]
    public async Task An_unknown_provider_exits_2()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "COPY public.t (id) FROM stdin;\n1\n\\.\n");

        var (exit, _, err) = await CliRunner.RunAsync("plan", dump, "--target", "Host=db", "--provider", "oracle");

        exit.ShouldBe(2, err);
        err.ShouldContain("oracle");
    }

    [TestCase("plan")]
    [TestCase("verify")]
    public async Task A_pg_dump_dump_into_SQL_Server_is_refused_saying_why_before_connecting(string command)
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (id) FROM stdin;\n1\n\\.\n");

        // No server listens on this port: a connection attempt would fail with another message.
        var (exit, output, err) = await CliRunner.RunAsync(command, dump, "--target", "Server=127.0.0.1,1;Database=shop;User ID=sa;Password=x;TrustServerCertificate=true;Connect Timeout=1");

        exit.ShouldBe(1, err);
        (output + err).ShouldContain("cannot be restored into SQL Server");
        (output + err).ShouldNotContain("Password=x");
    }

    [Test]
    public void A_postgresql_URI_is_the_connection_string_it_stands_for()
    {
        TargetProvider.Resolve(null, "postgresql://restore@db:5433/shop").ShouldBe("postgresql");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(TargetProvider.NpgsqlConnectionString("postgresql://re%40store:p%3Ass@[::1]:5433/sh%C3%B6p?sslmode=verify-full&application_name=ops&connect_timeout=7"));
        (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database).ShouldBe(("::1", 5433, "re@store", "p:ss", "shöp"));
        (builder.SslMode, builder.ApplicationName, builder.Timeout).ShouldBe((Npgsql.SslMode.VerifyFull, "ops", 7));
        TargetProvider.NpgsqlConnectionString("Host=db").ShouldBe("Host=db");

        var error = Should.Throw<CliUsageException>(() => TargetProvider.NpgsqlConnectionString("postgres://u:secret@db/x?weird=1"));
        error.Message.ShouldContain("'weird'");
        error.Message.ShouldNotContain("secret");
    }

    [Test]
    public async Task A_URI_target_works_as_the_tool_prints_it()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString);
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "COPY public.sr_uri_absent (id) FROM stdin;\n1\n\\.\n");

        var (exit, output, err) = await CliRunner.RunAsync("plan", dump, "--target", $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}");

        exit.ShouldBe(1, output + err); // connected, and the table is not there: the URI was understood
        (output + err).ShouldContain("sr_uri_absent");
    }

    [Test]
    public async Task Every_command_lists_its_exit_codes_in_its_help()
    {
        foreach (var command in new[] { "inspect", "split", "plan", "apply", "verify" })
        {
            var (_, output, _) = await CliRunner.RunAsync(command, "--help");
            output.ShouldContain("Exit codes: 0 ", customMessage: command);
        }
    }
}
