namespace Selective.Restore;

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

    /// <summary>
    /// The typed value of <paramref name="column"/> as <typeparamref name="T"/>: the value itself when it is one, or
    /// converted when the conversion is exact (an <c>int</c> column read as <c>long</c>, a <c>numeric</c> 12.00 read as
    /// <c>int</c>; never 1.5 as 2). SQL NULL is null for a reference type or a nullable one (<c>Get&lt;decimal?&gt;</c>).
    /// </summary>
    /// <exception cref="InvalidCastException">The value is NULL and <typeparamref name="T"/> cannot be null, or it does not convert exactly; the message names the column and both types.</exception>
    public T? Get<T>(string column)
    {
        var index = IndexOf(column);
        var value = _values[index];
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (value is null)
        {
            return default(T) is null
                ? default
                : throw new InvalidCastException($"column '{column}' is NULL, which is no {typeof(T).Name}: read it as {typeof(T).Name}? or check IsNull(\"{column}\") first.");
        }

        if (value is T same)
        {
            return same;
        }

        if (value is IConvertible && typeof(IConvertible).IsAssignableFrom(target) && target != typeof(string) && value is not string)
        {
            try
            {
                var converted = Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
                if (Equals(Convert.ChangeType(converted, value.GetType(), System.Globalization.CultureInfo.InvariantCulture), value))
                {
                    return (T)converted;
                }
            }
            catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
            {
                throw new InvalidCastException($"column '{column}' holds a {value.GetType().Name} ({_texts[index]}), which does not convert to {target.Name}: {ex.Message}", ex);
            }
        }

        throw new InvalidCastException($"column '{column}' holds a {value.GetType().Name} ({_texts[index]}), which does not convert exactly to {target.Name}.");
    }

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
