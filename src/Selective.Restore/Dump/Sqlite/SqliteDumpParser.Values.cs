using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump.Sqlite;

/// <summary>VALUES tuples to row-text lines: each value as the SQLite literal <see cref="SqliteText"/> prints (see docs/sqlite-dumps.md).</summary>
internal sealed partial class SqliteDumpParser
{
    // replace(replace(...)) deeper than this is not something sqlite3 writes (it nests two).
    private const int MaxNesting = 16;

    // Text values being evaluated (replace's three arguments...), used as a stack.
    private readonly List<ByteBuilder> _scratch = [];
    private int _scratchUsed;

    /// <summary>
    /// Parses one <c>( value, ... )</c> tuple into <see cref="_row"/>. Synchronous over the buffer
    /// (<see cref="NeedMoreInputException"/> when it runs past it). The arity is checked before the row is handed out.
    /// </summary>
    /// <param name="table">The table, for error messages.</param>
    /// <param name="expected">The number of values expected, or -1 when the first tuple decides.</param>
    /// <param name="rowNumber">1-based row number within the section, for error messages.</param>
    /// <param name="line">Line of the tuple's '('.</param>
    /// <param name="offset">Byte offset of the tuple's '('.</param>
    /// <returns>The number of values.</returns>
    private int ParseTuple(TableName table, int expected, long rowNumber, out long line, out long offset)
    {
        _row.Reset();
        _scratchUsed = 0;
        var open = Require("a '(' starting a VALUES tuple");
        if (!open.IsPunct(_in.Buffer, (byte)'('))
        {
            throw Fail($"expected '(' to start a VALUES tuple, found '{Excerpt(open)}'", open.Start, table);
        }

        line = _in.LineOf(open.Start);
        offset = _in.OffsetOf(open.Start);
        var count = 0;
        while (true)
        {
            var token = Require("a value");
            if (count > 0)
            {
                _row.GetSpan(1)[0] = (byte)'\t';
                _row.Advance(1);
            }
            else if (token.IsPunct(_in.Buffer, (byte)')'))
            {
                throw Fail("empty VALUES tuple '()'", token.Start, table);
            }

            if (_skipValues)
            {
                SkipValue(token, table);
            }
            else
            {
                ReadValue(token, table);
            }

            count++;
            var separator = Require("',' or ')' after a value");
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                break;
            }

            if (!separator.IsPunct(_in.Buffer, (byte)','))
            {
                throw Fail(
                    string.Create(CultureInfo.InvariantCulture, $"expected ',' or ')' after value {count}, found '{Excerpt(separator)}' (unbalanced quotes, or an expression sqlite3 does not write?)"),
                    separator.Start,
                    table);
            }
        }

        if (expected >= 0 && count != expected)
        {
            throw new DumpFormatException(
                string.Create(CultureInfo.InvariantCulture, $"row {rowNumber}: the VALUES tuple has {count} values but {expected} were expected: {_arityNote}"),
                _sourceName,
                table,
                line,
                offset);
        }

        return count;
    }

    /// <summary>
    /// Steps over one value expression of a table the filter leaves out, up to the ',' or ')' that ends it: its tokens are
    /// lexed (strings, quoted names, comments) but not evaluated. The row holds nothing.
    /// </summary>
    private void SkipValue(SqliteToken token, TableName table)
    {
        var depth = 0;
        while (true)
        {
            if (token.IsPunct(_in.Buffer, (byte)';'))
            {
                throw Fail("a ';' inside a VALUES tuple: the INSERT statement is incomplete", token.Start, table);
            }

            if (token.IsPunct(_in.Buffer, (byte)'('))
            {
                depth++;
            }
            else if (token.IsPunct(_in.Buffer, (byte)')'))
            {
                if (depth == 0)
                {
                    throw Fail("unexpected ')' where a value was expected", token.Start, table);
                }

                depth--;
            }

            var next = Require("',' or ')' after a value");
            if (depth == 0 && (next.IsPunct(_in.Buffer, (byte)',') || next.IsPunct(_in.Buffer, (byte)')')))
            {
                Unread(next);
                return;
            }

            token = next;
        }
    }

    /// <summary>Writes one value, starting with <paramref name="token"/>, as its escaped <see cref="SqliteText"/> field.</summary>
    private void ReadValue(SqliteToken token, TableName table)
    {
        var buffer = _in.Buffer;
        switch (token.Kind)
        {
            case SqliteTokenKind.String:
                if (!FollowedByConcat())
                {
                    WriteStringLiteral(token, table);
                    return;
                }

                break; // 'a'||char(10)||'b'

            case SqliteTokenKind.Blob:
                WriteBlob(token, table);
                return;

            case SqliteTokenKind.Number:
                WriteNumber(token, negative: false, table);
                return;

            case SqliteTokenKind.Punct when buffer[token.Start] == '-' && token.Length == 1:
                var number = Require("a number after '-'");
                if (number.Kind == SqliteTokenKind.Number)
                {
                    WriteNumber(number, negative: true, table);
                    return;
                }

                throw number.IsWord(_in.Buffer, "INF"u8)
                    ? Fail(InfinityWord, token.Start, table)
                    : Fail($"expected a number after '-', found '{Excerpt(number)}'", number.Start, table);

            case SqliteTokenKind.Punct when buffer[token.Start] == '+' && token.Length == 1:
                throw Fail("a '+' before a value: sqlite3 writes none, and the reader reads only what it writes", token.Start, table);

            case SqliteTokenKind.Word:
                if (token.IsWord(buffer, "NULL"u8))
                {
                    _row.Write(CopyText.Null);
                    return;
                }

                if (token.IsWord(buffer, "INF"u8))
                {
                    throw Fail(InfinityWord, token.Start, table);
                }

                if (token.IsWord(buffer, "REPLACE"u8) || token.IsWord(buffer, "CHAR"u8) || token.IsWord(buffer, "UNISTR"u8))
                {
                    break; // a text expression
                }

                throw Fail(
                    $"unsupported value '{Excerpt(token)}' in a VALUES tuple (sqlite3 writes NULL, numbers, 'text', X'hex', and replace(), char(), unistr() and || for text with control characters)",
                    token.Start,
                    table);

            case SqliteTokenKind.QuotedIdentifier:
                throw Fail("a \"double-quoted\" value is a name in SQL (SQLite takes it for a string only when no column has that name); sqlite3 writes strings in single quotes", token.Start, table);
        }

        if (token.Kind is not (SqliteTokenKind.String or SqliteTokenKind.Word))
        {
            throw Fail($"unexpected '{Excerpt(token)}' where a value was expected", token.Start, table);
        }

        var value = EvaluateText(token, table, depth: 0);
        WriteText(value.WrittenSpan, token, table);
        _scratchUsed--;
    }

    private const string InfinityWord =
        "Inf is not a value SQLite reads (older sqlite3 versions wrote an infinite REAL so, and could not load it back); write 1e999 (or -1e999) for it";

    /// <summary>Whether <c>||</c> follows (the position is left where it was).</summary>
    private bool FollowedByConcat()
    {
        var next = Next();
        if (next is { } token)
        {
            Unread(token);
            return token.IsConcat;
        }

        return false;
    }

    /// <summary>A plain <c>'...'</c>: the token is the field already (quotes doubled, as <see cref="SqliteText.Text"/> writes them).</summary>
    private void WriteStringLiteral(SqliteToken token, TableName table)
    {
        var text = token.Text(_in.Buffer);
        CheckText(text, token.Start, table);
        CopyText.Escape(text, _row);
    }

    /// <summary>Text must be UTF-8, without a NUL byte: sqlite3 reads a script as C text, which ends at a NUL.</summary>
    private void CheckText(ReadOnlySpan<byte> literal, int start, TableName table)
    {
        if (!Utf8.IsValid(literal))
        {
            var bad = ValidUtf8Prefix(literal);
            throw Fail($"invalid UTF-8 byte sequence (0x{literal[bad]:X2}) in a string literal", start + bad, table);
        }

        if (literal.IndexOf((byte)0) is var nul and >= 0)
        {
            throw Fail("a NUL byte inside a string literal: sqlite3 reads the script as C text and would cut the statement there", start + nul, table);
        }
    }

    /// <summary>A TEXT value's field: quoted, quotes doubled, escaped for the row text.</summary>
    private void WriteText(ReadOnlySpan<byte> value, SqliteToken token, TableName table)
    {
        if (!Utf8.IsValid(value))
        {
            throw Fail("the text value is not valid UTF-8", token.Start, table);
        }

        _row.Write("'"u8);
        while (true)
        {
            var quote = value.IndexOf((byte)'\'');
            if (quote < 0)
            {
                CopyText.Escape(value, _row);
                break;
            }

            CopyText.Escape(value[..quote], _row);
            _row.Write("''"u8);
            value = value[(quote + 1)..];
        }

        _row.Write("'"u8);
    }

    /// <summary><c>X'0aff'</c>: a BLOB's field, upper-case hex (<see cref="SqliteText.Blob"/>).</summary>
    private void WriteBlob(SqliteToken token, TableName table)
    {
        var digits = token.Text(_in.Buffer)[2..^1];
        if (digits.IndexOfAnyExcept(HexDigits) is var bad and >= 0)
        {
            throw Fail($"invalid hex digit '{(char)digits[bad]}' in a blob literal X'...'", token.Start + 2 + bad, table);
        }

        if (digits.Length % 2 != 0)
        {
            throw Fail("a blob literal X'...' with an odd number of hex digits (SQLite refuses it)", token.Start, table);
        }

        var span = _row.GetSpan(digits.Length + 3);
        span[0] = (byte)'X';
        span[1] = (byte)'\'';
        Ascii.ToUpper(digits, span.Slice(2, digits.Length), out _);
        span[2 + digits.Length] = (byte)'\'';
        _row.Advance(digits.Length + 3);
    }

    /// <summary>
    /// A number as SQLite reads it: digits that fit in 64 bits are an INTEGER (<see cref="SqliteText.Integer"/>); anything
    /// else numeric, an integer too large included, a REAL (<see cref="SqliteText.Real"/>; <c>1e999</c> is infinity).
    /// </summary>
    private void WriteNumber(SqliteToken token, bool negative, TableName table)
    {
        var text = token.Text(_in.Buffer);
        if (text.Length > 1 && text[0] == '0' && (text[1] | 0x20) == 'x')
        {
            throw Fail("a hexadecimal integer literal: sqlite3 writes integers in decimal, and the reader reads only what it writes", token.Start, table);
        }

        var integer = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
        if (integer && text.Length <= 18 && (text[0] != '0' || (text.Length == 1 && !negative)))
        {
            // Already canonical (no leading zero, no -0, fits in 64 bits): the digits are the field.
            if (negative)
            {
                _row.Write("-"u8);
            }

            _row.Write(text);
            return;
        }

        // Parsed and printed from the bytes, sign apart (IEEE parsing is symmetric: -x parses as the negation of x, -0.0 included).
        if (integer && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude) &&
            magnitude <= (negative ? 1UL << 63 : long.MaxValue))
        {
            SqliteFields.WriteInteger(negative ? unchecked((long)(0UL - magnitude)) : (long)magnitude, _row);
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            SqliteFields.WriteReal(negative ? -real : real, _row);
        }
        else
        {
            throw Fail($"'{(negative ? "-" : string.Empty)}{System.Text.Encoding.ASCII.GetString(text)}' is not a number SQLite reads", token.Start, table);
        }
    }

    // ---------------------------------------------------------------- text expressions

    /// <summary>
    /// Evaluates a text expression, as sqlite3 writes them for text holding control characters, into a scratch buffer (the
    /// caller releases it): <c>'...'</c>, <c>replace(X, Y, Z)</c>, <c>char(N, ...)</c>, <c>unistr('...')</c>, joined by <c>||</c>.
    /// </summary>
    private ByteBuilder EvaluateText(SqliteToken token, TableName table, int depth)
    {
        var result = RentScratch();
        AppendTerm(token, result, table, depth);
        while (true)
        {
            var next = Next();
            if (next is { IsConcat: true })
            {
                AppendTerm(Require("a text value after ||"), result, table, depth);
                continue;
            }

            if (next is { } other)
            {
                Unread(other);
            }

            return result;
        }
    }

    private void AppendTerm(SqliteToken token, ByteBuilder into, TableName table, int depth)
    {
        if (depth > MaxNesting)
        {
            throw Fail($"text expressions nested more than {MaxNesting} deep", token.Start, table);
        }

        var buffer = _in.Buffer;
        if (token.Kind == SqliteTokenKind.String)
        {
            var literal = token.Text(buffer);
            CheckText(literal, token.Start, table);
            var body = literal[1..^1];
            while (body.IndexOf("''"u8) is var quote and >= 0)
            {
                into.Write(body[..(quote + 1)]);
                body = body[(quote + 2)..];
            }

            into.Write(body);
            return;
        }

        var function = token.IsWord(buffer, "REPLACE"u8) ? "replace" : token.IsWord(buffer, "CHAR"u8) ? "char" : token.IsWord(buffer, "UNISTR"u8) ? "unistr" : null;
        if (function is null || Next() is not { } open || !open.IsPunct(_in.Buffer, (byte)'('))
        {
            throw Fail(
                $"unsupported '{Excerpt(token)}' in a text value (sqlite3 writes 'text', replace('...', '\\n', char(10)), char(N), unistr('...') and ||)",
                token.Start,
                table);
        }

        switch (function)
        {
            case "replace":
                {
                    var text = EvaluateText(Require("the text replace() works on"), table, depth + 1);
                    Expect(',', "replace(text, pattern, replacement)", table);
                    var pattern = EvaluateText(Require("the pattern of replace()"), table, depth + 1);
                    Expect(',', "replace(text, pattern, replacement)", table);
                    var replacement = EvaluateText(Require("the replacement of replace()"), table, depth + 1);
                    Expect(')', "replace(text, pattern, replacement)", table);
                    Replace(text.WrittenSpan, pattern.WrittenSpan, replacement.WrittenSpan, into);
                    _scratchUsed -= 3;
                    return;
                }

            case "unistr":
                {
                    var argument = Require("the text of unistr()");
                    var text = EvaluateText(argument, table, depth + 1);
                    Expect(')', "unistr(text)", table);
                    Unistr(text.WrittenSpan, into, argument, table);
                    _scratchUsed--;
                    return;
                }

            default:
                AppendChars(into, table);
                return;
        }
    }

    /// <summary>SQLite's replace(): every occurrence of <paramref name="pattern"/>, left to right, byte for byte; an empty pattern changes nothing.</summary>
    private static void Replace(ReadOnlySpan<byte> text, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> replacement, ByteBuilder into)
    {
        if (pattern.IsEmpty)
        {
            into.Write(text);
            return;
        }

        while (text.IndexOf(pattern) is var at and >= 0)
        {
            into.Write(text[..at]);
            into.Write(replacement);
            text = text[(at + pattern.Length)..];
        }

        into.Write(text);
    }

    /// <summary>char(N, ...) after its '(': each N a Unicode scalar value, appended as UTF-8 (char(0) is a NUL character, which SQLite text may hold).</summary>
    private void AppendChars(ByteBuilder into, TableName table)
    {
        var token = Require("a character code or ')' in char()");
        if (token.IsPunct(_in.Buffer, (byte)')'))
        {
            return; // char() is ''
        }

        while (true)
        {
            if (token.Kind != SqliteTokenKind.Number || token.Text(_in.Buffer).IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 ||
                !int.TryParse(token.Text(_in.Buffer), NumberStyles.None, CultureInfo.InvariantCulture, out var code) || !Rune.IsValid(code))
            {
                throw Fail($"char(): expected a Unicode code point in decimal (0 to 1114111, not a surrogate), found '{Excerpt(token)}'", token.Start, table);
            }

            AppendRune(into, new Rune(code));
            var separator = Require("',' or ')' in char()");
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                return;
            }

            if (!separator.IsPunct(_in.Buffer, (byte)','))
            {
                throw Fail($"expected ',' or ')' in char(), found '{Excerpt(separator)}'", separator.Start, table);
            }

            token = Require("a character code in char()");
        }
    }

    /// <summary>
    /// SQLite's unistr(): <c>\\</c> is a backslash; <c>\XXXX</c>, <c>\uXXXX</c>, <c>\+XXXXXX</c> and <c>\UXXXXXXXX</c> (hex) are that
    /// character; any other backslash is an error, as in SQLite. A code point that is not a Unicode scalar value is refused
    /// (SQLite would store bytes that are not UTF-8).
    /// </summary>
    private void Unistr(ReadOnlySpan<byte> text, ByteBuilder into, SqliteToken argument, TableName table)
    {
        while (text.IndexOf((byte)'\\') is var slash and >= 0)
        {
            into.Write(text[..slash]);
            var rest = text[(slash + 1)..];
            int digits;
            int skip;
            if (rest.Length > 0 && rest[0] == '\\')
            {
                into.Write("\\"u8);
                text = rest[1..];
                continue;
            }

            if (rest.Length > 0 && CopyText.IsHex(rest[0]))
            {
                (skip, digits) = (0, 4);
            }
            else if (rest.Length > 0 && rest[0] == 'u')
            {
                (skip, digits) = (1, 4);
            }
            else if (rest.Length > 0 && rest[0] == '+')
            {
                (skip, digits) = (1, 6);
            }
            else if (rest.Length > 0 && rest[0] == 'U')
            {
                (skip, digits) = (1, 8);
            }
            else
            {
                throw Fail("unistr(): a backslash that starts no escape (\\\\, \\XXXX, \\uXXXX, \\+XXXXXX or \\UXXXXXXXX): SQLite refuses it", argument.Start, table);
            }

            var hex = rest.Length >= skip + digits ? rest.Slice(skip, digits) : [];
            if (hex.Length != digits || hex.IndexOfAnyExcept(HexDigits) >= 0)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"unistr(): an escape without its {digits} hex digits: SQLite refuses it"), argument.Start, table);
            }

            var code = 0L;
            foreach (var b in hex)
            {
                code = (code << 4) | (uint)CopyText.HexValue(b);
            }

            if (code > 0x10FFFF || !Rune.IsValid((int)code))
            {
                throw Fail($"unistr(): U+{code:X} is not a Unicode character (SQLite would store it as bytes that are not UTF-8)", argument.Start, table);
            }

            AppendRune(into, new Rune((int)code));
            text = rest[(skip + digits)..];
        }

        into.Write(text);
    }

    private static void AppendRune(ByteBuilder into, Rune rune)
    {
        var span = into.GetSpan(4);
        into.Advance(rune.EncodeToUtf8(span));
    }

    private void Expect(char punct, string what, TableName table)
    {
        var token = Require($"'{punct}' in {what}");
        if (!token.IsPunct(_in.Buffer, (byte)punct))
        {
            throw Fail($"expected '{punct}' in {what}, found '{Excerpt(token)}'", token.Start, table);
        }
    }

    private ByteBuilder RentScratch()
    {
        if (_scratchUsed == _scratch.Count)
        {
            _scratch.Add(new ByteBuilder(256));
        }

        var builder = _scratch[_scratchUsed++];
        builder.Reset();
        return builder;
    }

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    /// <summary>Length of the longest well-formed UTF-8 prefix of <paramref name="bytes"/>.</summary>
    private static int ValidUtf8Prefix(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return i;
    }
}
