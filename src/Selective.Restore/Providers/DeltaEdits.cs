using System.Buffers;
using System.Text;
using Selective.Restore.Diff;
using Selective.Restore.Dump;

namespace Selective.Restore.Providers;

/// <summary>One edit to a staged delta row (see <see cref="DeltaEdits"/>).</summary>
/// <param name="Position">The delta row's position, as the provider numbered it.</param>
/// <param name="Class">Its new class, or null when only values change.</param>
/// <param name="Values">
/// New values, as raw row-text fields joined by tabs (<see cref="DeltaEdits.Decode"/>), or null: the key columns of a
/// <see cref="DeltaClass.Remapped"/> row, or the columns a rewrite names.
/// </param>
public readonly record struct DeltaEdit(long Position, DeltaClass? Class, string? Values);

/// <summary>
/// Edits the engine hands a provider for its staged delta rows, by position: a new class (with the new key of a
/// remapped row), or new values for some columns (references that follow a key map). Read them in order with
/// <see cref="Read"/>. Held in bounded memory (a temp file past a block): a table where every row collides must not
/// need one object per row.
/// </summary>
public sealed class DeltaEdits : IDisposable
{
    private const byte NoClass = (byte)'-';
    private readonly SpillFile _rows;
    private readonly ArrayBufferWriter<byte> _line = new();

    internal DeltaEdits(string directory) => _rows = new SpillFile(directory);

    /// <summary>Edits added.</summary>
    public long Count => _rows.Rows;

    /// <summary>Adds a row: its new class (or none) and values as raw COPY fields joined by tabs (or none).</summary>
    internal void Add(long position, DeltaClass? to, string? values)
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

    /// <summary>The edits from the first, in the order added (each call starts again).</summary>
    public IEnumerable<DeltaEdit> Read()
    {
        _rows.Rewind();
        while (true)
        {
            if (!_rows.TryRead(out var line, out var position, out _))
            {
                yield break;
            }

            DeltaClass? to = line[0] == NoClass ? null : (DeltaClass)(line[0] - '0');
            yield return new DeltaEdit(position, to, line.Length > 1 ? Encoding.UTF8.GetString(line[2..]) : null);
        }
    }

    /// <summary>Raw row-text fields joined by tabs (<see cref="DeltaEdit.Values"/>), decoded: null for <c>\N</c>.</summary>
    public static IReadOnlyList<string?> Decode(string values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return [.. values.Split('\t').Select(field => CopyText.Decode(Encoding.UTF8.GetBytes(field)))];
    }

    /// <summary>Deletes the temp file, if there is one.</summary>
    public void Dispose() => _rows.Dispose();
}
