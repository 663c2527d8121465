using Selective.Restore.Providers;


namespace Selective.Restore;

/// <summary>The identity key's rules, in one place for every database.</summary>
internal static class IdentityClassifier
{
    /// <summary>
    /// The class of a delta row from its facts. A live row with the same key is the same entity only if every identity
    /// column is non-NULL on both sides and equal: NULL proves nothing. A row that is missing, or collides, and whose
    /// entity is live under exactly one other key was relocated there; under several keys nobody can tell which.
    /// </summary>
    public static DeltaClass Decide(in IdentityFacts facts)
    {
        DeltaClass decided;
        if (facts.KeyLive)
        {
            if (facts.DumpNull || facts.LiveNull)
            {
                return DeltaClass.Undetermined;
            }

            if (facts.Same)
            {
                return DeltaClass.Conflicting;
            }

            decided = DeltaClass.Collision;
        }
        else
        {
            decided = DeltaClass.Missing;
        }

        return facts.DumpNull || facts.LiveCount == 0 ? decided
            : facts.LiveCount == 1 ? DeltaClass.Relocated
            : DeltaClass.Undetermined;
    }
}
