namespace Selective.Restore;

/// <summary>How writes are grouped into transactions.</summary>
public enum TransactionMode
{
    /// <summary>One transaction per table (per group of tables in a deferrable foreign-key cycle). A failed table leaves the others applied. The default.</summary>
    PerTable,

    /// <summary>One transaction for the whole restore: all tables or none.</summary>
    SingleTransaction,
}
