using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Selective.Restore.Dump;

/// <summary>
/// PostgreSQL's COPY text format (the one pg_dump writes): fields separated by tab, rows by newline,
/// <c>\N</c> for NULL and backslash escapes. This is the neutral row form of the library: every row,
/// whatever statement it came from, is a COPY text line, so it can be staged with COPY unchanged.
/// </summary>
public static class CopyText
{
    /// <summary>The two-byte field that stands for NULL.</summary>
    public static ReadOnlySpan<byte> Null => "\\N"u8;

    /// <summary>
    /// Decodes one escaped field into its value bytes. <c>\N</c> must be checked by the caller
    /// (<see cref="IsNull"/>): here it decodes to <c>N</c> like any other escaped letter.
    /// </summary>
    /// <param name="field">The escaped field, without separators.</param>
    /// <param name="destination">Receives the value bytes.</param>
    /// <returns>Null on success, otherwise the reason the escape is bad.</returns>
    public static string? TryUnescape(ReadOnlySpan<byte> field, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (!field.IsEmpty)
        {
            var slash = field.IndexOf((byte)'\\');
            if (slash < 0)
            {
                destination.Write(field);
                return null;
            }

            destination.Write(field[..slash]);
            if (slash + 1 >= field.Length)
            {
                return "bad escape: backslash at the end of the field";
            }

            var c = field[slash + 1];
            var consumed = 2;
            byte value;
            switch (c)
            {
                case (byte)'b': value = 8; break;
                case (byte)'f': value = 12; break;
                case (byte)'n': value = 10; break;
                case (byte)'r': value = 13; break;
                case (byte)'t': value = 9; break;
                case (byte)'v': value = 11; break;
                case >= (byte)'0' and <= (byte)'7':
                    {
                        var v = c - '0';
                        while (consumed < 4 && slash + consumed < field.Length && field[slash + consumed] is >= (byte)'0' and <= (byte)'7')
                        {
                            v = (v * 8) + (field[slash + consumed] - '0');
                            consumed++;
                        }

                        value = (byte)(v & 0xFF);
                        break;
                    }

                case (byte)'x' when slash + 2 < field.Length && IsHex(field[slash + 2]):
                    {
                        var v = HexValue(field[slash + 2]);
                        consumed = 3;
                        if (slash + 3 < field.Length && IsHex(field[slash + 3]))
                        {
                            v = (v * 16) + HexValue(field[slash + 3]);
                            consumed = 4;
                        }

                        value = (byte)v;
                        break;
                    }

                default:
                    // COPY takes any other escaped character literally (\\ -> \, \. -> ., \x without digits -> x).
                    value = c;
                    break;
            }

            destination.GetSpan(1)[0] = value;
            destination.Advance(1);
            field = field[(slash + consumed)..];
        }

        return null;
    }

    /// <summary>True when the escaped field is the NULL marker <c>\N</c>.</summary>
    public static bool IsNull(ReadOnlySpan<byte> field) => field.SequenceEqual(Null);

    /// <summary>Decodes an escaped field to a string, or null for <c>\N</c>.</summary>
    /// <exception cref="FormatException">The field has a bad escape or is not valid UTF-8.</exception>
    public static string? Decode(ReadOnlySpan<byte> field)
    {
        if (IsNull(field))
        {
            return null;
        }

        if (field.IndexOf((byte)'\\') < 0)
        {
            return ToUtf16(field);
        }

        var buffer = new ArrayBufferWriter<byte>(field.Length);
        var error = TryUnescape(field, buffer);
        if (error is not null)
        {
            throw new FormatException(error);
        }

        return ToUtf16(buffer.WrittenSpan);
    }

    // Escapes such as \377 can make bytes that are not UTF-8: that is a format error, not an argument error.
    private static string ToUtf16(ReadOnlySpan<byte> value) =>
        Utf8.IsValid(value) ? Utf8Strict.GetString(value) : throw new FormatException("the field's value is not valid UTF-8 text");

    /// <summary>Escapes value bytes the way the server's COPY TO does, so pg_dump's own output round-trips byte for byte.</summary>
    /// <param name="value">The value bytes (UTF-8 for text).</param>
    /// <param name="destination">Receives the escaped field.</param>
    public static void Escape(ReadOnlySpan<byte> value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (!value.IsEmpty)
        {
            var special = value.IndexOfAny(EscapedBytes);
            if (special < 0)
            {
                destination.Write(value);
                return;
            }

            destination.Write(value[..special]);
            var span = destination.GetSpan(2);
            span[0] = (byte)'\\';
            span[1] = value[special] switch
            {
                (byte)'\\' => (byte)'\\',
                8 => (byte)'b',
                12 => (byte)'f',
                10 => (byte)'n',
                13 => (byte)'r',
                9 => (byte)'t',
                _ => (byte)'v',
            };
            destination.Advance(2);
            value = value[(special + 1)..];
        }
    }

    /// <summary>Escapes a string value (UTF-8 encoded first).</summary>
    public static void Escape(string value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(value);
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var count = Encoding.UTF8.GetBytes(value, rented);
            Escape(rented.AsSpan(0, count), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static readonly UTF8Encoding Utf8Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly SearchValues<byte> EscapedBytes = SearchValues.Create("\\\b\f\n\r\t\v"u8);

    internal static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    internal static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
