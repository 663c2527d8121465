namespace Selective.Restore;

/// <summary>A kind of problem the backup check can find; <see cref="VerifyBuilder.FailOn"/> chooses which ones fail the check.</summary>
public enum VerifyProblem
{
    /// <summary>Dump rows whose key is not in the live table (deleted since the backup, or a live table that lost rows).</summary>
    MissingRows,

    /// <summary>Live rows whose key is not in the dump (added since the backup, or rows the backup lacks).</summary>
    LiveOnlyRows,

    /// <summary>
    /// Live-only rows whose key lies inside the dump's key range: with increasing keys (serial, identity) a sign of
    /// reused IDs or of a backup that is missing rows. Random keys (UUIDs, text) land inside the range by nature.
    /// </summary>
    LiveOnlyInDumpRange,

    /// <summary>Rows with the same key in dump and live but different values.</summary>
    ConflictingRows,

    /// <summary>Dump rows with NULL in a key column: they match nothing and could never be restored.</summary>
    NullKeyRows,

    /// <summary>A live sequence behind the dump's value, or behind the largest value already in a column it feeds.</summary>
    SequenceBehind,

    /// <summary>The dump sets a sequence the live database does not have.</summary>
    SequenceOnlyInDump,

    /// <summary>A dump table the live database does not have.</summary>
    TableOnlyInDump,

    /// <summary>A live table (matching the table filter) the dump has no data for.</summary>
    TableOnlyInLive,
}

/// <summary>The kebab-case names of <see cref="VerifyProblem"/> used by the CLI (<c>--fail-on</c>) and in JSON.</summary>
public static class VerifyProblems
{
    private static readonly (VerifyProblem Kind, string Name)[] Names =
    [
        (VerifyProblem.MissingRows, "missing-rows"),
        (VerifyProblem.LiveOnlyRows, "live-only-rows"),
        (VerifyProblem.LiveOnlyInDumpRange, "live-only-in-dump-range"),
        (VerifyProblem.ConflictingRows, "conflicting-rows"),
        (VerifyProblem.NullKeyRows, "null-key-rows"),
        (VerifyProblem.SequenceBehind, "sequence-behind"),
        (VerifyProblem.SequenceOnlyInDump, "sequence-only-in-dump"),
        (VerifyProblem.TableOnlyInDump, "table-only-in-dump"),
        (VerifyProblem.TableOnlyInLive, "table-only-in-live"),
    ];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<VerifyProblem> All { get; } = [.. Names.Select(n => n.Kind)];

    /// <summary>The kind's name, e.g. <c>live-only-in-dump-range</c>.</summary>
    public static string Name(VerifyProblem kind)
    {
        foreach (var (k, name) in Names)
        {
            if (k == kind)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown problem kind.");
    }

    /// <summary>Parses a kind's name (case-insensitive); false when it names none.</summary>
    public static bool TryParse(string? name, out VerifyProblem kind)
    {
        foreach (var (k, n) in Names)
        {
            if (string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
