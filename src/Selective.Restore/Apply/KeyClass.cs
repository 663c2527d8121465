namespace Selective.Restore;

/// <summary>Dump rows the report lists by key.</summary>
internal enum KeyClass
{
    /// <summary>Same key as a live row, different identity.</summary>
    Collision,

    /// <summary>An identity column is NULL on either side, or the identity matches several live rows.</summary>
    Undetermined,

    /// <summary>References (through a foreign key) a row that is a collision not remapped, or undetermined.</summary>
    HeldBack,

    /// <summary>A row a plan would insert.</summary>
    Inserted,

    /// <summary>A live row a plan would overwrite (with the dump's values, or merged ones).</summary>
    Updated,
}
