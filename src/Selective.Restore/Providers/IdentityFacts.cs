namespace Selective.Restore.Providers;

/// <summary>
/// What the database's typed comparison says about one missing or conflicting delta row of a table with an identity
/// key: the provider answers questions about values, the engine decides what they mean (the engine's identity rules, the same for every database).
/// </summary>
/// <param name="Position">The delta row's position (the provider's numbering, given back in <see cref="DeltaEdits"/>).</param>
/// <param name="Key">The row's key as staged: raw COPY fields joined by tabs.</param>
/// <param name="KeyLive">A live row has the row's key (it was classified conflicting), so the next three compare with it.</param>
/// <param name="DumpNull">An identity column of the dump row is NULL.</param>
/// <param name="LiveNull">An identity column of the live row with the same key is NULL (false when the key is not live).</param>
/// <param name="Same">The identity columns are equal, typed, on both sides (false when either is NULL or the key is not live).</param>
/// <param name="LiveCount">Live rows whose identity columns equal the dump row's, typed (0 when the dump row's identity has a NULL).</param>
/// <param name="LiveKey">The key of that live row when <paramref name="LiveCount"/> is 1: raw COPY fields joined by tabs.</param>
public readonly record struct IdentityFacts(long Position, string Key, bool KeyLive, bool DumpNull, bool LiveNull, bool Same, long LiveCount, string? LiveKey);
