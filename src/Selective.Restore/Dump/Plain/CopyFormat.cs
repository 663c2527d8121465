using System.Buffers;

namespace Selective.Restore.Dump.Plain;

/// <summary>Whether a COPY's data starts with a header line, and whether the server checks it.</summary>
internal enum CopyHeader : byte
{
    None,

    /// <summary><c>HEADER</c>: the first line is skipped.</summary>
    Skip,

    /// <summary><c>HEADER MATCH</c> (PostgreSQL 15+): the first line must name the columns, in order.</summary>
    Match,
}

/// <summary>
/// The data format a <c>COPY ... FROM stdin</c> statement's options give its rows (issue 11, point 6): text with another
/// delimiter or NULL marker, CSV with its quote, escape, FORCE_NULL and FORCE_NOT_NULL, a header line, another encoding.
/// Options are read and checked as the server's <c>ProcessCopyOptions</c> does, in both spellings (the generic
/// <c>WITH (FORMAT csv, ...)</c> and the old <c>WITH DELIMITER '|' NULL AS '' CSV HEADER</c>); what the server would
/// refuse, or what changes the data in a way the reader cannot follow (<c>FORMAT binary</c>, <c>DEFAULT</c>,
/// <c>ON_ERROR ignore</c>, a <c>WHERE</c> clause), is refused naming the option.
/// </summary>
internal sealed class CopyFormat
{
    private static readonly SearchValues<byte> TextSpecials = SearchValues.Create("\\\n\r"u8);

    // What ends or changes the state of a record: line ends, and the backslash (text) or the quote and escape (CSV).
    private SearchValues<byte> _recordSpecials = TextSpecials;

    private CopyFormat()
    {
    }

    /// <summary>CSV (else text).</summary>
    public bool Csv { get; private set; }

    public byte Delimiter { get; private set; } = (byte)'\t';

    /// <summary>The NULL marker, compared with a field's raw text (before de-escaping; CSV: unquoted fields only).</summary>
    public byte[] Null { get; private set; } = [(byte)'\\', (byte)'N'];

    public byte Quote { get; private set; } = (byte)'"';

    public byte Escape { get; private set; } = (byte)'"';

    public CopyHeader Header { get; private set; }

    /// <summary>Per data column: an unquoted NULL marker is the marker's text, not NULL (CSV <c>FORCE_NOT_NULL</c>).</summary>
    public bool[]? ForceNotNull { get; private set; }

    /// <summary>Per data column: a quoted field equal to the NULL marker is NULL (CSV <c>FORCE_NULL</c>).</summary>
    public bool[]? ForceNull { get; private set; }

    /// <summary>The <c>ENCODING</c> option: the data is in this encoding whatever client_encoding says; null when not given.</summary>
    public ClientEncoding? Encoding { get; private set; }

    /// <summary>True when the rows are COPY's default text format, which the reader passes on as they are.</summary>
    public bool IsDefaultText => !Csv && Delimiter == '\t' && Null.AsSpan().SequenceEqual("\\N"u8) && Header == CopyHeader.None;

    /// <summary>A reason the options are refused, and the token it is about.</summary>
    internal sealed class OptionException(string reason, int token) : Exception(reason)
    {
        public int Token { get; } = token;
    }

    /// <summary>
    /// Reads the options after <c>FROM stdin</c>: <paramref name="tokens"/> (of <paramref name="statement"/>) up to and including
    /// the <c>;</c>. <paramref name="columns"/> are the COPY's data columns (its list, or the table's from its CREATE TABLE),
    /// null when unknown. Throws <see cref="OptionException"/>.
    /// </summary>
    public static CopyFormat Parse(ReadOnlySpan<byte> statement, List<Token> tokens, Func<Token, string> decodeString, IReadOnlyList<string>? columns)
    {
        var span = statement.ToArray(); // (a few options: the local functions below need an array)
        var options = new List<Option>();
        var i = 0;
        Token At(int index) => tokens[Math.Min(index, tokens.Count - 1)];
        bool IsWord(int index, ReadOnlySpan<byte> upper) => index < tokens.Count && tokens[index].IsWord(span, upper);
        bool IsPunct(int index, byte c) => index < tokens.Count && tokens[index].IsPunct(span, c);

        string StringConstant(int index, string what)
        {
            if (index >= tokens.Count || !IsStringConstant(span, tokens[index]))
            {
                throw new OptionException($"{what} must be followed by a quoted string", Math.Min(index, tokens.Count - 1));
            }

            return StringValue(span, tokens[index], decodeString);
        }

        // [USING] DELIMITERS 'x' (the oldest spelling), then [WITH].
        if (IsWord(i, "USING"u8))
        {
            i++;
        }

        if (IsWord(i, "DELIMITERS"u8))
        {
            options.Add(new Option("delimiter", StringConstant(i + 1, "DELIMITERS"), i));
            i += 2;
        }

        if (IsWord(i, "WITH"u8))
        {
            i++;
        }

        if (IsPunct(i, (byte)'('))
        {
            i = ParseGeneric(span, tokens, i + 1, decodeString, options);
        }
        else
        {
            // The old list: BINARY, FREEZE, DELIMITER [AS] 'x', NULL [AS] 'x', CSV, HEADER, QUOTE [AS] 'x', ESCAPE [AS] 'x',
            // FORCE QUOTE cols|*, FORCE NOT NULL cols|*, FORCE NULL cols|*, ENCODING 'x'.
            while (i < tokens.Count && !IsPunct(i, (byte)';') && !IsWord(i, "WHERE"u8))
            {
                var at = i;
                var word = tokens[i].Kind == TokenKind.Word ? SqlCommands.Upper(tokens[i].Text(span)) : string.Empty;
                i++;
                switch (word)
                {
                    case "BINARY":
                        options.Add(new Option("format", "binary", at));
                        break;
                    case "FREEZE":
                        options.Add(new Option("freeze", null, at));
                        break;
                    case "CSV":
                        options.Add(new Option("format", "csv", at));
                        break;
                    case "HEADER":
                        options.Add(new Option("header", null, at));
                        break;
                    case "DELIMITER" or "NULL" or "QUOTE" or "ESCAPE" or "ENCODING":
                        if (!string.Equals(word, "ENCODING", StringComparison.Ordinal) && IsWord(i, "AS"u8))
                        {
                            i++;
                        }

                        options.Add(new Option(word.ToLowerInvariant(), StringConstant(i, word), at));
                        i++;
                        break;
                    case "FORCE":
                        var name = IsWord(i, "QUOTE"u8) ? "force_quote" : IsWord(i, "NULL"u8) ? "force_null" : IsWord(i, "NOT"u8) && IsWord(i + 1, "NULL"u8) ? "force_not_null" : null;
                        if (name is null)
                        {
                            throw new OptionException("FORCE must be followed by QUOTE, NOT NULL or NULL and a column list", at);
                        }

                        i += string.Equals(name, "force_not_null", StringComparison.Ordinal) ? 2 : 1;
                        if (IsPunct(i, (byte)'*'))
                        {
                            options.Add(new Option(name, "*", at));
                            i++;
                            break;
                        }

                        var list = new List<string>();
                        while (true)
                        {
                            if (i >= tokens.Count || tokens[i].Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
                            {
                                throw new OptionException($"FORCE {name[6..].Replace('_', ' ').ToUpperInvariant()} must be followed by column names", Math.Min(i, tokens.Count - 1));
                            }

                            list.Add(SqlLiteral.Identifier(tokens[i].Text(span), tokens[i].Kind));
                            i++;
                            if (!IsPunct(i, (byte)','))
                            {
                                break;
                            }

                            i++;
                        }

                        options.Add(new Option(name, null, at, list));
                        break;
                    default:
                        throw new OptionException($"'{SqlCommands.Excerpt(tokens[at].Text(span), 30)}' is not a COPY option (the server would refuse the statement)", at);
                }
            }
        }

        if (IsWord(i, "WHERE"u8))
        {
            throw new OptionException("COPY ... WHERE loads only the rows its condition accepts, which the reader cannot evaluate", i);
        }

        if (!IsPunct(i, (byte)';') || i != tokens.Count - 1)
        {
            throw new OptionException($"unexpected '{SqlCommands.Excerpt(At(i).Text(span), 30)}' in the COPY statement's options", Math.Min(i, tokens.Count - 1));
        }

        return Build(options, columns);
    }

    private static bool IsStringConstant(ReadOnlySpan<byte> span, Token token) =>
        token.Kind == TokenKind.DollarString || (token.Kind == TokenKind.String && token.Prefix is 0 or (byte)'E' or (byte)'e');

    private static string StringValue(ReadOnlySpan<byte> span, Token token, Func<Token, string> decodeString)
    {
        if (token.Kind != TokenKind.DollarString)
        {
            return decodeString(token);
        }

        var text = token.Text(span);
        var tag = text[1..].IndexOf((byte)'$') + 2;
        return System.Text.Encoding.UTF8.GetString(text[tag..^tag]);
    }

    /// <summary>The generic list after '(': name [value | (list) | *], ... ')'. Returns the index after the ')'.</summary>
    private static int ParseGeneric(ReadOnlySpan<byte> span, List<Token> tokens, int i, Func<Token, string> decodeString, List<Option> options)
    {
        while (true)
        {
            if (i >= tokens.Count || tokens[i].Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
            {
                throw new OptionException("expected a COPY option name", Math.Min(i, tokens.Count - 1));
            }

            var at = i;
            var name = SqlLiteral.Identifier(tokens[i].Text(span), tokens[i].Kind);
            i++;
            string? value = null;
            List<string>? list = null;
            var token = i < tokens.Count ? tokens[i] : default;
            if (i >= tokens.Count)
            {
                throw new OptionException("the COPY option list is not closed", tokens.Count - 1);
            }

            if (token.IsPunct(span, (byte)'('))
            {
                list = [];
                i++;
                while (true)
                {
                    if (i >= tokens.Count || !(tokens[i].Kind is TokenKind.Word or TokenKind.QuotedIdentifier || IsStringConstant(span, tokens[i])))
                    {
                        throw new OptionException($"expected a name in the list of option {name}", Math.Min(i, tokens.Count - 1));
                    }

                    list.Add(tokens[i].Kind is TokenKind.String or TokenKind.DollarString ? StringValue(span, tokens[i], decodeString) : SqlLiteral.Identifier(tokens[i].Text(span), tokens[i].Kind));
                    i++;
                    if (i < tokens.Count && tokens[i].IsPunct(span, (byte)','))
                    {
                        i++;
                        continue;
                    }

                    if (i < tokens.Count && tokens[i].IsPunct(span, (byte)')'))
                    {
                        i++;
                        break;
                    }

                    throw new OptionException($"expected ',' or ')' in the list of option {name}", Math.Min(i, tokens.Count - 1));
                }
            }
            else if (token.IsPunct(span, (byte)'*'))
            {
                value = "*";
                i++;
            }
            else if (IsStringConstant(span, token))
            {
                value = StringValue(span, token, decodeString);
                i++;
            }
            else if (token.Kind is TokenKind.Word or TokenKind.Number)
            {
                value = token.Kind == TokenKind.Word ? SqlLiteral.Identifier(token.Text(span), TokenKind.Word) : System.Text.Encoding.ASCII.GetString(token.Text(span));
                i++;
            }
            else if (token.IsPunct(span, (byte)'-') && i + 1 < tokens.Count && tokens[i + 1].Kind == TokenKind.Number)
            {
                value = "-" + System.Text.Encoding.ASCII.GetString(tokens[i + 1].Text(span));
                i += 2;
            }

            options.Add(new Option(name, value, at, list));
            if (i < tokens.Count && tokens[i].IsPunct(span, (byte)','))
            {
                i++;
                continue;
            }

            if (i < tokens.Count && tokens[i].IsPunct(span, (byte)')'))
            {
                return i + 1;
            }

            throw new OptionException("expected ',' or ')' in the COPY option list", Math.Min(i, tokens.Count - 1));
        }
    }

    private sealed record Option(string Name, string? Value, int Token, List<string>? List = null);

    /// <summary>The checks of the server's ProcessCopyOptions (COPY FROM), then what the reader can follow.</summary>
    private static CopyFormat Build(List<Option> options, IReadOnlyList<string>? columns)
    {
        var format = new CopyFormat();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? delimiter = null;
        string? nullMarker = null;
        string? quote = null;
        string? escape = null;
        Option? forceNull = null;
        Option? forceNotNull = null;
        var binary = false;
        foreach (var option in options)
        {
            if (!seen.Add(option.Name))
            {
                throw new OptionException($"the COPY option {option.Name} is given twice (the server refuses conflicting or redundant options)", option.Token);
            }

            switch (option.Name)
            {
                case "format":
                    switch (StringOf(option))
                    {
                        case "text":
                            break;
                        case "csv":
                            format.Csv = true;
                            break;
                        case "binary":
                            binary = true;
                            break;
                        default:
                            throw new OptionException($"COPY format \"{option.Value}\" is not one the server knows", option.Token);
                    }

                    break;
                case "freeze":
                    BooleanOf(option); // no effect on the rows
                    break;
                case "delimiter":
                    delimiter = StringOf(option);
                    break;
                case "null":
                    nullMarker = StringOf(option);
                    break;
                case "header":
                    format.Header = string.Equals(option.Value, "match", StringComparison.OrdinalIgnoreCase) ? CopyHeader.Match : BooleanOf(option) ? CopyHeader.Skip : CopyHeader.None;
                    break;
                case "quote":
                    quote = StringOf(option);
                    break;
                case "escape":
                    escape = StringOf(option);
                    break;
                case "encoding":
                    var name = StringOf(option);
                    var encoding = ClientEncoding.Find(name)
                        ?? throw new OptionException($"the COPY option ENCODING '{name}' is not an encoding PostgreSQL knows", option.Token);
                    format.Encoding = encoding.Refusal is { } refusal
                        ? throw new OptionException($"the COPY data is in {encoding.Name} (ENCODING '{name}'), which the reader cannot convert to UTF-8 exactly: {refusal}", option.Token)
                        : encoding;
                    break;
                case "force_not_null":
                    forceNotNull = option;
                    break;
                case "force_null":
                    forceNull = option;
                    break;
                case "force_quote":
                    throw new OptionException("FORCE_QUOTE applies to COPY TO only (the server refuses it in COPY FROM)", option.Token);
                case "default":
                    throw new OptionException("the COPY option DEFAULT makes the fields that match it take the column's default, which the reader cannot compute", option.Token);
                case "on_error" when string.Equals(option.Value, "stop", StringComparison.OrdinalIgnoreCase):
                    break;
                case "on_error":
                    throw new OptionException($"the COPY option ON_ERROR {option.Value} makes the server skip the rows its types refuse, which the reader cannot tell", option.Token);
                case "log_verbosity":
                    break; // messages only
                case "reject_limit":
                    throw new OptionException("the COPY option REJECT_LIMIT goes with ON_ERROR ignore, which drops rows the reader cannot tell", option.Token);
                default:
                    throw new OptionException($"\"{option.Name}\" is not a COPY option the reader knows (the server would refuse it, or it changes the rows in a way the reader cannot follow)", option.Token);
            }
        }

        if (binary)
        {
            throw new OptionException("FORMAT binary: binary COPY data cannot be part of a psql script (psql sends the lines after the statement as text)", options.First(o => string.Equals(o.Name, "format", StringComparison.Ordinal)).Token);
        }

        var first = options.Count > 0 ? options[0].Token : 0;
        delimiter ??= format.Csv ? "," : "\t";
        nullMarker ??= format.Csv ? string.Empty : "\\N";
        var delimiterBytes = System.Text.Encoding.UTF8.GetBytes(delimiter);
        var nullBytes = System.Text.Encoding.UTF8.GetBytes(nullMarker);
        if (delimiterBytes.Length != 1)
        {
            throw new OptionException("the COPY delimiter must be a single one-byte character", first);
        }

        format.Delimiter = delimiterBytes[0];
        format.Null = nullBytes;
        if (format.Delimiter is (byte)'\r' or (byte)'\n')
        {
            throw new OptionException("the COPY delimiter cannot be newline or carriage return", first);
        }

        if (nullBytes.AsSpan().IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new OptionException("the COPY NULL marker cannot hold a newline or carriage return", first);
        }

        if (!format.Csv && "\\.abcdefghijklmnopqrstuvwxyz0123456789".Contains((char)format.Delimiter, StringComparison.Ordinal))
        {
            throw new OptionException($"the COPY delimiter cannot be \"{delimiter}\" in text format", first);
        }

        if (!format.Csv && (quote ?? escape) is not null)
        {
            throw new OptionException($"COPY {(quote is not null ? "QUOTE" : "ESCAPE")} is available only in CSV format", first);
        }

        if (!format.Csv && (forceNull ?? forceNotNull) is { } force)
        {
            throw new OptionException($"COPY {(force == forceNull ? "FORCE_NULL" : "FORCE_NOT_NULL")} is available only in CSV format", force.Token);
        }

        if (format.Csv)
        {
            var quoteBytes = System.Text.Encoding.UTF8.GetBytes(quote ?? "\"");
            var escapeBytes = escape is null ? quoteBytes : System.Text.Encoding.UTF8.GetBytes(escape);
            if (quoteBytes.Length != 1 || escapeBytes.Length != 1)
            {
                throw new OptionException($"the COPY {(quoteBytes.Length != 1 ? "quote" : "escape")} must be a single one-byte character", first);
            }

            format.Quote = quoteBytes[0];
            format.Escape = escapeBytes[0];
            if (format.Quote == format.Delimiter)
            {
                throw new OptionException("the COPY delimiter and quote must be different", first);
            }

            if (nullBytes.AsSpan().Contains(format.Quote))
            {
                throw new OptionException("the CSV quote character must not appear in the NULL marker", first);
            }
        }

        if (nullBytes.AsSpan().Contains(format.Delimiter))
        {
            throw new OptionException("the COPY delimiter must not appear in the NULL marker", first);
        }

        if (format.Csv)
        {
            format._recordSpecials = SearchValues.Create([format.Quote, format.Escape, (byte)'\n', (byte)'\r']);
        }

        format.ForceNotNull = Flags(forceNotNull, columns);
        format.ForceNull = Flags(forceNull, columns);
        if (format.Header == CopyHeader.Match && columns is null)
        {
            throw new OptionException("HEADER MATCH compares the header with the columns, which the COPY statement does not list (and no CREATE TABLE before it gives)", first);
        }

        return format;
    }

    /// <summary>A FORCE_NULL or FORCE_NOT_NULL column list as per-column flags; every name must be one of the COPY's columns.</summary>
    private static bool[]? Flags(Option? option, IReadOnlyList<string>? columns)
    {
        if (option is null)
        {
            return null;
        }

        var label = option.Name.ToUpperInvariant();
        if (columns is null)
        {
            throw new OptionException($"{label} names columns, but the COPY statement does not list its columns (and no CREATE TABLE before it gives them)", option.Token);
        }

        var flags = new bool[columns.Count];
        if (string.Equals(option.Value, "*", StringComparison.Ordinal))
        {
            Array.Fill(flags, true);
            return flags;
        }

        if (option.List is not { } names)
        {
            throw new OptionException($"{label} must be followed by a list of column names", option.Token);
        }

        foreach (var name in names)
        {
            var index = columns.ToList().IndexOf(name);
            if (index < 0)
            {
                throw new OptionException($"{label} column \"{name}\" is not one of the COPY's columns", option.Token);
            }

            flags[index] = true;
        }

        return flags;
    }

    private static string StringOf(Option option) =>
        option.Value ?? throw new OptionException($"the COPY option {option.Name} requires a value", option.Token);

    private static bool BooleanOf(Option option) => option.Value?.ToLowerInvariant() switch
    {
        null or "true" or "on" or "1" => true,
        "false" or "off" or "0" => false,
        _ => throw new OptionException($"the COPY option {option.Name} requires a Boolean value", option.Token),
    };

    // ------------------------------------------------------------------ rows

    /// <summary>Where one record of the data ends (<see cref="FindRecord"/>).</summary>
    internal enum RecordStatus : byte
    {
        Record,

        /// <summary>A <c>\.</c> line: psql ends the data there.</summary>
        End,

        NeedMore,
    }

    /// <summary>
    /// Finds the record at the start of <paramref name="span"/> as the server's line reader does (CSV: quoted fields span
    /// lines; text: a backslash escapes the next byte, a newline too), with psql's end of data: a line that is exactly
    /// <c>\.</c> (LF or CR LF), wherever it stands, even inside a quoted field, where the server would then fail.
    /// <paramref name="crLf"/> is the line end style, decided by the first record (null until then).
    /// </summary>
    /// <returns>The status; for a record, its length without the line end, the bytes it takes with it and its newlines.</returns>
    public RecordStatus FindRecord(ReadOnlySpan<byte> span, bool final, ref bool? crLf, out int length, out int consumed, out int lines)
    {
        length = consumed = lines = 0;
        switch (IsEndLine(span, 0, final, out var endLength))
        {
            case null:
                return RecordStatus.NeedMore;
            case true:
                consumed = endLength;
                lines = 1;
                return RecordStatus.End;
        }

        var inQuote = false;
        var lastWasEscape = false;
        var i = 0;
        while (true)
        {
            var hit = span[i..].IndexOfAny(_recordSpecials);
            if (hit < 0)
            {
                return RecordStatus.NeedMore;
            }

            i += hit;
            var c = span[i];
            if (Csv && (c == Quote || c == Escape))
            {
                // The server's line reader: an escape inside quotes (when it is not the quote) protects the next quote.
                if (inQuote && c == Escape && Escape != Quote)
                {
                    lastWasEscape = !lastWasEscape;
                }

                if (c == Quote && !lastWasEscape)
                {
                    inQuote = !inQuote;
                }

                if (c != Escape || Escape == Quote)
                {
                    lastWasEscape = false;
                }

                i++;
                if (lastWasEscape && i < span.Length && span[i] != Quote && span[i] != Escape)
                {
                    lastWasEscape = false; // the server clears it on any other byte, which the search above skips
                }

                continue;
            }

            lastWasEscape = false;
            if (c == '\\')
            {
                if (i + 1 >= span.Length)
                {
                    return RecordStatus.NeedMore;
                }

                if (span[i + 1] == '.')
                {
                    throw new RecordException("holds an unescaped \\. (backslash-dot), which PostgreSQL reads as the end of the data (or refuses as a corrupt end marker); the row is ambiguous and refused", i);
                }

                if (span[i + 1] == '\n')
                {
                    lines++;
                    switch (IsEndLine(span, i + 2, final, out _))
                    {
                        case null:
                            return RecordStatus.NeedMore;
                        case true:
                            throw new RecordException("continues (after an escaped newline) into a \\. line, where psql ends the data", i);
                    }
                }

                i += 2;
                continue;
            }

            if (inQuote)
            {
                // A line end inside a quoted field is data, but psql still ends the data at a \. line.
                if (c == '\n')
                {
                    lines++;
                    switch (IsEndLine(span, i + 1, final, out _))
                    {
                        case null:
                            return RecordStatus.NeedMore;
                        case true:
                            throw new RecordException("has a quoted CSV field that a \\. line cuts (psql ends the data there; the server would report an unterminated CSV quoted field)", i + 1);
                    }
                }

                i++;
                continue;
            }

            if (c == '\r')
            {
                if (i + 1 >= span.Length)
                {
                    return RecordStatus.NeedMore;
                }

                if (span[i + 1] != '\n' || crLf == false)
                {
                    throw new RecordException($"holds a {(Csv ? "carriage return outside quotes" : "literal carriage return")}; write it as {(Csv ? "part of a quoted field" : "\\r")}", i);
                }

                crLf = true;
                length = i;
                consumed = i + 2;
                lines++;
                return RecordStatus.Record;
            }

            // '\n'
            if (crLf == true)
            {
                throw new RecordException("ends with a bare newline, but the data's lines end with CR LF", i);
            }

            crLf = false;
            length = i;
            consumed = i + 1;
            lines++;
            return RecordStatus.Record;
        }
    }

    /// <summary>Whether a physical line starting at <paramref name="at"/> is psql's end of data (a line that is exactly \.); null when more bytes are needed to tell.</summary>
    private static bool? IsEndLine(ReadOnlySpan<byte> span, int at, bool final, out int length)
    {
        var rest = span[at..];
        length = rest.StartsWith("\\.\n"u8) ? 3 : rest.StartsWith("\\.\r\n"u8) ? 4 : 0;
        if (length > 0)
        {
            return true;
        }

        var prefix = "\\.\r\n"u8;
        var partial = rest.Length < 4 && prefix.StartsWith(rest) || (rest.Length < 3 && "\\.\n"u8.StartsWith(rest));
        return partial && !final ? null : false;
    }

    /// <summary>
    /// Converts one record (without its line end) to the neutral COPY text line in <paramref name="output"/>: fields split,
    /// de-quoted or de-escaped and matched against the NULL marker as the server's CopyReadAttributesCSV/Text do, then written
    /// the way the server's COPY TO writes them. Throws <see cref="RecordException"/>.
    /// </summary>
    /// <returns>The number of fields.</returns>
    public int Convert(ReadOnlySpan<byte> record, int columns, ByteBuilder output, ByteBuilder value, List<string?>? fields = null)
    {
        output.Reset();
        if (columns == 0)
        {
            return record.IsEmpty ? 0 : throw new RecordException("has data, but the COPY has no columns", 0);
        }

        var count = 0;
        var i = 0;
        while (true)
        {
            value.Reset();
            var start = i;
            var end = i;
            var quoted = false;
            var foundDelimiter = false;
            if (Csv)
            {
                var inQuote = false;
                while (true)
                {
                    if (!inQuote)
                    {
                        end = i;
                        if (i >= record.Length)
                        {
                            break;
                        }

                        var c = record[i++];
                        if (c == Delimiter)
                        {
                            foundDelimiter = true;
                            break;
                        }

                        if (c == Quote)
                        {
                            quoted = inQuote = true;
                            continue;
                        }

                        Append(value, c);
                        continue;
                    }

                    if (i >= record.Length)
                    {
                        throw new RecordException("has an unterminated CSV quoted field", start);
                    }

                    var q = record[i++];
                    if (q == Escape && i < record.Length && (record[i] == Escape || record[i] == Quote))
                    {
                        Append(value, record[i++]);
                        continue;
                    }

                    if (q == Quote)
                    {
                        inQuote = false;
                        continue;
                    }

                    Append(value, q);
                }
            }
            else
            {
                while (true)
                {
                    end = i;
                    if (i >= record.Length)
                    {
                        break;
                    }

                    var c = record[i++];
                    if (c == Delimiter)
                    {
                        foundDelimiter = true;
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i >= record.Length)
                        {
                            break; // (the server drops a backslash that ends the data)
                        }

                        c = Unescape(record, ref i);
                    }

                    Append(value, c);
                }
            }

            // The NULL marker is matched against the raw text (CSV: an unquoted field only); FORCE_NOT_NULL and FORCE_NULL after.
            var isNull = !quoted && record[start..end].SequenceEqual(Null);
            if (count < columns && ForceNotNull?[count] == true && isNull)
            {
                isNull = false;
                value.Reset();
                value.GetSpan(Null.Length);
                Null.CopyTo(value.GetSpan(Null.Length));
                value.Advance(Null.Length);
            }
            else if (count < columns && ForceNull?[count] == true && !isNull && value.WrittenSpan.SequenceEqual(Null))
            {
                isNull = true;
            }

            if (!isNull && (!System.Text.Unicode.Utf8.IsValid(value.WrittenSpan) || value.WrittenSpan.Contains((byte)0)))
            {
                throw new RecordException($"field {count + 1} is not valid UTF-8 text (an escape makes {(value.WrittenSpan.Contains((byte)0) ? "a zero byte" : "a byte sequence")} PostgreSQL refuses)", start);
            }

            if (count > 0)
            {
                Append(output, (byte)'\t');
            }

            if (isNull)
            {
                output.Write(CopyText.Null);
            }
            else
            {
                CopyText.Escape(value.WrittenSpan, output);
            }

            fields?.Add(isNull ? null : System.Text.Encoding.UTF8.GetString(value.WrittenSpan));
            count++;
            if (!foundDelimiter)
            {
                return count;
            }
        }
    }

    /// <summary>A text-format escape after its backslash (at <paramref name="i"/>), as the server's CopyReadAttributesText reads it.</summary>
    private static byte Unescape(ReadOnlySpan<byte> record, ref int i)
    {
        var c = record[i++];
        switch (c)
        {
            case >= (byte)'0' and <= (byte)'7':
                var octal = c - '0';
                for (var n = 0; n < 2 && i < record.Length && record[i] is >= (byte)'0' and <= (byte)'7'; n++)
                {
                    octal = (octal << 3) + (record[i++] - '0');
                }

                return (byte)(octal & 0xFF);
            case (byte)'x' when i < record.Length && CopyText.IsHex(record[i]):
                var hex = CopyText.HexValue(record[i++]);
                if (i < record.Length && CopyText.IsHex(record[i]))
                {
                    hex = (hex << 4) + CopyText.HexValue(record[i++]);
                }

                return (byte)hex;
            case (byte)'b': return 8;
            case (byte)'f': return 12;
            case (byte)'n': return 10;
            case (byte)'r': return 13;
            case (byte)'t': return 9;
            case (byte)'v': return 11;
            default: return c; // any other character stands for itself (\\, the delimiter, \N when NULL is something else)
        }
    }

    private static void Append(ByteBuilder builder, byte b)
    {
        builder.GetSpan(1)[0] = b;
        builder.Advance(1);
    }

    /// <summary>A record the server would refuse (or read differently from psql); the reason completes "row N ...".</summary>
    internal sealed class RecordException(string reason, int at) : Exception(reason)
    {
        /// <summary>Index in the record (or span) of the problem.</summary>
        public int At { get; } = at;
    }
}
