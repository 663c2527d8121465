using System.Globalization;

namespace Selective.Restore.Dump;

/// <summary>
/// SQLite values as row-text fields: the form the sqlite3 <c>.dump</c> reader gives its values and the SQLite target
/// prints live values in, so equal values print byte-identically. It is SQL literal syntax, which keeps the storage
/// class (SQLite is dynamically typed: a column may hold <c>1</c> in one row and <c>'1'</c> in the next, and they are
/// different values): an INTEGER as its digits (<c>-42</c>), a REAL with a point or an exponent always (<c>1.0</c>,
/// <c>0.30000000000000004</c>, <c>1e+100</c>; infinities as <c>1e999</c> / <c>-1e999</c>, as sqlite3 writes them), TEXT in
/// single quotes with quotes doubled (<c>'it''s'</c>), a BLOB as <c>X'</c> upper-case hex <c>'</c>. NULL is the row
/// text's NULL (<c>\N</c>), never a field. Each form is exact: a REAL prints the shortest text that reads back as the
/// same double.
/// </summary>
public static class SqliteText
{
    /// <summary>An INTEGER's field.</summary>
    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A REAL's field: the shortest text that reads back as <paramref name="value"/>, always with a point or an exponent.</summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN, which SQLite stores as NULL.</exception>
    public static string Real(double value)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "SQLite has no NaN (it stores NULL)");
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "1e999" : "-1e999";
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal) ? text : text + ".0";
    }

    /// <summary>A TEXT's field: quoted, quotes doubled.</summary>
    public static string Text(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A BLOB's field: <c>X'</c>, upper-case hex, <c>'</c>.</summary>
    public static string Blob(ReadOnlySpan<byte> value) => "X'" + Convert.ToHexString(value) + "'";

    /// <summary>
    /// The field of a value as Microsoft.Data.Sqlite reads it (<see cref="long"/>, <see cref="double"/>,
    /// <see cref="string"/>, <c>byte[]</c>; smaller integers and <see cref="float"/> too), or null for NULL.
    /// </summary>
    /// <exception cref="ArgumentException">A value of another type.</exception>
    public static string? Format(object? value) => value switch
    {
        null or DBNull => null,
        long l => Integer(l),
        int i => Integer(i),
        short s => Integer(s),
        byte b => Integer(b),
        bool flag => Integer(flag ? 1 : 0),
        double d => double.IsNaN(d) ? null : Real(d),
        float f => float.IsNaN(f) ? null : Real(f),
        string text => Text(text),
        byte[] bytes => Blob(bytes),
        _ => throw new ArgumentException($"a {value.GetType().Name} is not a SQLite value", nameof(value)),
    };

    /// <summary>
    /// The value a field stands for: <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or <c>byte[]</c>;
    /// null for a null field (<c>\N</c>). Numbers read as SQLite reads them: digits that fit 64 bits are an INTEGER,
    /// anything else numeric a REAL.
    /// </summary>
    /// <exception cref="FormatException">The field is none of the forms.</exception>
    public static object? Parse(string? field)
    {
        if (field is null)
        {
            return null;
        }

        if (field.Length >= 2 && field[0] == '\'' && field[^1] == '\'')
        {
            var inner = field.AsSpan(1, field.Length - 2);
            for (var i = 0; i < inner.Length; i++)
            {
                if (inner[i] == '\'' && (i + 1 >= inner.Length || inner[++i] != '\''))
                {
                    throw new FormatException($"'{Excerpt(field)}' is not a SQLite text literal: a lone quote inside it");
                }
            }

            return inner.ToString().Replace("''", "'", StringComparison.Ordinal);
        }

        if (field.Length >= 3 && field[0] is 'X' or 'x' && field[1] == '\'' && field[^1] == '\'')
        {
            try
            {
                return Convert.FromHexString(field.AsSpan(2, field.Length - 3));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"'{Excerpt(field)}' is not a SQLite blob literal (X'hex')", ex);
            }
        }

        if (long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (double.TryParse(field, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var real))
        {
            return real; // 1e999 reads as infinity, as in SQLite
        }

        throw new FormatException($"'{Excerpt(field)}' is not a SQLite value (an integer, a real, 'text' or X'hex')");
    }

    private static string Excerpt(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
