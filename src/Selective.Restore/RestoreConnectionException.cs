namespace Selective.Restore;

/// <summary>
/// The target (or a database source) could not be connected to, or refused the login, so nothing was read or applied.
/// Thrown by <c>RunAsync</c>, after the retries a transient failure is given (a missing or wrong password gets none).
/// The message names the database by its description (never the connection string) and says what to fix; the
/// driver's exception is the inner exception. See docs/errors.md for which failures throw and which are reported.
/// </summary>
public sealed class RestoreConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RestoreConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RestoreConnectionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RestoreConnectionException(string message)
        : base(message)
    {
    }
}
