
namespace Selective.Restore.Providers;

/// <summary>Which classified dump rows to read back to the client.</summary>
public enum RowClass
{
    /// <summary>Rows to insert.</summary>
    Missing,

    /// <summary>Rows whose key is live with other values (read with the live row, for a policy).</summary>
    Conflicting,
}

/// <summary>A row a restore wrote, as it read right after: its key (text, key column order) and the whole row's text.</summary>
public sealed record RowWitness(IReadOnlyList<string> Key, string Row);

/// <summary>Counts from classifying a staged table against live.</summary>
/// <param name="Missing">Dump rows whose key is not live (to insert).</param>
/// <param name="Identical">Dump rows equal to the live row with the same key.</param>
/// <param name="Conflicting">Same key and identity, different values (for the merge policy).</param>
/// <param name="LiveOnly">Live rows whose key is not in the dump.</param>
/// <param name="Collisions">Same key, different identity: a different entity.</param>
/// <param name="Undetermined">Identity NULL on either side, or matching several live rows: never written.</param>
/// <param name="Relocated">The identity is live under another key: not inserted; children follow the live key.</param>
/// <param name="HeldBack">Rows referencing a collision or an undetermined row: never written.</param>
public readonly record struct Classification(long Missing, long Identical, long Conflicting, long LiveOnly, long Collisions, long Undetermined, long Relocated, long HeldBack);

/// <summary>What the typed pairing of a table without a key found among the staged copies.</summary>
/// <param name="Missing">Copies no live copy pairs with (not held): to insert.</param>
/// <param name="Held">Copies staged as held, paired or not: never written.</param>
/// <param name="PairedHeld">Held copies that paired with a live copy.</param>
public readonly record struct WholeRowCounts(long Missing, long Held, long PairedHeld);

/// <summary>A dump row read back for a policy, with the live row when it conflicts.</summary>
public sealed record RowPair(long Position, RowValues Key, RowValues Dump, RowValues? Live);

/// <summary>What the set-based apply step should do.</summary>
/// <param name="InsertMissing">Insert the missing rows that were not excluded.</param>
/// <param name="UpdateConflicting">Overwrite every conflicting row (prefer-dump), not only those the policy chose (<see cref="DeltaClass.Overwrite"/>).</param>
/// <param name="UpdateChosen">The policy chose rows to overwrite.</param>
/// <param name="Remapped">Some rows were given new keys (<see cref="DeltaClass.Remapped"/>): only then are they counted.</param>
public readonly record struct ApplyInstructions(bool InsertMissing, bool UpdateConflicting, bool UpdateChosen, bool Remapped)
{
    /// <summary>
    /// The staged delta's class codes (<c>sr_class</c>) of the rows this apply writes: missing (<c>m</c>) and remapped
    /// (<c>r</c>) rows inserted, conflicting (<c>c</c>) and chosen (<c>t</c>) rows overwritten. Empty when nothing is written.
    /// One rule for every provider's missing-parent check.
    /// </summary>
    public IReadOnlyList<char> WrittenClasses =>
        [.. (InsertMissing ? "mr" : string.Empty) + (UpdateConflicting ? "c" : string.Empty) + (UpdateConflicting || UpdateChosen ? "t" : string.Empty)];
}

/// <summary>Rows written by the apply step.</summary>
/// <param name="Inserted">Rows inserted, remapped ones included.</param>
/// <param name="Updated">Live rows overwritten.</param>
/// <param name="Remapped">Rows inserted under a new key.</param>
public readonly record struct ApplyCounts(long Inserted, long Updated, long Remapped);

/// <summary>
/// Delta rows a write would make reference a parent row that is not there (see
/// <see cref="ITypedComparison.FindMissingParentsAsync"/>): the database would refuse them with a foreign key violation.
/// </summary>
/// <param name="Rows">How many such rows.</param>
/// <param name="Key">The first one's key (by position), as text in key column order; empty for a table without a key.</param>
/// <param name="Reference">Its foreign key values, as text in the foreign key's column order.</param>
public sealed record MissingParents(long Rows, IReadOnlyList<string> Key, IReadOnlyList<string> Reference);
