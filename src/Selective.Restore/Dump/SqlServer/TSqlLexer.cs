using System.Buffers;
using System.Text.Unicode;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump.SqlServer;

internal enum TSqlTokenKind : byte
{
    /// <summary>A bare word: keyword or identifier (<c>INSERT</c>, <c>dbo</c>, <c>@var</c>, <c>#temp</c>).</summary>
    Word,

    /// <summary><c>[identifier]</c> with <c>]]</c> for a bracket.</summary>
    BracketIdentifier,

    /// <summary><c>"identifier"</c> with <c>""</c> for a quote.</summary>
    QuotedIdentifier,

    /// <summary><c>'...'</c> or <c>N'...'</c> with <c>''</c> for a quote.</summary>
    String,

    /// <summary><c>12</c>, <c>1.50</c>, <c>.5</c>, <c>1.5E+10</c>.</summary>
    Number,

    /// <summary><c>0x0AFF</c> (possibly just <c>0x</c>).</summary>
    Binary,

    Punct,

    /// <summary>A <c>GO</c> batch separator line, through its newline.</summary>
    GoLine,
}

internal enum TSqlLexStatus : byte
{
    Token,

    /// <summary>The token (or a comment before it) runs past the end of the span and more input may follow.</summary>
    NeedMore,

    /// <summary>Only white space and comments remain and the input is final.</summary>
    End,

    Error,
}

internal enum TSqlLexError : byte
{
    None,
    UnterminatedString,
    UnterminatedBracket,
    UnterminatedQuotedIdentifier,
    UnterminatedComment,
}

/// <summary>
/// A token as offsets into the lexed span. Strings include their N prefix and quotes. <c>LineStart</c>: only blanks
/// stand between the previous line end and the token (a <c>GO</c> counts only there).
/// </summary>
internal readonly record struct TSqlToken(TSqlTokenKind Kind, int Start, int Length, bool NPrefix = false, bool LineStart = false)
{
    public int End => Start + Length;

    public ReadOnlySpan<byte> Text(ReadOnlySpan<byte> span) => span.Slice(Start, Length);

    public bool IsPunct(ReadOnlySpan<byte> span, byte c) => Kind == TSqlTokenKind.Punct && span[Start] == c;

    public bool IsIdentifier => Kind is TSqlTokenKind.Word or TSqlTokenKind.BracketIdentifier or TSqlTokenKind.QuotedIdentifier;

    /// <summary>True for a bare word equal to <paramref name="upperKeyword"/> ignoring ASCII case.</summary>
    public bool IsWord(ReadOnlySpan<byte> span, ReadOnlySpan<byte> upperKeyword)
    {
        if (Kind != TSqlTokenKind.Word || Length != upperKeyword.Length)
        {
            return false;
        }

        for (var i = 0; i < Length; i++)
        {
            var b = span[Start + i];
            if ((b is >= (byte)'a' and <= (byte)'z' ? (byte)(b & 0xDF) : b) != upperKeyword[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Transact-SQL's lexical rules over UTF-8 bytes: words (with <c>@ # $</c>), <c>[bracketed]</c> and
/// <c>"quoted"</c> identifiers, <c>'strings'</c> and <c>N'strings'</c> (no backslash escapes), numbers,
/// <c>0x</c> binary constants, <c>--</c> and nested <c>/* */</c> comments, and <c>GO</c> lines. Stateless
/// between tokens like the PostgreSQL lexer: a token that crosses the span's end is lexed again after a refill.
/// </summary>
internal static class TSqlLexer
{
    public static TSqlLexStatus Next(ReadOnlySpan<byte> span, int start, bool final, bool atLineStart, out TSqlToken token, out TSqlLexError error)
    {
        token = default;
        error = TSqlLexError.None;
        var i = start;
        var lineStart = atLineStart;

        // White space and comments.
        while (true)
        {
            while (i < span.Length && IsSpace(span[i]))
            {
                if (span[i] == '\n')
                {
                    lineStart = true;
                }

                i++;
            }

            if (i >= span.Length)
            {
                return final ? TSqlLexStatus.End : TSqlLexStatus.NeedMore;
            }

            var c = span[i];
            if (c is (byte)'-' or (byte)'/')
            {
                if (i + 1 >= span.Length)
                {
                    if (!final)
                    {
                        return TSqlLexStatus.NeedMore;
                    }

                    break;
                }

                if (c == '-' && span[i + 1] == '-')
                {
                    var nl = span[i..].IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        return final ? TSqlLexStatus.End : TSqlLexStatus.NeedMore;
                    }

                    i += nl + 1;
                    lineStart = true;
                    continue;
                }

                if (c == '/' && span[i + 1] == '*')
                {
                    var end = SqlLexer.SkipBlockComment(span, i);
                    if (end < 0)
                    {
                        return Incomplete(final, i, TSqlLexError.UnterminatedComment, out token, out error);
                    }

                    i = end;
                    lineStart = false;
                    continue;
                }
            }

            break;
        }

        var first = span[i];
        if (first == '\'')
        {
            return LexQuoted(span, i, i, TSqlTokenKind.String, (byte)'\'', TSqlLexError.UnterminatedString, nPrefix: false, lineStart, final, out token, out error);
        }

        if (first == '[')
        {
            return LexQuoted(span, i, i, TSqlTokenKind.BracketIdentifier, (byte)']', TSqlLexError.UnterminatedBracket, nPrefix: false, lineStart, final, out token, out error);
        }

        if (first == '"')
        {
            return LexQuoted(span, i, i, TSqlTokenKind.QuotedIdentifier, (byte)'"', TSqlLexError.UnterminatedQuotedIdentifier, nPrefix: false, lineStart, final, out token, out error);
        }

        if (IsIdentStart(first))
        {
            if ((first | 0x20) == 'n' && i + 1 < span.Length && span[i + 1] == '\'')
            {
                return LexQuoted(span, i, i + 1, TSqlTokenKind.String, (byte)'\'', TSqlLexError.UnterminatedString, nPrefix: true, lineStart, final, out token, out error);
            }

            var j = i + 1;
            while (j < span.Length && IsIdentContinue(span[j]))
            {
                j++;
            }

            if (j >= span.Length && !final)
            {
                return TSqlLexStatus.NeedMore;
            }

            if (lineStart && j - i == 2 && (first | 0x20) == 'g' && (span[i + 1] | 0x20) == 'o')
            {
                var go = GoLineEnd(span, j, final);
                if (go == -2)
                {
                    return TSqlLexStatus.NeedMore;
                }

                if (go >= 0)
                {
                    token = new TSqlToken(TSqlTokenKind.GoLine, i, go - i, LineStart: true);
                    return TSqlLexStatus.Token;
                }
            }

            token = new TSqlToken(TSqlTokenKind.Word, i, j - i, LineStart: lineStart);
            return TSqlLexStatus.Token;
        }

        if (first == '.' && i + 1 >= span.Length && !final)
        {
            return TSqlLexStatus.NeedMore; // '.5' or a lone '.': the next byte decides
        }

        if (IsDigit(first) || (first == '.' && i + 1 < span.Length && IsDigit(span[i + 1])))
        {
            return LexNumber(span, i, lineStart, final, out token);
        }

        token = new TSqlToken(TSqlTokenKind.Punct, i, 1, LineStart: lineStart);
        return TSqlLexStatus.Token;
    }

    private static TSqlLexStatus LexNumber(ReadOnlySpan<byte> span, int i, bool lineStart, bool final, out TSqlToken token)
    {
        token = default;
        if (span[i] == '0' && i + 1 >= span.Length && !final)
        {
            return TSqlLexStatus.NeedMore; // '0' or '0x...'
        }

        if (span[i] == '0' && i + 1 < span.Length && (span[i + 1] | 0x20) == 'x')
        {
            var digits = span[(i + 2)..].IndexOfAnyExcept(HexDigits);
            var h = digits < 0 ? span.Length : i + 2 + digits;

            if (h >= span.Length && !final)
            {
                return TSqlLexStatus.NeedMore;
            }

            token = new TSqlToken(TSqlTokenKind.Binary, i, h - i, LineStart: lineStart);
            return TSqlLexStatus.Token;
        }

        var j = i;
        while (j < span.Length && IsDigit(span[j]))
        {
            j++;
        }

        if (j < span.Length && span[j] == '.')
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
                return TSqlLexStatus.NeedMore;
            }
        }

        if (j >= span.Length && !final)
        {
            return TSqlLexStatus.NeedMore;
        }

        token = new TSqlToken(TSqlTokenKind.Number, i, j - i, LineStart: lineStart);
        return TSqlLexStatus.Token;
    }

    /// <summary>
    /// After a line-initial <c>GO</c>: the index just past the line end when the rest of the line is blanks, an
    /// optional count and an optional <c>--</c> comment; -1 when it is something else; -2 when more input is needed.
    /// </summary>
    private static int GoLineEnd(ReadOnlySpan<byte> span, int from, bool final)
    {
        var i = SkipBlanks(span, from);
        if (i < span.Length && IsDigit(span[i]))
        {
            while (i < span.Length && IsDigit(span[i]))
            {
                i++;
            }

            i = SkipBlanks(span, i);
        }

        if (i >= span.Length)
        {
            return final ? i : -2;
        }

        if (span[i] == '\n')
        {
            return i + 1;
        }

        if (span[i] == '-')
        {
            if (i + 1 >= span.Length)
            {
                return final ? -1 : -2;
            }

            if (span[i + 1] == '-')
            {
                var nl = span[i..].IndexOf((byte)'\n');
                return nl >= 0 ? i + nl + 1 : final ? span.Length : -2;
            }
        }

        return -1;
    }

    private static int SkipBlanks(ReadOnlySpan<byte> span, int i)
    {
        while (i < span.Length && span[i] is (byte)' ' or (byte)'\t' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    private static TSqlLexStatus LexQuoted(
        ReadOnlySpan<byte> span, int tokenStart, int quoteAt, TSqlTokenKind kind, byte close, TSqlLexError unterminated, bool nPrefix, bool lineStart, bool final, out TSqlToken token, out TSqlLexError error)
    {
        var end = FindCloseEnd(span, quoteAt + 1, close, final);
        if (end < 0)
        {
            return Incomplete(final, tokenStart, unterminated, out token, out error);
        }

        error = TSqlLexError.None;
        token = new TSqlToken(kind, tokenStart, end - tokenStart, nPrefix, lineStart);
        return TSqlLexStatus.Token;
    }

    private static TSqlLexStatus Incomplete(bool final, int at, TSqlLexError reason, out TSqlToken token, out TSqlLexError error)
    {
        token = new TSqlToken(TSqlTokenKind.Punct, at, 1);
        if (final)
        {
            error = reason;
            return TSqlLexStatus.Error;
        }

        error = TSqlLexError.None;
        return TSqlLexStatus.NeedMore;
    }

    /// <summary>Index just past the closing character (doubled means escaped), or -1 when the span ends first.</summary>
    private static int FindCloseEnd(ReadOnlySpan<byte> span, int from, byte close, bool final)
    {
        var i = from;
        while (i < span.Length)
        {
            var hit = span[i..].IndexOf(close);
            if (hit < 0)
            {
                return -1;
            }

            i += hit;

            // A doubled closing character is an escaped one; the next byte decides (unless the input ends here).
            if (i + 1 >= span.Length)
            {
                return final ? i + 1 : -1;
            }

            if (span[i + 1] == close)
            {
                i += 2;
                continue;
            }

            return i + 1;
        }

        return -1;
    }

    /// <summary>An identifier token's name: brackets or quotes removed and their doubling undone.</summary>
    public static string Identifier(ReadOnlySpan<byte> text, TSqlTokenKind kind)
    {
        if (kind == TSqlTokenKind.Word)
        {
            return Decode(text);
        }

        var close = kind == TSqlTokenKind.BracketIdentifier ? (byte)']' : (byte)'"';
        var inner = text[1..^1];
        if (inner.IndexOf(close) < 0)
        {
            return Decode(inner);
        }

        var unescaped = new byte[inner.Length];
        var n = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            unescaped[n++] = inner[i];
            if (inner[i] == close)
            {
                i++; // the lexer guarantees the doubled one
            }
        }

        return Decode(unescaped.AsSpan(0, n));
    }

    private static string Decode(ReadOnlySpan<byte> utf8) =>
        Utf8.IsValid(utf8) ? CopyText.Utf8Strict.GetString(utf8) : throw new FormatException("an identifier is not valid UTF-8");

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';

    public static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    public static bool IsIdentStart(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or (byte)'@' or (byte)'#' or >= 0x80;

    public static bool IsIdentContinue(byte b) => IsIdentStart(b) || IsDigit(b) || b == '$';
}
