using System.Buffers;

namespace Selective.Restore.Dump;

/// <summary>
/// One row of a table in the dump, as a COPY text line (the neutral form: see <see cref="CopyText"/>).
/// The object is reused: its contents are valid until the next call to <see cref="DumpTable.ReadAsync"/>.
/// </summary>
/// <remarks>
/// Fields are split lazily, so counting or copying rows never pays for it. The raw field text is kept
/// exactly as the dump wrote it (COPY rows) or as the server's COPY TO would have written it (INSERT rows).
/// </remarks>
public sealed class DumpRow
{
    private byte[] _line = [];
    private int _offset;
    private int _length;
    private int[] _fieldStarts = new int[16];
    private int _fieldCount = -1;

    private readonly bool _noColumns;

    internal DumpRow(TableName table, int columnCount)
    {
        Table = table;
        _noColumns = columnCount == 0;
    }

    /// <summary>The table this row belongs to.</summary>
    public TableName Table { get; }

    /// <summary>1-based line of the row's first byte in the dump.</summary>
    public long Line { get; private set; }

    /// <summary>0-based byte offset of the row's first byte in the (decompressed) dump.</summary>
    public long ByteOffset { get; private set; }

    /// <summary>The whole row as a COPY text line, without the trailing newline.</summary>
    public ReadOnlySpan<byte> CopyLine => _line.AsSpan(_offset, _length);

    /// <summary>The number of fields.</summary>
    public int FieldCount
    {
        get
        {
            Split();
            return _fieldCount;
        }
    }

    /// <summary>The escaped text of field <paramref name="ordinal"/> exactly as in the COPY line (<c>\N</c> for NULL).</summary>
    public ReadOnlySpan<byte> GetRawField(int ordinal)
    {
        Split();
        if ((uint)ordinal >= (uint)_fieldCount)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"The row has {_fieldCount} fields.");
        }

        var start = _fieldStarts[ordinal];
        var end = ordinal + 1 < _fieldCount ? _fieldStarts[ordinal + 1] - 1 : _length;
        return _line.AsSpan(_offset + start, end - start);
    }

    /// <summary>True when field <paramref name="ordinal"/> is SQL NULL (as opposed to an empty string).</summary>
    public bool IsNull(int ordinal) => CopyText.IsNull(GetRawField(ordinal));

    /// <summary>The field's value as text (escapes decoded), or null for SQL NULL.</summary>
    /// <exception cref="FormatException">The field has a bad escape or is not valid UTF-8.</exception>
    public string? GetString(int ordinal) => CopyText.Decode(GetRawField(ordinal));

    /// <summary>Decodes field <paramref name="ordinal"/> into <paramref name="destination"/>; returns false for NULL.</summary>
    /// <exception cref="FormatException">The field has a bad escape.</exception>
    public bool TryGetBytes(int ordinal, IBufferWriter<byte> destination)
    {
        var raw = GetRawField(ordinal);
        if (CopyText.IsNull(raw))
        {
            return false;
        }

        var error = CopyText.TryUnescape(raw, destination);
        return error is null ? true : throw new FormatException(error);
    }

    /// <summary>All fields decoded (NULL as null). Allocates; meant for tests, policies and diagnostics.</summary>
    public string?[] ToArray()
    {
        var values = new string?[FieldCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = GetString(i);
        }

        return values;
    }

    /// <summary>
    /// SQL Server scripts: a bit per field, set when the field was a binary constant (<c>0x0AFF</c>), whose COPY text
    /// (<c>\\x0aff</c>) is also that of the string <c>N'\x0aff'</c>. Owned by the parser and valid for the current row;
    /// null for other dumps. A T-SQL split part writes such a field back as a binary constant.
    /// </summary>
    internal ulong[]? BinaryFields { get; set; }

    /// <summary>True when field <paramref name="ordinal"/> was a T-SQL binary constant (see <see cref="BinaryFields"/>).</summary>
    internal bool IsBinary(int ordinal) =>
        BinaryFields is { } mask && (uint)(ordinal >> 6) < (uint)mask.Length && (mask[ordinal >> 6] & (1UL << ordinal)) != 0;

    internal void Set(byte[] line, int offset, int length, long lineNumber, long byteOffset)
    {
        _line = line;
        _offset = offset;
        _length = length;
        _fieldCount = -1;
        Line = lineNumber;
        ByteOffset = byteOffset;
    }

    private void Split()
    {
        if (_fieldCount >= 0)
        {
            return;
        }

        if (_noColumns)
        {
            // A table without columns writes an empty line per row: zero fields, not one empty one.
            _fieldCount = 0;
            return;
        }

        var span = CopyLine;
        var count = 0;
        int start;
        var scan = 0;
        _fieldStarts[count++] = 0;
        while (scan < span.Length)
        {
            var hit = span[scan..].IndexOfAny((byte)'\t', (byte)'\\');
            if (hit < 0)
            {
                break;
            }

            scan += hit;
            if (span[scan] == '\\')
            {
                // An escaped character (even an escaped tab) belongs to the field.
                scan += 2;
                continue;
            }

            start = ++scan;
            if (count == _fieldStarts.Length)
            {
                Array.Resize(ref _fieldStarts, count * 2);
            }

            _fieldStarts[count++] = start;
        }

        _fieldCount = count;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Table} row at line {Line}";
}
