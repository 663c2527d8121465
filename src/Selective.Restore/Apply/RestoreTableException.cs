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

    /// <summary>Dump rows with NULL in a key column (whichever side found them: the server-side or the engine diff).</summary>
    public static RestoreTableException NullKeys(long rows, IEnumerable<string> keyColumns) =>
        new($"{rows} dump rows have NULL in key column(s) {string.Join(", ", keyColumns)}; NULL never matches a key");

    /// <summary>The warning for dump rows that repeat an earlier row exactly (<paramref name="effect"/>: what happens to them).</summary>
    public static string RepeatsWarning(long rows, string effect = "each is counted and restored once") =>
        $"{rows} dump rows repeat an earlier row with the same key exactly (e.g. two dumps in one file); {effect}";
}

/// <summary>Different rows under one key in the dump: which to restore cannot be told. Carries the key, so the engine can find its lines.</summary>
internal sealed class RepeatedKeyException(string message, IReadOnlyList<string> key, long keys) : Exception(message)
{
    /// <summary>For <paramref name="keys"/> keys with different rows, of which <paramref name="key"/> (values in <paramref name="keyColumns"/> order) is one.</summary>
    public RepeatedKeyException(IReadOnlyList<string> keyColumns, IReadOnlyList<string> key, long keys)
        : this($"the dump has {keys} keys with more than one different row, e.g. ({string.Join(", ", key.Select((v, i) => $"{keyColumns[i]}={v}"))}); cannot tell which to restore", key, keys)
    {
    }

    /// <summary>One repeated key's values as the server prints them, in key column order.</summary>
    public IReadOnlyList<string> Key { get; } = key;

    /// <summary>How many keys have more than one different row.</summary>
    public long Keys { get; } = keys;
}
