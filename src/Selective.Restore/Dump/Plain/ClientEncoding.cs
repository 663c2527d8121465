using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// A PostgreSQL client encoding as the reader handles it: passed through (UTF8, SQL_ASCII), transcoded to UTF-8 on the
/// fly, or refused with the reason. Transcoding is done only where .NET's mapping gives exactly what PostgreSQL's own
/// conversion to UTF8 gives, for every byte sequence: the tables come from .NET's code pages, with the bytes that
/// PostgreSQL leaves undefined (and refuses) refused here too. <c>EncodingTableTests</c> proves every table against a
/// live server, byte by byte (single-byte encodings) and pair by pair (GBK).
/// </summary>
/// <remarks>
/// Every supported mapping is one to one, so decoded text encodes back to the very bytes it came from: that is how
/// bytes already decoded under one encoding are given back when a <c>SET client_encoding</c> changes it (see
/// <see cref="InputBuffer.SetEncoding"/>), and how offsets in the decoded text are turned back into file offsets.
/// </remarks>
internal sealed class ClientEncoding
{
    /// <summary>The longest UTF-8 sequence one decoded character takes (every supported encoding decodes to the BMP).</summary>
    public const int MaxUtf8PerChar = 3;

    // PostgreSQL's encoding names (pg_enc2name_tbl) with the aliases of encnames.c, keyed the way
    // pg_char_to_encoding looks them up: letters and digits only, lower case.
    private static readonly FrozenDictionary<string, string> Names = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["abc"] = "WIN1258", ["alt"] = "WIN866", ["big5"] = "BIG5", ["euccn"] = "EUC_CN", ["eucjis2004"] = "EUC_JIS_2004",
        ["eucjp"] = "EUC_JP", ["euckr"] = "EUC_KR", ["euctw"] = "EUC_TW", ["gb18030"] = "GB18030", ["gbk"] = "GBK",
        ["iso88591"] = "LATIN1", ["iso885910"] = "LATIN6", ["iso885913"] = "LATIN7", ["iso885914"] = "LATIN8",
        ["iso885915"] = "LATIN9", ["iso885916"] = "LATIN10", ["iso88592"] = "LATIN2", ["iso88593"] = "LATIN3",
        ["iso88594"] = "LATIN4", ["iso88595"] = "ISO_8859_5", ["iso88596"] = "ISO_8859_6", ["iso88597"] = "ISO_8859_7",
        ["iso88598"] = "ISO_8859_8", ["iso88599"] = "LATIN5", ["johab"] = "JOHAB", ["koi8"] = "KOI8R", ["koi8r"] = "KOI8R",
        ["koi8u"] = "KOI8U", ["latin1"] = "LATIN1", ["latin10"] = "LATIN10", ["latin2"] = "LATIN2", ["latin3"] = "LATIN3",
        ["latin4"] = "LATIN4", ["latin5"] = "LATIN5", ["latin6"] = "LATIN6", ["latin7"] = "LATIN7", ["latin8"] = "LATIN8",
        ["latin9"] = "LATIN9", ["mskanji"] = "SJIS", ["muleinternal"] = "MULE_INTERNAL", ["shiftjis"] = "SJIS",
        ["shiftjis2004"] = "SHIFT_JIS_2004", ["sjis"] = "SJIS", ["sqlascii"] = "SQL_ASCII", ["tcvn"] = "WIN1258",
        ["tcvn5712"] = "WIN1258", ["uhc"] = "UHC", ["unicode"] = "UTF8", ["utf8"] = "UTF8", ["vscii"] = "WIN1258",
        ["win"] = "WIN1251", ["win1250"] = "WIN1250", ["win1251"] = "WIN1251", ["win1252"] = "WIN1252", ["win1253"] = "WIN1253",
        ["win1254"] = "WIN1254", ["win1255"] = "WIN1255", ["win1256"] = "WIN1256", ["win1257"] = "WIN1257", ["win1258"] = "WIN1258",
        ["win866"] = "WIN866", ["win874"] = "WIN874", ["win932"] = "SJIS", ["win936"] = "GBK", ["win949"] = "UHC", ["win950"] = "BIG5",
        ["windows1250"] = "WIN1250", ["windows1251"] = "WIN1251", ["windows1252"] = "WIN1252", ["windows1253"] = "WIN1253",
        ["windows1254"] = "WIN1254", ["windows1255"] = "WIN1255", ["windows1256"] = "WIN1256", ["windows1257"] = "WIN1257",
        ["windows1258"] = "WIN1258", ["windows866"] = "WIN866", ["windows874"] = "WIN874", ["windows932"] = "SJIS",
        ["windows936"] = "GBK", ["windows949"] = "UHC", ["windows950"] = "BIG5",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Single-byte encodings read through a .NET code page, with the bytes PostgreSQL has no character for: .NET maps
    // those to C1 controls or private-use characters, PostgreSQL refuses them ("has no equivalent in encoding UTF8").
    private static readonly FrozenDictionary<string, (int CodePage, string Undefined)> SingleByte = new Dictionary<string, (int, string)>(StringComparer.Ordinal)
    {
        ["LATIN1"] = (28591, ""),
        ["LATIN2"] = (28592, ""),
        ["LATIN3"] = (28593, "A5 AE BE C3 D0 E3 F0"),
        ["LATIN4"] = (28594, ""),
        ["LATIN5"] = (28599, ""),
        ["LATIN7"] = (28603, ""),
        ["LATIN9"] = (28605, ""),
        ["WIN1250"] = (1250, "81 83 88 90 98"),
        ["WIN1251"] = (1251, "98"),
        ["WIN1252"] = (1252, "81 8D 8F 90 9D"),
        ["WIN1253"] = (1253, "81 88 8A 8C 8D 8E 8F 90 98 9A 9C 9D 9E 9F AA D2 FF"),
        ["WIN1254"] = (1254, "81 8D 8E 8F 90 9D 9E"),
        ["WIN1255"] = (1255, "81 8A 8C 8D 8E 8F 90 9A 9C 9D 9E 9F CA D9 DA DB DC DD DE DF FB FC FF"),
        ["WIN1256"] = (1256, ""),
        ["WIN1257"] = (1257, "81 83 88 8A 8C 90 98 9A 9C 9F A1 A5"),
        ["WIN1258"] = (1258, "81 8A 8D 8E 8F 90 9A 9D 9E"),
        ["WIN866"] = (866, ""),
        ["WIN874"] = (874, "81 82 83 84 86 87 88 89 8A 8B 8C 8D 8E 8F 90 98 99 9A 9B 9C 9D 9E 9F DB DC DD DE FC FD FE FF"),
        ["KOI8R"] = (20866, ""),
        ["ISO_8859_5"] = (28595, ""),
        ["ISO_8859_6"] = (28596, "A1 A2 A3 A5 A6 A7 A8 A9 AA AB AE AF B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BC BD BE C0 DB DC DD DE DF F3 F4 F5 F6 F7 F8 F9 FA FB FC FD FE FF"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Why the others are refused: each was compared with the server (see docs/reading.md, "Encodings").
    private static readonly FrozenDictionary<string, string> Refusals = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LATIN6"] = ".NET has no ISO-8859-10 code page to read it with",
        ["LATIN8"] = ".NET has no ISO-8859-14 code page to read it with",
        ["LATIN10"] = ".NET has no ISO-8859-16 code page to read it with",
        ["KOI8U"] = ".NET's KOI8-U (code page 21866) reads bytes 0xAE and 0xBE as other characters than PostgreSQL does",
        ["ISO_8859_7"] = ".NET's ISO-8859-7 (code page 28597) reads bytes 0xA1, 0xA2, 0xA4, 0xA5 and 0xAA as other characters than PostgreSQL does",
        ["ISO_8859_8"] = ".NET's ISO-8859-8 (code page 28598) reads bytes 0xAF, 0xFD and 0xFE as other characters than PostgreSQL does",
        ["EUC_JP"] = ".NET's EUC-JP (code page 51932) refuses 9 byte pairs PostgreSQL reads (0xADF0 and others), and PostgreSQL reads some characters from two byte pairs",
        ["EUC_CN"] = ".NET's GB2312 (code page 20936) refuses 0xA1AC, which PostgreSQL reads as U+2016",
        ["EUC_KR"] = ".NET's EUC-KR (code page 51949) reads 0xB4D3 as another character than PostgreSQL does and refuses 0xA2E8",
        ["EUC_TW"] = ".NET has no EUC-TW code page to read it with",
        ["EUC_JIS_2004"] = ".NET has no EUC-JIS-2004 code page to read it with",
        ["SHIFT_JIS_2004"] = ".NET has no Shift_JIS-2004 code page to read it with",
        ["SJIS"] = ".NET's Shift-JIS (code page 932) refuses 398 byte pairs PostgreSQL reads (0xED40 and others), and PostgreSQL reads some characters from two byte pairs",
        ["BIG5"] = ".NET's Big5 (code page 950) reads 265 byte pairs as other characters than PostgreSQL does (0xA145 and others)",
        ["UHC"] = ".NET's UHC (code page 949) refuses 0xA2E8, which PostgreSQL reads as U+327E",
        ["JOHAB"] = ".NET's Johab (code page 1361) reads 53 byte pairs as other characters than PostgreSQL does (0x84A1 and others)",
        ["GB18030"] = "PostgreSQL 16 changed how it reads some GB18030 characters (GB18030-2022), so the result would depend on the server version",
        ["MULE_INTERNAL"] = "PostgreSQL itself has no conversion from MULE_INTERNAL to UTF8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lock TablesLock = new();
    private static readonly Dictionary<string, ClientEncoding> Built = new(StringComparer.Ordinal);

    // Single-byte: for byte 0x80 + i, _high[i * 4] is the UTF-8 length (0: undefined) and the next bytes the sequence.
    private readonly byte[]? _high;

    // Double-byte (GBK): the character of lead byte 0x80 + (i / 256) and trail byte i % 256, 0 when undefined.
    private readonly char[]? _pairs;

    // Decoded character back to its bytes (a byte, or lead * 256 + trail).
    private readonly Dictionary<int, int> _inverse = [];

    private ClientEncoding(string name, bool passThrough, string? refusal)
    {
        Name = name;
        IsPassThrough = passThrough;
        Refusal = refusal;
    }

    private ClientEncoding(string name, byte[]? high, char[]? pairs)
        : this(name, passThrough: false, refusal: null)
    {
        _high = high;
        _pairs = pairs;
        if (high is not null)
        {
            for (var i = 0; i < 128; i++)
            {
                if (high[i * 4] > 0)
                {
                    _inverse[CodePointOf(high.AsSpan((i * 4) + 1, high[i * 4]))] = 0x80 + i;
                }
            }
        }
        else
        {
            for (var i = 0; i < pairs!.Length; i++)
            {
                if (pairs[i] != 0)
                {
                    _inverse[pairs[i]] = 0x8000 + i;
                }
            }
        }
    }

    /// <summary>The bytes are UTF-8 already: no conversion (UTF8 itself).</summary>
    public static ClientEncoding Utf8 { get; } = new("UTF8", passThrough: true, refusal: null);

    /// <summary>SQL_ASCII: bytes pass as they are; the server, in a UTF-8 database, takes them as UTF-8.</summary>
    public static ClientEncoding SqlAscii { get; } = new("SQL_ASCII", passThrough: true, refusal: null);

    /// <summary>PostgreSQL's name for the encoding (<c>LATIN1</c>, <c>WIN1252</c>...).</summary>
    public string Name { get; }

    /// <summary>True when the bytes are read as they are (UTF8, SQL_ASCII).</summary>
    public bool IsPassThrough { get; }

    /// <summary>Why the reader cannot convert this encoding exactly, or null when it can.</summary>
    public string? Refusal { get; }

    /// <summary>Whether a character can hold bytes below 0x80 (GBK's trail bytes can be a backslash or a quote).</summary>
    public bool EmbedsAscii => _pairs is not null;

    /// <summary>The encodings the reader converts, by PostgreSQL name.</summary>
    public static IEnumerable<string> Supported => [.. SingleByte.Keys.Order(StringComparer.Ordinal), "GBK"];

    /// <summary>The encodings the reader refuses, by PostgreSQL name.</summary>
    public static IEnumerable<string> Refused => Refusals.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// The encoding a name stands for, as PostgreSQL looks it up (any case; characters other than letters and digits
    /// ignored, so <c>latin-1</c>, <c>ISO_8859_1</c> and <c>iso88591</c> are LATIN1); null for a name PostgreSQL does not know.
    /// </summary>
    public static ClientEncoding? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                key.Append(char.ToLowerInvariant(c));
            }
        }

        if (name.Length >= 64 || !Names.TryGetValue(key.ToString(), out var official))
        {
            return null;
        }

        if (string.Equals(official, "UTF8", StringComparison.Ordinal))
        {
            return Utf8;
        }

        if (string.Equals(official, "SQL_ASCII", StringComparison.Ordinal))
        {
            return SqlAscii;
        }

        if (Refusals.TryGetValue(official, out var refusal))
        {
            return new ClientEncoding(official, passThrough: false, refusal);
        }

        lock (TablesLock)
        {
            if (!Built.TryGetValue(official, out var encoding))
            {
                encoding = string.Equals(official, "GBK", StringComparison.Ordinal) ? BuildGbk() : BuildSingleByte(official, SingleByte[official]);
                Built[official] = encoding;
            }

            return encoding;
        }
    }

    /// <summary>
    /// The encoding named by an archive's ENCODING entry (<c>SET client_encoding = 'LATIN1';</c>) when it is not UTF-8 (nor
    /// SQL_ASCII), refused ones included; null otherwise.
    /// </summary>
    public static ClientEncoding? FromEncodingEntry(string? definition)
    {
        if (definition is null)
        {
            return null;
        }

        var open = definition.IndexOf('\'', StringComparison.Ordinal);
        var close = open < 0 ? -1 : definition.IndexOf('\'', open + 1);
        return close < 0 || Find(definition[(open + 1)..close]) is not { IsPassThrough: false } encoding ? null : encoding;
    }

    private static ClientEncoding BuildSingleByte(string name, (int CodePage, string Undefined) spec)
    {
        var net = CodePage(spec.CodePage);
        var undefined = spec.Undefined.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToHashSet();
        var high = new byte[128 * 4];
        Span<char> one = stackalloc char[2];
        for (var i = 0; i < 128; i++)
        {
            var b = (byte)(0x80 + i);
            if (undefined.Contains(b))
            {
                continue;
            }

            // Throws for a byte .NET has no character for: then PostgreSQL must have none either (the tests check).
            var chars = net.GetChars([b], one);
            high[i * 4] = (byte)Encoding.UTF8.GetBytes(one[..chars], high.AsSpan((i * 4) + 1, 3));
        }

        return new ClientEncoding(name, high, pairs: null);
    }

    /// <summary>GBK: .NET's code page 936 without the bytes PostgreSQL refuses (0x80, 0xFF and the user-defined areas, which .NET reads as private-use characters).</summary>
    private static ClientEncoding BuildGbk()
    {
        var net = CodePage(936);
        var pairs = new char[128 * 256];
        Span<char> chars = stackalloc char[4];
        for (var lead = 0x81; lead <= 0xFE; lead++)
        {
            for (var trail = 0x40; trail <= 0xFE; trail++)
            {
                if (trail == 0x7F)
                {
                    continue;
                }

                int n;
                try
                {
                    n = net.GetChars([(byte)lead, (byte)trail], chars);
                }
                catch (DecoderFallbackException)
                {
                    continue;
                }

                if (n == 1 && chars[0] >= 0x80 && !char.IsSurrogate(chars[0]) && chars[0] is not (>= '\uE000' and <= '\uF8FF'))
                {
                    pairs[((lead - 0x80) * 256) + trail] = chars[0];
                }
            }
        }

        return new ClientEncoding("GBK", high: null, pairs);
    }

    private static Encoding CodePage(int codePage) =>
        codePage == 28591
            ? Encoding.GetEncoding(28591, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
            : CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
              ?? throw new InvalidOperationException($"code page {codePage} is not available");

    private static int CodePointOf(ReadOnlySpan<byte> utf8)
    {
        Rune.DecodeFromUtf8(utf8, out var rune, out _);
        return rune.Value;
    }

    /// <summary>
    /// Converts <paramref name="source"/> to UTF-8 into <paramref name="destination"/>, as far as both allow. Stops at a byte
    /// sequence the encoding does not define (<see cref="OperationStatus.InvalidData"/>, <paramref name="consumed"/> at it), at a
    /// character cut by the end of <paramref name="source"/> (<see cref="OperationStatus.NeedMoreData"/>) or when the next
    /// character does not fit (<see cref="OperationStatus.DestinationTooSmall"/>).
    /// </summary>
    public OperationStatus Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written)
    {
        var i = 0;
        var o = 0;
        var status = OperationStatus.Done;
        while (i < source.Length)
        {
            // Runs of ASCII are copied in bulk: they are the same in every supported encoding.
            var high = source[i..].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            var ascii = high < 0 ? source.Length - i : high;
            var room = destination.Length - o;
            if (ascii > 0)
            {
                var n = Math.Min(ascii, room);
                source.Slice(i, n).CopyTo(destination[o..]);
                i += n;
                o += n;
                if (n < ascii)
                {
                    status = OperationStatus.DestinationTooSmall;
                    break;
                }

                continue;
            }

            if (_high is not null)
            {
                var entry = (source[i] - 0x80) * 4;
                var length = _high[entry];
                if (length == 0)
                {
                    status = OperationStatus.InvalidData;
                    break;
                }

                if (room < length)
                {
                    status = OperationStatus.DestinationTooSmall;
                    break;
                }

                _high.AsSpan(entry + 1, length).CopyTo(destination[o..]);
                i++;
                o += length;
                continue;
            }

            if (i + 1 >= source.Length)
            {
                status = OperationStatus.NeedMoreData;
                break;
            }

            var c = _pairs![((source[i] - 0x80) * 256) + source[i + 1]];
            if (c == 0)
            {
                status = OperationStatus.InvalidData;
                break;
            }

            if (room < MaxUtf8PerChar)
            {
                status = OperationStatus.DestinationTooSmall;
                break;
            }

            o += new Rune(c).EncodeToUtf8(destination[o..]);
            i += 2;
        }

        consumed = i;
        written = o;
        return status;
    }

    /// <summary>The bytes of the character that <see cref="Decode"/> refused at the start of <paramref name="source"/>, for the error message.</summary>
    public string DescribeInvalid(ReadOnlySpan<byte> source)
    {
        var length = _pairs is not null && source.Length > 1 ? 2 : 1;
        var bytes = string.Join(' ', source[..length].ToArray().Select(b => $"0x{b:x2}"));
        return length == 1 && _pairs is not null
            ? $"invalid byte sequence for encoding \"{Name}\": {bytes}"
            : $"character with byte sequence {bytes} in encoding \"{Name}\" has no equivalent in encoding \"UTF8\"";
    }

    /// <summary>A whole string in this encoding (an archive's TOC text), or null when it holds a byte sequence the encoding does not define.</summary>
    public string? GetString(ReadOnlySpan<byte> bytes)
    {
        var utf8 = new byte[bytes.Length * MaxUtf8PerChar];
        return Decode(bytes, utf8, out _, out var written) == OperationStatus.Done ? Encoding.UTF8.GetString(utf8, 0, written) : null;
    }

    /// <summary>Text in this encoding's bytes: only for text that came from this encoding (every character has its bytes).</summary>
    public byte[] GetBytes(string text) => Encode(Encoding.UTF8.GetBytes(text));

    /// <summary>Encodes text this encoding decoded (<paramref name="utf8"/>) back to the bytes it was decoded from.</summary>
    public byte[] Encode(ReadOnlySpan<byte> utf8)
    {
        var result = new ArrayBufferWriter<byte>(Math.Max(1, utf8.Length));
        while (!utf8.IsEmpty)
        {
            var high = utf8.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            if (high < 0)
            {
                result.Write(utf8);
                break;
            }

            result.Write(utf8[..high]);
            utf8 = utf8[high..];
            Rune.DecodeFromUtf8(utf8, out var rune, out var length);
            if (!_inverse.TryGetValue(rune.Value, out var bytes))
            {
                throw new InvalidOperationException($"U+{rune.Value:X4} has no bytes in {Name}; only text decoded from {Name} can be encoded back");
            }

            var span = result.GetSpan(2);
            if (bytes > 0xFF)
            {
                span[0] = (byte)(bytes >> 8);
                span[1] = (byte)bytes;
                result.Advance(2);
            }
            else
            {
                span[0] = (byte)bytes;
                result.Advance(1);
            }

            utf8 = utf8[length..];
        }

        return result.WrittenSpan.ToArray();
    }

    /// <summary>How many bytes of the dump <paramref name="utf8"/> (text this encoding decoded) came from.</summary>
    public long EncodedLength(ReadOnlySpan<byte> utf8)
    {
        // Every character is one byte (single-byte encodings), or ASCII one byte and the rest two (GBK); all in the BMP,
        // so UTF-16 code units count characters.
        long chars = Encoding.UTF8.GetCharCount(utf8);
        return _pairs is null ? chars : (2 * chars) - AsciiCount(utf8);
    }

    private static int AsciiCount(ReadOnlySpan<byte> utf8)
    {
        var count = 0;
        while (!utf8.IsEmpty)
        {
            var high = utf8.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            if (high < 0)
            {
                return count + utf8.Length;
            }

            count += high;
            var run = utf8[high..].IndexOfAnyExceptInRange((byte)0x80, (byte)0xFF);
            utf8 = run < 0 ? [] : utf8[(high + run)..];
        }

        return count;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
