using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Selective.Restore.Dump.SqlServer;

/// <summary>VALUES tuples to COPY text lines: what each T-SQL literal form becomes (see docs/sqlserver-scripts.md).</summary>
internal sealed partial class SqlServerScriptParser
{
    // CAST(CAST(CAST(...))) deeper than this is not something a scripting tool writes.
    private const int MaxNesting = 16;

    /// <summary>
    /// Parses one <c>( value, ... )</c> tuple into <see cref="_row"/> as a COPY line. Synchronous over the buffer
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
        var open = Require("a '(' starting a VALUES tuple");
        if (!open.IsPunct(_in.Buffer, (byte)'('))
        {
            throw Fail($"expected '(' to start a VALUES tuple, found '{Excerpt(open)}'", open.Start, table);
        }

        line = _in.LineOf(open.Start);
        offset = _in.OffsetOf(open.Start);
        var count = 0;
        if (_anyBinary)
        {
            Array.Clear(_binaryFields);
            _anyBinary = false;
        }

        while (true)
        {
            _field = count;
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
                ReadValue(token, table, 0);
            }

            count++;
            var separator = Require("',' or ')' after a value");
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                break;
            }

            if (separator.IsPunct(_in.Buffer, (byte)','))
            {
                continue;
            }

            throw separator.IsWord(_in.Buffer, "COLLATE"u8)
                ? Fail("COLLATE after a value is not supported in a data script (the value itself is read; remove the COLLATE clause)", separator.Start, table)
                : Fail($"expected ',' or ')' after value {count}, found '{Excerpt(separator)}' (unbalanced quotes or an unsupported expression?)", separator.Start, table);
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
    /// Steps over one value expression of a table the filter leaves out, up to the ',' or ')' that ends it: its tokens
    /// are lexed (strings, brackets, comments) but not interpreted, so a value the reader does not read (a function call,
    /// DEFAULT) does not stop a read that does not need it. The row holds nothing.
    /// </summary>
    private void SkipValue(TSqlToken token, TableName table)
    {
        var depth = 0;
        while (true)
        {
            if (token.Kind == TSqlTokenKind.GoLine)
            {
                throw Fail("a GO line inside a VALUES tuple: the INSERT statement is incomplete", token.Start, table);
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

    /// <summary>Writes one value expression, starting with <paramref name="token"/>, as an escaped COPY field.</summary>
    private void ReadValue(TSqlToken token, TableName table, int depth)
    {
        var buffer = _in.Buffer;
        switch (token.Kind)
        {
            case TSqlTokenKind.String:
                if (depth == 0 && _field < _dateTypes.Length && _dateTypes[_field] is { } columnType)
                {
                    // SQL Server converts the string to the column's type under the session's DATEFORMAT.
                    WriteDate(token, columnType, _dateOrder, lenient: false, table, $"column {ColumnLabel()} ({columnType})");
                    return;
                }

                WriteString(token, table);
                return;

            case TSqlTokenKind.Number:
                _row.Write(token.Text(buffer));
                return;

            case TSqlTokenKind.Binary:
                WriteHex(token.Text(buffer)[2..], token, table);
                return;

            case TSqlTokenKind.Punct:
                var c = buffer[token.Start];
                if (c is (byte)'-' or (byte)'+' or (byte)'$')
                {
                    ReadSignedNumber(token, table);
                    return;
                }

                break;

            case TSqlTokenKind.Word:
                if (token.IsWord(buffer, "NULL"u8))
                {
                    _row.Write(CopyText.Null);
                    return;
                }

                if (token.IsWord(buffer, "DEFAULT"u8))
                {
                    throw Fail("DEFAULT in VALUES is not supported: the column's value is not in the script, so a restore cannot stage it", token.Start, table);
                }

                var isCast = token.IsWord(buffer, "CAST"u8) || token.IsWord(buffer, "TRY_CAST"u8);
                var isConvert = !isCast && (token.IsWord(buffer, "CONVERT"u8) || token.IsWord(buffer, "TRY_CONVERT"u8));
                var open = Next();
                var opens = open is { } o && o.IsPunct(_in.Buffer, (byte)'(');
                if (opens && depth >= MaxNesting)
                {
                    throw Fail($"value expressions nested more than {MaxNesting} deep", token.Start, table);
                }

                if (opens && isCast)
                {
                    ReadCast(token, table, depth);
                    return;
                }

                if (opens && isConvert)
                {
                    ReadConvert(token, table, depth);
                    return;
                }

                throw opens
                    ? Fail($"unsupported function {Excerpt(token)}(...) in a VALUES tuple (only literals, NULL, CAST and CONVERT are read)", token.Start, table)
                    : Fail($"unsupported value '{Excerpt(token)}' in a VALUES tuple (expected a literal, NULL, CAST or CONVERT; T-SQL has no TRUE/FALSE)", token.Start, table);

            case TSqlTokenKind.QuotedIdentifier:
                throw Fail("a \"double-quoted\" value is an identifier with QUOTED_IDENTIFIER ON (scripts written with QUOTED_IDENTIFIER OFF are not supported)", token.Start, table);

            case TSqlTokenKind.GoLine:
                throw Fail("a GO line inside a VALUES tuple: the INSERT statement is incomplete", token.Start, table);
        }

        throw Fail($"unexpected '{Excerpt(token)}' where a value was expected", token.Start, table);
    }

    /// <summary><c>-3</c>, <c>+3</c>, <c>$12.50</c>, <c>-$12.50</c>, <c>$-12.50</c>: the number with its sign (money loses its currency sign).</summary>
    private void ReadSignedNumber(TSqlToken first, TableName table)
    {
        var negative = false;
        var signed = false;
        var money = false;
        var token = first;
        while (token.Kind != TSqlTokenKind.Number)
        {
            var c = token.Kind == TSqlTokenKind.Punct ? _in.Buffer[token.Start] : (byte)0;
            if (c is (byte)'-' or (byte)'+' && !signed)
            {
                signed = true;
                negative = c == '-';
            }
            else if (c == '$' && !money)
            {
                money = true;
            }
            else
            {
                throw Fail($"expected a number after '{(char)_in.Buffer[first.Start]}', found '{Excerpt(token)}'", token.Start, table);
            }

            token = Require("a number");
        }

        if (negative)
        {
            _row.Write("-"u8);
        }

        _row.Write(token.Text(_in.Buffer));
    }

    /// <summary>
    /// <c>CAST(value AS type)</c> (after the '('): a string or binary constant cast to a date/time type is converted as SQL
    /// Server converts it; a binary constant cast to another type than a binary one is refused; anything else is the inner
    /// value, unconverted.
    /// </summary>
    private void ReadCast(TSqlToken functionToken, TableName table, int depth)
    {
        var function = functionToken.IsWord(_in.Buffer, "CAST"u8) ? "CAST" : "TRY_CAST";
        var value = Require("a value in CAST");
        var literal = value.Kind is TSqlTokenKind.String or TSqlTokenKind.Binary;
        if (!literal)
        {
            ReadValue(value, table, depth + 1);
        }

        var keyword = Require("AS in CAST");
        if (!keyword.IsWord(_in.Buffer, "AS"u8))
        {
            throw Fail($"expected AS in CAST(value AS type), found '{Excerpt(keyword)}'", keyword.Start, table);
        }

        var target = ReadType(table, ')', function);
        if (literal)
        {
            WriteConverted(value, target, _dateOrder, function, table);
        }
    }

    /// <summary>A string or binary constant converted to <paramref name="target"/> by CAST or CONVERT.</summary>
    private void WriteConverted(TSqlToken value, CastTarget target, TSqlDateOrder order, string function, TableName table)
    {
        var lenient = function.StartsWith("TRY_", StringComparison.Ordinal);
        if (target.Date is { } dateType)
        {
            if (value.Kind == TSqlTokenKind.String)
            {
                WriteDate(value, dateType, order, lenient, table, $"{function}(... AS {dateType})");
            }
            else
            {
                WriteBinaryDate(value, dateType, lenient, table, function);
            }

            return;
        }

        if (value.Kind == TSqlTokenKind.String)
        {
            WriteString(value, table);
            return;
        }

        if (!target.KeepsBytes)
        {
            // SQL Server reads the bytes as the type's internal form (a number, characters in a code page...): not a guess to make.
            throw Fail(
                $"{function}(0x... AS {target.Name}) is not supported: SQL Server reinterprets the bytes as {target.Name}, which the reader does not do " +
                "(it reads binary constants cast to binary, varbinary, image, rowversion, hierarchyid, geometry, geography, sql_variant " +
                "and to date, time, datetime, smalldatetime, datetime2 and datetimeoffset)",
                value.Start,
                table);
        }

        WriteHex(value.Text(_in.Buffer)[2..], value, table);
    }

    /// <summary>
    /// <c>CONVERT(type, value [, style])</c>: the value argument, unconverted; except a string converted to
    /// binary with style 1 (<c>'0x0AFF'</c>) or 2 (<c>'0AFF'</c>), which becomes those bytes.
    /// </summary>
    private void ReadConvert(TSqlToken functionToken, TableName table, int depth)
    {
        var function = functionToken.IsWord(_in.Buffer, "CONVERT"u8) ? "CONVERT" : "TRY_CONVERT";
        var target = ReadType(table, ',', function);
        var binary = target.Name is "binary" or "varbinary";

        var value = Require("a value in CONVERT");
        TSqlToken? deferred = null;
        if ((binary && value.Kind == TSqlTokenKind.String) || (target.Date is not null && value.Kind == TSqlTokenKind.String))
        {
            deferred = value; // the style decides: text or hex digits, or the order of a date's parts
        }
        else if (value.Kind == TSqlTokenKind.Binary)
        {
            WriteConverted(value, target, _dateOrder, function, table);
        }
        else
        {
            ReadValue(value, table, depth + 1);
        }

        var style = -1;
        var next = Require("')' closing CONVERT");
        if (next.IsPunct(_in.Buffer, (byte)','))
        {
            var styleToken = Require("a style number in CONVERT");
            if (styleToken.Kind != TSqlTokenKind.Number ||
                !int.TryParse(styleToken.Text(_in.Buffer), NumberStyles.None, CultureInfo.InvariantCulture, out style))
            {
                throw Fail($"expected a style number in {function}, found '{Excerpt(styleToken)}'", styleToken.Start, table);
            }

            next = Require("')' closing CONVERT");
        }

        if (!next.IsPunct(_in.Buffer, (byte)')'))
        {
            throw Fail($"expected ')' closing {function}, found '{Excerpt(next)}'", next.Start, table);
        }

        if (deferred is not { } text)
        {
            return;
        }

        if (target.Date is not null)
        {
            WriteConverted(text, target, StyleOrder(style, function, text, table), function, table);
        }
        else if (style is 1 or 2)
        {
            var inner = StringBody(text);
            if (style == 1)
            {
                if (!(inner.Length >= 2 && inner[0] == '0' && (inner[1] | 0x20) == 'x'))
                {
                    throw Fail("CONVERT to binary with style 1 expects a string starting with 0x", text.Start, table);
                }

                inner = inner[2..];
            }

            if (inner.IndexOfAnyExcept(HexDigits) >= 0 || inner.Length % 2 != 0)
            {
                throw Fail($"CONVERT to binary with style {style} expects an even number of hex digits", text.Start, table);
            }

            WriteHex(inner, text, table);
        }
        else
        {
            WriteString(text, table);
        }
    }

    /// <summary>
    /// The order of a date's parts that a CONVERT style gives a string (CAST and CONVERT's date and time styles): none, 0 and
    /// 100 follow DATEFORMAT; 1/101 and 10/110 are mdy; 3/103, 4/104 and 5/105 dmy; 2/102, 11/111, 12/112, 20/120, 21/121,
    /// 23, 126 and 127 year first (ymd). Other styles are refused rather than guessed.
    /// </summary>
    private TSqlDateOrder StyleOrder(int style, string function, TSqlToken text, TableName table) => style switch
    {
        -1 or 0 or 100 => _dateOrder,
        1 or 101 or 10 or 110 => TSqlDateOrder.Mdy,
        3 or 103 or 4 or 104 or 5 or 105 => TSqlDateOrder.Dmy,
        2 or 102 or 11 or 111 or 12 or 112 or 20 or 120 or 21 or 121 or 23 or 126 or 127 => TSqlDateOrder.Ymd,
        _ => throw Fail(string.Create(CultureInfo.InvariantCulture, $"{function} of a string to a date/time type with style {style} is not supported"), text.Start, table),
    };

    /// <summary>
    /// Writes a date/time string converted to <paramref name="type"/> under <paramref name="order"/>, in the neutral form
    /// (<see cref="TSqlDates.Format"/>). <paramref name="lenient"/> (TRY_CAST, TRY_CONVERT): a value SQL Server rejects is NULL.
    /// </summary>
    private void WriteDate(TSqlToken token, TSqlDateType type, TSqlDateOrder order, bool lenient, TableName table, string what)
    {
        var text = StringValue(token, table);
        TSqlDateStatus status;
        TSqlDateValue value;
        string problem;
        if (_dateOrderUnknown is { } unknown && DependsOnOrder(text))
        {
            status = TSqlDateStatus.Unsupported;
            value = default;
            problem = unknown;
        }
        else
        {
            status = TSqlDates.Parse(text, type, order, _englishMonths, out value, out problem);
        }

        if (TryWriteDate(status, value, type, lenient))
        {
            return;
        }

        var shown = System.Text.Encoding.UTF8.GetString(text[..Math.Min(text.Length, 60)]);
        throw Fail(
            status == TSqlDateStatus.Invalid
                ? $"{what}: '{shown}' is not a valid {type} under DATEFORMAT {TSqlDates.Name(order)}: {problem}"
                : $"{what}: the reader does not convert '{shown}' to {type}: {problem}",
            token.Start,
            table);
    }

    /// <summary>Whether a date string's reading could depend on DATEFORMAT or the language: anything but ISO 8601 with a T, unseparated digits, or a time alone.</summary>
    private static bool DependsOnOrder(ReadOnlySpan<byte> text)
    {
        text = text.Trim((byte)' ');
        var isoT = text.Length >= 11 && text[10] is (byte)'T' or (byte)'t';
        var unseparated = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') is var k && (k < 0 || text[k] == ' ');
        var timeOnly = text.IndexOf((byte)':') is var colon && colon > 0 && colon <= 2 && text[..colon].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
        return !(isoT || unseparated || timeOnly);
    }

    /// <summary>Writes <c>CAST(0x... AS date/time type)</c>: the bytes decoded as SQL Server's binary form of the type (<see cref="TSqlDates.Decode"/>).</summary>
    private void WriteBinaryDate(TSqlToken token, TSqlDateType type, bool lenient, TableName table, string function)
    {
        var digits = token.Text(_in.Buffer)[2..];
        if (digits.IndexOfAnyExcept(HexDigits) >= 0)
        {
            throw Fail("invalid hex digit in a binary constant", token.Start, table);
        }

        Span<byte> bytes = stackalloc byte[16];
        if (digits.Length > 2 * bytes.Length || digits.Length % 2 != 0)
        {
            throw Fail($"{function}(0x... AS {type}): the binary constant has {digits.Length} hex digits, which is not {type}'s binary form", token.Start, table);
        }

        var length = digits.Length / 2;
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((HexValue(digits[2 * i]) << 4) | HexValue(digits[(2 * i) + 1]));
        }

        var status = TSqlDates.Decode(bytes[..length], type, out var value, out var problem);
        if (!TryWriteDate(status, value, type, lenient))
        {
            throw Fail($"{function}(0x... AS {type}): {problem}", token.Start, table);
        }
    }

    /// <summary>Writes a converted date in its neutral form, or NULL for an invalid one under TRY_CAST/TRY_CONVERT; false when the caller must fail.</summary>
    private bool TryWriteDate(TSqlDateStatus status, TSqlDateValue value, TSqlDateType type, bool lenient)
    {
        if (status == TSqlDateStatus.Ok)
        {
            var span = _row.GetSpan(TSqlDates.MaxFormattedLength);
            _row.Advance(TSqlDates.Format(value, type, span));
            return true;
        }

        if (status == TSqlDateStatus.Invalid && lenient)
        {
            _row.Write(CopyText.Null);
            return true;
        }

        return false;
    }

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>The current field's column name, or its position when the script does not name the columns.</summary>
    private string ColumnLabel() => _field < _columnNames.Length ? _columnNames[_field] : string.Create(CultureInfo.InvariantCulture, $"{_field + 1}");

    /// <summary>The type named in CAST/CONVERT, as far as the reader needs it.</summary>
    /// <param name="Name">The type's name in lower case (the last part of a qualified name, for messages).</param>
    /// <param name="Date">The date/time type it is, with its scale, when it is one of SQL Server's (an unqualified name).</param>
    /// <param name="KeepsBytes">A type a binary constant converts to without reinterpreting its bytes.</param>
    private readonly record struct CastTarget(string Name, TSqlDateType? Date, bool KeepsBytes);

    /// <summary>
    /// Reads a type name (<c>Decimal(18, 2)</c>, <c>[varbinary](max)</c>, <c>[dbo].[MyType]</c>) and the <paramref name="close"/>
    /// that ends it: its name, and its date/time type and scale (<c>DateTime2(3)</c>) when it is one.
    /// </summary>
    private CastTarget ReadType(TableName table, char close, string function)
    {
        var depth = 0;
        var any = false;
        var parts = 0;
        var name = string.Empty;
        var qualified = false;
        var firstArgument = -1;
        TSqlToken? argumentToken = null;
        while (true)
        {
            var token = Require($"a type in {function}");
            var buffer = _in.Buffer;
            if (depth == 0 && token.IsPunct(buffer, (byte)close))
            {
                if (!any)
                {
                    throw Fail($"expected a type name in {function}", token.Start, table);
                }

                break;
            }

            if (token.IsPunct(buffer, (byte)'('))
            {
                depth++;
            }
            else if (token.IsPunct(buffer, (byte)')'))
            {
                if (depth == 0)
                {
                    throw Fail($"unexpected ')' in the type of {function}", token.Start, table);
                }

                depth--;
            }
            else if (depth == 0 && token.IsIdentifier)
            {
                name = Ident(token).ToLowerInvariant();
                parts++;
            }
            else if (depth == 0 && token.IsPunct(buffer, (byte)'.'))
            {
                qualified = true;
            }
            else if (depth == 1 && token.Kind == TSqlTokenKind.Number && argumentToken is null)
            {
                argumentToken = token;
                firstArgument = int.TryParse(token.Text(buffer), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
            }
            else if (!(token.IsIdentifier || token.Kind == TSqlTokenKind.Number || token.IsPunct(buffer, (byte)',') || token.IsPunct(buffer, (byte)'.')))
            {
                throw Fail($"unexpected '{Excerpt(token)}' in the type of {function}", token.Start, table);
            }

            any = true;
        }

        TSqlDateType? date = null;
        if (!qualified && parts == 1 && TSqlDateType.TryKind(name, out var kind))
        {
            var type = TSqlDateType.Of(kind);
            if (argumentToken is { } argument)
            {
                if (!type.HasScale || firstArgument > 7)
                {
                    throw Fail($"{function}(... AS {name}({Excerpt(argument)})): {(type.HasScale ? "the scale is 0 to 7" : $"{name} takes no scale")}", argument.Start, table);
                }

                type = type with { Scale = (byte)firstArgument };
            }

            date = type;
        }

        var keepsBytes = !qualified && parts == 1 && name is "binary" or "varbinary" or "image" or "rowversion" or "timestamp" or "hierarchyid" or "geometry" or "geography" or "sql_variant";
        return new CastTarget(name, date, keepsBytes);
    }

    /// <summary>The characters between a string token's quotes, still with doubled quotes.</summary>
    private ReadOnlySpan<byte> StringBody(TSqlToken token)
    {
        var text = token.Text(_in.Buffer);
        return text[(token.NPrefix ? 2 : 1)..^1];
    }

    /// <summary>
    /// <c>'...'</c> / <c>N'...'</c>: the string's characters, <c>''</c> read as one quote, and a backslash right
    /// before a line end removed with the line end (T-SQL's line continuation in string constants).
    /// </summary>
    private void WriteString(TSqlToken token, TableName table) => CopyText.Escape(StringValue(token, table), _row);

    /// <summary>A string token's value (see <see cref="WriteString"/>), checked for valid UTF-8 and no U+0000; it may live in <see cref="_value"/>.</summary>
    private ReadOnlySpan<byte> StringValue(TSqlToken token, TableName table)
    {
        var inner = StringBody(token);
        var value = inner;
        if (inner.IndexOfAny((byte)'\'', (byte)'\\') >= 0)
        {
            _value.Reset();
            var rest = inner;
            while (true)
            {
                var k = rest.IndexOfAny((byte)'\'', (byte)'\\');
                if (k < 0)
                {
                    _value.Write(rest);
                    break;
                }

                if (rest[k] == '\'')
                {
                    _value.Write(rest[..(k + 1)]);
                    rest = rest[(k + 2)..]; // the lexer guarantees the doubled quote
                    continue;
                }

                var lineEnd = k + 1 < rest.Length && rest[k + 1] == '\n' ? 1 : k + 2 < rest.Length && rest[k + 1] == '\r' && rest[k + 2] == '\n' ? 2 : 0;
                _value.Write(rest[..(lineEnd > 0 ? k : k + 1)]);
                rest = rest[(k + 1 + lineEnd)..];
            }

            value = _value.WrittenSpan;
        }

        if (!Utf8.IsValid(value))
        {
            var bodyStart = token.Start + (token.NPrefix ? 2 : 1);
            var bad = ValidUtf8Prefix(inner);
            throw Fail($"invalid UTF-8 byte sequence (0x{inner[bad]:X2}) in a string literal", bodyStart + bad, table);
        }

        if (value.IndexOf((byte)0) >= 0)
        {
            throw Fail("a string literal contains a zero character (U+0000), which PostgreSQL text cannot hold", token.Start, table);
        }

        return value;
    }

    /// <summary>Marks the current field as a binary constant (<see cref="DumpRow.BinaryFields"/>).</summary>
    private void MarkBinary()
    {
        if (_field >> 6 >= _binaryFields.Length)
        {
            Array.Resize(ref _binaryFields, Math.Max(_binaryFields.Length * 2, (_field >> 6) + 1));
        }

        _binaryFields[_field >> 6] |= 1UL << _field;
        _anyBinary = true;
    }

    /// <summary>Hex digits of a binary constant as bytea hex text <c>\x0aff</c>, escaped for COPY (<c>\\x0aff</c>); an odd count gets a leading 0 as in T-SQL.</summary>
    private void WriteHex(ReadOnlySpan<byte> digits, TSqlToken token, TableName table)
    {
        if (digits.IndexOfAnyExcept(HexDigits) >= 0)
        {
            throw Fail("invalid hex digit in a binary constant", token.Start, table);
        }

        MarkBinary();
        var odd = digits.Length % 2;
        var span = _row.GetSpan(3 + odd + digits.Length);
        span[0] = (byte)'\\';
        span[1] = (byte)'\\';
        span[2] = (byte)'x';
        if (odd == 1)
        {
            span[3] = (byte)'0';
        }

        Ascii.ToLower(digits, span.Slice(3 + odd, digits.Length), out _);
        _row.Advance(3 + odd + digits.Length);
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
