using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>How every run (restore, plan, verify) treats a target's failures.</summary>
internal static class RestoreTargetExtensions
{
    /// <summary>Rolls back, ignoring a connection that is already gone (the server rolled back for us).</summary>
    public static async Task RollbackQuietlyAsync(this IRestoreTarget target)
    {
        try
        {
            await target.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (target.IsTransient(ex) || ex is InvalidOperationException)
        {
            // The connection is gone; the server rolled back for us.
        }
    }

    /// <summary>A failure that ends one table (bad data, a constraint, a policy) rather than the run (cancellation, a malformed dump) or an attempt (transient).</summary>
    /// <remarks>A local file error (reading the dump) is not a table's: it ends the run, like a malformed dump.</remarks>
    public static bool IsTableFailure(this IRestoreTarget target, Exception ex) =>
        ex is not (OperationCanceledException or DumpFormatException or IOException or UnauthorizedAccessException) && (ex is RestoreTableException || !target.IsTransient(ex));
}
