using System.Buffers;
using System.Data.SqlTypes;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.SqlServer;

/// <summary>
/// Live values printed as row text fields, in the neutral form the T-SQL script reader gives the same values
/// (docs/sqlserver-scripts.md, "Values: the neutral form"), so that a live row equal to a scripted one prints
/// byte-identically and needs no round trip. Where a script may spell a value another way (a float's digits), the
/// text differs and the server's typed comparison decides; the text never decides that two values are equal when
/// they are not, because each form is exact.
/// </summary>
internal static class SqlServerValueText
{
    /// <summary>
    /// Appends <paramref name="value"/> (as SqlClient reads it: <see cref="SqlDecimal"/> for decimal so the scale is
    /// kept, <see cref="DateTime"/>, <see cref="TimeSpan"/>, <see cref="DateTimeOffset"/>, <see cref="Guid"/>,
    /// <c>byte[]</c>...) to <paramref name="destination"/> as an escaped row-text field; null or <see cref="DBNull"/>
    /// is <c>\N</c>.
    /// </summary>
    /// <exception cref="InvalidCastException">The value is not of the type <paramref name="type"/> reads as.</exception>
    public static void Append(object? value, SqlServerType type, IBufferWriter<byte> destination)
    {
        if (value is null or DBNull || value is INullable { IsNull: true })
        {
            destination.Write(CopyText.Null);
            return;
        }

        switch (type.Kind)
        {
            case SqlServerTypeKind.String or SqlServerTypeKind.Xml:
                CopyText.Escape(value is SqlXml xml ? xml.Value : (string)value, destination);
                return;
            case SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion:
                AppendHex((byte[])value, destination);
                return;
        }

        Span<byte> text = stackalloc byte[64];
        var length = Format(value, type, text);
        destination.Write(text[..length]); // numbers, dates and GUIDs hold nothing to escape
    }

    /// <summary>The field's text for a value that is neither a string nor binary (see <see cref="Append"/>).</summary>
    public static string Format(object value, SqlServerType type)
    {
        Span<byte> text = stackalloc byte[64];
        return Encoding.ASCII.GetString(text[..Format(value, type, text)]);
    }

    private static int Format(object value, SqlServerType type, Span<byte> destination)
    {
        var invariant = CultureInfo.InvariantCulture;
        int written;
        var ok = type.Kind switch
        {
            SqlServerTypeKind.Integer => value switch
            {
                byte b => b.TryFormat(destination, out written, default, invariant),
                short s => s.TryFormat(destination, out written, default, invariant),
                int i => i.TryFormat(destination, out written, default, invariant),
                _ => ((long)value).TryFormat(destination, out written, default, invariant),
            },
            SqlServerTypeKind.Bit => Bit((bool)value, destination, out written),
            SqlServerTypeKind.Decimal => Ascii(value is SqlDecimal sql ? sql.ToString() : Scaled((decimal)value, type.Scale), destination, out written),

            // SqlClient reads money as a decimal; SSMS scripts it with four decimals (CAST(12.5000 AS Money)).
            SqlServerTypeKind.Money => (value is SqlMoney money ? money.Value : (decimal)value).TryFormat(destination, out written, "0.0000", invariant),

            // Shortest text that reads back as the same double or float.
            SqlServerTypeKind.Float => ((double)value).TryFormat(destination, out written, "R", invariant),
            SqlServerTypeKind.Real => ((float)value).TryFormat(destination, out written, "R", invariant),
            SqlServerTypeKind.Date => ((DateTime)value).TryFormat(destination, out written, "yyyy-MM-dd", invariant),
            SqlServerTypeKind.DateTime => ((DateTime)value).TryFormat(destination, out written, "yyyy-MM-dd HH:mm:ss.fff", invariant),
            SqlServerTypeKind.SmallDateTime => ((DateTime)value).TryFormat(destination, out written, "yyyy-MM-dd HH:mm:ss", invariant),
            SqlServerTypeKind.DateTime2 => ((DateTime)value).TryFormat(destination, out written, "yyyy-MM-dd HH:mm:ss" + Fraction(type.Scale), invariant),
            SqlServerTypeKind.Time => Time((TimeSpan)value, type.Scale, destination, out written),
            SqlServerTypeKind.DateTimeOffset => ((DateTimeOffset)value).TryFormat(destination, out written, "yyyy-MM-dd HH:mm:ss" + Fraction(type.Scale) + "zzz", invariant),

            // SQL Server's own text for a uniqueidentifier is upper case, and SSMS scripts it so.
            SqlServerTypeKind.UniqueIdentifier => Ascii(((Guid)value).ToString("D").ToUpperInvariant(), destination, out written),
            _ => throw new InvalidCastException($"{type.Name} values are not printed as numbers or dates"),
        };
        return ok ? written : throw new InvalidOperationException($"a {type.Name} value did not fit its text buffer");
    }

    /// <summary>A decimal with exactly <paramref name="scale"/> decimal places, as the column stores it.</summary>
    private static string Scaled(decimal value, byte scale) => value.ToString("F" + scale.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Fraction(byte scale) => scale == 0 ? string.Empty : "." + new string('f', scale);

    private static bool Bit(bool value, Span<byte> destination, out int written)
    {
        destination[0] = value ? (byte)'1' : (byte)'0';
        written = 1;
        return true;
    }

    private static bool Time(TimeSpan value, byte scale, Span<byte> destination, out int written)
    {
        var text = new DateTime(value.Ticks, DateTimeKind.Unspecified).ToString("HH:mm:ss" + Fraction(scale), CultureInfo.InvariantCulture);
        return Ascii(text, destination, out written);
    }

    private static bool Ascii(string text, Span<byte> destination, out int written)
    {
        written = Encoding.ASCII.GetBytes(text, destination);
        return true;
    }

    /// <summary><c>\x</c> and the bytes in lower-case hex, as the script reader writes binary constants (the backslash escaped).</summary>
    private static void AppendHex(byte[] bytes, IBufferWriter<byte> destination)
    {
        var span = destination.GetSpan(3 + (2 * bytes.Length));
        span[0] = (byte)'\\';
        span[1] = (byte)'\\';
        span[2] = (byte)'x';
        var n = 3;
        foreach (var b in bytes)
        {
            span[n++] = (byte)"0123456789abcdef"[b >> 4];
            span[n++] = (byte)"0123456789abcdef"[b & 0xF];
        }

        destination.Advance(n);
    }
}
