using System.Collections;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// The engine's delta rows (row text) as a data reader for <c>SqlBulkCopy</c> into the text staging table
/// (<see cref="SqlServerStatements.CreateStaging"/>): the row's position (1, 2, ... in the order sent), then each field
/// decoded, as a string, or as bytes for binary columns (<c>\x0aff</c>). The server converts the strings to the
/// column types. One row is decoded at a time.
/// </summary>
internal sealed class SqlServerDeltaReader : DbDataReader
{
    private readonly IRowLines _rows;
    private readonly IReadOnlyList<SqlServerStageColumn> _columns;
    private readonly object?[] _values;
    private long _position;
    private bool _closed;

    /// <param name="rows">The delta (rewound by the caller).</param>
    /// <param name="columns">The staged columns, one per field of a row.</param>
    /// <param name="first">Positions start after this one (rows staged before from another source).</param>
    public SqlServerDeltaReader(IRowLines rows, IReadOnlyList<SqlServerStageColumn> columns, long first = 0)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        _rows = rows;
        _columns = columns;
        _values = new object?[columns.Count + 1];
        _position = first;
    }

    /// <summary>The dump line of the row just read (for an error naming it).</summary>
    public long LineNumber { get; private set; }

    /// <summary>The position of the row just read (the last position handed out).</summary>
    public long Position => _position;

    public override bool Read()
    {
        if (_closed || !_rows.TryRead(out var line, out var lineNumber, out _))
        {
            return false;
        }

        LineNumber = lineNumber;
        _values[0] = ++_position;
        var field = 0;
        foreach (var range in line.Split((byte)'\t'))
        {
            if (field == _columns.Count)
            {
                throw new RestoreTableException($"dump line {lineNumber}: the row has more than the {_columns.Count} fields the table's columns take");
            }

            var raw = line[range];
            _values[field + 1] = CopyText.IsNull(raw) ? null : Decode(raw, _columns[field], lineNumber);
            field++;
        }

        return field == _columns.Count
            ? true
            : throw new RestoreTableException($"dump line {lineNumber}: the row has {field} fields, the table's columns take {_columns.Count}");
    }

    private static object Decode(ReadOnlySpan<byte> raw, SqlServerStageColumn column, long lineNumber)
    {
        var text = CopyText.Decode(raw)!;
        if (column.Type.Kind is not (SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion))
        {
            return text;
        }

        // Binary values arrive as bytea hex text (\x0aff), as every dump reader writes them.
        if (!text.StartsWith("\\x", StringComparison.Ordinal) || text.Length % 2 != 0)
        {
            throw new RestoreTableException($"dump line {lineNumber}, column {column.Live}: '{Excerpt(text)}' is not binary data in hex (\\x...)");
        }

        try
        {
            return Convert.FromHexString(text.AsSpan(2));
        }
        catch (FormatException ex)
        {
            throw new RestoreTableException($"dump line {lineNumber}, column {column.Live}: '{Excerpt(text)}' is not binary data in hex (\\x...)", ex);
        }
    }

    private static string Excerpt(string text) => text.Length <= 40 ? text : text[..40] + "...";

    public override int FieldCount => _values.Length;

    public override object GetValue(int ordinal) => _values[ordinal] ?? DBNull.Value;

    public override bool IsDBNull(int ordinal) => _values[ordinal] is null;

    public override string GetName(int ordinal) => ordinal == 0 ? "sr_n" : _columns[ordinal - 1].Stage;

    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < FieldCount; i++)
        {
            if (string.Equals(GetName(i), name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "no such column");
    }

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) =>
        ordinal == 0 ? typeof(long) : _columns[ordinal - 1].Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? typeof(byte[]) : typeof(string);

    public override string GetDataTypeName(int ordinal) => GetFieldType(ordinal) == typeof(long) ? "bigint" : GetFieldType(ordinal) == typeof(string) ? "nvarchar" : "varbinary";

    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < n; i++)
        {
            values[i] = GetValue(i);
        }

        return n;
    }

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int Depth => 0;

    public override bool HasRows => _rows.Rows > 0;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => -1;

    public override bool NextResult() => false;

    public override void Close() => _closed = true;

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => (string)GetValue(ordinal);

    public override bool GetBoolean(int ordinal) => throw Unsupported();

    public override byte GetByte(int ordinal) => throw Unsupported();

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var bytes = (byte[])GetValue(ordinal);
        if (buffer is null)
        {
            return bytes.Length;
        }

        var n = (int)Math.Max(0, Math.Min(length, bytes.Length - dataOffset));
        Array.Copy(bytes, dataOffset, buffer, bufferOffset, n);
        return n;
    }

    public override char GetChar(int ordinal) => throw Unsupported();

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var text = GetString(ordinal);
        if (buffer is null)
        {
            return text.Length;
        }

        var n = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
        text.CopyTo((int)dataOffset, buffer, bufferOffset, n);
        return n;
    }

    public override DateTime GetDateTime(int ordinal) => throw Unsupported();

    public override decimal GetDecimal(int ordinal) => throw Unsupported();

    public override double GetDouble(int ordinal) => throw Unsupported();

    public override float GetFloat(int ordinal) => throw Unsupported();

    public override Guid GetGuid(int ordinal) => throw Unsupported();

    public override short GetInt16(int ordinal) => throw Unsupported();

    public override int GetInt32(int ordinal) => throw Unsupported();

    public override IEnumerator GetEnumerator() => throw Unsupported();

    // Every value is a long, a string or bytes: the server converts them.
    private static NotSupportedException Unsupported() => new("the delta's values are read as strings, bytes or the position");
}
