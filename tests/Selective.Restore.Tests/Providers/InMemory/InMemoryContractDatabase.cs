using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <summary>The contract tables as in-memory tables.</summary>
internal sealed class InMemoryContractDatabase : IContractDatabase
{
    public InMemoryContractDatabase(IEnumerable<ContractTable> tables)
    {
        foreach (var table in tables)
        {
            Database.Create(Shape(table));
        }
    }

    public InMemoryDatabase Database { get; } = new("contract");

    public static LiveTable Shape(ContractTable table) => new(
        new TableName("public", table.Name),
        [.. table.Columns.Select((c, i) => new LiveColumn(
            c.Name, i + 1, TypeName(c.Type), c.NotNull || table.Key.Contains(c.Name), c.Name == table.Serial, false,
            c.Name == table.Serial ? IdentityColumn.ByDefault : IdentityColumn.None, c.Name == table.Serial ? new TableName("public", $"{table.Name}_{c.Name}_seq") : null))],
        table.Key,
        [],
        [.. table.References.Select(r => new LiveForeignKey($"{table.Name}_{r.Column}_fkey", [r.Column], new TableName("public", r.Parent), ["id"], false))],
        false);

    /// <summary>The type as PostgreSQL spells it (in its catalog and in DDL); the in-memory database uses the same names.</summary>
    public static string TypeName(ContractType type) => type switch
    {
        ContractType.Integer => "integer",
        ContractType.BigInt => "bigint",
        ContractType.Text => "text",
        ContractType.Numeric => "numeric",
        ContractType.Double => "double precision",
        ContractType.Boolean => "boolean",
        ContractType.TimestampTz => "timestamp with time zone",
        ContractType.Bytes => "bytea",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public Task InsertAsync(string table, params string?[][] rows)
    {
        foreach (var row in rows)
        {
            Database[table].Add((string?[])row.Clone());
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ContentAsync(string table) =>
        Task.FromResult<IReadOnlyList<string>>([.. Database[table].Rows.Select(r => Database[table].Line(r)).Order(StringComparer.Ordinal)]);

    public Task<long> NextValueAsync(string table)
    {
        var column = Database[table].Shape.Columns.Single(c => c.Sequence is not null);
        return Task.FromResult(Database.NextValue(column.Sequence!.Value));
    }

    public Task BreakSessionAsync()
    {
        Database.BreakSessions();
        return Task.CompletedTask;
    }

    public RestoreBuilder Into(RestoreBuilder builder) => builder.WithTarget(() => new InMemoryTarget(Database));

    public Selective.Restore.VerifyBuilder Into(Selective.Restore.VerifyBuilder builder) => builder.WithTarget(() => new InMemoryTarget(Database));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
