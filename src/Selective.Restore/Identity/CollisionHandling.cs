namespace Selective.Restore;

/// <summary>
/// What happens to a <em>collision</em>: a dump row whose primary key is live but whose identity key (see
/// <see cref="RestoreBuilder.WithIdentityKey"/>) differs — the same ID now belongs to a different entity.
/// A collision is never merged or overwritten, whatever the merge policy says.
/// </summary>
public enum CollisionHandling
{
    /// <summary>
    /// Leave the live row; report the collision with its key. Dump rows restored in the same run that reference the
    /// colliding row (its children, at any depth) are held back too, so they cannot attach to the live row's owner. The default.
    /// </summary>
    Skip,

    /// <summary>
    /// Apply nothing to the table and report it failed, with the colliding keys. Tables restored in the same run that
    /// reference it (at any depth) are failed too.
    /// </summary>
    Fail,

    /// <summary>
    /// Insert the dump row under a new primary key from the table's sequence (moved above every key in the live table
    /// and the dump first), and rewrite the foreign keys of its children restored from the same dump (any depth,
    /// composite keys) so each child stays with its real owner. The report lists every remap (old key → new key).
    /// Needs a single-column integer key fed by a sequence (serial or identity).
    /// </summary>
    Remap,
}
