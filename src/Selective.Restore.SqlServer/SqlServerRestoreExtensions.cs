using Microsoft.Data.SqlClient;
using Selective.Restore.SqlServer;

namespace Selective.Restore;

/// <summary>Points a restore at a SQL Server database.</summary>
public static class SqlServerRestoreExtensions
{
    /// <summary>
    /// Restores into the SQL Server database at <paramref name="connectionString"/> (a Microsoft.Data.SqlClient
    /// connection string: <c>Server=…;Database=…;…</c>). Applying needs SELECT, INSERT and UPDATE on the tables, ALTER on
    /// those whose IDENTITY is written or reseeded (SET IDENTITY_INSERT, DBCC CHECKIDENT), ALTER and UPDATE on sequences
    /// that feed keys, and CREATE TABLE for the journal; a plan needs only SELECT (and tempdb). The connection string is
    /// never logged or reported.
    /// </summary>
    public static RestoreBuilder ToSqlServer(this RestoreBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new SqlServerTarget(connectionString));
    }

    /// <summary>
    /// Checks the backup against the SQL Server database at <paramref name="connectionString"/>. Needs only SELECT on
    /// the tables and sequences (and tempdb); nothing live is written. The connection string is never logged or reported.
    /// </summary>
    public static VerifyBuilder ToSqlServer(this VerifyBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new SqlServerTarget(connectionString));
    }

    /// <summary>
    /// Restores into the SQL Server database of the connections <paramref name="newConnection"/> creates (unopened, one
    /// per session): for an access token, credentials or callbacks a connection string cannot hold. Its command timeout
    /// is kept: use <c>Command Timeout=0</c> when staging a large table may take longer (LOCK_TIMEOUT still bounds waits).
    /// </summary>
    public static RestoreBuilder ToSqlServer(this RestoreBuilder builder, Func<SqlConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(newConnection);
        return builder.WithTarget(() => new SqlServerTarget(newConnection));
    }

    /// <summary>Checks the backup against the SQL Server database of the connections <paramref name="newConnection"/> creates.</summary>
    public static VerifyBuilder ToSqlServer(this VerifyBuilder builder, Func<SqlConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(newConnection);
        return builder.WithTarget(() => new SqlServerTarget(newConnection));
    }
}
