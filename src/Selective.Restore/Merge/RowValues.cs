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

    /// <summary>Creates a row (providers do, for the rows they read back).</summary>
    /// <param name="columns">Column names, in table order.</param>
    /// <param name="values">Each column's typed value, as the driver reads it (null for SQL NULL).</param>
    /// <param name="texts">Each column's text as the database prints it (null for SQL NULL, and only then).</param>
    /// <exception cref="ArgumentException">The three lists differ in length.</exception>
    public RowValues(IReadOnlyList<string> columns, object?[] values, string?[] texts)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(texts);
        if (values.Length != columns.Count || texts.Length != columns.Count)
        {
            throw new ArgumentException($"{columns.Count} columns need as many values and texts (got {values.Length} and {texts.Length}).", nameof(values));
        }

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

    /// <summary>The typed value of the column at <paramref name="index"/> in <see cref="Columns"/> (null for SQL NULL).</summary>
    public object? ValueAt(int index) => _values[index];

    /// <summary>The text of the column at <paramref name="index"/> in <see cref="Columns"/> (null for SQL NULL).</summary>
    public string? TextAt(int index) => _texts[index];
}
