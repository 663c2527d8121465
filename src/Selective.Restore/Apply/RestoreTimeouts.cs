namespace Selective.Restore;

/// <summary>How long a run waits, and for what (documented in docs/guarantees.md).</summary>
public static class RestoreTimeouts
{
    /// <summary>
    /// Longest wait for a lock on a live table before that table fails with the lock's holder named. Statements
    /// themselves have no timeout: a large table must never fail for being large.
    /// </summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest lock timeout accepted (0 means wait forever).</summary>
    public static readonly TimeSpan MaxLockTimeout = TimeSpan.FromHours(24);
}
