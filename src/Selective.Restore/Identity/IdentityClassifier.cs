using System.Buffers;
using System.Text;
using Selective.Restore.Diff;
using Selective.Restore.Dump;

namespace Selective.Restore.Identity;

/// <summary>The class of a delta row (a dump row that is not identical to live) once the identity key has been checked.</summary>
internal enum DeltaClass
{
    /// <summary>Its key is not live: to insert.</summary>
    Missing,

    /// <summary>Its key is live, the same entity, other values: for the merge policy.</summary>
    Conflicting,

    /// <summary>Its key is live, but the live row is a different entity: never written as it is.</summary>
    Collision,

    /// <summary>An identity column is NULL on either side, or the identity is on several live rows: never written.</summary>
    Undetermined,

    /// <summary>Its entity is live under another key: not inserted; rows that reference it follow the live key.</summary>
    Relocated,

    /// <summary>A different entity under a live key (a collision, or a policy's decision): inserted under a new key.</summary>
    Remapped,

    /// <summary>References a row that is not written (through a foreign key to its own table): never written.</summary>
    HeldBack,

    /// <summary>A missing row the policy's filter left out: never written.</summary>
    Excluded,

    /// <summary>A conflicting row the policy skipped: the live row stays.</summary>
    Skipped,

    /// <summary>A conflicting row the policy overwrites with the dump's values.</summary>
    Overwrite,
}

/// <summary>
/// What the database's typed comparison says about one missing or conflicting delta row of a table with an identity
/// key: the provider answers questions about values, the engine decides what they mean (<see cref="IdentityClassifier"/>).
/// </summary>
/// <param name="Position">The delta row's position (the provider's numbering, given back in <see cref="DeltaEdits"/>).</param>
/// <param name="Key">The row's key as staged: raw COPY fields joined by tabs.</param>
/// <param name="KeyLive">A live row has the row's key (it was classified conflicting), so the next three compare with it.</param>
/// <param name="DumpNull">An identity column of the dump row is NULL.</param>
/// <param name="LiveNull">An identity column of the live row with the same key is NULL (false when the key is not live).</param>
/// <param name="Same">The identity columns are equal, typed, on both sides (false when either is NULL or the key is not live).</param>
/// <param name="LiveCount">Live rows whose identity columns equal the dump row's, typed (0 when the dump row's identity has a NULL).</param>
/// <param name="LiveKey">The key of that live row when <paramref name="LiveCount"/> is 1: raw COPY fields joined by tabs.</param>
internal readonly record struct IdentityFacts(long Position, string Key, bool KeyLive, bool DumpNull, bool LiveNull, bool Same, long LiveCount, string? LiveKey);

/// <summary>The identity key's rules, in one place for every database.</summary>
internal static class IdentityClassifier
{
    /// <summary>
    /// The class of a delta row from its facts. A live row with the same key is the same entity only if every identity
    /// column is non-NULL on both sides and equal: NULL proves nothing. A row that is missing, or collides, and whose
    /// entity is live under exactly one other key was relocated there; under several keys nobody can tell which.
    /// </summary>
    public static DeltaClass Decide(in IdentityFacts facts)
    {
        DeltaClass decided;
        if (facts.KeyLive)
        {
            if (facts.DumpNull || facts.LiveNull)
            {
                return DeltaClass.Undetermined;
            }

            if (facts.Same)
            {
                return DeltaClass.Conflicting;
            }

            decided = DeltaClass.Collision;
        }
        else
        {
            decided = DeltaClass.Missing;
        }

        return facts.DumpNull || facts.LiveCount == 0 ? decided
            : facts.LiveCount == 1 ? DeltaClass.Relocated
            : DeltaClass.Undetermined;
    }
}

/// <summary>
/// Edits to delta rows by position, for the target to carry out: a new class (with the new key of a remapped row), or
/// new values for some columns (references that follow a key map). Held in bounded memory (a spill file past a block):
/// a table where every row collides must not need one object per row.
/// </summary>
internal sealed class DeltaEdits : IDisposable
{
    private const byte NoClass = (byte)'-';
    private readonly SpillFile _rows;
    private readonly ArrayBufferWriter<byte> _line = new();

    public DeltaEdits(string directory) => _rows = new SpillFile(directory);

    /// <summary>Rows added.</summary>
    public long Count => _rows.Rows;

    /// <summary>Adds a row: its new class (or none) and values as raw COPY fields joined by tabs (or none).</summary>
    public void Add(long position, DeltaClass? to, string? values)
    {
        _line.ResetWrittenCount();
        _line.GetSpan(1)[0] = to is { } c ? (byte)('0' + (int)c) : NoClass;
        _line.Advance(1);
        if (values is not null)
        {
            _line.Write("\t"u8);
            _line.Write(Encoding.UTF8.GetBytes(values));
        }

        _rows.Write(_line.WrittenSpan, position, 0);
    }

    /// <summary>Reads the rows from the first, as (position, class or null, values as raw COPY fields joined by tabs, or null).</summary>
    public IEnumerable<(long Position, DeltaClass? Class, string? Values)> Read()
    {
        _rows.Rewind();
        while (true)
        {
            if (!_rows.TryRead(out var line, out var position, out _))
            {
                yield break;
            }

            DeltaClass? to = line[0] == NoClass ? null : (DeltaClass)(line[0] - '0');
            yield return (position, to, line.Length > 1 ? Encoding.UTF8.GetString(line[2..]) : null);
        }
    }

    /// <summary>Raw COPY fields joined by tabs, decoded (null for <c>\N</c>).</summary>
    public static IReadOnlyList<string?> Decode(string values) =>
        [.. values.Split('\t').Select(field => CopyText.Decode(Encoding.UTF8.GetBytes(field)))];

    public void Dispose() => _rows.Dispose();
}
