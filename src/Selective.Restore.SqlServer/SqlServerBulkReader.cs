using System.Collections;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Selective.Restore.SqlServer;

/// <summary>
/// The part of a <c>SqlBulkCopy</c> source the two readers share: fields are a long (a position), strings or bytes,
/// held for the current row in <see cref="Values"/>; a subclass reads rows and names the fields' types.
/// </summary>
internal abstract class SqlServerBulkReader(int fieldCount) : DbDataReader
{
    private bool _closed;

    /// <summary>The current row's values (null for NULL), one per field.</summary>
    protected object?[] Values { get; } = new object?[fieldCount];

    /// <summary>The field's type: <see cref="long"/>, <see cref="string"/> or <c>byte[]</c>.</summary>
    protected abstract Type FieldType(int ordinal);

    public override int FieldCount => Values.Length;

    public override object GetValue(int ordinal) => Values[ordinal] ?? DBNull.Value;

    public override bool IsDBNull(int ordinal) => Values[ordinal] is null;

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) => FieldType(ordinal) == typeof(long) ? typeof(long) : FieldType(ordinal) == typeof(string) ? typeof(string) : typeof(byte[]);

    public override string GetDataTypeName(int ordinal) => FieldType(ordinal) == typeof(long) ? "bigint" : FieldType(ordinal) == typeof(string) ? "nvarchar" : "varbinary";

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

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int Depth => 0;

    public override bool HasRows => true;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => -1;

    public override bool NextResult() => false;

    public override void Close() => _closed = true;

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture);

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

    // Every value is a long, a string or bytes: the server converts them.
    private static NotSupportedException Unsupported() => new("the values are read as strings, bytes or the position");
}
