
namespace Selective.Restore;

/// <summary>Arguments for a conflict resolver: a row whose key is in both the dump and the live table, with different values.</summary>
public readonly struct ConflictArguments
{
    internal ConflictArguments(TableName table, RowValues key, RowValues dump, RowValues live, CancellationToken cancellationToken)
    {
        Table = table;
        Key = key;
        Dump = dump;
        Live = live;
        CancellationToken = cancellationToken;
    }

    /// <summary>The table.</summary>
    public TableName Table { get; }

    /// <summary>The primary key values.</summary>
    public RowValues Key { get; }

    /// <summary>The row as the dump has it.</summary>
    public RowValues Dump { get; }

    /// <summary>The row as the live table has it now.</summary>
    public RowValues Live { get; }

    /// <summary>The restore's cancellation token.</summary>
    public CancellationToken CancellationToken { get; }
}

/// <summary>Arguments for a missing-row filter: a dump row whose key is not in the live table.</summary>
public readonly struct MissingRowArguments
{
    internal MissingRowArguments(TableName table, RowValues key, RowValues dump, CancellationToken cancellationToken)
    {
        Table = table;
        Key = key;
        Dump = dump;
        CancellationToken = cancellationToken;
    }

    /// <summary>The table.</summary>
    public TableName Table { get; }

    /// <summary>The primary key values.</summary>
    public RowValues Key { get; }

    /// <summary>The row as the dump has it.</summary>
    public RowValues Dump { get; }

    /// <summary>The restore's cancellation token.</summary>
    public CancellationToken CancellationToken { get; }
}
