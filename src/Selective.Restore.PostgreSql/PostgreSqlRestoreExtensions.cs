using Npgsql;
using Selective.Restore.PostgreSql;

namespace Selective.Restore;

/// <summary>Points a restore at a PostgreSQL database.</summary>
public static class PostgreSqlRestoreExtensions
{
    /// <summary>
    /// Restores into the PostgreSQL database at <paramref name="connectionString"/> (an Npgsql connection string).
    /// Applying needs SELECT, INSERT and UPDATE on the tables, USAGE/UPDATE on their sequences and TEMP on the
    /// database; a plan needs only SELECT and TEMP. The connection string is never logged or reported.
    /// </summary>
    public static RestoreBuilder ToPostgreSql(this RestoreBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new PostgreSqlTarget(connectionString));
    }

    /// <summary>
    /// Checks the backup against the PostgreSQL database at <paramref name="connectionString"/> (an Npgsql connection
    /// string). Needs only SELECT on the tables and sequences and TEMP on the database; nothing live is written.
    /// The connection string is never logged or reported.
    /// </summary>
    public static VerifyBuilder ToPostgreSql(this VerifyBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new PostgreSqlTarget(connectionString));
    }

    /// <summary>
    /// Restores into the PostgreSQL database of <paramref name="dataSource"/>: connections come from it as configured
    /// (its password provider, TLS callbacks, type mappings). Unlike the connection-string overload, its command
    /// timeout is kept: build it with <c>Command Timeout=0</c> when staging or classifying a large table may take longer
    /// (the lock timeout still bounds waits), and <c>Include Error Detail=true</c> for the key in a constraint error.
    /// </summary>
    public static RestoreBuilder ToPostgreSql(this RestoreBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.WithTarget(() => new PostgreSqlTarget(dataSource));
    }

    /// <summary>Checks the backup against the PostgreSQL database of <paramref name="dataSource"/>, with connections from it as configured.</summary>
    public static VerifyBuilder ToPostgreSql(this VerifyBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.WithTarget(() => new PostgreSqlTarget(dataSource));
    }
}
