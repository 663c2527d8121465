using System.Text.Unicode;

namespace Selective.Restore.Dump.Sqlite;

internal enum SqliteTokenKind : byte
{
    /// <summary>A bare word: keyword or identifier (<c>INSERT</c>, <c>t</c>, <c>replace</c>).</summary>
    Word,

    /// <summary><c>"identifier"</c> with <c>""</c> for a quote.</summary>
    QuotedIdentifier,

    /// <summary><c>[identifier]</c>: no escape, the first <c>]</c> ends it.</summary>
    BracketIdentifier,

    /// <summary><c>`identifier`</c> with <c>``</c> for a backtick.</summary>
    BacktickIdentifier,

    /// <summary><c>'...'</c> with <c>''</c> for a quote.</summary>
    String,

    /// <summary><c>X'0AFF'</c> or <c>x'0aff'</c> (its digits are checked by the parser).</summary>
    Blob,

    /// <summary><c>12</c>, <c>1.50</c>, <c>.5</c>, <c>1.5e+10</c>, <c>0x1F</c>.</summary>
    Number,

    /// <summary>One character, or <c>||</c>.</summary>
    Punct,
}

internal enum SqliteLexStatus : byte
{
    Token,

    /// <summary>The token (or a comment before it) runs past the end of the span and more input may follow.</summary>
    NeedMore,

    /// <summary>Only white space and comments remain and the input is final.</summary>
    End,

    Error,
}

internal enum SqliteLexError : byte
{
    None,
    UnterminatedString,
    UnterminatedQuotedIdentifier,
    UnterminatedBracket,
    UnterminatedBacktick,
    UnterminatedComment,
}

/// <summary>A token as offsets into the lexed span; strings and blobs include their quotes (and X).</summary>
internal readonly record struct SqliteToken(SqliteTokenKind Kind, int Start, int Length)
{
    public int End => Start + Length;

    public ReadOnlySpan<byte> Text(ReadOnlySpan<byte> span) => span.Slice(Start, Length);

    public bool IsPunct(ReadOnlySpan<byte> span, byte c) => Kind == SqliteTokenKind.Punct && Length == 1 && span[Start] == c;

    public bool IsConcat => Kind == SqliteTokenKind.Punct && Length == 2;

    /// <summary>A token SQLite takes as a name where one is expected: a word, a quoted name, or a <c>'string'</c> (which SQLite accepts there too).</summary>
    public bool IsName => Kind is SqliteTokenKind.Word or SqliteTokenKind.QuotedIdentifier or SqliteTokenKind.BracketIdentifier or SqliteTokenKind.BacktickIdentifier or SqliteTokenKind.String;

    /// <summary>True for a bare word equal to <paramref name="upperKeyword"/> ignoring ASCII case.</summary>
    public bool IsWord(ReadOnlySpan<byte> span, ReadOnlySpan<byte> upperKeyword) =>
        Kind == SqliteTokenKind.Word && Length == upperKeyword.Length && System.Text.Ascii.EqualsIgnoreCase(span.Slice(Start, Length), upperKeyword);
}

/// <summary>
/// SQLite's lexical rules (its tokenizer) over UTF-8 bytes: bare words (letters, digits, <c>_</c>, <c>$</c> and any byte
/// from 0x80), <c>"quoted"</c>, <c>[bracketed]</c> and <c>`backticked`</c> names, <c>'strings'</c> (no backslash escapes),
/// <c>X'hex'</c> blobs, numbers, <c>--</c> and (not nesting) <c>/* */</c> comments, and <c>||</c>. Stateless between
/// tokens: a token that crosses the span's end is lexed again after a refill.
/// </summary>
internal static class SqliteLexer
{
    public static SqliteLexStatus Next(ReadOnlySpan<byte> span, int start, bool final, out SqliteToken token, out SqliteLexError error)
    {
        token = default;
        error = SqliteLexError.None;
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
                return final ? SqliteLexStatus.End : SqliteLexStatus.NeedMore;
            }

            var c = span[i];
            if (c is (byte)'-' or (byte)'/')
            {
                if (i + 1 >= span.Length)
                {
                    if (!final)
                    {
                        return SqliteLexStatus.NeedMore;
                    }

                    break;
                }

                if (c == '-' && span[i + 1] == '-')
                {
                    var nl = span[i..].IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        return final ? SqliteLexStatus.End : SqliteLexStatus.NeedMore;
                    }

                    i += nl + 1;
                    continue;
                }

                if (c == '/' && span[i + 1] == '*')
                {
                    var close = span[(i + 2)..].IndexOf("*/"u8);
                    if (close < 0)
                    {
                        return Incomplete(final, i, SqliteLexError.UnterminatedComment, out token, out error);
                    }

                    i += close + 4;
                    continue;
                }
            }

            break;
        }

        var first = span[i];
        switch (first)
        {
            case (byte)'\'':
                return LexQuoted(span, i, i, SqliteTokenKind.String, (byte)'\'', doubled: true, SqliteLexError.UnterminatedString, final, out token, out error);
            case (byte)'"':
                return LexQuoted(span, i, i, SqliteTokenKind.QuotedIdentifier, (byte)'"', doubled: true, SqliteLexError.UnterminatedQuotedIdentifier, final, out token, out error);
            case (byte)'`':
                return LexQuoted(span, i, i, SqliteTokenKind.BacktickIdentifier, (byte)'`', doubled: true, SqliteLexError.UnterminatedBacktick, final, out token, out error);
            case (byte)'[':
                return LexQuoted(span, i, i, SqliteTokenKind.BracketIdentifier, (byte)']', doubled: false, SqliteLexError.UnterminatedBracket, final, out token, out error);
            case (byte)'|':
                if (i + 1 >= span.Length && !final)
                {
                    return SqliteLexStatus.NeedMore;
                }

                token = new SqliteToken(SqliteTokenKind.Punct, i, i + 1 < span.Length && span[i + 1] == '|' ? 2 : 1);
                return SqliteLexStatus.Token;
        }

        if (IsIdentStart(first))
        {
            if ((first | 0x20) == 'x')
            {
                if (i + 1 >= span.Length && !final)
                {
                    return SqliteLexStatus.NeedMore;
                }

                if (i + 1 < span.Length && span[i + 1] == '\'')
                {
                    // X'...': a blob; its closing quote ends it (hex digits never hold a quote).
                    var close = span[(i + 2)..].IndexOf((byte)'\'');
                    if (close < 0)
                    {
                        return Incomplete(final, i, SqliteLexError.UnterminatedString, out token, out error);
                    }

                    token = new SqliteToken(SqliteTokenKind.Blob, i, close + 3);
                    return SqliteLexStatus.Token;
                }
            }

            var j = i + 1;
            while (j < span.Length && IsIdentContinue(span[j]))
            {
                j++;
            }

            if (j >= span.Length && !final)
            {
                return SqliteLexStatus.NeedMore;
            }

            token = new SqliteToken(SqliteTokenKind.Word, i, j - i);
            return SqliteLexStatus.Token;
        }

        if (first == '.' && i + 1 >= span.Length && !final)
        {
            return SqliteLexStatus.NeedMore; // '.5' or a lone '.': the next byte decides
        }

        if (IsDigit(first) || (first == '.' && i + 1 < span.Length && IsDigit(span[i + 1])))
        {
            return LexNumber(span, i, final, out token);
        }

        token = new SqliteToken(SqliteTokenKind.Punct, i, 1);
        return SqliteLexStatus.Token;
    }

    private static SqliteLexStatus LexNumber(ReadOnlySpan<byte> span, int i, bool final, out SqliteToken token)
    {
        token = default;
        var j = i;
        if (span[i] == '0' && i + 1 < span.Length && (span[i + 1] | 0x20) == 'x')
        {
            j = i + 2;
            while (j < span.Length && CopyText.IsHex(span[j]))
            {
                j++;
            }
        }
        else
        {
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
                    return SqliteLexStatus.NeedMore;
                }
            }
        }

        if (j >= span.Length && !final)
        {
            return SqliteLexStatus.NeedMore;
        }

        token = new SqliteToken(SqliteTokenKind.Number, i, j - i);
        return SqliteLexStatus.Token;
    }

    private static SqliteLexStatus LexQuoted(
        ReadOnlySpan<byte> span, int tokenStart, int quoteAt, SqliteTokenKind kind, byte close, bool doubled, SqliteLexError unterminated, bool final, out SqliteToken token, out SqliteLexError error)
    {
        var end = FindCloseEnd(span, quoteAt + 1, close, doubled, final);
        if (end < 0)
        {
            return Incomplete(final, tokenStart, unterminated, out token, out error);
        }

        error = SqliteLexError.None;
        token = new SqliteToken(kind, tokenStart, end - tokenStart);
        return SqliteLexStatus.Token;
    }

    private static SqliteLexStatus Incomplete(bool final, int at, SqliteLexError reason, out SqliteToken token, out SqliteLexError error)
    {
        token = new SqliteToken(SqliteTokenKind.Punct, at, 1);
        if (final)
        {
            error = reason;
            return SqliteLexStatus.Error;
        }

        error = SqliteLexError.None;
        return SqliteLexStatus.NeedMore;
    }

    /// <summary>Index just past the closing character (doubled means escaped when <paramref name="doubled"/>), or -1 when the span ends first.</summary>
    private static int FindCloseEnd(ReadOnlySpan<byte> span, int from, byte close, bool doubled, bool final)
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
            if (!doubled)
            {
                return i + 1;
            }

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

    /// <summary>A name token's name: quotes or brackets removed and their doubling undone.</summary>
    /// <exception cref="FormatException">The name is not valid UTF-8.</exception>
    public static string Identifier(ReadOnlySpan<byte> text, SqliteTokenKind kind)
    {
        if (kind == SqliteTokenKind.Word)
        {
            return Decode(text);
        }

        var inner = text[1..^1];
        if (kind == SqliteTokenKind.BracketIdentifier)
        {
            return Decode(inner);
        }

        var close = text[0];
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
        Utf8.IsValid(utf8) ? CopyText.Utf8Strict.GetString(utf8) : throw new FormatException("a name is not valid UTF-8");

    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f';

    public static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    public static bool IsIdentStart(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or >= 0x80;

    public static bool IsIdentContinue(byte b) => IsIdentStart(b) || IsDigit(b) || b == '$';
}
