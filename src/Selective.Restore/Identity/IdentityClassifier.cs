using System.Buffers;
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
}

/// <summary>
/// What the database's typed comparison says about one missing or conflicting delta row of a table with an identity
/// key: the provider answers questions about values, the engine decides what they mean (<see cref="IdentityClassifier"/>).
/// </summary>
/// <param name="Position">The delta row's position (the provider's numbering, given back in <see cref="Reclassifications"/>).</param>
/// <param name="KeyLive">A live row has the row's key (it was classified conflicting), so the next three compare with it.</param>
/// <param name="DumpNull">An identity column of the dump row is NULL.</param>
/// <param name="LiveNull">An identity column of the live row with the same key is NULL (false when the key is not live).</param>
/// <param name="Same">The identity columns are equal, typed, on both sides (false when either is NULL or the key is not live).</param>
/// <param name="LiveCount">Live rows whose identity columns equal the dump row's, typed (0 when the dump row's identity has a NULL).</param>
/// <param name="LiveKey">The key of that live row as text, in key column order, when <paramref name="LiveCount"/> is 1.</param>
internal readonly record struct IdentityFacts(long Position, bool KeyLive, bool DumpNull, bool LiveNull, bool Same, long LiveCount, IReadOnlyList<string>? LiveKey);

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
/// Delta rows whose class the identity key changed, in the order they were added, held in bounded memory (a spill
/// file past a block): a table where every row collides must not need one object per row.
/// </summary>
internal sealed class Reclassifications : IDisposable
{
    private readonly SpillFile _rows;
    private readonly ArrayBufferWriter<byte> _line = new();

    public Reclassifications(string directory) => _rows = new SpillFile(directory);

    /// <summary>Rows added.</summary>
    public long Count => _rows.Rows;

    /// <summary>Adds a row: its new class and its key now (the live key of a relocated row, the new key of a remapped one).</summary>
    public void Add(long position, DeltaClass to, IReadOnlyList<string>? liveKey)
    {
        _line.ResetWrittenCount();
        _line.GetSpan(1)[0] = (byte)('0' + (int)to);
        _line.Advance(1);
        foreach (var value in liveKey ?? [])
        {
            _line.Write("\t"u8);
            CopyText.Escape(value, _line);
        }

        _rows.Write(_line.WrittenSpan, position, 0);
    }

    /// <summary>Reads the rows from the first, as (position, class, live key or null).</summary>
    public IEnumerable<(long Position, DeltaClass Class, IReadOnlyList<string>? LiveKey)> Read()
    {
        _rows.Rewind();
        while (true)
        {
            if (!_rows.TryRead(out var line, out var position, out _))
            {
                yield break;
            }

            var to = (DeltaClass)(line[0] - '0');
            List<string>? key = null;
            for (var field = 1; CopyFields.TryFind(line, field, out var start, out var length); field++)
            {
                (key ??= []).Add(CopyText.Decode(line.Slice(start, length)) ?? throw new InvalidOperationException("a live key field is NULL"));
            }

            yield return (position, to, key);
        }
    }

    public void Dispose() => _rows.Dispose();
}
