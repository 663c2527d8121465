using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump.SqlServer;

/// <summary>
/// Streams a SQL Server data script (SSMS "Generate Scripts" with data, mssql-scripter): finds each run of
/// <c>INSERT ... VALUES</c> statements into one table, yields its rows as COPY text lines, and skips every other
/// statement (lexing through its strings, comments and brackets) while remembering <c>CREATE TABLE</c> column
/// lists for INSERTs written without one.
/// </summary>
/// <remarks>
/// Statement-level work (skipping DDL) reads token by token with async refills. Rows are parsed synchronously
/// over the buffer: when a row runs past the buffer's end the attempt is abandoned, the buffer refilled and the
/// row parsed again from its start (at most once per refill), as the plain parser does for INSERT tuples.
/// T-SQL needs no <c>;</c>, so a skipped statement ends at <c>;</c>, a <c>GO</c> line, or the next
/// <c>INSERT</c> / <c>CREATE</c> that starts a statement.
/// </remarks>
internal sealed partial class SqlServerScriptParser : IDumpParser, ITableSource
{
    // PostgreSQL's MaxHeapAttributeNumber: the rows are loaded into PostgreSQL, whose tables have at most this many columns.
    private const int MaxColumns = 1600;

    private readonly InputBuffer _in;
    private readonly int _maxBuffered;
    private readonly List<string> _notices = [];
    private readonly HashSet<string> _noticed = new(StringComparer.Ordinal);
    private readonly string? _sourceName;
    private readonly TableFilter _filter;
    private readonly Dictionary<TableName, TableDefinition> _definitions = new(IgnoreCaseNames.Instance);
    private readonly ByteBuilder _row = new(1024);
    private readonly ByteBuilder _value = new(256);

    // The current section's table is one the filter leaves out: its values are stepped over, not read.
    private bool _skipValues;

    // Which fields of the current row were binary constants (DumpRow.BinaryFields), and the field being read.
    private ulong[] _binaryFields = new ulong[1];
    private bool _anyBinary;
    private int _field;

    private DumpTable? _current;
    private TableName? _headerTable;

    // Whether the input position is at the start of a line (only blanks before it on its line): GO counts only there.
    private bool _lineStart = true;

    // The session's SET DATEFORMAT (SET LANGUAGE sets it too): mdy, SQL Server's us_english default, until the script sets it.
    // When the script sets it to something the reader cannot know (a variable, an unknown language), why, for the error a
    // date string that depends on it raises.
    private TSqlDateOrder _dateOrder = TSqlDateOrder.Mdy;
    private string? _dateOrderUnknown;
    private bool _englishMonths = true;

    // The current section.
    private InsertHeader? _header;
    private string[] _columnNames = [];

    // The date/time type of each column of the current section, from the script's CREATE TABLE (null: not a date/time type, or unknown).
    private TSqlDateType?[] _dateTypes = [];
    private string _arityNote = string.Empty;
    private Phase _phase = Phase.Done;
    private bool _pendingRow;
    private int _sectionEnd;

    // An INSERT into another table found while looking for the end of the current section.
    private InsertHeader? _pendingHeader;
    private int _pendingStart;

    /// <param name="stream">The script as UTF-8 (UTF-16 input comes through <see cref="Utf16ToUtf8Stream"/>).</param>
    /// <param name="sourceName">The input's name for error messages.</param>
    /// <param name="filter">Which tables to yield.</param>
    /// <param name="encoding">The encoding reported by <see cref="Encoding"/>: UTF8, UTF16LE or UTF16BE.</param>
    /// <param name="bufferSize">The initial buffer size (tests use tiny ones).</param>
    /// <param name="startOffset">Offset of the stream's first byte in the file (3 after a skipped UTF-8 byte order mark).</param>
    /// <param name="synchronousIO">Read synchronously on the async path too (local files; see <see cref="InputBuffer"/>).</param>
    /// <param name="maxBuffered">The most bytes held for one row, statement or token (<see cref="DumpReaderOptions.MaxBufferedBytes"/>).</param>
    public SqlServerScriptParser(
        Stream stream,
        string? sourceName,
        TableFilter filter,
        string encoding = "UTF8",
        int bufferSize = InputBuffer.DefaultSize,
        long startOffset = 0,
        bool synchronousIO = false,
        int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        _in = new InputBuffer(stream, bufferSize, startOffset, synchronousIO, maxBuffered: maxBuffered);
        _maxBuffered = maxBuffered;
        _sourceName = sourceName;
        _filter = filter;
        Encoding = encoding;
    }

    private enum Phase
    {
        /// <summary>Just after a VALUES tuple: ',' (another tuple), ';' or the end of the statement follows.</summary>
        AfterTuple,

        /// <summary>After an INSERT statement: does the next one continue the table?</summary>
        AfterStatement,

        /// <summary>A continuing INSERT's header has been read: its first tuple follows.</summary>
        ExpectTuple,

        Done,
    }

    private enum StepResult
    {
        Row,
        End,
    }

    /// <summary>Builds the parser for a script detected by <see cref="SqlServerScriptDetector.Detect"/> over the peeked head and the rest of the stream.</summary>
    /// <returns>The stream the reader owns (and disposes) and the parser.</returns>
    public static (Stream Content, SqlServerScriptParser Parser) Open(
        SqlServerScriptEncoding encoding, byte[] peek, int peeked, Stream stream, string? sourceName, TableFilter filter, bool leaveOpen, bool localFile, int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        if (encoding == SqlServerScriptEncoding.Utf8)
        {
            // A UTF-8 byte order mark is not part of the script, but offsets still count it (they are file offsets).
            var skip = peek.AsSpan(0, peeked).StartsWith("\uFEFF"u8) ? 3 : 0;
            var content = new PrefixedStream(peek[skip..peeked], peeked - skip, stream, leaveOpen);
            return (content, new SqlServerScriptParser(content, sourceName, filter, "UTF8", startOffset: skip, synchronousIO: localFile, maxBuffered: maxBuffered));
        }

        var bigEndian = encoding == SqlServerScriptEncoding.Utf16BigEndian;
        var utf16 = new PrefixedStream(peek[2..peeked], peeked - 2, stream, leaveOpen);
        var utf8 = new Utf16ToUtf8Stream(utf16, bigEndian);
        return (utf8, new SqlServerScriptParser(utf8, sourceName, filter, bigEndian ? "UTF16BE" : "UTF16LE", synchronousIO: localFile, maxBuffered: maxBuffered));
    }

    public string? Encoding { get; }

    public bool StandardConformingStrings => true;

    public IReadOnlyList<SequenceValue> Sequences => [];

    public IEnumerable<string> SettingStatements => [];

    public IReadOnlyList<string> Notices => _notices;

    /// <summary>A T-SQL script has no end marker to check.</summary>
    public DumpCompleteness Completeness => DumpCompleteness.Unknown;

    public long BytesRead => _in.CurrentOffset;

    public long TablesSkipped { get; private set; }

    // ---------------------------------------------------------------- statements

    public async ValueTask<DumpTable?> NextTableAsync(bool async, CancellationToken cancellationToken)
    {
        if (_current is { IsCompleted: false } unfinished)
        {
            while (await ReadRowAsync(unfinished, materialize: false, async, cancellationToken).ConfigureAwait(false))
            {
            }
        }

        _current = null;
        while (true)
        {
            if (_pendingHeader is { } pending)
            {
                _pendingHeader = null;
                var table = await BeginInsertTableAsync(pending, async, cancellationToken).ConfigureAwait(false);
                if (table is not null)
                {
                    return table;
                }

                continue;
            }

            _in.Mark = -1;
            if (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is not { } first)
            {
                return null;
            }

            var buffer = _in.Buffer;
            if (first.Kind == TSqlTokenKind.GoLine)
            {
                CheckGo(first);
            }
            else if (first.IsPunct(buffer, (byte)';'))
            {
                // An empty statement.
            }
            else if (first.IsWord(buffer, "INSERT"u8))
            {
                Unread(first);
                _in.Mark = first.Start;
                var header = await SynchronouslyAsync(static p => p.ParseInsertHeader(), async, cancellationToken).ConfigureAwait(false);
                var table = await BeginInsertTableAsync(header, async, cancellationToken).ConfigureAwait(false);
                if (table is not null)
                {
                    return table;
                }
            }
            else if (first.IsWord(buffer, "CREATE"u8) || first.IsWord(buffer, "ALTER"u8))
            {
                Unread(first);
                _in.Mark = first.Start;
                var kind = await SynchronouslyAsync(static p => p.ParseCreate(), async, cancellationToken).ConfigureAwait(false);
                _in.Mark = -1;
                if (kind == CreateKind.Batch)
                {
                    await SkipBatchAsync(async, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // The rest of the statement (CREATE TABLE's ON [PRIMARY] ..., or all of another CREATE / ALTER).
                    await SkipStatementAsync(0, permissions: false, _in.LineOf(_in.Position), async, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (first.IsWord(buffer, "BULK"u8))
            {
                await SkipBulkInsertAsync(first, async, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                CheckStatementStart(first);
                var permissions = first.IsWord(buffer, "GRANT"u8) || first.IsWord(buffer, "DENY"u8) || first.IsWord(buffer, "REVOKE"u8);
                var depth = first.IsPunct(buffer, (byte)'(') ? 1 : 0;
                var line = _in.LineOf(first.Start);
                if (first.IsPunct(buffer, (byte)':') && first.LineStart)
                {
                    await CheckSqlcmdAsync(first, async, cancellationToken).ConfigureAwait(false);
                }
                else if (first.IsWord(buffer, "SET"u8) && await ReadDateSettingAsync(line, async, cancellationToken).ConfigureAwait(false))
                {
                    continue; // SET DATEFORMAT / SET LANGUAGE take one argument: the next token starts the next statement
                }

                await SkipStatementAsync(depth, permissions, line, async, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <c>BULK INSERT table FROM 'file' ...</c>: its rows come from a file the reader cannot see, so it is noted (as pg_dump's
    /// large objects are) and skipped; its INSERT does not start an INSERT statement.
    /// </summary>
    private async ValueTask SkipBulkInsertAsync(TSqlToken bulk, bool async, CancellationToken cancellationToken)
    {
        var line = _in.LineOf(bulk.Start);
        var next = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        if (next is { } insert && insert.IsWord(_in.Buffer, "INSERT"u8))
        {
            if (_noticed.Add("BULK INSERT"))
            {
                _notices.Add(
                    $"the script runs BULK INSERT statements (the first at line {line}); their rows come from files outside the script, which the reader cannot see, and are not read");
            }
        }
        else if (next is { } other)
        {
            Unread(other);
        }

        await SkipStatementAsync(0, permissions: false, line, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After SET: <c>SET DATEFORMAT mdy|dmy|ymd|ydm|myd|dym</c> and <c>SET LANGUAGE name</c> (which sets the language's
    /// DATEFORMAT) change how later date strings read; they are taken when the statement starts a batch or follows
    /// another (not inside IF/BEGIN blocks, which are skipped whole). Returns false, with the position back after SET,
    /// for any other SET.
    /// </summary>
    private async ValueTask<bool> ReadDateSettingAsync(long line, bool async, CancellationToken cancellationToken)
    {
        if (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is not { } option)
        {
            return false;
        }

        var dateFormat = option.IsWord(_in.Buffer, "DATEFORMAT"u8);
        if (!dateFormat && !option.IsWord(_in.Buffer, "LANGUAGE"u8))
        {
            Unread(option);
            return false;
        }

        var at = string.Create(CultureInfo.InvariantCulture, $"line {line}");
        if (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is not { } argument)
        {
            return true;
        }

        string? name = argument.Kind switch
        {
            TSqlTokenKind.String => System.Text.Encoding.UTF8.GetString(StringBody(argument)).Replace("''", "'", StringComparison.Ordinal),
            TSqlTokenKind.Word when _in.Buffer[argument.Start] != '@' => Ident(argument),
            TSqlTokenKind.BracketIdentifier or TSqlTokenKind.QuotedIdentifier => Ident(argument),
            _ => null,
        };
        if (name is null)
        {
            _dateOrderUnknown = $"the script sets {(dateFormat ? "DATEFORMAT" : "LANGUAGE")} from '{Excerpt(argument)}' at {at}, which the reader cannot know";
            return true;
        }

        if (dateFormat)
        {
            if (!TSqlDates.TryOrder(name, out var order))
            {
                throw Fail($"SET DATEFORMAT {name}: not a date format (mdy, dmy, ymd, ydm, myd or dym)", argument.Start);
            }

            _dateOrder = order;
            _dateOrderUnknown = null;
            return true;
        }

        if (Languages.TryGetValue(name, out var language))
        {
            _dateOrder = language.Order;
            _englishMonths = language.English;
            _dateOrderUnknown = null;
        }
        else
        {
            _englishMonths = false;
            _dateOrderUnknown = $"the script runs SET LANGUAGE {name} at {at}, a language whose date format the reader does not know";
        }

        return true;
    }

    // SET LANGUAGE names (sys.syslanguages name and alias) and their DATEFORMAT, for the languages the reader knows.
    private static readonly FrozenDictionary<string, (TSqlDateOrder Order, bool English)> Languages = new Dictionary<string, (TSqlDateOrder, bool)>(StringComparer.OrdinalIgnoreCase)
    {
        ["us_english"] = (TSqlDateOrder.Mdy, true),
        ["English"] = (TSqlDateOrder.Mdy, true),
        ["British"] = (TSqlDateOrder.Dmy, true),
        ["British English"] = (TSqlDateOrder.Dmy, true),
        ["Deutsch"] = (TSqlDateOrder.Dmy, false),
        ["German"] = (TSqlDateOrder.Dmy, false),
        ["Français"] = (TSqlDateOrder.Dmy, false),
        ["French"] = (TSqlDateOrder.Dmy, false),
        ["Español"] = (TSqlDateOrder.Dmy, false),
        ["Spanish"] = (TSqlDateOrder.Dmy, false),
        ["Italiano"] = (TSqlDateOrder.Dmy, false),
        ["Italian"] = (TSqlDateOrder.Dmy, false),
        ["Nederlands"] = (TSqlDateOrder.Dmy, false),
        ["Dutch"] = (TSqlDateOrder.Dmy, false),
        ["日本語"] = (TSqlDateOrder.Ymd, false),
        ["Japanese"] = (TSqlDateOrder.Ymd, false),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A statement (or batch) starts with a T-SQL statement word, a label, <c>(</c>, or a sqlcmd command: anything else is
    /// reported rather than skipped with whatever follows it. Statements that change rows are noted, not replayed.
    /// </summary>
    private void CheckStatementStart(TSqlToken first)
    {
        var buffer = _in.Buffer;
        if (first.IsPunct(buffer, (byte)'('))
        {
            return;
        }

        if (first.IsPunct(buffer, (byte)':') && first.LineStart)
        {
            return; // a sqlcmd command (CheckSqlcmdAsync)
        }

        if (first.Kind == TSqlTokenKind.Word)
        {
            var word = SqlCommands.Upper(first.Text(buffer));
            if (TSqlCommands.Contains(word))
            {
                if (word is "UPDATE" or "DELETE" or "MERGE" or "TRUNCATE" or "WRITETEXT" or "UPDATETEXT" && _noticed.Add(word))
                {
                    _notices.Add(
                        $"the script runs {word} statements (the first at line {_in.LineOf(first.Start)}); they are not replayed: the rows read are those of its INSERT ... VALUES statements");
                }

                return;
            }

            // A label (name:) is a statement start too.
            var after = first.End;
            if (after < _in.End && _in.Buffer[after] == ':')
            {
                return;
            }
        }

        throw Fail(
            $"'{SqlCommands.Excerpt(first.Text(buffer))}' does not start a T-SQL statement (a stray line, or a statement whose start is missing); " +
            "the reader stops here rather than skip what it cannot read",
            first.Start);
    }

    /// <summary>sqlcmd commands at a line start: <c>:setvar</c>, <c>:on error</c>... are harmless; <c>:r</c> reads another file, <c>:exit</c> and <c>:quit</c> stop reading.</summary>
    private async ValueTask CheckSqlcmdAsync(TSqlToken colon, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = colon.Start; // keeps the colon (named by an error) in the buffer through the look-ahead
        var name = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        var at = _in.Mark;
        _in.Mark = -1;
        if (name is not { } command)
        {
            return;
        }

        var buffer = _in.Buffer;
        if (command.IsWord(buffer, "R"u8))
        {
            throw Fail("the sqlcmd command :r runs the statements of another file, which the reader cannot see", at);
        }

        if (command.IsWord(buffer, "EXIT"u8) || command.IsWord(buffer, "QUIT"u8))
        {
            throw Fail($"the sqlcmd command :{SqlCommands.Upper(command.Text(buffer)).ToLowerInvariant()} stops the script, so what follows would never run", at);
        }

        Unread(command);
    }

    // T-SQL's statement words (the Transact-SQL reference's statements, by first word).
    private static readonly FrozenSet<string> TSqlCommands = new[]
    {
        "ADD", "ALTER", "BACKUP", "BEGIN", "BREAK", "BULK", "CHECKPOINT", "CLOSE", "COMMIT", "CONTINUE", "CREATE", "DBCC",
        "DEALLOCATE", "DECLARE", "DELETE", "DENY", "DISABLE", "DROP", "ELSE", "ENABLE", "END", "EXEC", "EXECUTE", "FETCH",
        "GET", "GOTO", "GRANT", "IF", "INSERT", "KILL", "MERGE", "MOVE", "OPEN", "PRINT", "RAISERROR", "READTEXT", "RECEIVE",
        "RECONFIGURE", "RESTORE", "RETURN", "REVERT", "REVOKE", "ROLLBACK", "SAVE", "SELECT", "SEND", "SET", "SETUSER",
        "SHUTDOWN", "THROW", "TRUNCATE", "UPDATE", "UPDATETEXT", "USE", "WAITFOR", "WHILE", "WITH", "WRITETEXT",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Skips the rest of a statement: through <c>;</c> or a <c>GO</c> line, or up to (not including) an <c>INSERT</c>
    /// or <c>CREATE</c> that starts the next one. In GRANT/DENY/REVOKE, <c>INSERT</c> and <c>CREATE</c> are privileges
    /// until <c>TO</c>/<c>FROM</c>. An <c>INSERT</c> statement inside parentheses (an unbalanced '(' before it) is an error:
    /// skipping to the ')' would skip its rows.
    /// </summary>
    private async ValueTask SkipStatementAsync(int depth, bool permissions, long statementLine, bool async, CancellationToken cancellationToken)
    {
        var starters = !permissions;
        var afterSeparator = false;
        while (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is { } token)
        {
            var buffer = _in.Buffer;
            if (token.Kind == TSqlTokenKind.GoLine)
            {
                CheckGo(token);
                return;
            }

            if (token.Kind == TSqlTokenKind.Punct)
            {
                var c = buffer[token.Start];
                if (c == '(')
                {
                    depth++;
                }
                else if (c == ')')
                {
                    depth = Math.Max(0, depth - 1);
                }
                else if (c == ';' && depth == 0)
                {
                    return;
                }

                afterSeparator = c is (byte)',' or (byte)'.';
                continue;
            }

            if (depth > 0 && !permissions && !afterSeparator && token.IsWord(buffer, "INSERT"u8) &&
                await StartsInsertStatementAsync(token, async, cancellationToken).ConfigureAwait(false))
            {
                throw Fail(
                    $"an INSERT statement (line {_in.LineOf(_in.Position)}) is inside parentheses of the statement that starts at line {statementLine}: " +
                    "a ')' is missing before it, and its rows would be skipped",
                    _in.Position);
            }

            if (depth == 0 && token.Kind == TSqlTokenKind.Word)
            {
                if (permissions && (token.IsWord(buffer, "TO"u8) || token.IsWord(buffer, "FROM"u8)))
                {
                    starters = true;
                }
                else if (starters && !afterSeparator && token.IsWord(buffer, "CREATE"u8))
                {
                    Unread(token);
                    return;
                }
                else if (starters && !afterSeparator && token.IsWord(buffer, "INSERT"u8) && await StartsInsertStatementAsync(token, async, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
                else if (starters && !afterSeparator && token.IsWord(buffer, "SET"u8) && await StartsDateSettingAsync(token, async, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            afterSeparator = false;
        }
    }

    /// <summary>
    /// Whether an INSERT met while skipping starts a statement (<c>INSERT [INTO] name</c>) rather than naming an
    /// event or privilege (<c>AFTER INSERT AS</c>, <c>INSERT, UPDATE</c>, <c>INSERT ON</c>). When it does, the
    /// position is put back before it.
    /// </summary>
    private async ValueTask<bool> StartsInsertStatementAsync(TSqlToken insert, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = insert.Start; // keeps the INSERT in the buffer through the look-ahead
        var next = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        var buffer = _in.Buffer;
        var starts = next is { } n && (n.Kind is TSqlTokenKind.BracketIdentifier or TSqlTokenKind.QuotedIdentifier ||
            (n.Kind == TSqlTokenKind.Word && !(n.IsWord(buffer, "ON"u8) || n.IsWord(buffer, "AS"u8) || n.IsWord(buffer, "TO"u8) || n.IsWord(buffer, "OR"u8) || n.IsWord(buffer, "AND"u8) || n.IsWord(buffer, "FROM"u8))));
        if (starts)
        {
            _in.Position = _in.Mark;
            _lineStart = insert.LineStart;
        }
        else if (next is { } notStarting)
        {
            Unread(notStarting);
        }

        _in.Mark = -1;
        return starts;
    }

    /// <summary>
    /// Whether a SET met while skipping starts <c>SET DATEFORMAT x</c> or <c>SET LANGUAGE x</c> (not <c>UPDATE t SET Language = ...</c>),
    /// which must not be skipped with the statement before it. When it does, the position is put back before it.
    /// </summary>
    private async ValueTask<bool> StartsDateSettingAsync(TSqlToken set, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = set.Start; // keeps the SET in the buffer through the look-ahead
        var option = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        var starts = false;
        if (option is { } o && (o.IsWord(_in.Buffer, "DATEFORMAT"u8) || o.IsWord(_in.Buffer, "LANGUAGE"u8)))
        {
            var argument = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
            starts = argument is { } a && (a.IsIdentifier || a.Kind == TSqlTokenKind.String);
        }

        // Back before the SET when it starts a setting, else just after it (the skipping goes on from there).
        _in.Position = starts ? _in.Mark : _in.Mark + set.Length;
        _lineStart = starts && set.LineStart;
        _in.Mark = -1;
        return starts;
    }

    /// <summary>Skips to the end of the batch: a procedure, function, trigger or view body may hold anything, INSERTs included.</summary>
    private async ValueTask SkipBatchAsync(bool async, CancellationToken cancellationToken)
    {
        while (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is { } token)
        {
            if (token.Kind == TSqlTokenKind.GoLine)
            {
                CheckGo(token);
                return;
            }
        }
    }

    private enum CreateKind
    {
        Table,
        Batch,
        Other,
    }

    /// <summary>CREATE / ALTER at a statement start: reads a CREATE TABLE's column list; tells what else it is.</summary>
    private CreateKind ParseCreate()
    {
        var verb = Require("CREATE");
        var create = verb.IsWord(_in.Buffer, "CREATE"u8);
        var kind = Require("the kind of object after CREATE/ALTER");
        if (create && kind.IsWord(_in.Buffer, "OR"u8))
        {
            Require("ALTER");
            kind = Require("the kind of object after CREATE OR ALTER");
        }

        var buffer = _in.Buffer;
        if (kind.IsWord(buffer, "PROCEDURE"u8) || kind.IsWord(buffer, "PROC"u8) || kind.IsWord(buffer, "FUNCTION"u8) ||
            kind.IsWord(buffer, "TRIGGER"u8) || kind.IsWord(buffer, "VIEW"u8) || kind.IsWord(buffer, "RULE"u8) ||
            (create && kind.IsWord(buffer, "DEFAULT"u8)))
        {
            return CreateKind.Batch;
        }

        if (!create || !kind.IsWord(buffer, "TABLE"u8))
        {
            if (kind.Kind != TSqlTokenKind.Word)
            {
                Unread(kind); // e.g. CREATE ( ... : let the skipper count the parenthesis
            }

            return CreateKind.Other;
        }

        ParseCreateTable(verb);
        return CreateKind.Table;
    }

    /// <summary>
    /// <c>CREATE TABLE name ( column definitions and table constraints ) ...</c>: remembers the columns an INSERT
    /// without a column list supplies, in order, as SQL Server fills them: IDENTITY columns, computed columns
    /// (<c>X AS (...)</c>), rowversion/timestamp columns and hidden period columns are left out (and remembered as such),
    /// and so are table constraints. A comma before the closing parenthesis is accepted, as SQL Server accepts it. The
    /// options after the list are skipped as the rest of the statement.
    /// </summary>
    private void ParseCreateTable(TSqlToken verb)
    {
        var name = ParseName(Require("a table name"));
        var open = Next();
        if (open is not { } o || !o.IsPunct(_in.Buffer, (byte)'('))
        {
            if (open is { } other)
            {
                Unread(other); // CREATE TABLE ... AS FILETABLE and the like: no column list
            }

            return;
        }

        var columns = new List<string>();
        var omitted = new List<DumpOmittedColumn>();
        var dateColumns = new Dictionary<string, TSqlDateType>(StringComparer.OrdinalIgnoreCase);
        var afterComma = false;
        while (true)
        {
            var first = Require("a column definition");
            var buffer = _in.Buffer;
            if (afterComma && first.IsPunct(buffer, (byte)')'))
            {
                break; // "..., [ModifiedDate] [datetime] NOT NULL,\n)": SQL Server takes the trailing comma
            }

            var isConstraint = first.Kind == TSqlTokenKind.Word && IsTableConstraint(first, buffer);
            string? column = null;
            if (!isConstraint)
            {
                if (!first.IsIdentifier)
                {
                    throw Fail($"expected a column name in CREATE TABLE {name}, found '{Excerpt(first)}'", first.Start, name);
                }

                column = Ident(first);
            }

            var token = Require("the rest of the column definition");
            buffer = _in.Buffer;
            DumpOmittedColumnKind? kind = null;
            if (column is not null && token.IsWord(buffer, "AS"u8))
            {
                kind = DumpOmittedColumnKind.Computed;
            }
            else if (column is not null && (IsRowVersionType(token, buffer) ||
                     (string.Equals(column, "timestamp", StringComparison.OrdinalIgnoreCase) && (token.IsPunct(buffer, (byte)',') || token.IsPunct(buffer, (byte)')')))))
            {
                kind = DumpOmittedColumnKind.RowVersion; // "[Stamp] [timestamp]", "[V] rowversion", or a bare "timestamp" column
            }
            else if (column is not null && ColumnDateType(token, name) is { } dateType)
            {
                dateColumns[column] = dateType;
                token = Require("the rest of the column definition");
            }

            var depth = 0;
            while (true)
            {
                buffer = _in.Buffer;
                if (token.Kind == TSqlTokenKind.GoLine)
                {
                    throw Fail($"CREATE TABLE {name} is cut short by a GO line", token.Start, name);
                }

                if (token.IsPunct(buffer, (byte)'('))
                {
                    depth++;
                }
                else if (token.IsPunct(buffer, (byte)')'))
                {
                    if (depth == 0)
                    {
                        break;
                    }

                    depth--;
                }
                else if (depth == 0 && token.IsPunct(buffer, (byte)','))
                {
                    break;
                }
                else if (depth == 0 && column is not null && kind is null && token.IsWord(buffer, "IDENTITY"u8))
                {
                    kind = DumpOmittedColumnKind.Identity; // IDENTITY[(seed, increment)]: SQL Server generates the value
                }
                else if (depth == 0 && column is not null && token.IsWord(buffer, "HIDDEN"u8))
                {
                    kind = DumpOmittedColumnKind.HiddenPeriod; // GENERATED ALWAYS AS ROW START HIDDEN: not in the column-less INSERT order
                }

                token = Require("the rest of the column definition");
            }

            if (column is not null)
            {
                if (kind is { } k)
                {
                    omitted.Add(new DumpOmittedColumn(column, k));
                }
                else
                {
                    columns.Add(column);
                }
            }

            if (token.IsPunct(_in.Buffer, (byte)')'))
            {
                break;
            }

            afterComma = true;
        }

        _definitions[name] = new TableDefinition([.. columns], [.. omitted], _in.LineOf(verb.Start), dateColumns);
    }

    /// <summary>
    /// A column's data type, right after its name, when it is one of SQL Server's date/time types (<c>[datetime]</c>,
    /// <c>"date"</c>, <c>datetime2(3)</c>): the scale is read and the position left after the type. An alias type
    /// (<c>[dbo].[MyDate]</c>) or any other type gives null, and nothing is read.
    /// </summary>
    private TSqlDateType? ColumnDateType(TSqlToken type, TableName table)
    {
        if (!type.IsIdentifier || !TSqlDateType.TryKind(Ident(type), out var kind))
        {
            return null;
        }

        var result = TSqlDateType.Of(kind);
        var start = _in.Position;
        var lineStart = _lineStart;
        var next = Require("the rest of the column definition");
        if (next.IsPunct(_in.Buffer, (byte)'.'))
        {
            Unread(next); // [date].[x]: not the built-in type
            return null;
        }

        if (!next.IsPunct(_in.Buffer, (byte)'('))
        {
            _in.Position = start;
            _lineStart = lineStart;
            return result;
        }

        var scale = Require("a scale");
        var close = Require("')' after the scale");
        if (!result.HasScale || scale.Kind != TSqlTokenKind.Number || !close.IsPunct(_in.Buffer, (byte)')') ||
            !byte.TryParse(scale.Text(_in.Buffer), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 7)
        {
            throw Fail($"CREATE TABLE {table}: '{Excerpt(type)}({Excerpt(scale)}' is not a {Excerpt(type)} type with a scale from 0 to 7", scale.Start, table);
        }

        return result with { Scale = n };
    }

    /// <summary>The data type right after a column name is <c>timestamp</c> or <c>rowversion</c> (bare or bracketed): SQL Server fills it in.</summary>
    private static bool IsRowVersionType(TSqlToken type, ReadOnlySpan<byte> buffer)
    {
        if (type.Kind == TSqlTokenKind.Word)
        {
            return type.IsWord(buffer, "TIMESTAMP"u8) || type.IsWord(buffer, "ROWVERSION"u8);
        }

        if (type.Kind != TSqlTokenKind.BracketIdentifier)
        {
            return false;
        }

        var text = type.Text(buffer);
        return text.Length > 2 && (Ascii.EqualsIgnoreCase(text[1..^1], "timestamp"u8) || Ascii.EqualsIgnoreCase(text[1..^1], "rowversion"u8));
    }

    private static string KindName(DumpOmittedColumnKind kind) => kind switch
    {
        DumpOmittedColumnKind.Identity => "IDENTITY",
        DumpOmittedColumnKind.Computed => "computed",
        DumpOmittedColumnKind.RowVersion => "rowversion",
        _ => "hidden period column",
    };

    private static bool IsTableConstraint(TSqlToken word, ReadOnlySpan<byte> buffer) =>
        word.IsWord(buffer, "CONSTRAINT"u8) || word.IsWord(buffer, "PRIMARY"u8) || word.IsWord(buffer, "UNIQUE"u8) ||
        word.IsWord(buffer, "CHECK"u8) || word.IsWord(buffer, "FOREIGN"u8) || word.IsWord(buffer, "INDEX"u8) || word.IsWord(buffer, "PERIOD"u8);

    private sealed record TableDefinition(string[] Columns, DumpOmittedColumn[] Omitted, long Line, Dictionary<string, TSqlDateType> DateColumns);

    /// <summary>A <c>GO</c> line with a count runs its batch that many times: rows would be inserted more than once.</summary>
    private void CheckGo(TSqlToken go)
    {
        var text = go.Text(_in.Buffer)[2..].TrimStart(" \t\r"u8);
        var digits = text.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        var count = digits < 0 ? text : text[..digits];
        if (count.Length > 0 && !(count.TrimStart((byte)'0').SequenceEqual("1"u8)))
        {
            throw Fail($"'GO {System.Text.Encoding.ASCII.GetString(count)}' runs its batch {System.Text.Encoding.ASCII.GetString(count)} times, which is not supported (only GO without a count, or GO 1)", go.Start);
        }
    }

    // ---------------------------------------------------------------- INSERT headers and names

    // Raw: the statement's bytes from INSERT through VALUES, to recognise the next statement of the same table without lexing it.
    private sealed record InsertHeader(TableName Name, string[]? Columns, byte[] Raw, long Offset, long Line);

    /// <summary><c>INSERT [INTO] name [(columns)] VALUES</c>, from the INSERT token.</summary>
    private InsertHeader ParseInsertHeader()
    {
        _headerTable = null;
        var insert = Require("INSERT");
        var token = Require("a table name after INSERT");
        if (token.IsWord(_in.Buffer, "INTO"u8))
        {
            token = Require("a table name after INSERT INTO");
        }

        var name = ParseName(token);
        _headerTable = name;
        token = Require("VALUES");
        string[]? columns = null;
        if (token.IsPunct(_in.Buffer, (byte)'('))
        {
            columns = ParseColumnList();
            token = Require("VALUES");
        }

        if (token.IsWord(_in.Buffer, "DEFAULT"u8))
        {
            throw Fail("INSERT ... DEFAULT VALUES is not supported: the row's values are not in the script", token.Start, name);
        }

        if (!token.IsWord(_in.Buffer, "VALUES"u8))
        {
            throw Fail($"only INSERT ... VALUES (...) is supported (found '{Excerpt(token)}' where VALUES was expected)", token.Start, name);
        }

        var header = new InsertHeader(name, columns, _in.Buffer.AsSpan(insert.Start, token.End - insert.Start).ToArray(), _in.OffsetOf(insert.Start), _in.LineOf(insert.Start));
        _headerTable = null;
        return header;
    }

    private string[] ParseColumnList()
    {
        var columns = new List<string>();
        while (true)
        {
            var token = Require("a column name");
            if (!token.IsIdentifier)
            {
                throw Fail($"expected a column name in the INSERT's column list, found '{Excerpt(token)}'", token.Start);
            }

            columns.Add(Ident(token));
            var separator = Require("',' or ')' in the column list");
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                return [.. columns];
            }

            if (!separator.IsPunct(_in.Buffer, (byte)','))
            {
                throw Fail($"expected ',' or ')' in the INSERT's column list, found '{Excerpt(separator)}'", separator.Start);
            }
        }
    }

    /// <summary>
    /// A one- to four-part name (<c>T</c>, <c>[dbo].[T]</c>, <c>[db].[dbo].[T]</c>, <c>db..T</c>): the last two parts,
    /// with <c>dbo</c> when no schema is given.
    /// </summary>
    private TableName ParseName(TSqlToken first)
    {
        var parts = new List<string>(4);
        var token = first;
        while (true)
        {
            if (token.IsIdentifier)
            {
                parts.Add(Ident(token));
                var dot = Next();
                if (dot is not { } d || !d.IsPunct(_in.Buffer, (byte)'.'))
                {
                    if (dot is { } notDot)
                    {
                        Unread(notDot);
                    }

                    break;
                }
            }
            else if (parts.Count > 0 && token.IsPunct(_in.Buffer, (byte)'.'))
            {
                parts.Add(string.Empty); // db..T: the default schema
            }
            else
            {
                throw Fail($"expected a table name, found '{Excerpt(token)}'", token.Start);
            }

            if (parts.Count >= 4)
            {
                throw Fail("a table name has more than four parts", token.Start);
            }

            token = Require("a name after '.'");
        }

        var schema = parts.Count >= 2 && parts[^2].Length > 0 ? parts[^2] : "dbo";
        return new TableName(schema, parts[^1]);
    }

    private static bool SameHeader(InsertHeader a, InsertHeader b) =>
        IgnoreCaseNames.Instance.Equals(a.Name, b.Name) &&
        ((a.Columns is null && b.Columns is null) ||
         (a.Columns is not null && b.Columns is not null && a.Columns.SequenceEqual(b.Columns, StringComparer.OrdinalIgnoreCase)));

    /// <summary>SQL Server names compare without case (the default collations are case-insensitive).</summary>
    private sealed class IgnoreCaseNames : IEqualityComparer<TableName>
    {
        public static readonly IgnoreCaseNames Instance = new();

        public bool Equals(TableName x, TableName y) =>
            string.Equals(x.Schema, y.Schema, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(TableName obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Schema), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Name));
    }

    // ---------------------------------------------------------------- tables

    private async ValueTask<DumpTable?> BeginInsertTableAsync(InsertHeader header, bool async, CancellationToken cancellationToken)
    {
        // The position is just past VALUES; the mark holds the statement's start (for CopyRaw).
        _header = header;

        // A table the filter leaves out is read and validated, but needs no column mapping: its values are not matched
        // against the CREATE TABLE (whose columns the reader may not account for as SQL Server does).
        var selected = _filter.Matches(header.Name);
        _skipValues = !selected;
        var definition = selected && header.Columns is null ? _definitions.GetValueOrDefault(header.Name) : null;
        var expected = header.Columns?.Length ?? definition?.Columns.Length ?? -1;
        _columnNames = header.Columns ?? definition?.Columns ?? [];
        _dateTypes = DateTypes(selected ? _definitions.GetValueOrDefault(header.Name) : null, _columnNames);
        _arityNote = header.Columns is { } listed
            ? $"the INSERT lists {listed.Length} columns ({string.Join(", ", listed)})"
            : definition is { } d
                ? $"the INSERT has no column list and CREATE TABLE {header.Name} at line {d.Line} declares {d.Columns.Length} insertable columns ({string.Join(", ", d.Columns)})" +
                  (d.Omitted.Length > 0 ? $"; left out as SQL Server does: {string.Join(", ", d.Omitted.Select(c => $"{c.Name} ({KindName(c.Kind)})"))}" : string.Empty)
                : string.Empty;

        _headerTable = header.Name;
        var retry = _in.OffsetOf(_in.Position);
        var lineStart = _lineStart;
        int count;
        long rowLine;
        long rowOffset;
        while (true)
        {
            try
            {
                count = ParseTuple(header.Name, expected, rowNumber: 1, out rowLine, out rowOffset);
                CheckUnit(IndexOf(retry), "row 1");
                break;
            }
            catch (NeedMoreInputException)
            {
                _in.Position = IndexOf(retry);
                _lineStart = lineStart;
                await RefillAsync(_in.Position, "row 1", async, cancellationToken).ConfigureAwait(false);
            }
        }

        if (count > MaxColumns)
        {
            throw new DumpFormatException(
                $"the first VALUES tuple has {count} values; a PostgreSQL table has at most {MaxColumns} columns", _sourceName, header.Name, rowLine, rowOffset);
        }

        _headerTable = null;
        if (expected < 0)
        {
            _arityNote = $"the table's first VALUES tuple (line {rowLine}) has {count} values";
        }

        var columns = new DumpColumn[count];
        for (var i = 0; i < count; i++)
        {
            columns[i] = new DumpColumn(expected < 0 ? null : _columnNames[i], i + 1);
        }

        var table = new DumpTable(this, header.Name, columns, DumpDataForm.Insert, header.Offset, header.Line)
        {
            OmittedColumns = definition?.Omitted ?? [],
            InsertableColumnsOnly = header.Columns is null,
        };
        table.Current.Set(_row.Array, 0, _row.Count, rowLine, rowOffset);
        table.Current.BinaryFields = _binaryFields;
        _current = table;
        _pendingRow = true;
        _phase = Phase.AfterTuple;

        if (!selected)
        {
            _in.Mark = -1;
            TablesSkipped++;
            while (await ReadRowAsync(table, materialize: false, async, cancellationToken).ConfigureAwait(false))
            {
            }

            _current = null;
            return null;
        }

        return table;
    }

    /// <summary>The date/time type of each named column, from the table's CREATE TABLE; empty when the script has none.</summary>
    private static TSqlDateType?[] DateTypes(TableDefinition? definition, string[] columns)
    {
        if (definition is null || definition.DateColumns.Count == 0)
        {
            return [];
        }

        var types = new TSqlDateType?[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            types[i] = definition.DateColumns.TryGetValue(columns[i], out var type) ? type : null;
        }

        return types;
    }

    // ---------------------------------------------------------------- ITableSource

    public ValueTask<bool> ReadRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(table, _current) || table.IsCompleted)
        {
            return table.IsCompleted
                ? ValueTask.FromResult(false)
                : throw new InvalidOperationException($"Table {table.Name} can no longer be read: the reader has moved past it.");
        }

        if (!table.Started)
        {
            table.Started = true;
            if (!_in.IsCapturing)
            {
                _in.Mark = -1;
            }
        }

        if (_pendingRow)
        {
            _pendingRow = false;
            table.RowsRead++;
            return ValueTask.FromResult(true);
        }

        return ReadNextRowAsync(table, async, cancellationToken);
    }

    private async ValueTask<bool> ReadNextRowAsync(DumpTable table, bool async, CancellationToken cancellationToken)
    {
        // Everything from here may be parsed again after a refill: the mark keeps it in the buffer, and as it is
        // never past the end of the section, a capture (CopyRaw) never writes bytes that turn out not to belong to it.
        var lineStart = _lineStart;
        var phase = _phase;
        _in.Mark = _in.Position;
        StepResult result;
        while (true)
        {
            try
            {
                result = Step(table);
                CheckUnit(_in.Mark, $"row {table.RowsRead + 1}");
                break;
            }
            catch (NeedMoreInputException)
            {
                _in.Position = _in.Mark;
                _lineStart = lineStart;
                _phase = phase;
                _headerTable = null;
                await RefillAsync(_in.Mark, $"row {table.RowsRead + 1}", async, cancellationToken).ConfigureAwait(false);
            }
        }

        if (result == StepResult.Row)
        {
            _in.Mark = -1;
            table.RowsRead++;
            return true;
        }

        table.EndOffset = _in.OffsetOf(_sectionEnd);
        if (_in.IsCapturing)
        {
            await _in.EndCaptureAsync(_sectionEnd, async, cancellationToken).ConfigureAwait(false);
        }

        _in.Mark = _pendingHeader is null ? -1 : _pendingStart;
        _phase = Phase.Done;
        table.IsCompleted = true;
        return false;
    }

    /// <summary>Reads the next row of the current section, or finds where the section ends. Synchronous over the buffer.</summary>
    private StepResult Step(DumpTable table)
    {
        var stepStart = _in.Position;
        while (true)
        {
            switch (_phase)
            {
                case Phase.AfterTuple:
                    {
                        var separator = Next();
                        var buffer = _in.Buffer;
                        if (separator is { } comma && comma.IsPunct(buffer, (byte)','))
                        {
                            ReadRow(table);
                            return StepResult.Row;
                        }

                        int statementEnd;
                        if (separator is { } semicolon && semicolon.IsPunct(buffer, (byte)';'))
                        {
                            statementEnd = semicolon.End;
                        }
                        else if (separator is null || separator.Value.Kind is TSqlTokenKind.Word or TSqlTokenKind.GoLine)
                        {
                            // T-SQL needs no ';': a new line's keyword (or the end of the script) ends the statement.
                            statementEnd = stepStart;
                            if (separator is { } next)
                            {
                                Unread(next);
                            }
                        }
                        else
                        {
                            throw Fail($"expected ',' or the end of the INSERT statement after a VALUES tuple, found '{Excerpt(separator.Value)}'", separator.Value.Start, table.Name);
                        }

                        // The section runs through the statement's line end, so a split file keeps its newline.
                        _sectionEnd = LineEndAfter(statementEnd);
                        if (_sectionEnd > _in.Position)
                        {
                            _in.Position = _sectionEnd;
                            _lineStart = true;
                        }

                        _phase = Phase.AfterStatement;
                        break;
                    }

                case Phase.AfterStatement:
                    {
                        if (Next() is not { } token)
                        {
                            return StepResult.End;
                        }

                        var buffer = _in.Buffer;
                        if (token.Kind == TSqlTokenKind.GoLine)
                        {
                            CheckGo(token);
                        }
                        else if (token.IsPunct(buffer, (byte)';'))
                        {
                            // An empty statement between INSERTs.
                        }
                        else if (token.IsWord(buffer, "INSERT"u8))
                        {
                            // SSMS repeats a table's INSERT header byte for byte: compare bytes before lexing anything.
                            var raw = _header!.Raw;
                            if (_in.End - token.Start <= raw.Length && !_in.StreamExhausted)
                            {
                                throw NeedMoreInputException.Instance;
                            }

                            var upcoming = _in.Buffer.AsSpan(token.Start, _in.End - token.Start);
                            if (upcoming.Length > raw.Length && upcoming.StartsWith(raw) && !TSqlLexer.IsIdentContinue(upcoming[raw.Length]))
                            {
                                _in.Position = token.Start + raw.Length;
                                _lineStart = false;
                                _phase = Phase.ExpectTuple;
                                break;
                            }

                            Unread(token);
                            var header = ParseInsertHeader();
                            if (SameHeader(header, _header))
                            {
                                _phase = Phase.ExpectTuple;
                                break;
                            }

                            _pendingHeader = header;
                            _pendingStart = token.Start;
                            return StepResult.End;
                        }
                        else if (token.IsWord(buffer, "SET"u8) && IsIdentityInsertFor(table))
                        {
                            // SET IDENTITY_INSERT [same table] ON|OFF between the INSERTs: part of the section.
                        }
                        else
                        {
                            Unread(token);
                            return StepResult.End;
                        }

                        break;
                    }

                case Phase.ExpectTuple:
                    ReadRow(table);
                    _phase = Phase.AfterTuple;
                    return StepResult.Row;

                default:
                    return StepResult.End;
            }
        }
    }

    /// <summary>After SET: true when the statement is <c>SET IDENTITY_INSERT</c> for <paramref name="table"/> (it is consumed then).</summary>
    private bool IsIdentityInsertFor(DumpTable table)
    {
        var start = _in.Position;
        var lineStart = _lineStart;
        var option = Next();
        if (option is { } o && o.IsWord(_in.Buffer, "IDENTITY_INSERT"u8) && Next() is { } nameToken && nameToken.IsIdentifier &&
            IgnoreCaseNames.Instance.Equals(ParseName(nameToken), table.Name) &&
            Next() is { } onOff && (onOff.IsWord(_in.Buffer, "ON"u8) || onOff.IsWord(_in.Buffer, "OFF"u8)))
        {
            return true;
        }

        _in.Position = start;
        _lineStart = lineStart;
        return false;
    }

    private void ReadRow(DumpTable table)
    {
        ParseTuple(table.Name, table.Columns.Count, table.RowsRead + 1, out var line, out var offset);
        table.Current.Set(_row.Array, 0, _row.Count, line, offset);
        table.Current.BinaryFields = _binaryFields;
    }

    private int LineEndAfter(int index) => ScriptInput.LineEndAfter(_in, index);

    public ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken) =>
        ScriptInput.CopyRawAsync(_in, this, table, _current, destination, async, cancellationToken);

    // ---------------------------------------------------------------- tokens and input

    /// <summary>Runs a synchronous parse from the current position, refilling and starting again while it runs past the buffer.</summary>
    private async ValueTask<T> SynchronouslyAsync<T>(Func<SqlServerScriptParser, T> parse, bool async, CancellationToken cancellationToken)
    {
        var retry = _in.OffsetOf(_in.Position);
        var lineStart = _lineStart;
        while (true)
        {
            try
            {
                var result = parse(this);
                CheckUnit(IndexOf(retry), "the statement");
                return result;
            }
            catch (NeedMoreInputException)
            {
                _in.Position = IndexOf(retry);
                _lineStart = lineStart;
                _headerTable = null;
                await RefillAsync(_in.Position, "the statement", async, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private int IndexOf(long offset) => (int)(offset - _in.OffsetOf(0));

    private TSqlLexStatus Lex(out TSqlToken token)
    {
        var status = TSqlLexer.Next(_in.Buffer.AsSpan(0, _in.End), _in.Position, _in.StreamExhausted, _lineStart, out token, out var error);
        switch (status)
        {
            case TSqlLexStatus.Token:
                _in.Position = token.End;
                _lineStart = token.Kind == TSqlTokenKind.GoLine;
                break;
            case TSqlLexStatus.End:
                _in.Position = _in.End;
                break;
            case TSqlLexStatus.Error:
                throw LexFailure(error, token.Start);
        }

        return status;
    }

    /// <summary>The next token, reading more input as needed; null at the end of the script. A token (with the white space and comments before it) must fit the buffering limit.</summary>
    private async ValueTask<TSqlToken?> NextTokenAsync(bool async, CancellationToken cancellationToken)
    {
        var from = _in.CurrentOffset;
        while (true)
        {
            switch (Lex(out var token))
            {
                case TSqlLexStatus.Token:
                    if (_in.OffsetOf(token.End) - from > _maxBuffered)
                    {
                        throw Fail($"a token (a string, a quoted name or a comment) is longer than {Limit}", token.Start);
                    }

                    return token;
                case TSqlLexStatus.End:
                    return null;
                default:
                    if (_in.OffsetOf(_in.End) - from > _maxBuffered)
                    {
                        throw Fail($"a token (a string, a quoted name or a comment) is longer than {Limit}", _in.Position);
                    }

                    await FillBufferAsync(async, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>The next token; null at the end of the script; <see cref="NeedMoreInputException"/> when it runs past the buffer.</summary>
    private TSqlToken? Next() => Lex(out var token) switch
    {
        TSqlLexStatus.Token => token,
        TSqlLexStatus.End => null,
        _ => throw NeedMoreInputException.Instance,
    };

    private TSqlToken Require(string expected) =>
        Next() ?? throw Fail($"the script ends where {expected} was expected (is the file truncated?)", _in.End);

    /// <summary>Puts a token back: the next read lexes it again.</summary>
    private void Unread(TSqlToken token)
    {
        _in.Position = token.Start;
        _lineStart = token.LineStart;
    }

    private string Ident(TSqlToken token)
    {
        var text = token.Text(_in.Buffer);
        if (!System.Text.Unicode.Utf8.IsValid(text))
        {
            throw Fail("invalid UTF-8 byte sequence in an identifier", token.Start + ValidUtf8Prefix(text));
        }

        return TSqlLexer.Identifier(text, token.Kind);
    }

    /// <summary>The token's text for an error message (shortened).</summary>
    private string Excerpt(TSqlToken token)
    {
        var text = token.Text(_in.Buffer);
        var shown = text[..Math.Min(text.Length, 40)];
        var s = System.Text.Encoding.UTF8.GetString(shown).TrimEnd('\n', '\r');
        return shown.Length < text.Length ? s + "..." : s;
    }

    /// <summary>A row or statement parsed whole from <paramref name="start"/> to the position must fit the buffering limit.</summary>
    private void CheckUnit(int start, string what)
    {
        if (_in.Position - start > _maxBuffered)
        {
            throw Fail($"{what} is longer than {Limit}", start);
        }
    }

    private string Limit => $"{_maxBuffered} bytes (DumpReaderOptions.MaxBufferedBytes)";

    /// <summary>Reads more for a row or statement parsed again from <paramref name="start"/>, which must fit the buffering limit.</summary>
    private async ValueTask RefillAsync(int start, string what, bool async, CancellationToken cancellationToken)
    {
        if (_in.End - start > _maxBuffered)
        {
            throw Fail($"{what} is longer than {Limit}", start);
        }

        // A synchronous parse only asks for more while the stream has some; reaching its end makes the next try final.
        if (_in.StreamExhausted)
        {
            throw new InvalidOperationException("The SQL Server script parser asked for more input after the end of the stream.");
        }

        await FillBufferAsync(async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads until the buffer is full (or the input ends). A token or row is parsed again from its start after each
    /// refill, so refilling by whatever a read returns (64 KB from a pipe) would make a 100 MB value quadratic;
    /// filling the (doubling) buffer makes the retries logarithmic.
    /// </summary>
    private async ValueTask FillBufferAsync(bool async, CancellationToken cancellationToken)
    {
        if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        while (_in.End < _in.Buffer.Length)
        {
            try
            {
                if (!await _in.FillAsync(async, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (InvalidUtf16Exception)
            {
                // Not ours to report yet: the rows before the bad spot come first. The stream raises it again
                // on the read that needs those bytes, and that is when the current table and line are right.
                return;
            }
            catch (InvalidDataException ex)
            {
                throw CorruptData(ex);
            }
        }
    }

    /// <summary>Reads more input; corrupt compressed data or invalid UTF-16 becomes a located <see cref="DumpFormatException"/>.</summary>
    private async ValueTask<bool> FillAsync(bool async, CancellationToken cancellationToken)
    {
        try
        {
            return await _in.FillAsync(async, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidUtf16Exception ex)
        {
            // Every good byte before the bad spot has been read: the buffer's end is the spot.
            throw new DumpFormatException(ex.Message, _sourceName, _headerTable ?? _current?.Name, _in.LineOf(_in.End), _in.OffsetOf(_in.End), ex);
        }
        catch (InvalidDataException ex)
        {
            throw CorruptData(ex);
        }
    }

    private DumpFormatException CorruptData(InvalidDataException ex) =>
        new(CompressedData.Corrupt("compressed", ex), _sourceName, _headerTable ?? _current?.Name, _in.LineOf(_in.End), _in.OffsetOf(_in.End), ex);

    private DumpFormatException LexFailure(TSqlLexError error, int index)
    {
        var line = _in.LineOf(index).ToString(CultureInfo.InvariantCulture);
        return Fail(
            error switch
            {
                TSqlLexError.UnterminatedString => $"unterminated string literal starting at line {line}: the script ends before its closing quote (truncated file or unbalanced quotes)",
                TSqlLexError.UnterminatedBracket => $"unterminated [bracketed identifier] starting at line {line}: the script ends before its closing ']'",
                TSqlLexError.UnterminatedQuotedIdentifier => $"unterminated \"quoted identifier\" starting at line {line}: the script ends before its closing '\"'",
                _ => $"unterminated /* comment starting at line {line}: the script ends before its closing */",
            },
            index);
    }

    private DumpFormatException Fail(string reason, int index, TableName? table = null)
    {
        var at = Math.Clamp(index, 0, _in.End);
        return new(reason, _sourceName, table ?? _headerTable ?? _current?.Name, _in.LineOf(at), _in.OffsetOf(at));
    }

    public void Dispose() => _in.Dispose();
}
