using System.Data.Common;
using Selective.Restore.PostgreSql;
using Selective.Restore.Sqlite;
using Selective.Restore.SqlServer;
using Selective.Restore.Verify;

namespace Selective.Restore.Cli.Commands;

/// <summary>
/// Which database --target names: given by --provider, or told from the connection string's keys (Npgsql's Host,
/// Port, Username...; SqlClient's Data Source, Initial Catalog, Integrated Security, TrustServerCertificate...;
/// Microsoft.Data.Sqlite's Data Source naming a database file, Mode, Cache...), or a bare path to a SQLite file.
/// A string that could be either, or says both, is a usage error: a restore must never guess its target.
/// </summary>
internal static class TargetProvider
{
    public const string PostgreSql = "postgresql";
    public const string SqlServer = "sqlserver";
    public const string Sqlite = "sqlite";

    public static readonly string[] Names = [PostgreSql, SqlServer, Sqlite];

    private static readonly HashSet<string> SqliteKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "filename", "mode", "cache", "foreign keys", "recursive triggers", "default timeout", "vfs",
    };

    private static readonly string[] SqliteExtensions = [".db", ".sqlite", ".sqlite3", ".db3"];

    private static readonly HashSet<string> PostgreSqlKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "port", "username", "sslmode", "ssl mode", "search path", "searchpath", "include error detail", "includeerrordetail",
        "tcp keepalive", "keepalive", "target session attributes", "root certificate", "passfile", "gss encryption mode",
    };

    private static readonly HashSet<string> SqlServerKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "data source", "initial catalog", "integrated security", "trusted_connection", "trustservercertificate", "trust server certificate",
        "encrypt", "multipleactiveresultsets", "multiple active result sets", "application intent", "applicationintent", "attachdbfilename",
        "addr", "address", "network address", "failover partner", "multisubnetfailover", "multi subnet failover", "authentication", "user instance",
    };

    /// <summary>The provider of <paramref name="connectionString"/>: <paramref name="given"/> when set, else inferred.</summary>
    /// <exception cref="CliUsageException">It cannot be told, or the string names keys of more than one.</exception>
    public static string Resolve(string? given, string connectionString)
    {
        if (given is not null)
        {
            return given;
        }

        // A bare path to a database file (app.db) is SQLite's.
        if (!connectionString.Contains('=', StringComparison.Ordinal) && IsSqliteFile(connectionString))
        {
            return Sqlite;
        }

        if (connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException("--target: a postgresql:// URI is not a connection string yet; write it as Host=...;Port=...;Database=...;Username=...");
        }

        HashSet<string> keys;
        try
        {
            keys = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
        catch (ArgumentException)
        {
            // Never echo the string: it may hold a password.
            throw new CliUsageException("--target is not a connection string (KEY=VALUE;...), e.g. \"Host=db;Database=shop;Username=restore\" (PostgreSQL) or \"Server=db;Database=shop;User ID=restore;TrustServerCertificate=true\" (SQL Server)");
        }

        var postgres = keys.Where(PostgreSqlKeys.Contains).ToList();
        var sqlServer = keys.Where(SqlServerKeys.Contains).ToList();
        var sqlite = keys.Where(SqliteKeys.Contains).ToList();

        // Data Source is SqlClient's server and SQLite's file: a file name says which.
        if (keys.Contains("data source") && new DbConnectionStringBuilder { ConnectionString = connectionString }["data source"] is string source && IsSqliteFile(source))
        {
            sqlServer.Remove("data source");
            sqlite.Add("data source");
        }

        var named = new[] { (PostgreSql, "PostgreSQL", postgres), (SqlServer, "SQL Server", sqlServer), (Sqlite, "SQLite", sqlite) }.Where(p => p.Item3.Count > 0).ToList();
        if (named.Count > 1)
        {
            throw new CliUsageException($"--target names keys of {string.Join(" and of ", named.Select(p => $"{p.Item2} ({string.Join(", ", p.Item3)})"))}; say which with --provider {string.Join('|', Names)}");
        }

        if (named.Count == 1 && !string.Equals(named[0].Item1, SqlServer, StringComparison.Ordinal))
        {
            return named[0].Item1;
        }

        // Server= is how SQL Server strings name their server; Npgsql reads it too, but writes Host=.
        if (sqlServer.Count > 0 || keys.Contains("server"))
        {
            return SqlServer;
        }

        throw new CliUsageException($"cannot tell which database --target names (no Host=, Server= or Data Source=); say which with --provider {string.Join('|', Names)}");
    }

    /// <summary>A path that names a SQLite database file: an existing file whose header says so, or a SQLite file name.</summary>
    private static bool IsSqliteFile(string path) =>
        string.Equals(path, ":memory:", StringComparison.Ordinal) || SqliteExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)) || HasSqliteHeader(path);

    private static bool HasSqliteHeader(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            using var file = File.OpenRead(path);
            Span<byte> header = stackalloc byte[16];
            return file.Read(header) == 16 && header.SequenceEqual("SQLite format 3\0"u8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>A SQLite target as a connection string: a bare path becomes <c>Data Source=path</c>.</summary>
    private static string SqliteConnectionString(string target) =>
        target.Contains('=', StringComparison.Ordinal) ? target : new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = target }.ConnectionString;

    public static RestoreBuilder To(this RestoreBuilder builder, string provider, string connectionString) => provider switch
    {
        SqlServer => builder.ToSqlServer(connectionString),
        Sqlite => builder.ToSqlite(SqliteConnectionString(connectionString)),
        _ => builder.ToPostgreSql(connectionString),
    };

    public static VerifyBuilder To(this VerifyBuilder builder, string provider, string connectionString) => provider switch
    {
        SqlServer => builder.ToSqlServer(connectionString),
        Sqlite => builder.ToSqlite(SqliteConnectionString(connectionString)),
        _ => builder.ToPostgreSql(connectionString),
    };
}
