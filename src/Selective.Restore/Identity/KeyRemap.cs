namespace Selective.Restore;

/// <summary>Why a dump row's key was replaced.</summary>
public enum RemapKind
{
    /// <summary>The row collided with a different entity and was inserted under a new key.</summary>
    NewKey,

    /// <summary>The row's entity (by identity key) is already live under another key; it was not inserted, and its children follow the live key.</summary>
    LiveEntity,
}

/// <summary>One dump key replaced by another: children restored from the same dump follow <see cref="To"/>. Equal when keys and kind are.</summary>
/// <param name="From">The key in the dump, as text, in key column order.</param>
/// <param name="To">The key in the live table, as text, in key column order.</param>
/// <param name="Kind">Why.</param>
public sealed record KeyRemap(IReadOnlyList<string> From, IReadOnlyList<string> To, RemapKind Kind)
{
    /// <inheritdoc />
    public bool Equals(KeyRemap? other) =>
        other is not null && Kind == other.Kind && From.SequenceEqual(other.From, StringComparer.Ordinal) && To.SequenceEqual(other.To, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        foreach (var value in From.Concat(To))
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"({string.Join(", ", From)}) -> ({string.Join(", ", To)}) {(Kind == RemapKind.NewKey ? "new key" : "live entity")}";
}
