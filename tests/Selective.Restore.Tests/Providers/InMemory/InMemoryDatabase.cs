using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <summary>
/// A database that lives in memory, for testing the engine without a server: tables of text values (null is NULL)
/// with a primary key, foreign keys (checked on every write), sequences, a journal store and transactions that roll
/// back. It is what <see cref="InMemoryTarget"/> connects to; tests read and damage it directly.
/// </summary>
internal sealed class InMemoryDatabase
{
    private readonly Dictionary<TableName, InMemoryTable> _tables = [];
    private readonly HashSet<long> _committed = [];
    private long _nextTransaction = 1000;

    public InMemoryDatabase(string name = "memory") => Name = name;

    public string Name { get; }

    public IReadOnlyCollection<InMemoryTable> Tables => _tables.Values;

    /// <summary>Sequences by name: the last value handed out (or the start when not called yet) and whether it was called.</summary>
    public Dictionary<TableName, (long Last, bool Called)> Sequences { get; } = [];

    /// <summary>Journal tables: rows of (fingerprint, table, entry).</summary>
    public Dictionary<TableName, List<(string Fingerprint, TableName Table, string Entry)>> Journals { get; } = [];

    /// <summary>Called before each operation the target runs (its name, e.g. "apply"): a test throws from it to inject a fault.</summary>
    public Action<string>? BeforeOperation { get; set; }

    /// <summary>The sessions connected to it (a test breaks them, as a server restart would).</summary>
    internal List<InMemoryTarget> Sessions { get; } = [];

    public InMemoryTable Create(LiveTable shape)
    {
        var table = new InMemoryTable(shape);
        _tables.Add(shape.Name, table);
        foreach (var column in shape.Columns.Where(c => c.Sequence is not null))
        {
            Sequences.TryAdd(column.Sequence!.Value, (1, false));
        }

        return table;
    }

    public InMemoryTable? Find(TableName name) => _tables.GetValueOrDefault(name);

    public InMemoryTable this[string name] => _tables[new TableName("public", name)];

    /// <summary>Drops every session's connection (and rolls back what they had in flight).</summary>
    public void BreakSessions()
    {
        foreach (var session in Sessions.ToList())
        {
            session.Break();
        }
    }

    internal long NextTransactionId() => ++_nextTransaction;

    internal void MarkCommitted(long transaction) => _committed.Add(transaction);

    internal bool? IsCommitted(long transaction) => transaction > _nextTransaction ? null : _committed.Contains(transaction);

    /// <summary>The next value of a sequence (nextval).</summary>
    internal long NextValue(TableName sequence)
    {
        var (last, called) = Sequences[sequence];
        var next = called ? last + 1 : last;
        Sequences[sequence] = (next, true);
        return next;
    }
}

/// <summary>One table: rows in insertion ("physical") order, indexed by key.</summary>
internal sealed class InMemoryTable(LiveTable shape)
{
    private readonly Dictionary<string, string?[]> _byKey = [];
    private readonly int[] _key = [.. shape.PrimaryKey.Select(k => shape.Columns.ToList().FindIndex(c => c.Name == k))];

    public LiveTable Shape { get; } = shape;

    public List<string?[]> Rows { get; } = [];

    public bool HasKey => _key.Length > 0;

    public int IndexOf(string column) => Shape.Columns.ToList().FindIndex(c => c.Name == column);

    /// <summary>The key image of a row (null when a key column is NULL), by the key types' equality.</summary>
    public string? KeyOf(IReadOnlyList<string?> row) => KeyImage(_key.Select(i => (Shape.Columns[i].DataType, row[i])));

    public static string? KeyImage(IEnumerable<(string Type, string? Text)> values)
    {
        var builder = new StringBuilder();
        foreach (var (type, text) in values)
        {
            if (text is null)
            {
                return null;
            }

            builder.Append(InMemoryTypes.KeyImage(type, text)).Append('\u0001');
        }

        return builder.ToString();
    }

    public string?[]? FindByKey(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>Adds a row as a test sets up live data (no checks beyond the key).</summary>
    public InMemoryTable Add(params string?[] row)
    {
        Insert(row);
        return this;
    }

    internal void Insert(string?[] row)
    {
        if (row.Length != Shape.Columns.Count)
        {
            throw new InMemoryDataException($"{Shape.Name} has {Shape.Columns.Count} columns; a row of {row.Length} values was written");
        }

        if (HasKey)
        {
            var key = KeyOf(row) ?? throw new InMemoryDataException($"null value in a key column of {Shape.Name}");
            if (!_byKey.TryAdd(key, row))
            {
                throw new InMemoryDataException($"duplicate key value violates the primary key of {Shape.Name}");
            }
        }

        Rows.Add(row);
    }

    internal void Remove(string?[] row)
    {
        Rows.Remove(row);
        if (HasKey)
        {
            _byKey.Remove(KeyOf(row)!);
        }
    }

    /// <summary>The row's values as one COPY text line (the database's output).</summary>
    public string Line(IReadOnlyList<string?> row) => string.Join('\t', row.Select(CopyField));

    /// <summary>Every row as COPY text, ordered: a fingerprint of the content.</summary>
    public string Content() => string.Join('\n', Rows.Select(Line).Order(StringComparer.Ordinal));

    private static string CopyField(string? value)
    {
        if (value is null)
        {
            return "\\N";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        CopyText.Escape(value, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
