namespace Selective.Restore;

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
