using Microsoft.Data.SqlClient;
using Testcontainers.MsSql;

namespace Selective.Restore.SqlServer.Tests.Integration;

/// <summary>
/// The SQL Server the integration tests run against: <c>SELECTIVE_RESTORE_MSSQL</c> (a connection string) when set,
/// otherwise a Testcontainers.MsSql container when a Docker engine answers. Where neither exists (this project's CI
/// machines), each test is reported as not run with <see cref="NotRunMarker"/> and the reason: the one exception to
/// "fail, never skip" (scripts/test counts them).
/// </summary>
internal static class SqlServerServer
{
    /// <summary>The start of every not-run message; scripts/test counts the tests by it.</summary>
    public const string NotRunMarker = "SQL Server integration test not run:";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _connectionString;
    private static string? _notRun;
    private static MsSqlContainer? _container;

    /// <summary>A connection string to a fresh database on the server (dropped by <see cref="DropDatabaseAsync"/>), or the test is ignored.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await ServerAsync();
        var name = "sr_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new SqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new SqlCommand($"CREATE DATABASE [{name}]", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new SqlConnectionStringBuilder(server) { InitialCatalog = name }.ConnectionString;
    }

    /// <summary>Drops a database <see cref="CreateDatabaseAsync"/> made.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new SqlConnectionStringBuilder(connectionString).InitialCatalog;
        await using var connection = new SqlConnection(new SqlConnectionStringBuilder(connectionString) { InitialCatalog = "master" }.ConnectionString);
        await connection.OpenAsync();
        SqlConnection.ClearAllPools();
        await using var command = new SqlCommand($"ALTER DATABASE [{database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{database}];", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ServerAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_connectionString is null && _notRun is null)
            {
                await ResolveAsync();
            }
        }
        finally
        {
            Gate.Release();
        }

        if (_notRun is not null)
        {
            Assert.Ignore($"{NotRunMarker} {_notRun}");
        }

        return _connectionString!;
    }

    private static async Task ResolveAsync()
    {
        var configured = Environment.GetEnvironmentVariable("SELECTIVE_RESTORE_MSSQL");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _connectionString = configured;
            return;
        }

        if (!DockerAnswers())
        {
            _notRun = "SELECTIVE_RESTORE_MSSQL is not set and no Docker engine answers (DOCKER_HOST unset, no /var/run/docker.sock)";
            return;
        }

        // A Docker engine is there: from here on, a failure is a failure.
        _container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-latest").Build();
        await _container.StartAsync();
        _connectionString = new SqlConnectionStringBuilder(_container.GetConnectionString()) { TrustServerCertificate = true }.ConnectionString;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _container.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static bool DockerAnswers() =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");
}
