namespace Selective.Restore;

/// <summary>What to do with a row, as decided by a merge policy.</summary>
public enum ConflictAction
{
    /// <summary>Leave the live row as it is (counted as kept, not skipped).</summary>
    KeepLive,

    /// <summary>Overwrite the live row with the dump's values (counted as updated).</summary>
    TakeDump,

    /// <summary>Write a row merged from both (counted as updated).</summary>
    Merge,

    /// <summary>Leave the live row and report the row as skipped.</summary>
    Skip,

    /// <summary>Abort the table: nothing is applied to it, and the report carries the reason.</summary>
    Fail,

    /// <summary>
    /// The rows are different entities that share a key: leave the live row and insert the dump row under a new key
    /// from the table's sequence; children restored from the same dump follow it (counted as inserted and remapped).
    /// </summary>
    Remap,
}

/// <summary>A merge policy's decision for one conflicting row.</summary>
public readonly struct ConflictDecision : IEquatable<ConflictDecision>
{
    private ConflictDecision(ConflictAction action, IReadOnlyDictionary<string, object?>? values, string? reason)
    {
        Action = action;
        MergedValues = values;
        Reason = reason;
    }

    /// <summary>The action.</summary>
    public ConflictAction Action { get; }

    /// <summary>For <see cref="ConflictAction.Merge"/>: the columns to set and their typed values; columns not named keep their live value.</summary>
    public IReadOnlyDictionary<string, object?>? MergedValues { get; }

    /// <summary>For <see cref="ConflictAction.Fail"/>: why.</summary>
    public string? Reason { get; }

    /// <summary>Keep the live row.</summary>
    public static ConflictDecision KeepLive { get; } = new(ConflictAction.KeepLive, null, null);

    /// <summary>Overwrite the live row with the dump row.</summary>
    public static ConflictDecision TakeDump { get; } = new(ConflictAction.TakeDump, null, null);

    /// <summary>Leave the live row and count the row as skipped.</summary>
    public static ConflictDecision Skip { get; } = new(ConflictAction.Skip, null, null);

    /// <summary>
    /// The dump row is a different entity from the live row with its key: insert it under a new key (the live row stays)
    /// and make its children restored from the same dump follow. Needs a single integer key fed by a sequence.
    /// </summary>
    public static ConflictDecision Remap { get; } = new(ConflictAction.Remap, null, null);

    /// <summary>Set the given columns of the live row (typed values, e.g. from <see cref="RowValues"/>); the key columns cannot be changed.</summary>
    public static ConflictDecision Merge(IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new ConflictDecision(ConflictAction.Merge, values, null);
    }

    /// <summary>Abort the whole table; nothing is applied to it.</summary>
    public static ConflictDecision Fail(string reason) => new(ConflictAction.Fail, null, reason);

    /// <inheritdoc />
    public bool Equals(ConflictDecision other) => Action == other.Action && ReferenceEquals(MergedValues, other.MergedValues) && string.Equals(Reason, other.Reason, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ConflictDecision other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Action, Reason);

    /// <summary>Equality.</summary>
    public static bool operator ==(ConflictDecision left, ConflictDecision right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ConflictDecision left, ConflictDecision right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Action switch
    {
        ConflictAction.Fail => $"Fail({Reason})",
        ConflictAction.Merge => $"Merge({string.Join(", ", MergedValues!.Keys)})",
        _ => Action.ToString(),
    };
}
