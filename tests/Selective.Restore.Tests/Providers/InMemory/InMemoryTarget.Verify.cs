using System.Globalization;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <content>The backup check's reads: key ranges in the types' order, tables, sequences, counts.</content>
internal sealed partial class InMemoryTarget : IVerifyTarget
{
    public Task<KeyRanges> CompareKeyRangesAsync(StagedTable staged, IRowLines dumpKeys, CancellationToken cancellationToken)
    {
        Operation("verify");
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var types = mapping.Key.Select(k => mapping.Live.Find(k)!.DataType).ToList();
        var comparer = Comparer<string?[]>.Create((a, b) =>
        {
            for (var i = 0; i < types.Count; i++)
            {
                var order = Compare(types[i], a[i]!, b[i]!);
                if (order != 0)
                {
                    return order;
                }
            }

            return 0;
        });

        var dump = new List<string?[]>();
        dumpKeys.Rewind();
        while (dumpKeys.TryRead(out var line, out _, out _))
        {
            dump.Add(Fields(line));
        }

        var live = table.Rows.Select(r => mapping.Key.Select(k => r[table.IndexOf(k)]).ToArray()).ToList();
        dump.Sort(comparer);
        live.Sort(comparer);
        var inRange = dump.Count == 0 ? 0 : live.Count(k => comparer.Compare(k, dump[0]) >= 0 && comparer.Compare(k, dump[^1]) <= 0);
        return Task.FromResult(new KeyRanges(
            dump.Count == 0 ? null : Text(dump[0]), dump.Count == 0 ? null : Text(dump[^1]),
            live.Count == 0 ? null : Text(live[0]), live.Count == 0 ? null : Text(live[^1]), inRange));
    }

    public async Task<T> IsolatedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken) => await action().ConfigureAwait(false);

    public Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LiveTableEntry>>([.. _database.Tables.Select(t => new LiveTableEntry(t.Shape.Name, []))]);

    public Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken)
    {
        if (!_database.Sequences.TryGetValue(sequence, out var position))
        {
            return Task.FromResult<LiveSequence?>(null);
        }

        var columns = _database.Tables.SelectMany(t => t.Shape.Columns.Where(c => c.Sequence == sequence).Select(c => new SequenceColumn(t.Shape.Name, c.Name, true)));
        return Task.FromResult<LiveSequence?>(new LiveSequence(sequence, 1, true, position.Last, position.Called, [.. columns]));
    }

    public Task<long> CountRowsAsync(LiveTable live, CancellationToken cancellationToken) => Task.FromResult((long)Table(live.Name).Rows.Count);

    public Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken)
    {
        var rows = Table(table);
        var index = rows.IndexOf(column);
        var values = rows.Rows.Where(r => r[index] is not null).Select(r => long.Parse(r[index]!, CultureInfo.InvariantCulture)).ToList();
        return Task.FromResult(values.Count == 0 ? (long?)null : values.Max());
    }

    /// <summary>The type's order (text in byte order, as the C collation sorts it).</summary>
    private static int Compare(string type, string a, string b) => type switch
    {
        "integer" or "bigint" => long.Parse(a, CultureInfo.InvariantCulture).CompareTo(long.Parse(b, CultureInfo.InvariantCulture)),
        "numeric" => decimal.Parse(a, CultureInfo.InvariantCulture).CompareTo(decimal.Parse(b, CultureInfo.InvariantCulture)),
        _ => string.CompareOrdinal(InMemoryTypes.SameImage(type, a), InMemoryTypes.SameImage(type, b)),
    };

    /// <summary>A key as the database prints it: the value for one column, the row's text (e.g. <c>(1,a)</c>) for several.</summary>
    private static string Text(string?[] key) => key.Length == 1 ? key[0]! : "(" + string.Join(",", key) + ")";
}
