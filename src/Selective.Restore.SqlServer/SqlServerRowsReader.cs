using System.Collections;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace Selective.Restore.SqlServer;

/// <summary>
/// Rows made on the client (the engine's edits, witnesses' keys) as a data reader for <c>SqlBulkCopy</c>: a long, then
/// strings or bytes, produced one row at a time from <paramref name="rows"/>, so edits of any number stream.
/// </summary>
/// <param name="rows">The rows; each array holds one value per entry of <paramref name="types"/> (null for NULL).</param>
/// <param name="types">Each field's type: <see cref="long"/>, <see cref="string"/> or <c>byte[]</c>.</param>
internal sealed class SqlServerRowsReader(IEnumerable<object?[]> rows, IReadOnlyList<Type> types) : DbDataReader
{
    private readonly IEnumerator<object?[]> _rows = rows.GetEnumerator();
    private object?[] _current = [];
    private bool _closed;

    /// <summary>Rows read so far.</summary>
    public long Count { get; private set; }

    public override bool Read()
    {
        if (_closed || !_rows.MoveNext())
        {
            return false;
        }

        _current = _rows.Current;
        Count++;
        return true;
    }

    public override int FieldCount => types.Count;

    public override object GetValue(int ordinal) => _current[ordinal] ?? DBNull.Value;

    public override bool IsDBNull(int ordinal) => _current[ordinal] is null;

    public override string GetName(int ordinal) => "f" + ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override int GetOrdinal(string name) => int.Parse(name.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) => types[ordinal] == typeof(long) ? typeof(long) : types[ordinal] == typeof(string) ? typeof(string) : typeof(byte[]);

    public override string GetDataTypeName(int ordinal) => types[ordinal] == typeof(long) ? "bigint" : types[ordinal] == typeof(string) ? "nvarchar" : "varbinary";

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

    public override bool HasRows => true;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => -1;

    public override bool NextResult() => false;

    public override void Close()
    {
        _closed = true;
        _rows.Dispose();
    }

    public override long GetInt64(int ordinal) => (long)GetValue(ordinal);

    public override string GetString(int ordinal) => (string)GetValue(ordinal);

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

    public override bool GetBoolean(int ordinal) => throw Unsupported();

    public override byte GetByte(int ordinal) => throw Unsupported();

    public override char GetChar(int ordinal) => throw Unsupported();

    public override DateTime GetDateTime(int ordinal) => throw Unsupported();

    public override decimal GetDecimal(int ordinal) => throw Unsupported();

    public override double GetDouble(int ordinal) => throw Unsupported();

    public override float GetFloat(int ordinal) => throw Unsupported();

    public override Guid GetGuid(int ordinal) => throw Unsupported();

    public override short GetInt16(int ordinal) => throw Unsupported();

    public override int GetInt32(int ordinal) => throw Unsupported();

    public override IEnumerator GetEnumerator() => throw Unsupported();

    private static NotSupportedException Unsupported() => new("the rows hold longs, strings and bytes only");
}
