using System.Buffers;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Identity;

/// <summary>
/// Where a table's dump keys went in this run, for the rows that reference them (children, and the table's own
/// self-references) to follow: held back (no key: collisions left as they are, undetermined and held rows), relocated
/// (the live key of the same entity), remapped (a new key), or moved (the key changed because it holds a foreign key
/// that followed a parent). Keys are the dump's own key fields as raw COPY text joined by tabs, so a child's foreign
/// key fields find them as they are. Filled in the table's transaction and cleared when it is classified again.
/// Only rows that do not stay where the dump put them have an entry: typically few.
/// </summary>
internal sealed class KeyMap
{
    private readonly Dictionary<string, (string? To, MapKind Kind)> _entries = new(StringComparer.Ordinal);

    /// <summary>Whether rows that reference the table must be rewritten (or held) at all.</summary>
    public bool HasEntries => _entries.Count > 0;

    public int Count => _entries.Count;

    public void Clear() => _entries.Clear();

    /// <summary>The row with dump key <paramref name="key"/> is not written: rows that reference it are held back.</summary>
    public void Hold(string key, MapKind kind) => _entries[key] = (null, kind);

    /// <summary>The row with dump key <paramref name="key"/> is (or will be) live under <paramref name="to"/>.</summary>
    public void Move(string key, string to, MapKind kind) => _entries[key] = (to, kind);

    /// <summary>Whether <paramref name="key"/> has an entry; <paramref name="to"/> is null when its rows are held back.</summary>
    public bool TryGet(string key, out string? to)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            to = entry.To;
            return true;
        }

        to = null;
        return false;
    }

    /// <summary>Up to <paramref name="max"/> remapped and relocated keys, in key order (numeric for integer keys), decoded.</summary>
    public IReadOnlyList<KeyRemap> Remaps(int max) =>
        [.. _entries
            .Where(e => e.Value.Kind is MapKind.Remapped or MapKind.Relocated)
            .Select(e => (From: Decode(e.Key), To: Decode(e.Value.To!), e.Value.Kind))
            .OrderBy(e => e.From, KeyOrder.Instance)
            .Take(max)
            .Select(e => new KeyRemap(e.From, e.To, e.Kind == MapKind.Remapped ? RemapKind.NewKey : RemapKind.LiveEntity))];

    /// <summary>A key's raw COPY fields (tab-joined) as their values.</summary>
    public static IReadOnlyList<string> Decode(string key) =>
        [.. key.Split('\t').Select(field => CopyText.Decode(Encoding.UTF8.GetBytes(field)) ?? "NULL")];

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
}
