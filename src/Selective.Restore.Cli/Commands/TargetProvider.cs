using System.Data.Common;

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

        if (IsPostgreSqlUri(connectionString))
        {
            return PostgreSql;
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
        _ => builder.ToPostgreSql(NpgsqlConnectionString(connectionString)),
    };

    public static VerifyBuilder To(this VerifyBuilder builder, string provider, string connectionString) => provider switch
    {
        SqlServer => builder.ToSqlServer(connectionString),
        Sqlite => builder.ToSqlite(SqliteConnectionString(connectionString)),
        _ => builder.ToPostgreSql(NpgsqlConnectionString(connectionString)),
    };

    private static bool IsPostgreSqlUri(string target) =>
        target.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A PostgreSQL target as an Npgsql connection string: a libpq URI (<c>postgresql://user:password@host:port/db?sslmode=require</c>,
    /// the form the tool prints targets in) is turned into one; anything else is one already.
    /// </summary>
    /// <exception cref="CliUsageException">The URI is malformed or has a parameter Npgsql has no setting for (never echoing the password).</exception>
    public static string NpgsqlConnectionString(string target)
    {
        if (!IsPostgreSqlUri(target))
        {
            return target;
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new CliUsageException("--target: not a valid postgresql:// URI (postgresql://USER@HOST:PORT/DATABASE)");
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = Enum.TryParse<Npgsql.SslMode>(value.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var mode)
                        ? mode
                        : throw new CliUsageException($"--target: sslmode={value} is not an SSL mode (disable, allow, prefer, require, verify-ca, verify-full)");
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                        ? seconds
                        : throw new CliUsageException($"--target: connect_timeout={value} is not a number of seconds");
                    break;
                case "options" or "target_session_attrs":
                    builder[string.Equals(key, "options", StringComparison.Ordinal) ? "Options" : "Target Session Attributes"] = value;
                    break;
                default:
                    throw new CliUsageException($"--target: the URI parameter '{key}' has no Npgsql setting; use a connection string (Host=...;Port=...) instead");
            }
        }

        return builder.ConnectionString;
    }
}
