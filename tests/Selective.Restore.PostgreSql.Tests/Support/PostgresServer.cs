using System.Diagnostics;
using Npgsql;

namespace Selective.Restore.Tests.Support;

/// <summary>
/// The PostgreSQL server integration tests run against, from <c>SELECTIVE_RESTORE_PG</c>
/// (a connection string to a superuser on a throwaway cluster; <c>.ci/run</c> starts one).
/// Without it tests are ignored locally, but fail under CI=true so CI can never go green by skipping.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "SELECTIVE_RESTORE_PG";

    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"{Variable} is not set but CI=true: integration tests must run in CI.");
            }

            Assert.Ignore($"{Variable} is not set; integration test skipped (set it to a PostgreSQL superuser connection string).");
            return string.Empty; // unreachable
        }
    }

    /// <summary>Creates a fresh database and returns its connection string; drop it with <see cref="DropDatabaseAsync"/>.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var admin = ConnectionString;
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = false }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static void SetConnectionEnvironment(ProcessStartInfo start, NpgsqlConnectionStringBuilder csb)
    {
        start.Environment["PGHOST"] = csb.Host;
        start.Environment["PGPORT"] = csb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = csb.Username;
        start.Environment["PGDATABASE"] = csb.Database;
        if (csb.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }
    }

    /// <summary>Runs a client tool with its standard output going through a pipe into <paramref name="outputFile"/> (pg_dump then cannot seek back).</summary>
    public static async Task RunToolToPipeAsync(string tool, string connectionString, string arguments, string outputFile)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in SplitArguments(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        SetConnectionEnvironment(start, csb);

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await using (var file = File.Create(outputFile))
        {
            await process.StandardOutput.BaseStream.CopyToAsync(file);
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed with {process.ExitCode}: {await stderr}");
        }
    }

    /// <summary>Runs a libpq client tool (pg_dump, psql) against the database; returns stdout as a file path when <paramref name="outputFile"/> is given.</summary>
    /// <remarks>Pass <paramref name="environment"/> for extra environment variables, e.g. <c>PGOPTIONS</c>.</remarks>
    public static async Task RunToolAsync(string tool, string connectionString, string arguments, string? outputFile = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = outputFile is null,
            UseShellExecute = false,
        };
        foreach (var arg in SplitArguments(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        if (outputFile is not null)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(outputFile);
        }

        SetConnectionEnvironment(start, csb);

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = outputFile is null ? process.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed with {process.ExitCode}: {await stderr}");
        }

        _ = await stdout;
    }

    private static IEnumerable<string> SplitArguments(string arguments) =>
        arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
