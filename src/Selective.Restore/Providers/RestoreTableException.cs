namespace Selective.Restore.Providers;

/// <summary>
/// A table cannot be restored as asked (bad key data in the dump, a policy said fail, a mapping problem, a value the
/// database rejects). The engine catches it, rolls the table back and reports it failed with this message; it is never
/// retried. A provider throws it for what is wrong with the data or the table's shape, never for a database outage.
/// </summary>
public sealed class RestoreTableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RestoreTableException()
    {
    }

    /// <summary>Creates the exception with the message the report shows for the table.</summary>
    public RestoreTableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message the report shows, and the error that caused it.</summary>
    public RestoreTableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the live table's shape cannot take the dump's rows (missing table, columns or key), as opposed to a problem with the data.</summary>
    public bool IsIncompatibility { get; private init; }

    /// <summary>The live table's shape cannot take the dump's rows (<see cref="IsIncompatibility"/>).</summary>
    public static RestoreTableException Incompatible(string message) => new(message) { IsIncompatibility = true };

    /// <summary>Dump rows with NULL in a key column (whichever side found them: the server-side or the engine diff).</summary>
    public static RestoreTableException NullKeys(long rows, IEnumerable<string> keyColumns) =>
        new($"{rows} dump rows have NULL in key column(s) {string.Join(", ", keyColumns)}; NULL never matches a key");

    /// <summary>The warning for dump rows that repeat an earlier row exactly (<paramref name="effect"/>: what happens to them).</summary>
    internal static string RepeatsWarning(long rows, string effect = "each is counted and restored once") =>
        $"{rows} dump rows repeat an earlier row with the same key exactly (e.g. two dumps in one file); {effect}";
}
