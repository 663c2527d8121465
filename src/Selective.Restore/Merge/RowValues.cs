namespace Selective.Restore.Merge;

/// <summary>
/// One row's values as a merge policy sees them: typed values as the database driver reads them (for
/// PostgreSQL, Npgsql's CLR types: <c>int</c>, <c>string</c>, <c>decimal</c>, <c>DateTime</c>, <c>byte[]</c>,
/// arrays...) and the raw text the database prints for each value (its COPY text, unescaped).
/// </summary>
public sealed class RowValues
{
    private readonly IReadOnlyList<string> _columns;
    private readonly object?[] _values;
    private readonly string?[] _texts;

    internal RowValues(IReadOnlyList<string> columns, object?[] values, string?[] texts)
    {
        _columns = columns;
        _values = values;
        _texts = texts;
    }

    /// <summary>Column names, in table order.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>The typed value of <paramref name="column"/> (null for SQL NULL).</summary>
    public object? this[string column] => _values[IndexOf(column)];

    /// <summary>The typed value of <paramref name="column"/>, converted to <typeparamref name="T"/>.</summary>
    public T? Get<T>(string column) => _values[IndexOf(column)] is { } value ? (T)value : default;

    /// <summary>The value's text as the database prints it (byte-identical to the dump's field for a dump row), or null for SQL NULL.</summary>
    public string? GetText(string column) => _texts[IndexOf(column)];

    /// <summary>True when <paramref name="column"/> is SQL NULL.</summary>
    public bool IsNull(string column) => _texts[IndexOf(column)] is null;

    private int IndexOf(string column)
    {
        for (var i = 0; i < _columns.Count; i++)
        {
            if (string.Equals(_columns[i], column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new KeyNotFoundException($"No column '{column}' (columns: {string.Join(", ", _columns)}).");
    }

    internal object? ValueAt(int index) => _values[index];

    internal string? TextAt(int index) => _texts[index];
}
