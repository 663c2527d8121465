using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <content>
/// What identity keys, key maps and remaps need from a database, in memory: typed facts about the delta's rows, new
/// classes and values for them, and new keys from a sequence (the PostgreSQL target's SQL in C#).
/// </content>
internal sealed partial class InMemoryTarget
{
    public Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken)
    {
        Operation("classify");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        staging.Delta.Clear();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        long nullKeys = 0;
        foreach (var row in staging.Rows)
        {
            var key = DumpKey(mapping, row.Values);
            if (key is null)
            {
                nullKeys++;
                continue;
            }

            if (!keys.Add(key))
            {
                throw new RestoreTableException($"the dump has more than one row with key ({string.Join(", ", KeyTexts(mapping, row.Values))}); cannot tell which to restore");
            }

            var live = table.FindByKey(key);
            char @class;
            if (row.Hold)
            {
                @class = 'h';
            }
            else if (live is null)
            {
                @class = 'm';
            }
            else if (!Differs(mapping, table, row.Values, live))
            {
                continue; // identical: never in the delta
            }
            else
            {
                @class = 'c';
            }

            staging.Delta.Add(new DeltaRow(staging.Delta.Count + 1, @class, row, live is not null));
        }

        if (nullKeys > 0)
        {
            throw RestoreTableException.NullKeys(nullKeys, mapping.Key);
        }

        long Count(char c) => staging.Delta.Count(d => d.Class == c);
        var identical = staging.Rows.Count - staging.Delta.Count;
        var liveCount = liveRows ?? table.Rows.Count;
        var deltaLive = staging.Delta.Count(d => d.Live);
        return Task.FromResult(new Classification(Count('m'), identical, Count('c'), liveCount - identical - deltaLive, 0, 0, 0, Count('h')));
    }

#pragma warning disable CS1998 // an async iterator over memory: nothing to await
    public async IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, [EnumeratorCancellation] CancellationToken cancellationToken)
#pragma warning restore CS1998
    {
        Operation("identity");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var identityIndexes = identity.Select(c => DumpIndex(mapping, c)).ToList();
        var identityTypes = identity.Select(c => mapping.Live.Find(c)!.DataType).ToList();

        // The live rows by identity (as the server's index or hash join would find them).
        var byIdentity = table.Rows
            .Select(r => (Image: InMemoryTable.KeyImage(identityTypes.Zip(identity.Select(c => r[table.IndexOf(c)]))), Row: r))
            .Where(e => e.Image is not null)
            .ToLookup(e => e.Image!, e => e.Row, StringComparer.Ordinal);
        foreach (var delta in staging.Delta.Where(d => d.Class is 'm' or 'c').ToList())
        {
            var dumpIdentity = identityIndexes.Select(i => delta.Row.Values[i]).ToList();
            var dumpNull = dumpIdentity.Contains(null);
            bool liveNull = false, same = false;
            if (delta.Class == 'c')
            {
                var live = table.FindByKey(DumpKey(mapping, delta.Row.Values)!)!;
                var liveIdentity = identity.Select(c => live[table.IndexOf(c)]).ToList();
                liveNull = liveIdentity.Contains(null);
                same = !dumpNull && !liveNull && InMemoryTable.KeyImage(identityTypes.Zip(dumpIdentity)) == InMemoryTable.KeyImage(identityTypes.Zip(liveIdentity));
            }

            List<string?[]> matches = dumpNull ? [] : [.. byIdentity[InMemoryTable.KeyImage(identityTypes.Zip(dumpIdentity))!]];

            var liveKey = matches.Count == 1 ? table.Line([.. mapping.Key.Select(k => matches[0][table.IndexOf(k)])]) : null;
            yield return new IdentityFacts(delta.Position, table.Line(KeyTextsOf(mapping, delta.Row.Values)), delta.Class == 'c', dumpNull, liveNull, same, matches.Count, liveKey);
        }
    }

    public Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken)
    {
        Operation("reclassify");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var byPosition = staging.Delta.ToDictionary(d => d.Position);
        foreach (var (position, to, values) in rows.Read())
        {
            var delta = byPosition[position];
            delta.Class = to switch
            {
                DeltaClass.Collision => 'k',
                DeltaClass.Undetermined => 'u',
                DeltaClass.Relocated => 'o',
                DeltaClass.Remapped => 'r',
                DeltaClass.HeldBack => 'h',
                DeltaClass.Excluded => 'x',
                DeltaClass.Skipped => 's',
                DeltaClass.Overwrite => 't',
                _ => throw new ArgumentOutOfRangeException(nameof(rows)),
            };
            if (to == DeltaClass.Remapped)
            {
                // A remapped row takes its new key here.
                var key = DeltaEdits.Decode(values!);
                for (var i = 0; i < mapping.Key.Count; i++)
                {
                    delta.Row.Values[DumpIndex(mapping, mapping.Key[i])] = key[i];
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        Operation("read-delta");
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var indexes = columns.Select(c => DumpIndex(mapping, c)).ToList();
        var text = new StringBuilder();
        foreach (var delta in StagingOf(staged).Delta.Where(d => d.Class is 'm' or 'c' or 'r' or 't').OrderBy(d => d.Position))
        {
            text.Append(delta.Position.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(table.Line([.. indexes.Select(i => delta.Row.Values[i])])).Append('\n');
        }

        return Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken)
    {
        Operation("rewrite");
        var mapping = staged.Mapping;
        var byPosition = StagingOf(staged).Delta.ToDictionary(d => d.Position);
        foreach (var (position, _, values) in rows.Read())
        {
            var decoded = DeltaEdits.Decode(values!);
            for (var i = 0; i < columns.Count; i++)
            {
                byPosition[position].Row.Values[DumpIndex(mapping, columns[i])] = decoded[i];
            }
        }

        return Task.CompletedTask;
    }

    public Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken)
    {
        Operation("drop-identical");
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var dropped = StagingOf(staged).Delta.RemoveAll(d => d.Class is 'c' or 't' && table.FindByKey(DumpKey(mapping, d.Row.Values)!) is { } live && !Differs(mapping, table, d.Row.Values, live));
        return Task.FromResult((long)dropped);
    }

#pragma warning disable CS1998 // an async iterator over memory: nothing to await
    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, [EnumeratorCancellation] CancellationToken cancellationToken)
#pragma warning restore CS1998
    {
        Operation("reserve");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var column = mapping.Key.Count == 1 ? mapping.Live.Find(mapping.Key[0]) : null;
        if (column is not { Sequence: { } sequence } || column.DataType is not ("integer" or "bigint"))
        {
            throw new RestoreTableException(
                $"{count} rows must be remapped to new keys, but the key ({string.Join(", ", mapping.Key)}) is not a single integer column fed by a sequence (serial or identity); restore with collisions skipped or failed instead");
        }

        // New keys start above every key live and in the dump, and above what the sequence handed out.
        var index = table.IndexOf(column.Name);
        var dumpIndex = DumpIndex(mapping, column.Name);
        var highest = table.Rows.Select(r => r[index]).Concat(staging.Rows.Select(r => r.Values[dumpIndex]))
            .Where(v => v is not null).Select(v => long.Parse(v!, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        var (last, called) = _database.Sequences[sequence];
        if (preview)
        {
            // A plan's: the same keys, above the rows already remapped too, and the sequence left where it is.
            var remapped = staging.Delta.Where(d => d.Class == 'r').Select(d => d.Row.Values[dumpIndex]).Where(v => v is not null)
                .Select(v => long.Parse(v!, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            var start = Math.Max(Math.Max(highest, remapped), called ? last : last - 1);
            for (long i = 1; i <= count; i++)
            {
                yield return (start + i).ToString(CultureInfo.InvariantCulture);
            }

            yield break;
        }

        var before = (last, called);
        _database.Sequences[sequence] = (Math.Max(highest, called ? last : last - 1), true);
        _undoLog?.Add(() => _database.Sequences[sequence] = before);
        for (long i = 0; i < count; i++)
        {
            yield return _database.NextValue(sequence).ToString(CultureInfo.InvariantCulture);
        }
    }

    private static int DumpIndex(TableMapping mapping, string column) =>
        Enumerable.Range(0, mapping.Targets.Count).First(i => string.Equals(mapping.Targets[i]?.Name, column, StringComparison.Ordinal));

    private static string?[] KeyTextsOf(TableMapping mapping, string?[] values) => [.. mapping.Key.Select(k => values[DumpIndex(mapping, k)])];
}
