namespace Selective.Restore.Providers;

/// <summary>The class of a delta row (a dump row that is not identical to live) once the identity key has been checked.</summary>
public enum DeltaClass
{
    /// <summary>Its key is not live: to insert.</summary>
    Missing,

    /// <summary>Its key is live, the same entity, other values: for the merge policy.</summary>
    Conflicting,

    /// <summary>Its key is live, but the live row is a different entity: never written as it is.</summary>
    Collision,

    /// <summary>An identity column is NULL on either side, or the identity is on several live rows: never written.</summary>
    Undetermined,

    /// <summary>Its entity is live under another key: not inserted; rows that reference it follow the live key.</summary>
    Relocated,

    /// <summary>A different entity under a live key (a collision, or a policy's decision): inserted under a new key.</summary>
    Remapped,

    /// <summary>References a row that is not written (through a foreign key to its own table): never written.</summary>
    HeldBack,

    /// <summary>A missing row the policy's filter left out: never written.</summary>
    Excluded,

    /// <summary>A conflicting row the policy skipped: the live row stays.</summary>
    Skipped,

    /// <summary>A conflicting row the policy overwrites with the dump's values.</summary>
    Overwrite,
}
