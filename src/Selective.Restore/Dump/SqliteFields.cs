using System.Buffers;
using System.Globalization;

namespace Selective.Restore.Dump;

/// <summary>
/// <see cref="SqliteText"/>'s fields written as UTF-8 straight into a buffer, byte for byte what its string methods
/// give (SqliteFieldsTests compares them over many values), without a string per value: the sqlite3 <c>.dump</c> reader,
/// the SQLite target's live rows and the dump a SQLite source produces print every value through these.
/// </summary>
/// <remarks>
/// One source file compiled into Selective.Restore and, linked, into Selective.Restore.Sqlite (which sees no internals of
/// the core): it uses public API only.
/// </remarks>
internal static class SqliteFields
{
    // "-2.2250738585072014E-308" is the longest "R" form (24 bytes); ".0" may follow a 17-digit integral one.
    private const int MaxRealBytes = 32;

    /// <summary>An INTEGER's field: its digits (<see cref="SqliteText.Integer"/>).</summary>
    public static void WriteInteger(long value, IBufferWriter<byte> destination)
    {
        var span = destination.GetSpan(20);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a 64-bit integer did not fit in 20 bytes");
        }

        destination.Advance(written);
    }

    /// <summary>A REAL's field (<see cref="SqliteText.Real"/>): the shortest text that reads back as the value, with a point or an exponent; infinities as <c>1e999</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">NaN, which SQLite stores as NULL.</exception>
    public static void WriteReal(double value, IBufferWriter<byte> destination)
    {
        var span = destination.GetSpan(MaxRealBytes);
        destination.Advance(FormatReal(value, span));
    }

    /// <summary>Formats a REAL's field into <paramref name="destination"/> (at least 32 bytes) and returns its length.</summary>
    public static int FormatReal(double value, Span<byte> destination)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "SQLite has no NaN (it stores NULL)");
        }

        if (double.IsInfinity(value))
        {
            var infinity = value > 0 ? "1e999"u8 : "-1e999"u8;
            infinity.CopyTo(destination);
            return infinity.Length;
        }

        if (!value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a double's shortest form did not fit in 32 bytes");
        }

        var text = destination[..written];
        var exponent = text.IndexOf((byte)'E');
        if (exponent >= 0)
        {
            text[exponent] = (byte)'e';
            return written;
        }

        if (text.IndexOf((byte)'.') >= 0)
        {
            return written;
        }

        destination[written] = (byte)'.';
        destination[written + 1] = (byte)'0';
        return written + 2;
    }

    /// <summary>
    /// A TEXT's field (<see cref="SqliteText.Text"/>) escaped for row text (<see cref="CopyText.Escape(ReadOnlySpan{byte}, IBufferWriter{byte})"/>):
    /// quoted, quotes doubled. <paramref name="utf8"/> is the text's UTF-8.
    /// </summary>
    public static void WriteText(ReadOnlySpan<byte> utf8, IBufferWriter<byte> destination)
    {
        destination.Write("'"u8);
        while (true)
        {
            var quote = utf8.IndexOf((byte)'\'');
            if (quote < 0)
            {
                CopyText.Escape(utf8, destination);
                break;
            }

            CopyText.Escape(utf8[..quote], destination);
            destination.Write("''"u8);
            utf8 = utf8[(quote + 1)..];
        }

        destination.Write("'"u8);
    }

    /// <summary>A BLOB's field (<see cref="SqliteText.Blob"/>): <c>X'</c>, upper-case hex, <c>'</c>.</summary>
    public static void WriteBlob(ReadOnlySpan<byte> value, IBufferWriter<byte> destination)
    {
        var length = (value.Length * 2) + 3;
        var span = destination.GetSpan(length);
        span[0] = (byte)'X';
        span[1] = (byte)'\'';
        if (!Convert.TryToHexString(value, span.Slice(2, value.Length * 2), out _))
        {
            throw new InvalidOperationException("the blob's hex did not fit");
        }

        span[length - 1] = (byte)'\'';
        destination.Advance(length);
    }
}
