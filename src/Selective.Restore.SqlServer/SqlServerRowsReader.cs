namespace Selective.Restore.SqlServer;

/// <summary>
/// Rows made on the client (the engine's edits) as a data reader for <c>SqlBulkCopy</c>: a long, then strings or bytes,
/// produced one row at a time from <paramref name="rows"/>, so edits of any number stream.
/// </summary>
/// <param name="rows">The rows; each array holds one value per entry of <paramref name="types"/> (null for NULL).</param>
/// <param name="types">Each field's type: <see cref="long"/>, <see cref="string"/> or <c>byte[]</c>.</param>
internal sealed class SqlServerRowsReader(IEnumerable<object?[]> rows, IReadOnlyList<Type> types) : SqlServerBulkReader(types.Count)
{
    private readonly IEnumerator<object?[]> _rows = rows.GetEnumerator();

    /// <summary>Rows read so far.</summary>
    public long Count { get; private set; }

    public override bool Read()
    {
        if (IsClosed || !_rows.MoveNext())
        {
            return false;
        }

        _rows.Current.CopyTo(Values, 0);
        Count++;
        return true;
    }

    protected override Type FieldType(int ordinal) => types[ordinal];

    public override string GetName(int ordinal) => "f" + ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override void Close()
    {
        base.Close();
        _rows.Dispose();
    }
}
