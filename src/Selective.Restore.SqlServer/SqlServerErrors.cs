namespace Selective.Restore.SqlServer;

/// <summary>What a SQL Server error means to a restore.</summary>
internal enum SqlServerErrorKind
{
    /// <summary>Anything else: the table fails, nothing is retried.</summary>
    Permanent,

    /// <summary>Worth retrying the table: a deadlock, a lost or refused connection that a new one may get past.</summary>
    Transient,

    /// <summary>The lock wait the user set ran out (1222): the table fails naming who holds the lock, never retried.</summary>
    LockTimeout,
}

/// <summary>
/// SQL Server error numbers and what they mean to a restore: one table, so that what is retried is a decision made in one
/// place and tested (Microsoft's lists of transient errors for SQL Server and Azure SQL, plus the connection drops).
/// Login failures, permissions and constraint violations are never transient: a retry would fail the same way, or
/// hide a real problem.
/// </summary>
internal static class SqlServerErrors
{
    // Deadlock victim; out of lock resources; the Azure SQL transient codes (database unavailable, moving, throttled,
    // reconfiguring, resource limits); network errors surfaced as server errors; and -2, SqlClient's own timeout
    // (statements run without one, so it is the connection's).
    private static readonly HashSet<int> TransientNumbers =
    [
        1205, 1204, 4060, 4221, 40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920, 10928, 10929, 10053, 10054, 10060, 233, 64, 20, 121, -2,
    ];

    /// <summary>Error numbers that name what a user must fix (listed so that no future rule makes them transient by accident).</summary>
    internal static readonly IReadOnlySet<int> NeverTransient = new HashSet<int>
    {
        18456, // login failed
        229, 230, 262, 297, 300, // permission denied
        547, // foreign key / check constraint
        2627, 2601, // unique key
        515, // NULL into a NOT NULL column
        8152, 2628, // value too long
        245, 8114, 8115, // conversion, overflow
    };

    /// <summary>
    /// What error <paramref name="number"/> (of severity <paramref name="severity"/>, SqlError.Class) means. Severity 20
    /// and above ends the connection: the work is retried on a new one, unless the number says the user must fix something.
    /// </summary>
    public static SqlServerErrorKind Classify(int number, byte severity)
    {
        if (number == 1222)
        {
            return SqlServerErrorKind.LockTimeout;
        }

        if (NeverTransient.Contains(number))
        {
            return SqlServerErrorKind.Permanent;
        }

        return TransientNumbers.Contains(number) || severity >= 20 ? SqlServerErrorKind.Transient : SqlServerErrorKind.Permanent;
    }
}
