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
}
