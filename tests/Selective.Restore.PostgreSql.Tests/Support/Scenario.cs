using Npgsql;

namespace Selective.Restore.Tests.Support;

/// <summary>A throwaway database with a schema and data, dumped with the real pg_dump, for restore tests.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();

    private Scenario(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public static async Task<Scenario> CreateAsync(string setupSql)
    {
        var scenario = new Scenario(await PostgresServer.CreateDatabaseAsync("sr_apply"));
        await scenario.ExecuteAsync(setupSql);
        return scenario;
    }

    /// <summary>An empty database (to load dumps or split files into).</summary>
    public static async Task<Scenario> CreateEmptyAsync() => new(await PostgresServer.CreateDatabaseAsync("sr_empty"));

    /// <summary>Runs a SQL file with psql, stopping at the first error.</summary>
    public Task PsqlAsync(string file) => PostgresServer.RunToolAsync("psql", ConnectionString, $"-X -q -v ON_ERROR_STOP=1 -f {file}");

    /// <summary>Dumps the database with pg_dump (extra arguments such as --inserts) and returns the file.</summary>
    public async Task<string> DumpAsync(string arguments = "", string name = "dump.sql")
    {
        var path = _dir.File(name);
        await PostgresServer.RunToolAsync("pg_dump", ConnectionString, arguments, path);
        return path;
    }

    public Task ExecuteAsync(string sql) => PostgresServer.ExecuteAsync(ConnectionString, sql);

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The table's rows as COPY text, ordered by all columns: a byte-exact fingerprint of its content.</summary>
    public async Task<string> ContentAsync(string table)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        // The first column, then the whole row's text: rows sharing a first column (composite keys) come in a fixed order.
        using var reader = await connection.BeginTextExportAsync($"COPY (SELECT * FROM (SELECT * FROM {table}) x ORDER BY 1, x::text) TO STDOUT");
        return await reader.ReadToEndAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await PostgresServer.DropDatabaseAsync(ConnectionString);
        _dir.Dispose();
    }
}
