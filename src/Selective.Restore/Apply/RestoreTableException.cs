namespace Selective.Restore.Apply;

/// <summary>
/// A table cannot be restored as asked (bad key data in the dump, a policy said fail, a mapping problem).
/// The engine catches it, rolls the table back and reports it failed; it is never retried.
/// </summary>
internal sealed class RestoreTableException : Exception
{
    public RestoreTableException(string message)
        : base(message)
    {
    }

    public RestoreTableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the live table's shape cannot take the dump's rows (missing table, columns or key), as opposed to a problem with the data.</summary>
    public bool IsIncompatibility { get; private init; }

    public static RestoreTableException Incompatible(string message) => new(message) { IsIncompatibility = true };
}

/// <summary>Different rows under one key in the dump: which to restore cannot be told. Carries the key, so the engine can find its lines.</summary>
internal sealed class RepeatedKeyException(string message, IReadOnlyList<string> key, long keys) : Exception(message)
{
    /// <summary>One repeated key's values as the server prints them, in key column order.</summary>
    public IReadOnlyList<string> Key { get; } = key;

    /// <summary>How many keys have more than one different row.</summary>
    public long Keys { get; } = keys;
}
