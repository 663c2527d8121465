using System.Data.Common;
using Selective.Restore.PostgreSql;
using Selective.Restore.SqlServer;
using Selective.Restore.Verify;

namespace Selective.Restore.Cli.Commands;

/// <summary>
/// Which database --target names: given by --provider, or told from the connection string's keys (Npgsql's Host,
/// Port, Username...; SqlClient's Data Source, Initial Catalog, Integrated Security, TrustServerCertificate...).
/// A string that could be either, or says both, is a usage error: a restore must never guess its target.
/// </summary>
internal static class TargetProvider
{
    public const string PostgreSql = "postgresql";
    public const string SqlServer = "sqlserver";

    public static readonly string[] Names = [PostgreSql, SqlServer];

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
    /// <exception cref="CliUsageException">It cannot be told, or the string names keys of both.</exception>
    public static string Resolve(string? given, string connectionString)
    {
        if (given is not null)
        {
            return given;
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
        if (postgres.Count > 0 && sqlServer.Count > 0)
        {
            throw new CliUsageException($"--target names keys of PostgreSQL ({string.Join(", ", postgres)}) and of SQL Server ({string.Join(", ", sqlServer)}); say which with --provider {PostgreSql}|{SqlServer}");
        }

        if (postgres.Count > 0)
        {
            return PostgreSql;
        }

        // Server= is how SQL Server strings name their server; Npgsql reads it too, but writes Host=.
        if (sqlServer.Count > 0 || keys.Contains("server"))
        {
            return SqlServer;
        }

        throw new CliUsageException($"cannot tell which database --target names (no Host=, Server= or Data Source=); say which with --provider {PostgreSql}|{SqlServer}");
    }

    public static RestoreBuilder To(this RestoreBuilder builder, string provider, string connectionString) =>
        string.Equals(provider, SqlServer, StringComparison.Ordinal) ? builder.ToSqlServer(connectionString) : builder.ToPostgreSql(connectionString);

    public static VerifyBuilder To(this VerifyBuilder builder, string provider, string connectionString) =>
        string.Equals(provider, SqlServer, StringComparison.Ordinal) ? builder.ToSqlServer(connectionString) : builder.ToPostgreSql(connectionString);
}
