using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// The engine's delta rows (row text) as a data reader for <c>SqlBulkCopy</c> into the text staging table
/// (<see cref="SqlServerStatements.CreateStaging"/>): the row's position (1, 2, ... in the order sent), then each field
/// decoded, as a string, or as bytes for binary columns (<c>\x0aff</c>). The server converts the strings to the
/// column types. One row is decoded at a time.
/// </summary>
internal sealed class SqlServerDeltaReader : SqlServerBulkReader
{
    private readonly IRowLines _rows;
    private readonly IReadOnlyList<SqlServerStageColumn> _columns;
    private long _position;

    /// <param name="rows">The delta (rewound by the caller).</param>
    /// <param name="columns">The staged columns, one per field of a row.</param>
    /// <param name="first">Positions start after this one (rows staged before from another source).</param>
    public SqlServerDeltaReader(IRowLines rows, IReadOnlyList<SqlServerStageColumn> columns, long first = 0)
        : base((columns ?? throw new ArgumentNullException(nameof(columns))).Count + 1)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _rows = rows;
        _columns = columns;
        _position = first;
    }

    /// <summary>The dump line of the row just read (for an error naming it).</summary>
    public long LineNumber { get; private set; }

    /// <summary>The position of the row just read (the last position handed out).</summary>
    public long Position => _position;

    public override bool Read()
    {
        if (IsClosed || !_rows.TryRead(out var line, out var lineNumber, out _))
        {
            return false;
        }

        LineNumber = lineNumber;
        Values[0] = ++_position;
        var field = 0;
        foreach (var range in line.Split((byte)'\t'))
        {
            if (field == _columns.Count)
            {
                throw new RestoreTableException($"dump line {lineNumber}: the row has more than the {_columns.Count} fields the table's columns take");
            }

            var raw = line[range];
            Values[field + 1] = CopyText.IsNull(raw) ? null : Decode(raw, _columns[field], lineNumber);
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

    public override string GetName(int ordinal) => ordinal == 0 ? "sr_n" : _columns[ordinal - 1].Stage;

    public override bool HasRows => _rows.Rows > 0;

    protected override Type FieldType(int ordinal) =>
        ordinal == 0 ? typeof(long) : _columns[ordinal - 1].Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? typeof(byte[]) : typeof(string);
}
