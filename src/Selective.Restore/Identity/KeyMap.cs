using System.Buffers;
using System.Globalization;
using System.Text;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// Where a table's dump keys went in this run, for the rows that reference them (children, and the table's own
/// self-references) to follow: held back (no key: collisions left as they are, undetermined and held rows), relocated
/// (the live key of the same entity), remapped (a new key), or moved (the key changed because it holds a foreign key
/// that followed a parent). Keys are the dump's own key fields as raw COPY text joined by tabs, so a child's foreign
/// key fields find them as they are. Filled in the table's transaction and cleared when it is classified again.
/// Only rows that do not stay where the dump put them have an entry, but that can be every row (an old backup over
/// reused IDs): the entries count against the diff's shared memory budget, and past it they go to sorted runs on
/// disk (<see cref="KeyMapRun"/>), newest first when looked up.
/// </summary>
internal sealed class KeyMap : IMemoryHolder, IDisposable
{
    // A dictionary entry and two strings' object headers, roughly.
    private const int EntryOverhead = 96;

    // Runs on disk before they are merged into one.
    private const int MaxRuns = 4;

    private readonly DiffOptions _options;
    private readonly Dictionary<string, (string? To, MapKind Kind)> _entries = new(StringComparer.Ordinal);
    private readonly List<KeyMapRun> _runs = [];
    private long _bytes;

    public KeyMap(DiffOptions options) => _options = options;

    /// <summary>Whether rows that reference the table must be rewritten (or held) at all.</summary>
    public bool HasEntries => _entries.Count > 0 || _runs.Count > 0;

    /// <summary>Runs on disk (0 while the map fits in memory).</summary>
    public int Runs => _runs.Count;

    public long ResidentBytes => _bytes;

    public void Clear()
    {
        _entries.Clear();
        Release();
        foreach (var run in _runs)
        {
            run.Dispose();
        }

        _runs.Clear();
    }

    /// <summary>The row with dump key <paramref name="key"/> is not written: rows that reference it are held back.</summary>
    public void Hold(string key, MapKind kind) => Put(key, null, kind);

    /// <summary>The row with dump key <paramref name="key"/> is (or will be) live under <paramref name="to"/>.</summary>
    public void Move(string key, string to, MapKind kind) => Put(key, to, kind);

    private void Put(string key, string? to, MapKind kind)
    {
        long change = Size(key, to);
        if (_entries.TryGetValue(key, out var old))
        {
            change -= Size(key, old.To);
        }

        _entries[key] = (to, kind);
        _bytes += change;
        if (_options.Gauge.Change(this, change, _options.MemoryBudget) is { } largest)
        {
            _options.Gauge.Evict(largest);
        }
    }

    private static long Size(string key, string? to) => (2L * key.Length) + (2L * (to?.Length ?? 0)) + EntryOverhead;

    /// <summary>
    /// Whether <paramref name="key"/> has an entry, without making a string of it while the map is in memory (a child's
    /// rows are looked up one by one, and most have no entry).
    /// </summary>
    public bool TryGet(ReadOnlySpan<char> key, out string? to)
    {
        if (_entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var entry))
        {
            to = entry.To;
            return true;
        }

        if (_runs.Count == 0)
        {
            to = null;
            return false;
        }

        return TryGet(key.ToString(), out to);
    }

    /// <summary>Whether <paramref name="key"/> has an entry; <paramref name="to"/> is null when its rows are held back.</summary>
    public bool TryGet(string key, out string? to)
    {
        // In memory, then the runs newest first (a newer entry of a key replaces an older one).
        if (_entries.TryGetValue(key, out var entry))
        {
            to = entry.To;
            return true;
        }

        for (var i = _runs.Count - 1; i >= 0; i--)
        {
            if (_runs[i].TryFind(key, out to, out _))
            {
                return true;
            }
        }

        to = null;
        return false;
    }

    /// <summary>Up to <paramref name="max"/> remapped and relocated keys, in key order (numeric for integer keys), decoded.</summary>
    public IReadOnlyList<KeyRemap> Remaps(int max)
    {
        // Each layer's entries that no newer layer replaced; the smallest keys kept in a bounded heap.
        var heap = new PriorityQueue<(IReadOnlyList<string> From, IReadOnlyList<string> To, MapKind Kind), IReadOnlyList<string>>(Comparer<IReadOnlyList<string>>.Create((a, b) => KeyOrder.Instance.Compare(b, a)));
        void Offer(string key, string? to, MapKind kind)
        {
            if (kind is not (MapKind.Remapped or MapKind.Relocated) || max <= 0)
            {
                return;
            }

            var from = Decode(key);
            if (heap.Count < max)
            {
                heap.Enqueue((from, Decode(to!), kind), from);
            }
            else if (heap.TryPeek(out _, out var largest) && KeyOrder.Instance.Compare(from, largest) < 0)
            {
                heap.EnqueueDequeue((from, Decode(to!), kind), from);
            }
        }

        foreach (var (key, (to, kind)) in _entries)
        {
            Offer(key, to, kind);
        }

        for (var i = 0; i < _runs.Count; i++)
        {
            foreach (var (key, to, kind) in _runs[i].All())
            {
                if (!_entries.ContainsKey(key) && !InNewerRun(key, i))
                {
                    Offer(key, to, kind);
                }
            }
        }

        var result = new List<KeyRemap>(heap.Count);
        while (heap.TryDequeue(out var entry, out _))
        {
            result.Add(new KeyRemap(entry.From, entry.To, entry.Kind == MapKind.Remapped ? RemapKind.NewKey : RemapKind.LiveEntity));
        }

        result.Reverse();
        return result;
    }

    private bool InNewerRun(string key, int run)
    {
        for (var i = run + 1; i < _runs.Count; i++)
        {
            if (_runs[i].TryFind(key, out _, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The entries in memory go to a sorted run on disk.</summary>
    public void Evict()
    {
        if (_entries.Count == 0)
        {
            return;
        }

        var directory = _options.TempDirectory ?? Path.GetTempPath();
        _runs.Add(KeyMapRun.Write(directory, _entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.To, e.Value.Kind))));

        // The table's arrays go too (Clear keeps them, sized for a budget's worth of entries).
        _entries.Clear();
        _entries.TrimExcess();

        // Lookups read one block per run: past a few runs they are merged into one (the newest entry of a key wins).
        if (_runs.Count > MaxRuns)
        {
            var merged = KeyMapRun.Write(directory, Merge(_runs));
            foreach (var run in _runs)
            {
                run.Dispose();
            }

            _runs.Clear();
            _runs.Add(merged);
        }

        var freed = _bytes;
        Release();
        MemoryGauge.Collect(freed);
    }

    /// <summary>The runs' entries in key order, each key once: from the newest run that has it.</summary>
    private static IEnumerable<(string Key, string? To, MapKind Kind)> Merge(List<KeyMapRun> runs)
    {
        var cursors = runs.Select(r => r.All().GetEnumerator()).ToList();
        try
        {
            var live = cursors.Select(c => c.MoveNext()).ToList();
            while (true)
            {
                string? smallest = null;
                for (var i = 0; i < cursors.Count; i++)
                {
                    if (live[i] && (smallest is null || string.CompareOrdinal(cursors[i].Current.Key, smallest) < 0))
                    {
                        smallest = cursors[i].Current.Key;
                    }
                }

                if (smallest is null)
                {
                    yield break;
                }

                (string, string?, MapKind) newest = default;
                for (var i = 0; i < cursors.Count; i++)
                {
                    if (live[i] && string.Equals(cursors[i].Current.Key, smallest, StringComparison.Ordinal))
                    {
                        newest = cursors[i].Current; // later runs are newer
                        live[i] = cursors[i].MoveNext();
                    }
                }

                yield return newest;
            }
        }
        finally
        {
            cursors.ForEach(c => c.Dispose());
        }
    }

    private void Release()
    {
        _options.Gauge.Release(this, _bytes);
        _bytes = 0;
    }

    public void Dispose() => Clear();

    /// <summary>A key's raw COPY fields (tab-joined) as their values.</summary>
    public static IReadOnlyList<string> Decode(string key) => [.. DeltaEdits.Decode(key).Select(value => value ?? "NULL")];

    /// <summary>Key values as raw COPY fields joined by tabs (what a dump line holds).</summary>
    public static string Encode(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                buffer.Write("\t"u8);
            }

            CopyText.Escape(value, buffer);
            first = false;
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Field by field: numerically when both are integers, else by ordinal text.</summary>
    private sealed class KeyOrder : IComparer<IReadOnlyList<string>>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(IReadOnlyList<string>? x, IReadOnlyList<string>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                var order = long.TryParse(x[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var a) &&
                            long.TryParse(y[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)
                    ? a.CompareTo(b)
                    : string.CompareOrdinal(x[i], y[i]);
                if (order != 0)
                {
                    return order;
                }
            }

            return x.Count.CompareTo(y.Count);
        }
    }
}

/// <summary>Why a key has an entry in a <see cref="KeyMap"/>.</summary>
internal enum MapKind
{
    /// <summary>Same key live, another entity, not remapped: held back.</summary>
    Collision,

    /// <summary>The identity could not be told: held back.</summary>
    Undetermined,

    /// <summary>References a held-back row: held back.</summary>
    HeldBack,

    /// <summary>The entity is live under another key.</summary>
    Relocated,

    /// <summary>Inserted under a new key.</summary>
    Remapped,

    /// <summary>The key holds a foreign key that followed its parent.</summary>
    Moved,

    /// <summary>A missing row the missing-row filter left out: not written (rows that reference it have no parent row).</summary>
    Excluded,
}
