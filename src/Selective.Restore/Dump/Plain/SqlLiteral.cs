using System.Buffers;
using System.Text;

namespace Selective.Restore.Dump.Plain;

/// <summary>Decodes SQL identifiers and literals (as lexed by <see cref="SqlLexer"/>) into their values.</summary>
internal static class SqlLiteral
{
    /// <summary>An identifier's name: unquoted words fold ASCII to lower case (as PostgreSQL does for UTF-8), quoted ones keep case and undouble quotes.</summary>
    public static string Identifier(ReadOnlySpan<byte> text, TokenKind kind)
    {
        if (kind == TokenKind.QuotedIdentifier)
        {
            var inner = text[1..^1];
            var s = Encoding.UTF8.GetString(inner);
            return inner.IndexOf((byte)'"') >= 0 ? s.Replace("\"\"", "\"", StringComparison.Ordinal) : s;
        }

        Span<byte> lower = text.Length <= 256 ? stackalloc byte[text.Length] : new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            lower[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }

        return Encoding.UTF8.GetString(lower);
    }

    /// <summary>
    /// Decodes a string token into the value bytes the server would store for it.
    /// Handles '' doubling, E'' backslash escapes (\n, \ooo, \xhh, \uXXXX, \UXXXXXXXX), B'' bit strings and X'' hex bit strings.
    /// </summary>
    /// <returns>Null on success, otherwise what is wrong.</returns>
    public static string? DecodeString(ReadOnlySpan<byte> token, byte prefix, IBufferWriter<byte> destination)
    {
        var quote = token.IndexOf((byte)'\'');
        var body = token[(quote + 1)..^1];
        switch (prefix)
        {
            case (byte)'B':
                foreach (var b in body)
                {
                    if (b is not ((byte)'0' or (byte)'1'))
                    {
                        return $"\"{(char)b}\" is not a valid binary digit in a B'' bit string";
                    }
                }

                destination.Write(body);
                return null;

            case (byte)'X':
                foreach (var b in body)
                {
                    if (!CopyText.IsHex(b))
                    {
                        return $"\"{(char)b}\" is not a valid hexadecimal digit in an X'' bit string";
                    }

                    var v = CopyText.HexValue(b);
                    var span = destination.GetSpan(4);
                    for (var bit = 0; bit < 4; bit++)
                    {
                        span[bit] = (byte)('0' + ((v >> (3 - bit)) & 1));
                    }

                    destination.Advance(4);
                }

                return null;

            case (byte)'E' or (byte)'e':
                return DecodeEscaped(body, destination);

            default:
                WriteUndoubled(body, destination);
                return null;
        }
    }

    private static void WriteUndoubled(ReadOnlySpan<byte> body, IBufferWriter<byte> destination)
    {
        while (true)
        {
            var q = body.IndexOf((byte)'\'');
            if (q < 0)
            {
                destination.Write(body);
                return;
            }

            destination.Write(body[..(q + 1)]);
            body = body[(q + 2)..];
        }
    }

    private static string? DecodeEscaped(ReadOnlySpan<byte> body, IBufferWriter<byte> destination)
    {
        var i = 0;
        while (i < body.Length)
        {
            var rest = body[i..];
            var hit = rest.IndexOfAny((byte)'\\', (byte)'\'');
            if (hit < 0)
            {
                destination.Write(rest);
                return null;
            }

            destination.Write(rest[..hit]);
            i += hit;
            if (body[i] == '\'')
            {
                // '' inside an escape string.
                Put(destination, (byte)'\'');
                i += 2;
                continue;
            }

            // The lexer guarantees a character after the backslash.
            var c = body[i + 1];
            i += 2;
            switch (c)
            {
                case (byte)'b': Put(destination, 8); break;
                case (byte)'f': Put(destination, 12); break;
                case (byte)'n': Put(destination, 10); break;
                case (byte)'r': Put(destination, 13); break;
                case (byte)'t': Put(destination, 9); break;
                case >= (byte)'0' and <= (byte)'7':
                    {
                        var v = c - '0';
                        for (var n = 0; n < 2 && i < body.Length && body[i] is >= (byte)'0' and <= (byte)'7'; n++, i++)
                        {
                            v = (v * 8) + (body[i] - '0');
                        }

                        Put(destination, (byte)v);
                        break;
                    }

                case (byte)'x' when i < body.Length && CopyText.IsHex(body[i]):
                    {
                        var v = CopyText.HexValue(body[i++]);
                        if (i < body.Length && CopyText.IsHex(body[i]))
                        {
                            v = (v * 16) + CopyText.HexValue(body[i++]);
                        }

                        Put(destination, (byte)v);
                        break;
                    }

                case (byte)'u' or (byte)'U':
                    {
                        var digits = c == 'u' ? 4 : 8;
                        if (i + digits > body.Length)
                        {
                            return $"invalid Unicode escape \\{(char)c}: expected {digits} hexadecimal digits";
                        }

                        var cp = 0;
                        for (var n = 0; n < digits; n++)
                        {
                            if (!CopyText.IsHex(body[i + n]))
                            {
                                return $"invalid Unicode escape \\{(char)c}: expected {digits} hexadecimal digits";
                            }

                            cp = (cp * 16) + CopyText.HexValue(body[i + n]);
                        }

                        i += digits;
                        if (char.IsHighSurrogate((char)cp) && cp <= 0xFFFF)
                        {
                            // A surrogate pair written as two \u escapes.
                            if (i + 6 <= body.Length && body[i] == '\\' && body[i + 1] == 'u')
                            {
                                var low = 0;
                                for (var n = 0; n < 4; n++)
                                {
                                    low = CopyText.IsHex(body[i + 2 + n]) ? (low * 16) + CopyText.HexValue(body[i + 2 + n]) : -1;
                                }

                                if (low >= 0 && char.IsLowSurrogate((char)low))
                                {
                                    cp = char.ConvertToUtf32((char)cp, (char)low);
                                    i += 6;
                                }
                                else
                                {
                                    return "invalid Unicode surrogate pair";
                                }
                            }
                            else
                            {
                                return "invalid Unicode surrogate pair";
                            }
                        }

                        if (!Rune.IsValid(cp) || cp == 0)
                        {
                            return $"invalid Unicode escape value U+{cp:X}";
                        }

                        var rune = new Rune(cp);
                        var span = destination.GetSpan(4);
                        destination.Advance(rune.EncodeToUtf8(span));
                        break;
                    }

                default:
                    Put(destination, c);
                    break;
            }
        }

        return null;
    }

    private static void Put(IBufferWriter<byte> destination, byte value)
    {
        destination.GetSpan(1)[0] = value;
        destination.Advance(1);
    }
}
