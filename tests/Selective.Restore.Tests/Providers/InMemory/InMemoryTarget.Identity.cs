using System.Globalization;
using System.Runtime.CompilerServices;
using Selective.Restore.Apply;
using Selective.Restore.Identity;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <content>
/// Classification with identity keys, key maps that children follow, remaps and self-references: the PostgreSQL
/// target's SQL (<c>PostgreSqlTarget.cs</c>, <c>PostgreSqlTarget.Identity.cs</c>) in C#, over the staged delta.
/// </content>
internal sealed partial class InMemoryTarget
{
    public Task PrepareAsync(StagedTable staged, IReadOnlyList<ParentReference> parents, bool referenced, CancellationToken cancellationToken)
    {
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        staged.HasOriginalKeys = false;
        staging.KeyMap.Clear();
        foreach (var row in staging.Rows)
        {
            row.Hold = false;
            row.Original = null;
        }

        // Parents whose key map is empty (the usual case) change nothing.
        var active = parents.Where(p => p.Parent.HasKeyMap).ToList();
        if (active.Count == 0)
        {
            return Task.CompletedTask;
        }

        // A rewrite that changes this table's own key would leave its children pointing at keys that no longer exist:
        // the original key is kept so the key map can translate it.
        if (referenced && active.Any(p => p.Columns.Any(c => mapping.Key.Contains(c, StringComparer.Ordinal))))
        {
            foreach (var row in staging.Rows)
            {
                row.Original = KeyTextsOf(mapping, row.Values);
            }

            staged.HasOriginalKeys = true;
        }

        foreach (var parent in active)
        {
            var parentStaging = StagingOf(parent.Parent);
            var parentTypes = parent.Parent.Mapping.Key.Select(k => parent.Parent.Mapping.Live.Find(k)!.DataType).ToList();
            var indexes = parent.Columns.Select(c => DumpIndex(mapping, c)).ToList();
            foreach (var row in staging.Rows)
            {
                var image = InMemoryTable.KeyImage(indexes.Select((i, n) => (parentTypes[n], row.Values[i])));
                if (image is null || !parentStaging.KeyMap.TryGetValue(image, out var entry))
                {
                    continue;
                }

                if (entry.New is null)
                {
                    row.Hold = true;
                }
                else
                {
                    for (var n = 0; n < indexes.Count; n++)
                    {
                        row.Values[indexes[n]] = entry.New[n];
                    }
                }
            }
        }

        if (staged.HasOriginalKeys)
        {
            foreach (var row in staging.Rows.Where(r => !r.Hold))
            {
                var current = KeyTextsOf(mapping, row.Values);
                if (!current.SequenceEqual(row.Original!, StringComparer.Ordinal))
                {
                    staged.HasKeyMap |= staging.KeyMap.TryAdd(OriginalImage(mapping, row), (row.Original!, current, 'p'));
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken)
    {
        Operation("classify");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        staging.Delta.Clear();
        staging.Decisions.Clear();
        staged.HasTakeDumpDecisions = false;
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

        // Held-back rows get key map entries: children must not follow them.
        foreach (var delta in staging.Delta.Where(d => d.Class == 'h'))
        {
            staging.KeyMap[OriginalImage(mapping, delta.Row)] = (OriginalTexts(mapping, delta.Row), null, 'h');
            staged.HasKeyMap = true;
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

            List<string?[]> matches = [];
            if (!dumpNull)
            {
                var image = InMemoryTable.KeyImage(identityTypes.Zip(dumpIdentity));
                matches = [.. table.Rows.Where(r => InMemoryTable.KeyImage(identityTypes.Zip(identity.Select(c => r[table.IndexOf(c)]))) == image)];
            }

            IReadOnlyList<string>? liveKey = matches.Count == 1 ? [.. mapping.Key.Select(k => matches[0][table.IndexOf(k)]!)] : null;
            yield return new IdentityFacts(delta.Position, delta.Class == 'c', dumpNull, liveNull, same, matches.Count, liveKey);
        }
    }

    public Task ReclassifyAsync(StagedTable staged, Reclassifications rows, CancellationToken cancellationToken)
    {
        Operation("reclassify");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var byPosition = staging.Delta.ToDictionary(d => d.Position);
        foreach (var (position, to, liveKey) in rows.Read())
        {
            var delta = byPosition[position];
            delta.Class = to switch { DeltaClass.Collision => 'k', DeltaClass.Undetermined => 'u', DeltaClass.Relocated => 'o', DeltaClass.Remapped => 'r', _ => throw new ArgumentOutOfRangeException(nameof(rows)) };

            // Key map entries for the rows children must not follow as they are: held back (null), relocated (the live
            // key) or remapped (the new key).
            staging.KeyMap[OriginalImage(mapping, delta.Row)] = (OriginalTexts(mapping, delta.Row), to is DeltaClass.Relocated or DeltaClass.Remapped ? [.. liveKey!] : null, delta.Class);
            staged.HasKeyMap = true;
        }

        return Task.CompletedTask;
    }

#pragma warning disable CS1998 // an async iterator over memory: nothing to await
    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, [EnumeratorCancellation] CancellationToken cancellationToken)
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
        var before = (last, called);
        _database.Sequences[sequence] = (Math.Max(highest, called ? last : last - 1), true);
        _undoLog?.Add(() => _database.Sequences[sequence] = before);
        for (long i = 0; i < count; i++)
        {
            yield return _database.NextValue(sequence).ToString(CultureInfo.InvariantCulture);
        }
    }

    public Task<(long Held, long NowIdentical)> FollowSelfReferencesAsync(StagedTable staged, IReadOnlyList<IReadOnlyList<string>> selfReferences, CancellationToken cancellationToken)
    {
        if (!staged.HasKeyMap || selfReferences.Count == 0)
        {
            return Task.FromResult((0L, 0L));
        }

        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var keyTypes = mapping.Key.Select(k => mapping.Live.Find(k)!.DataType).ToList();
        var references = selfReferences.Select(r => r.Select(c => DumpIndex(mapping, c)).ToList()).ToList();
        string? Image(DeltaRow d, List<int> columns) => InMemoryTable.KeyImage(columns.Select((i, n) => (keyTypes[n], d.Row.Values[i])));

        // A row under a held-back row is held too, then the rows under it: one level per round.
        long held = 0;
        while (true)
        {
            long heldThisRound = 0;
            foreach (var columns in references)
            {
                foreach (var delta in staging.Delta.Where(d => d.Class is 'm' or 'c' or 'r').ToList())
                {
                    if (Image(delta, columns) is { } image && staging.KeyMap.TryGetValue(image, out var entry) && entry.New is null)
                    {
                        delta.Class = 'h';
                        staging.KeyMap[OriginalImage(mapping, delta.Row)] = (OriginalTexts(mapping, delta.Row), null, 'h');
                        heldThisRound++;
                    }
                }
            }

            held += heldThisRound;
            if (heldThisRound == 0)
            {
                break;
            }
        }

        foreach (var columns in references)
        {
            foreach (var delta in staging.Delta.Where(d => d.Class is 'm' or 'c' or 'r'))
            {
                if (Image(delta, columns) is { } image && staging.KeyMap.TryGetValue(image, out var entry) && entry.New is { } to)
                {
                    for (var n = 0; n < columns.Count; n++)
                    {
                        delta.Row.Values[columns[n]] = to[n];
                    }
                }
            }
        }

        // A conflicting row may now equal its live row (a re-run after a remap): nothing to write for it.
        var nowIdentical = staging.Delta.RemoveAll(d => d.Class == 'c' && table.FindByKey(DumpKey(mapping, d.Row.Values)!) is { } live && !Differs(mapping, table, d.Row.Values, live));
        return Task.FromResult((held, (long)nowIdentical));
    }

    public Task<IReadOnlyList<IReadOnlyList<string>>> ReadKeysAsync(StagedTable staged, KeyClass keyClass, int max, CancellationToken cancellationToken)
    {
        var code = keyClass switch { KeyClass.Collision => 'k', KeyClass.Undetermined => 'u', _ => 'h' };
        return Task.FromResult<IReadOnlyList<IReadOnlyList<string>>>(
            [.. StagingOf(staged).Delta.Where(d => d.Class == code).Take(max).Select(d => (IReadOnlyList<string>)[.. KeyTextsOf(staged.Mapping, d.Row.Values).Select(t => t!)])]);
    }

    public Task<IReadOnlyList<KeyRemap>> ReadRemapsAsync(StagedTable staged, int max, CancellationToken cancellationToken)
    {
        var keyTypes = staged.Mapping.Key.Select(k => staged.Mapping.Live.Find(k)!.DataType).ToList();
        var remaps = StagingOf(staged).KeyMap.Values
            .Where(e => e.Kind is 'r' or 'o')
            .OrderBy(e => long.TryParse(e.Original[0], CultureInfo.InvariantCulture, out var n) ? n : 0)
            .ThenBy(e => e.Original[0], StringComparer.Ordinal)
            .Take(max)
            .Select(e => new KeyRemap([.. e.Original.Select(t => t!)], [.. e.New!.Select(t => t!)], e.Kind == 'r' ? RemapKind.NewKey : RemapKind.LiveEntity));
        return Task.FromResult<IReadOnlyList<KeyRemap>>([.. remaps]);
    }

    private static int DumpIndex(TableMapping mapping, string column) =>
        Enumerable.Range(0, mapping.Targets.Count).First(i => string.Equals(mapping.Targets[i]?.Name, column, StringComparison.Ordinal));

    private static string?[] KeyTextsOf(TableMapping mapping, string?[] values) => [.. mapping.Key.Select(k => values[DumpIndex(mapping, k)])];

    /// <summary>The dump's own key of a row (before a parent's remap rewrote it), as texts.</summary>
    private static string?[] OriginalTexts(TableMapping mapping, StagedRow row) => row.Original ?? KeyTextsOf(mapping, row.Values);

    private static string OriginalImage(TableMapping mapping, StagedRow row) =>
        InMemoryTable.KeyImage(mapping.Key.Select((k, i) => (mapping.Live.Find(k)!.DataType, OriginalTexts(mapping, row)[i])))!;
}
