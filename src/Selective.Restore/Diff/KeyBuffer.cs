namespace Selective.Restore.Diff;

/// <summary>Builds keys of COPY lines into one reused buffer.</summary>
internal sealed class KeyBuffer
{
    private byte[] _buffer = new byte[256];

    /// <summary>The key of a line (valid until the next call), or empty with <paramref name="isNull"/> for a NULL key field; no ordinals: the line.</summary>
    /// <exception cref="InvalidOperationException">The line has fewer fields than the key needs.</exception>
    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals, long lineNumber, out bool isNull)
    {
        // No key columns: the whole line is the key (a multiset of rows), and NULL fields are values like any other.
        if (ordinals.IsEmpty)
        {
            isNull = false;
            return line;
        }

        if (_buffer.Length < line.Length)
        {
            _buffer = new byte[Math.Max(line.Length, _buffer.Length * 2)];
        }

        var length = CopyFields.Key(line, ordinals, _buffer);
        isNull = length == -1;
        return length switch
        {
            -1 => [],
            -2 => throw new InvalidOperationException($"the row at line {lineNumber} has fewer fields than its key needs"),
            _ => _buffer.AsSpan(0, length),
        };
    }
}
