using Microsoft.Data.Sqlite;
using Selective.Restore.Sqlite;

namespace Selective.Restore;

/// <summary>Points a restore at a SQLite database.</summary>
public static class SqliteRestoreExtensions
{
    /// <summary>
    /// Restores into the SQLite database at <paramref name="connectionString"/> (a Microsoft.Data.Sqlite connection
    /// string: <c>Data Source=app.db</c>). The restore's transactions are <c>BEGIN IMMEDIATE</c>, with foreign keys
    /// checked (<c>PRAGMA foreign_keys = ON</c>).
    /// </summary>
    public static RestoreBuilder ToSqlite(this RestoreBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new SqliteTarget(connectionString));
    }

    /// <summary>Checks the backup against the SQLite database at <paramref name="connectionString"/>; nothing live is written.</summary>
    public static VerifyBuilder ToSqlite(this VerifyBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.WithTarget(() => new SqliteTarget(connectionString));
    }

    /// <summary>
    /// Restores into the SQLite database of the connections <paramref name="newConnection"/> creates (unopened): for a
    /// database whose tables need collations or functions the application registers (<c>CreateCollation</c>), or a key.
    /// </summary>
    public static RestoreBuilder ToSqlite(this RestoreBuilder builder, Func<SqliteConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(newConnection);
        return builder.WithTarget(() => new SqliteTarget(newConnection));
    }

    /// <summary>Checks the backup against the SQLite database of the connections <paramref name="newConnection"/> creates.</summary>
    public static VerifyBuilder ToSqlite(this VerifyBuilder builder, Func<SqliteConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(newConnection);
        return builder.WithTarget(() => new SqliteTarget(newConnection));
    }
}
