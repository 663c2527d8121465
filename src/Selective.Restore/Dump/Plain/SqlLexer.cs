namespace Selective.Restore.Dump.Plain;

internal enum TokenKind : byte
{
    Word,
    QuotedIdentifier,
    String,
    Number,
    Punct,
    DollarString,
    Parameter,
}

internal enum LexStatus : byte
{
    Token,

    /// <summary>The token (or a comment before it) runs past the end of the span and more input may follow.</summary>
    NeedMore,

    /// <summary>Only white space and comments remain and the input is final.</summary>
    End,

    Error,
}

/// <summary>A token as offsets into the lexed span; strings include their prefix and quotes.</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int Length, byte Prefix = 0)
{
    public int End => Start + Length;

    public ReadOnlySpan<byte> Text(ReadOnlySpan<byte> span) => span.Slice(Start, Length);

    public bool IsPunct(ReadOnlySpan<byte> span, byte c) => Kind == TokenKind.Punct && Length == 1 && span[Start] == c;

    public bool IsWord(ReadOnlySpan<byte> span, ReadOnlySpan<byte> upperKeyword)
    {
        if (Kind != TokenKind.Word || Length != upperKeyword.Length)
        {
            return false;
        }

        for (var i = 0; i < Length; i++)
        {
            if ((span[Start + i] & 0xDF) != upperKeyword[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// PostgreSQL's lexical rules over UTF-8 bytes: words, "quoted identifiers", 'strings' with E/B/X/N
/// prefixes, $tag$ dollar quotes $tag$, numbers, -- and nested /* */ comments. Stateless between
/// tokens, so a caller that gets <see cref="LexStatus.NeedMore"/> refills and lexes again from the same start.
/// </summary>
internal static class SqlLexer
{
    public static LexStatus Next(ReadOnlySpan<byte> span, int start, bool final, bool standardStrings, out Token token, out string? error)
    {
        token = default;
        error = null;
        var i = start;

        // White space and comments.
        while (true)
        {
            while (i < span.Length && IsSpace(span[i]))
            {
                i++;
            }

            if (i >= span.Length)
            {
                return final ? LexStatus.End : LexStatus.NeedMore;
            }

            if (span[i] == '-' && (i + 1 < span.Length ? span[i + 1] == '-' : !final))
            {
                if (i + 1 >= span.Length)
                {
                    return LexStatus.NeedMore;
                }

                var nl = span[i..].IndexOf((byte)'\n');
                if (nl < 0)
                {
                    return final ? LexStatus.End : LexStatus.NeedMore;
                }

                i += nl + 1;
                continue;
            }

            if (span[i] == '/' && (i + 1 < span.Length ? span[i + 1] == '*' : !final))
            {
                if (i + 1 >= span.Length)
                {
                    return LexStatus.NeedMore;
                }

                var end = SkipBlockComment(span, i);
                if (end < 0)
                {
                    if (final)
                    {
                        token = new Token(TokenKind.Punct, i, 1);
                        error = "unterminated /* comment";
                        return LexStatus.Error;
                    }

                    return LexStatus.NeedMore;
                }

                i = end;
                continue;
            }

            break;
        }

        var c = span[i];
        if (c == '\'')
        {
            return LexString(span, i, i, 0, final, escapes: !standardStrings, out token, out error);
        }

        if (c == '"')
        {
            var end = FindQuoteEnd(span, i + 1, (byte)'"', backslashEscapes: false, final);
            if (end < 0)
            {
                return Incomplete(final, i, "unterminated quoted identifier", out token, out error);
            }

            token = new Token(TokenKind.QuotedIdentifier, i, end - i);
            return LexStatus.Token;
        }

        if (IsIdentStart(c))
        {
            // E'..', B'..', X'..', N'..' string prefixes; U&'..' is rejected clearly rather than misread.
            if (i + 1 < span.Length && span[i + 1] == '\'' && (c | 0x20) is (byte)'e' or (byte)'b' or (byte)'x' or (byte)'n')
            {
                var prefix = (byte)(c & 0xDF);
                return LexString(span, i, i + 1, prefix, final, escapes: prefix == (byte)'E' || (!standardStrings && prefix == (byte)'N'), out token, out error);
            }

            if ((c | 0x20) == 'u' && i + 1 < span.Length && span[i + 1] == '&')
            {
                if (i + 2 >= span.Length && !final)
                {
                    return LexStatus.NeedMore;
                }

                if (i + 2 < span.Length && span[i + 2] is (byte)'\'' or (byte)'"')
                {
                    token = new Token(TokenKind.Punct, i, 1);
                    error = "U&'...' Unicode-escape literals are not supported";
                    return LexStatus.Error;
                }
            }

            var j = i + 1;
            while (j < span.Length && IsIdentContinue(span[j]))
            {
                j++;
            }

            if (j >= span.Length && !final)
            {
                return LexStatus.NeedMore;
            }

            token = new Token(TokenKind.Word, i, j - i);
            return LexStatus.Token;
        }

        if (c == '.' && i + 1 >= span.Length && !final)
        {
            return LexStatus.NeedMore; // '.5' or a lone '.': the next byte decides
        }

        if (IsDigit(c) || (c == '.' && i + 1 < span.Length && IsDigit(span[i + 1])))
        {
            var j = i;
            while (j < span.Length && IsDigit(span[j]))
            {
                j++;
            }

            if (j < span.Length && span[j] == '.' && j + 1 >= span.Length && !final)
            {
                return LexStatus.NeedMore; // '1.' then '5' or '..'
            }

            if (j < span.Length && span[j] == '.' && !(j + 1 < span.Length && span[j + 1] == '.'))
            {
                j++;
                while (j < span.Length && IsDigit(span[j]))
                {
                    j++;
                }
            }

            if (j < span.Length && (span[j] | 0x20) == 'e')
            {
                var k = j + 1;
                if (k < span.Length && span[k] is (byte)'+' or (byte)'-')
                {
                    k++;
                }

                if (k < span.Length && IsDigit(span[k]))
                {
                    while (k < span.Length && IsDigit(span[k]))
                    {
                        k++;
                    }

                    j = k;
                }
                else if (k >= span.Length && !final)
                {
                    return LexStatus.NeedMore;
                }
            }

            if (j >= span.Length && !final)
            {
                return LexStatus.NeedMore;
            }

            token = new Token(TokenKind.Number, i, j - i);
            return LexStatus.Token;
        }

        if (c == '$')
        {
            if (i + 1 >= span.Length)
            {
                return Incomplete(final, i, "unexpected end after $", out token, out error);
            }

            if (IsDigit(span[i + 1]))
            {
                var j = i + 1;
                while (j < span.Length && IsDigit(span[j]))
                {
                    j++;
                }

                if (j >= span.Length && !final)
                {
                    return LexStatus.NeedMore;
                }

                token = new Token(TokenKind.Parameter, i, j - i);
                return LexStatus.Token;
            }

            var tagEnd = i + 1;
            while (tagEnd < span.Length && span[tagEnd] != '$' && IsIdentContinue(span[tagEnd]) && span[tagEnd] != '$')
            {
                tagEnd++;
            }

            if (tagEnd >= span.Length)
            {
                return Incomplete(final, i, "unterminated dollar-quoted string", out token, out error);
            }

            if (span[tagEnd] == '$')
            {
                var tag = span.Slice(i, tagEnd - i + 1);
                var close = span[(tagEnd + 1)..].IndexOf(tag);
                if (close < 0)
                {
                    return Incomplete(final, i, "unterminated dollar-quoted string", out token, out error);
                }

                var end = tagEnd + 1 + close + tag.Length;
                token = new Token(TokenKind.DollarString, i, end - i);
                return LexStatus.Token;
            }
        }

        if (c == ':' && i + 1 < span.Length && span[i + 1] == ':')
        {
            token = new Token(TokenKind.Punct, i, 2);
            return LexStatus.Token;
        }

        if (c == ':' && i + 1 >= span.Length && !final)
        {
            return LexStatus.NeedMore;
        }

        token = new Token(TokenKind.Punct, i, 1);
        return LexStatus.Token;
    }

    private static LexStatus LexString(ReadOnlySpan<byte> span, int tokenStart, int quote, byte prefix, bool final, bool escapes, out Token token, out string? error)
    {
        var end = FindQuoteEnd(span, quote + 1, (byte)'\'', escapes, final);
        if (end < 0)
        {
            return Incomplete(final, tokenStart, "unterminated quoted string", out token, out error);
        }

        // Plain and N'' strings read backslash escapes when standard_conforming_strings is off: decode them like E''.
        error = null;
        token = new Token(TokenKind.String, tokenStart, end - tokenStart, (prefix is 0 or (byte)'N') && escapes ? (byte)'e' : prefix);
        return LexStatus.Token;
    }

    private static LexStatus Incomplete(bool final, int at, string reason, out Token token, out string? error)
    {
        token = new Token(TokenKind.Punct, at, 1);
        if (final)
        {
            error = reason;
            return LexStatus.Error;
        }

        error = null;
        return LexStatus.NeedMore;
    }

    /// <summary>Index just past the closing quote, or -1 when the span ends first (or may continue with a doubled quote).</summary>
    private static int FindQuoteEnd(ReadOnlySpan<byte> span, int from, byte quote, bool backslashEscapes, bool final)
    {
        var i = from;
        while (i < span.Length)
        {
            var rest = span[i..];
            var hit = backslashEscapes ? rest.IndexOfAny(quote, (byte)'\\') : rest.IndexOf(quote);
            if (hit < 0)
            {
                return -1;
            }

            i += hit;
            if (span[i] == '\\')
            {
                i += 2;
                continue;
            }

            // A doubled quote is an escaped quote; we must see the next byte to tell (unless the input ends here).
            if (i + 1 >= span.Length)
            {
                return final ? i + 1 : -1;
            }

            if (span[i + 1] == quote)
            {
                i += 2;
                continue;
            }

            return i + 1;
        }

        return -1;
    }

    /// <summary>Index just past the (possibly nested) comment starting at <paramref name="start"/>, or -1 when the span ends first.</summary>
    public static int SkipBlockComment(ReadOnlySpan<byte> span, int start)
    {
        var depth = 0;
        var i = start;
        while (i + 1 < span.Length)
        {
            if (span[i] == '/' && span[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (span[i] == '*' && span[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return -1;
    }

    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';

    public static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    public static bool IsIdentStart(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or >= 0x80;

    public static bool IsIdentContinue(byte b) => IsIdentStart(b) || IsDigit(b) || b == '$';
}
