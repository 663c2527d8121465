using System.Buffers;
using System.Globalization;
using System.Text.Unicode;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// Streams a pg_dump plain-format script: finds each table's COPY block or run of INSERT statements,
/// yields its rows as COPY text lines, and skips everything else (DDL, comments, psql meta-commands)
/// while remembering what matters later (SET preamble, sequence values, CREATE TABLE column lists).
/// </summary>
/// <remarks>
/// Nothing is skipped that is not understood: a statement must start with an SQL command word, must not run
/// into a COPY or INSERT that a missing <c>;</c> made part of it, and psql meta-commands that could bring in,
/// repeat or hide data are refused. Statements end where psql ends them (not at a <c>;</c> inside parentheses
/// or inside a <c>BEGIN ATOMIC ... END</c> function body).
/// </remarks>
internal sealed class PlainDumpParser : ITableSource, IDumpParser
{
    // Statements we classify are kept whole in memory up to this size (or the buffering limit, if smaller); longer ones are skipped unread.
    private const int MaxRetainedStatement = 16 * 1024 * 1024;

    // PostgreSQL's MaxHeapAttributeNumber: no table has more columns.
    private const int MaxColumns = 1600;

    private readonly InputBuffer _in;
    private readonly string? _sourceName;
    private readonly TableFilter _filter;
    private readonly int _maxBuffered;
    private readonly int _maxRetained;
    private readonly bool _fragment;
    private readonly string? _selectedDatabase;
    private readonly Dictionary<TableName, TableDefinition> _definitions = [];
    private readonly List<SequenceValue> _sequences = [];
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);
    private readonly List<string> _settingOrder = [];
    private readonly List<string> _notices = [];
    private readonly HashSet<string> _noticed = new(StringComparer.Ordinal);
    private readonly ByteBuilder _row = new(1024);
    private readonly ByteBuilder _value = new(256);

    private bool _standardStrings = true;
    private string _defaultSchema = "public";
    private DumpTable? _current;

    // What makes the input a script (not a README or an empty file): statements read, pg_dump's header comment.
    private long _statements;
    private long _largeObjects;

    // pg_dump's (and pg_dumpall's) opening comment seen, and whether its closing one is still missing.
    private bool _markerSeen;
    private bool _databaseOpen;
    private bool _clusterOpen;
    private bool _atEnd;

    // Where the opening comment still waiting for its closing one is, when statements came before it (a script with a dump pasted in).
    private long _openedAfterStatementsAt;
    // The database psql is connected to (the last \connect's), null before any: the one psql was started with.
    private string? _database;
    private bool _connected;

    // Databases the dump connects to or creates, in order (for messages), and where the first data read came from.
    private readonly List<string> _databases = [];
    private bool _dataSeen;
    private string? _dataDatabase;
    private long _dataLine;

    // The table named by the COPY or INSERT statement whose header is being read (for error messages).
    private TableName? _headerTable;

    // COPY state.
    private int _copyColumns;
    private bool _copyCrLf;
    private bool _copyFirstLine;

    // A COPY with options (CSV, another delimiter or NULL, a header): its rows are converted to the neutral form.
    private CopyFormat? _copyFormat;
    private bool _copyHeaderPending;
    private bool? _copyLineEnds;
    private bool _copyEncodingSwitched;
    private ClientEncoding? _copySessionDecoder;

    // INSERT state.
    private InsertHeader? _header;
    private InsertHeader? _pendingHeader;
    private bool _pendingRow;
    private bool[]? _defaultPositions;
    private InsertPhase _phase;

    // The INSERT that started the current table (its column order is the table's) and, while a later INSERT of the table lists the
    // same columns in another order, where each of its values goes among the table's columns (null: the same order).
    private InsertHeader? _tableHeader;
    private bool[]? _tableDefaults;
    private int[]? _fieldOrder;
    private int[] _fieldStarts = [];
    private readonly ByteBuilder _reordered = new(1024);

    /// <param name="stream">The dump's bytes (decompressed).</param>
    /// <param name="sourceName">The input's name for error messages.</param>
    /// <param name="filter">Which tables to yield.</param>
    /// <param name="bufferSize">The initial buffer size (tests use tiny ones).</param>
    /// <param name="startOffset">Offset of the stream's first byte in the file (3 after a skipped byte order mark), so reported offsets are file offsets.</param>
    /// <param name="synchronousIO">Read synchronously on the async path too (local files; see <see cref="InputBuffer"/>).</param>
    /// <param name="startLine">Line number of the stream's first byte.</param>
    /// <param name="maxBuffered">The most bytes held for one row, table header or token (<see cref="DumpReaderOptions.MaxBufferedBytes"/>).</param>
    /// <param name="fragment">
    /// The input is part of an archive (a TOC entry's data or settings), not a whole script: it need not look
    /// like a dump and has no closing comment to check.
    /// </param>
    /// <param name="database">Read only the section of this database (after its <c>\connect</c>); null for the whole script (<see cref="DumpReaderOptions.Database"/>).</param>
    public PlainDumpParser(
        Stream stream,
        string? sourceName,
        TableFilter filter,
        int bufferSize = InputBuffer.DefaultSize,
        long startOffset = 0,
        bool synchronousIO = false,
        long startLine = 1,
        int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes,
        bool fragment = false,
        string? database = null)
    {
        _in = new InputBuffer(stream, bufferSize, startOffset, synchronousIO, startLine, maxBuffered);
        _sourceName = sourceName;
        _filter = filter;
        _maxBuffered = maxBuffered;
        _maxRetained = Math.Min(MaxRetainedStatement, maxBuffered);
        _fragment = fragment;
        _selectedDatabase = database;
    }

    private enum InsertPhase
    {
        ExpectTuple,
        AfterStatement,
        Done,
    }

    public string? Encoding { get; private set; }

    public bool StandardConformingStrings => _standardStrings;

    public IReadOnlyList<SequenceValue> Sequences => _sequences;

    /// <summary>The database the tables come from: the selected one, or the one whose section held the data read so far (null when the dump names none).</summary>
    public string? Database => _selectedDatabase ?? _dataDatabase;

    /// <summary>
    /// The session settings (SET ...) in force at this point of the dump, in the order first seen, rebuilt from their names
    /// and values, for the rows as the reader hands them out: while the dump is being transcoded, its client_encoding is UTF8.
    /// </summary>
    public IEnumerable<string> SettingStatements => _settingOrder.Select(k => string.Equals(k, "client_encoding", StringComparison.Ordinal) && _in.Decoder is not null ? Utf8Setting : _settings[k]);

    /// <summary>The same settings as the dump states them (its own client_encoding): to put in front of more of the same dump's bytes.</summary>
    public IEnumerable<string> SourceSettingStatements => _settingOrder.Select(k => _settings[k]);

    public long TablesSkipped { get; private set; }

    public IReadOnlyList<string> Notices => _largeObjects == 0
        ? _notices
        : [.. _notices, $"the dump holds {_largeObjects} large object(s) (lo_create); they are not table rows and are not restored"];

    /// <summary>Why the dump is <see cref="DumpCompleteness.Incomplete"/> (where its opening comment is), or null.</summary>
    public string? IncompleteReason { get; private set; }

    public DumpCompleteness Completeness => !_atEnd || !_markerSeen
        ? DumpCompleteness.Unknown
        : _databaseOpen || _clusterOpen ? DumpCompleteness.Incomplete : DumpCompleteness.Complete;

    public long BytesRead => _in.CurrentOffset;

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

            if (!await SkipTriviaAsync(async, cancellationToken).ConfigureAwait(false))
            {
                ReachEnd();
                return null;
            }

            // A statement starts with a command word or '(': check the first bytes before lexing (and buffering) anything.
            await CheckStatementStartAsync(async, cancellationToken).ConfigureAwait(false);
            var start = _in.Position;
            _in.Mark = start;
            var first = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
            if (first is not { } word)
            {
                _in.Mark = -1;
                ReachEnd();
                return null;
            }

            var span = (ReadOnlySpan<byte>)_in.Buffer;
            if (word.IsPunct(span, (byte)';'))
            {
                _in.Mark = -1; // an empty statement
            }
            else if (word.IsWord(span, "COPY"u8))
            {
                _statements++;
                var table = await BeginCopyTableAsync(async, cancellationToken).ConfigureAwait(false);
                if (table is not null)
                {
                    return table;
                }
            }
            else if (word.IsWord(span, "INSERT"u8))
            {
                _statements++;
                var header = await ReadInsertHeaderAsync(async, cancellationToken).ConfigureAwait(false);
                var table = await BeginInsertTableAsync(header, async, cancellationToken).ConfigureAwait(false);
                if (table is not null)
                {
                    return table;
                }
            }
            else if ((word.Kind == TokenKind.Word && SqlCommands.IsCommand(word.Text(span))) || word.IsPunct(span, (byte)'('))
            {
                await SkipStatementAsync(word, async, cancellationToken).ConfigureAwait(false);
                _statements++;
            }
            else
            {
                throw await NotAStatementAsync(word.Start, async, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The input is read to its end: decides whether it was a dump at all, and whether it is whole.</summary>
    private void ReachEnd()
    {
        if (_atEnd)
        {
            return;
        }

        if (!_fragment && _statements == 0 && !_markerSeen)
        {
            throw Fail(
                _in.OffsetOf(_in.End) == 0
                    ? "not a dump: the input is empty"
                    : "not a dump: the input holds no SQL statements (only white space, comments or psql meta-commands)",
                _in.End);
        }

        if (_selectedDatabase is not null && !_connectedTo.Contains(_selectedDatabase))
        {
            throw Fail(
                _databases.Count == 0
                    ? $"the dump has no section for database '{_selectedDatabase}': it names no database (no \\connect line), so read it without a database"
                    : $"the dump has no section for database '{_selectedDatabase}' (no \\connect to it); the databases in the dump: {DatabaseList()}",
                _in.End);
        }

        _atEnd = true;
        if (_databaseOpen || _clusterOpen)
        {
            var kind = _clusterOpen ? "database cluster dump" : "database dump";
            IncompleteReason = _openedAfterStatementsAt > 0
                ? $"pg_dump's opening comment ('-- PostgreSQL {kind}') is at line {_openedAfterStatementsAt}, after other statements, and its closing one " +
                  $"('-- PostgreSQL {kind} complete') never follows: the pg_dump output from line {_openedAfterStatementsAt} on is probably truncated, and tables after the cut are missing"
                : $"the dump starts with pg_dump's opening comment ('-- PostgreSQL {kind}') but lacks its closing one " +
                  $"('-- PostgreSQL {kind} complete'): it is probably truncated, and tables after the cut are missing";
            _notices.Add(IncompleteReason);
        }
    }

    // ---------------------------------------------------------------- trivia and statements

    /// <summary>Skips white space, comments and psql meta-command lines. Returns false at end of input.</summary>
    private async ValueTask<bool> SkipTriviaAsync(bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            var span = _in.Buffer.AsSpan(0, _in.End);
            var i = _in.Position;
            while (i < span.Length && SqlLexer.IsSpace(span[i]))
            {
                i++;
            }

            _in.Position = i;
            if (i >= span.Length)
            {
                if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                continue;
            }

            var c = span[i];
            var isLineComment = c == '-' && i + 1 < span.Length && span[i + 1] == '-';
            if (c == '\\' || isLineComment)
            {
                // psql meta-commands (\connect, \restrict KEY, \unrestrict KEY) and -- comments run to the end of the line.
                var nl = span[i..].IndexOf((byte)'\n');
                if (nl < 0 ? span.Length - i > _maxBuffered : nl > _maxBuffered)
                {
                    throw Fail($"a {(c == '\\' ? "psql meta-command" : "comment")} line is longer than {Limit}", i);
                }

                if (nl < 0 && !_in.StreamExhausted)
                {
                    await FillAsync(async, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                TriviaLine(i, nl < 0 ? _in.End : i + nl);
                continue;
            }

            if (c == '/' && i + 1 < span.Length && span[i + 1] == '*')
            {
                // A /* comment */ before a statement is not part of it (table sections start at the statement).
                var end = SqlLexer.SkipBlockComment(span, i);
                if (end >= 0 ? end - i > _maxBuffered : span.Length - i > _maxBuffered)
                {
                    throw Fail($"a /* comment */ is longer than {Limit}", i);
                }

                if (end >= 0)
                {
                    _in.Position = end;
                    continue;
                }

                if (await FillAsync(async, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                return true; // unterminated: the lexer reports it
            }

            if (c is (byte)'-' or (byte)'/' && i + 1 >= span.Length && !_in.StreamExhausted)
            {
                await FillAsync(async, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return true;
        }
    }

    /// <summary>A whole meta-command or comment line from <paramref name="start"/> to <paramref name="end"/> (its newline or the end of input).</summary>
    private void TriviaLine(int start, int end)
    {
        var line = _in.Buffer.AsSpan(start, end - start);
        var next = Math.Min(end + 1, _in.End);
        if (line[0] == '\\')
        {
            MetaCommand(line, start, next);
        }
        else
        {
            Comment(line, start);
        }

        _in.Position = next;
    }

    /// <summary>
    /// A psql meta-command line between statements: harmless ones are skipped, <c>\encoding</c> is a setting, the rest
    /// refused. <paramref name="next"/> is where the following line starts, where a change of encoding takes effect.
    /// </summary>
    private void MetaCommand(ReadOnlySpan<byte> line, int at, int next)
    {
        var text = line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
        switch (SqlCommands.ClassifyMeta(text, out var name, out var argument, out var reason))
        {
            case MetaCommandKind.Encoding:
                if (argument.Length > 0)
                {
                    // Like SET client_encoding: the same check, and the same setting for generated scripts.
                    var encoding = SetEncoding(argument.Trim('\'', '"'), at, next);
                    Remember("client_encoding", $"SET client_encoding = '{encoding.Name}';");
                }

                break;
            case MetaCommandKind.Harmless when name is "connect" or "c":
                Connect(argument, at);
                if (_in.Decoder is not null)
                {
                    // A new connection starts in the client's own encoding (PGCLIENTENCODING, or the locale's), not the
                    // dump's last SET: the reader takes it as UTF-8, as at the start of a dump. pg_dump sets it again anyway.
                    _in.SetEncoding(null, next);
                    Remember("client_encoding", Utf8Setting);
                }

                break;
            case MetaCommandKind.Refused:
                throw Fail($"the psql meta-command \\{SqlCommands.Excerpt(System.Text.Encoding.UTF8.GetBytes(name), 20)} {reason}; the reader refuses the dump rather than read it differently from psql", at);
        }
    }

    /// <summary>
    /// A <c>\connect</c> line: from here the statements run in that database (pg_dumpall writes one per database, <c>pg_dump -C</c>
    /// one). A new database has its own tables and a new session's search_path, so column lists learnt before are dropped.
    /// </summary>
    private void Connect(string argument, int at)
    {
        switch (ConnectCommand.Read(argument, out var target))
        {
            case ConnectCommand.Outcome.Database:
                _connects++;
                _database = target;
                _connected = true;
                _connectedTo.Add(target);
                if (!_databases.Contains(target))
                {
                    _databases.Add(target);
                }

                _definitions.Clear();
                _defaultSchema = "public";
                break;
            case ConnectCommand.Outcome.Unknown:
                throw Fail($"the psql meta-command \\connect {SqlCommands.Excerpt(System.Text.Encoding.UTF8.GetBytes(argument), 60)} connects to a database the reader cannot name: {target}", at);
        }
    }

    private readonly HashSet<string> _connectedTo = new(StringComparer.Ordinal);

    // \connect lines to a named database read so far.
    private int _connects;

    /// <summary>The databases the dump names so far (\connect and CREATE DATABASE), quoted, for messages.</summary>
    private string DatabaseList() => string.Join(", ", _databases.Select(d => $"'{d}'"));

    /// <summary>How a message names the database of <paramref name="database"/>'s section (null: before any \connect).</summary>
    private static string DatabaseLabel(string? database) =>
        database is null ? "the database psql starts in (before the first \\connect)" : $"'{database}'";

    /// <summary>Whether the statement at hand runs in the selected database (always, when none is selected).</summary>
    private bool InSelectedDatabase => _selectedDatabase is null || (_connected && string.Equals(_database, _selectedDatabase, StringComparison.Ordinal));

    /// <summary>
    /// Table data or a sequence value at <paramref name="at"/>: whether it is to be read (it is in the selected database). Without a
    /// selected database, data of a second database is an error: a table's name carries no database, so the tables of two databases
    /// with the same names would be read as one.
    /// </summary>
    private bool DataInScope(int at)
    {
        if (_selectedDatabase is not null)
        {
            return InSelectedDatabase;
        }

        if (!_dataSeen)
        {
            _dataSeen = true;
            _dataDatabase = _database;
            _dataLine = _in.LineOf(at);
            return true;
        }

        if (string.Equals(_dataDatabase, _database, StringComparison.Ordinal))
        {
            return true;
        }

        throw Fail(
            $"the dump holds the data of more than one database: {DatabaseLabel(_dataDatabase)} (from line {_dataLine}) and {DatabaseLabel(_database)} (here). " +
            $"A table's name carries no database, so tables of the same name would be read as one; read one database at a time with " +
            $"--database NAME (DumpReaderOptions.Database). The databases in the dump so far: {DatabaseList()}",
            at);
    }

    /// <summary>A -- comment line between statements: pg_dump's opening and closing comments tell whether the dump is whole.</summary>
    private void Comment(ReadOnlySpan<byte> line, int start)
    {
        var text = line[2..].Trim(" \t\r"u8);
        if (text.SequenceEqual("PostgreSQL database dump"u8))
        {
            _markerSeen = true;
            if (!_databaseOpen && !_clusterOpen)
            {
                _openedAfterStatementsAt = _statements > 0 ? _in.LineOf(start) : 0;
            }

            _databaseOpen = true;
        }
        else if (text.SequenceEqual("PostgreSQL database dump complete"u8))
        {
            _databaseOpen = false;
        }
        else if (text.SequenceEqual("PostgreSQL database cluster dump"u8))
        {
            _markerSeen = true;
            _openedAfterStatementsAt = _statements > 0 ? _in.LineOf(start) : 0;
            _clusterOpen = true;
        }
        else if (text.SequenceEqual("PostgreSQL database cluster dump complete"u8))
        {
            _clusterOpen = false;
        }
    }

    /// <summary>
    /// At a statement start (after trivia): the first byte must start a command word or be '(', and a word must
    /// not be longer than any command word. Checked on the raw bytes, so that garbage is reported at once
    /// instead of lexed (and buffered) as one enormous token.
    /// </summary>
    private async ValueTask CheckStatementStartAsync(bool async, CancellationToken cancellationToken)
    {
        while (_in.End - _in.Position <= SqlCommands.LongestCommand && await FillAsync(async, cancellationToken).ConfigureAwait(false))
        {
        }

        var head = _in.Available;
        if (head.IsEmpty || head[0] is (byte)'(' or (byte)';' || head.StartsWith("/*"u8))
        {
            return; // (an empty statement; an unterminated /* comment, which the lexer reports)
        }

        if (head[0] is not (>= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z'))
        {
            throw await NotAStatementAsync(_in.Position, async, cancellationToken).ConfigureAwait(false);
        }

        var length = 1;
        while (length < head.Length && SqlLexer.IsIdentContinue(head[length]))
        {
            length++;
        }

        if (length > SqlCommands.LongestCommand)
        {
            throw await NotAStatementAsync(_in.Position, async, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The error for what stands where a statement should start, quoting the start of its line (read far enough that every read size quotes the same).</summary>
    private async ValueTask<DumpFormatException> NotAStatementAsync(int at, bool async, CancellationToken cancellationToken)
    {
        var offset = _in.TextOffsetOf(at);
        while (true)
        {
            var available = _in.Buffer.AsSpan(at, _in.End - at);
            if (available.Length > ExcerptLength || available.IndexOfAny((byte)'\n', (byte)'\r') >= 0 ||
                !await FillAsync(async, cancellationToken).ConfigureAwait(false))
            {
                return NotAStatement((int)(offset - _in.TextOffsetOf(0)));
            }

            at = (int)(offset - _in.TextOffsetOf(0));
        }
    }

    private const int ExcerptLength = 40;

    private DumpFormatException NotAStatement(int at)
    {
        var rest = _in.Buffer.AsSpan(at, _in.End - at);
        var nl = rest.IndexOfAny((byte)'\n', (byte)'\r');
        var excerpt = SqlCommands.Excerpt(nl < 0 ? rest : rest[..nl]);
        return _statements == 0 && !_markerSeen && !_fragment
            ? Fail($"not a dump: it starts with '{excerpt}', which is not an SQL statement{LaterOpeningComment(at)}", at)
            : Fail(
                $"'{excerpt}' does not start an SQL statement (a stray line, or a statement whose start is missing); " +
                "the reader stops here rather than skip what it cannot read",
                at);
    }

    /// <summary>
    /// Text before a dump (shell output, a banner): when pg_dump's opening comment comes later in what is buffered, say
    /// where. The text is still refused (anything that is not a statement is), but the message tells how to cut it off.
    /// </summary>
    private string LaterOpeningComment(int at)
    {
        var rest = _in.Buffer.AsSpan(at, _in.End - at);
        var hit = rest.IndexOf("\n-- PostgreSQL database "u8);
        if (hit < 0)
        {
            return string.Empty;
        }

        var line = _in.LineOf(at + hit + 1);
        return $"; pg_dump's opening comment is at line {line}: the text before it is not part of the dump (cut it off, e.g. tail -n +{line} FILE > dump.sql)";
    }

    private string Limit => $"{_maxBuffered} bytes (DumpReaderOptions.MaxBufferedBytes)";

    /// <summary>The next token, reading more input as needed; null at the end. A token (with the white space and comments before it) is held whole, so it must fit the buffering limit.</summary>
    private async ValueTask<Token?> NextTokenAsync(bool async, CancellationToken cancellationToken)
    {
        var from = _in.TextOffsetOf(_in.Position);
        Token? token;
        while (!TryNextToken(out token))
        {
            if (_in.TextOffsetOf(_in.End) - from > _maxBuffered)
            {
                throw TokenTooLong(from);
            }

            await FillAsync(async, cancellationToken).ConfigureAwait(false);
        }

        if (token is { } t && _in.TextOffsetOf(t.End) - from > _maxBuffered)
        {
            throw TokenTooLong(from);
        }

        return token;
    }

    private DumpFormatException TokenTooLong(long from)
    {
        var at = (int)(from - _in.TextOffsetOf(0));
        while (at < _in.End && SqlLexer.IsSpace(_in.Buffer[at]))
        {
            at++;
        }

        return Fail($"a token (a quoted string or name, a dollar-quoted body, or a comment) is longer than {Limit}", at);
    }

    /// <summary>Lexes the next token from the buffer: false when it runs past the buffer (refill and try again); a null token at the end of input.</summary>
    private bool TryNextToken(out Token? token)
    {
        var status = SqlLexer.Next(_in.Buffer.AsSpan(0, _in.End), _in.Position, _in.StreamExhausted, _standardStrings, out var next, out var error);
        switch (status)
        {
            case LexStatus.Token:
                _in.Position = next.End;
                token = next;
                return true;
            case LexStatus.End:
                _in.Position = _in.End;
                token = null;
                return true;
            case LexStatus.Error:
                throw Fail(error!, next.Start);
            default:
                token = null;
                return false;
        }
    }

    private async ValueTask<Token> RequireTokenAsync(string expected, bool async, CancellationToken cancellationToken) =>
        await NextTokenAsync(async, cancellationToken).ConfigureAwait(false)
        ?? throw Fail($"unexpected end of input: expected {expected}", _in.Position);

    /// <summary>
    /// Consumes a statement that holds no table data, through the ';' that ends it for psql: not one inside
    /// parentheses, nor inside the <c>BEGIN ATOMIC ... END</c> body of a <c>CREATE FUNCTION</c> or
    /// <c>PROCEDURE</c> (psql's own heuristic: it counts BEGIN, CASE and END there). SET, SELECT and
    /// CREATE TABLE statements are kept whole (when not huge) to learn settings, sequence values and column lists.
    /// Data that a missing ';' made part of the statement (a <c>COPY ... FROM stdin</c>, an <c>INSERT INTO</c>)
    /// is an error naming both lines, as is a psql meta-command inside it.
    /// </summary>
    private async ValueTask SkipStatementAsync(Token first, bool async, CancellationToken cancellationToken)
    {
        var buffer = (ReadOnlySpan<byte>)_in.Buffer;
        var startLine = _in.LineOf(first.Start);
        var what = first.Kind == TokenKind.Word ? SqlCommands.Upper(first.Text(buffer)) : "parenthesised";
        var keep = what is "SET" or "SELECT" or "CREATE";
        var createPending = what is "CREATE"; // kept only if it turns out to be CREATE TABLE
        if (!keep)
        {
            _in.Mark = -1;
        }

        NoticeStatement(what, startLine);

        // psql's heuristic: the first words of the statement, as the initials of create/or/replace/function/procedure.
        var initials = new char[4];
        var words = 0;
        var wordsSeen = new Keyword[4];
        var parens = 0;
        var begins = 0;
        var afterFrom = false;
        var afterInsert = false;
        long lastWordLine = startLine;
        var token = first;
        while (true)
        {
            var span = (ReadOnlySpan<byte>)_in.Buffer;
            if (token.Kind == TokenKind.Word)
            {
                var upper = KeywordOf(span, token);
                if (words < 4)
                {
                    wordsSeen[words] = upper;
                    initials[words] = upper switch
                    {
                        Keyword.Create => 'c',
                        Keyword.Or => 'o',
                        Keyword.Replace => 'r',
                        Keyword.Function => 'f',
                        Keyword.Procedure => 'p',
                        _ => '\0',
                    };
                }

                words++;
                var functionLike = initials[0] == 'c' &&
                    (initials[1] is 'f' or 'p' || (initials[1] == 'o' && initials[2] == 'r' && initials[3] is 'f' or 'p'));
                if (functionLike && parens == 0)
                {
                    if (upper is Keyword.Begin)
                    {
                        begins++;
                    }
                    else if (upper is Keyword.Case && begins >= 1)
                    {
                        begins++;
                    }
                    else if (upper is Keyword.End && begins > 0)
                    {
                        begins--;
                    }
                }

                if (afterFrom && upper is Keyword.Stdin)
                {
                    throw Fail(
                        $"a COPY ... FROM stdin (line {_in.LineOf(token.Start)}) is inside the {what} statement that starts at line {startLine}: " +
                        "a ';' is missing before it, and psql would not load that table's data",
                        token.Start);
                }

                if (afterInsert && upper is Keyword.Into && !InsertAllowed(wordsSeen) && !(words == 2 && what is "INSERT"))
                {
                    throw Fail(
                        $"an INSERT INTO (line {lastWordLine}) is inside the {what} statement that starts at line {startLine}: " +
                        "a ';' is missing before it, and psql would not insert those rows",
                        token.Start);
                }

                afterFrom = upper is Keyword.From;
                afterInsert = upper is Keyword.Insert;
                if (afterInsert)
                {
                    lastWordLine = _in.LineOf(token.Start);
                }

                if (createPending && words > 1 && upper is not (Keyword.Global or Keyword.Local or Keyword.Temp or Keyword.Temporary or Keyword.Unlogged))
                {
                    createPending = false;
                    if (upper is not (Keyword.Table or Keyword.Database))
                    {
                        keep = false;
                        _in.Mark = -1;
                    }
                }
            }
            else
            {
                afterFrom = false;
                afterInsert = false;
                if (token.IsPunct(span, (byte)'\\'))
                {
                    throw Fail(
                        $"a psql meta-command (a backslash outside quotes) is inside the {what} statement that starts at line {startLine}; " +
                        "psql would run it while loading, and the reader refuses the dump rather than ignore it",
                        token.Start);
                }

                if (token.IsPunct(span, (byte)'('))
                {
                    parens++;
                }
                else if (token.IsPunct(span, (byte)')') && parens > 0)
                {
                    parens--;
                }
                else if (token.IsPunct(span, (byte)';') && parens == 0 && begins == 0)
                {
                    if (keep && _in.Mark >= 0)
                    {
                        HandleStatement(_in.Mark, _in.Position);
                    }

                    _in.Mark = -1;
                    return;
                }
            }

            if (keep && _in.Mark >= 0 && _in.Position - _in.Mark > _maxRetained)
            {
                keep = false;
                _in.Mark = -1;
            }

            token = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false)
                ?? throw Fail(
                    $"the dump ends inside the {what} statement that starts at line {startLine}: its ';' is missing (a truncated file?)",
                    _in.End);
        }
    }

    /// <summary>Statements whose text may hold an INSERT INTO that is not data: rules and SQL-standard function bodies.</summary>
    private static bool InsertAllowed(Keyword[] words) =>
        words[0] is Keyword.Create &&
        (words[1] is Keyword.Rule or Keyword.Function or Keyword.Procedure ||
         (words[1] is Keyword.Or && words[2] is Keyword.Replace && words[3] is Keyword.Rule or Keyword.Function or Keyword.Procedure));

    /// <summary>The words a skipped statement's boundary and contents depend on.</summary>
    private enum Keyword : byte
    {
        None,
        Create,
        Or,
        Replace,
        Function,
        Procedure,
        Rule,
        Begin,
        Case,
        End,
        From,
        Stdin,
        Insert,
        Into,
        Table,
        Global,
        Local,
        Temp,
        Temporary,
        Unlogged,
        Database,
    }

    /// <summary>Which of <see cref="Keyword"/> a word is, comparing bytes (no string per word: DDL has many).</summary>
    private static Keyword KeywordOf(ReadOnlySpan<byte> span, Token token) => token.Length switch
    {
        2 => token.IsWord(span, "OR"u8) ? Keyword.Or : Keyword.None,
        3 => token.IsWord(span, "END"u8) ? Keyword.End : Keyword.None,
        4 => token.IsWord(span, "CASE"u8) ? Keyword.Case : token.IsWord(span, "FROM"u8) ? Keyword.From : token.IsWord(span, "INTO"u8) ? Keyword.Into
            : token.IsWord(span, "RULE"u8) ? Keyword.Rule : token.IsWord(span, "TEMP"u8) ? Keyword.Temp : Keyword.None,
        5 => token.IsWord(span, "BEGIN"u8) ? Keyword.Begin : token.IsWord(span, "STDIN"u8) ? Keyword.Stdin : token.IsWord(span, "TABLE"u8) ? Keyword.Table
            : token.IsWord(span, "LOCAL"u8) ? Keyword.Local : Keyword.None,
        6 => token.IsWord(span, "CREATE"u8) ? Keyword.Create : token.IsWord(span, "INSERT"u8) ? Keyword.Insert : token.IsWord(span, "GLOBAL"u8) ? Keyword.Global : Keyword.None,
        7 => token.IsWord(span, "REPLACE"u8) ? Keyword.Replace : Keyword.None,
        8 => token.IsWord(span, "FUNCTION"u8) ? Keyword.Function : token.IsWord(span, "UNLOGGED"u8) ? Keyword.Unlogged
            : token.IsWord(span, "DATABASE"u8) ? Keyword.Database : Keyword.None,
        9 => token.IsWord(span, "PROCEDURE"u8) ? Keyword.Procedure : token.IsWord(span, "TEMPORARY"u8) ? Keyword.Temporary : Keyword.None,
        _ => Keyword.None,
    };

    /// <summary>Statements that change rows or run code the reader does not replay are reported (once per kind), not silently passed over.</summary>
    private void NoticeStatement(string what, long line)
    {
        string? notice = what switch
        {
            "UPDATE" or "DELETE" or "MERGE" or "TRUNCATE" =>
                $"the dump runs {what} statements (the first at line {line}); they are not replayed: the rows read are those of its COPY and INSERT ... VALUES statements",
            "INSERT" =>
                $"the dump runs INSERT ... SELECT statements (the first at line {line}); they are not replayed: the server computes their rows from other tables, " +
                "which the reader cannot do, and the rows read are those of its COPY and INSERT ... VALUES statements",
            "DO" or "CALL" =>
                $"the dump runs code with {what} (the first at line {line}); rows that code would write are not read",
            _ => null,
        };

        if (notice is not null && _noticed.Add(what))
        {
            _notices.Add(notice);
        }
    }

    /// <summary>Looks at a whole non-data statement for what matters later.</summary>
    private void HandleStatement(int start, int end)
    {
        if (start < 0)
        {
            return;
        }

        var span = _in.Buffer.AsSpan(start, end - start);
        var tokens = Tokenize(span, start);
        if (tokens.Count < 2)
        {
            return;
        }

        if (tokens[0].IsWord(span, "SET"u8))
        {
            HandleSet(span, tokens, start);
        }
        else if (tokens[0].IsWord(span, "SELECT"u8))
        {
            HandleSelect(span, tokens, start);
        }
        else if (tokens[0].IsWord(span, "CREATE"u8) && tokens[1].IsWord(span, "DATABASE"u8))
        {
            // pg_dumpall (and pg_dump -C) create each database before connecting to it: named in messages about databases.
            if (tokens.Count > 2 && tokens[2].Kind is TokenKind.Word or TokenKind.QuotedIdentifier &&
                SqlLiteral.Identifier(tokens[2].Text(span), tokens[2].Kind) is var created && !_databases.Contains(created))
            {
                _databases.Add(created);
            }
        }
        else if (tokens[0].IsWord(span, "CREATE"u8))
        {
            var definition = TableDefinition.TryParse(span, tokens, _defaultSchema);
            if (definition is not null)
            {
                _definitions[definition.Name] = definition;
            }
        }
    }

    private List<Token> Tokenize(ReadOnlySpan<byte> span, int bufferStart)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            var status = SqlLexer.Next(span, i, final: true, _standardStrings, out var token, out var error);
            if (status == LexStatus.Error)
            {
                throw Fail(error!, bufferStart + token.Start);
            }

            if (status != LexStatus.Token)
            {
                return tokens;
            }

            tokens.Add(token);
            i = token.End;
        }
    }

    private void HandleSet(ReadOnlySpan<byte> span, List<Token> tokens, int bufferStart)
    {
        // SET [SESSION|LOCAL] name {=|TO} value [, value...] ;
        var i = 1;
        if (tokens[i].IsWord(span, "SESSION"u8) || tokens[i].IsWord(span, "LOCAL"u8))
        {
            if (tokens[i].IsWord(span, "SESSION"u8) && i + 1 < tokens.Count &&
                (tokens[i + 1].IsWord(span, "AUTHORIZATION"u8) || tokens[i + 1].IsWord(span, "CHARACTERISTICS"u8)))
            {
                return; // ownership and transaction defaults are not ours to replay
            }

            i++;
        }

        if (i >= tokens.Count || tokens[i].Kind != TokenKind.Word || tokens[i].IsWord(span, "TRANSACTION"u8) || tokens[i].IsWord(span, "CONSTRAINTS"u8))
        {
            return; // not a session setting
        }

        var name = SqlLiteral.Identifier(tokens[i].Text(span), TokenKind.Word);
        if (i + 2 < tokens.Count && tokens[i + 1].IsPunct(span, (byte)'.') && tokens[i + 2].Kind is TokenKind.Word or TokenKind.QuotedIdentifier)
        {
            name += "." + SqlLiteral.Identifier(tokens[i + 2].Text(span), tokens[i + 2].Kind); // a custom setting
        }
        else if (name is "time" && i + 1 < tokens.Count && tokens[i + 1].IsWord(span, "ZONE"u8))
        {
            name = "timezone";
        }

        var local = tokens[1].IsWord(span, "LOCAL"u8);
        var statement = SettingStatement.RenderSet(span, tokens, (s, t) => DecodeToString(s, t, bufferStart), out var reason);
        if (statement is null)
        {
            _notices.Add($"line {_in.LineOf(bufferStart)}: the SET statement for {name} is not replayed in generated scripts: {reason}");
        }
        else
        {
            Remember(name, statement);
        }

        var valueIndex = i + 2;
        if (valueIndex >= tokens.Count)
        {
            return;
        }

        var value = tokens[valueIndex];
        var valueText = value.Kind == TokenKind.String ? DecodeToString(span, value, bufferStart) : SqlLiteral.Identifier(value.Text(span), value.Kind);
        switch (name)
        {
            case "client_encoding":
                SetEncoding(valueText, bufferStart + tokens[0].Start, _in.Position, local);
                break;
            case "standard_conforming_strings":
                _standardStrings = valueText.ToLowerInvariant() is "on" or "true" or "1" or "yes"; // a quoted value keeps its case
                break;
            case "search_path":
                var firstSchema = valueText.Split(',')[0].Trim();
                _defaultSchema = firstSchema.Length > 0 ? firstSchema : "public";
                break;
        }
    }

    private void Remember(string name, string statement)
    {
        if (!_settings.ContainsKey(name))
        {
            _settingOrder.Add(name);
        }

        _settings[name] = statement;
    }

    private const string Utf8Setting = "SET client_encoding = 'UTF8';";

    /// <summary>
    /// A <c>SET client_encoding</c> (or <c>\encoding</c>, or <c>set_config</c>) at <paramref name="at"/>: from
    /// <paramref name="switchAt"/> on (just after it, where the server starts converting) the input is read in that
    /// encoding, transcoded to UTF-8. Encodings the reader cannot convert exactly are refused, naming them.
    /// </summary>
    private ClientEncoding SetEncoding(string name, int at, int switchAt, bool local = false)
    {
        var encoding = ClientEncoding.Find(name)
            ?? throw Fail($"the dump's client_encoding is '{name}', which is not an encoding PostgreSQL knows; the reader cannot tell how the rest of the dump is encoded", at);
        var named = string.Equals(name, encoding.Name, StringComparison.Ordinal) ? $"'{name}'" : $"'{name}' ({encoding.Name})";
        if (encoding.Refusal is { } refusal)
        {
            throw Fail(
                $"the dump's client_encoding is {named}, which the reader cannot convert to UTF-8 exactly: {refusal}. " +
                "Re-create the dump with pg_dump --encoding=UTF8 (or convert it with iconv and change the SET client_encoding line)",
                at);
        }

        var decoder = encoding.IsPassThrough ? null : encoding;
        if (local && !ReferenceEquals(decoder, _in.Decoder))
        {
            throw Fail($"the dump sets client_encoding to {named} for the current transaction only (SET LOCAL); the reader does not follow transactions, so it cannot tell where the encoding changes back", at);
        }

        Encoding = encoding.Name;
        _in.SetEncoding(decoder, switchAt);
        return encoding;
    }

    private void HandleSelect(ReadOnlySpan<byte> span, List<Token> tokens, int bufferStart)
    {
        // SELECT pg_catalog.setval('seq', 42, true);   SELECT pg_catalog.set_config('search_path', '', false);
        var i = 1;
        if (tokens.Count > 3 && tokens[1].Kind == TokenKind.Word && tokens[2].IsPunct(span, (byte)'.'))
        {
            if (!tokens[1].IsWord(span, "PG_CATALOG"u8))
            {
                return;
            }

            i = 3;
        }

        if (i + 2 >= tokens.Count || !tokens[i + 1].IsPunct(span, (byte)'('))
        {
            return;
        }

        if (tokens[i].IsWord(span, "LO_CREATE"u8) || tokens[i].IsWord(span, "LO_IMPORT"u8))
        {
            _largeObjects += InSelectedDatabase ? 1 : 0;
            return;
        }

        if (tokens[i].IsWord(span, "SET_CONFIG"u8) && tokens[i + 2].Kind == TokenKind.String)
        {
            var setting = DecodeToString(span, tokens[i + 2], bufferStart);
            var configValue = i + 4 < tokens.Count && tokens[i + 4].Kind == TokenKind.String ? DecodeToString(span, tokens[i + 4], bufferStart) : null;

            // Exactly set_config('name', 'value', true|false) [;] and nothing else.
            var shape = i + 7 < tokens.Count && tokens[i + 3].IsPunct(span, (byte)',') && tokens[i + 5].IsPunct(span, (byte)',') &&
                        (tokens[i + 6].IsWord(span, "TRUE"u8) || tokens[i + 6].IsWord(span, "FALSE"u8)) && tokens[i + 7].IsPunct(span, (byte)')') &&
                        (i + 8 == tokens.Count || (i + 9 == tokens.Count && tokens[i + 8].IsPunct(span, (byte)';')));
            string? reason = "it is not of the form set_config('name', 'value', false)";
            var statement = shape ? SettingStatement.RenderSetConfig(setting, configValue, tokens[i + 6].IsWord(span, "TRUE"u8), out reason) : null;
            if (statement is null)
            {
                _notices.Add($"line {_in.LineOf(bufferStart)}: the set_config call for {setting} is not replayed in generated scripts: {reason}");
            }
            else
            {
                Remember(setting, statement);
            }

            if (string.Equals(setting, "client_encoding", StringComparison.Ordinal) && configValue is not null)
            {
                SetEncoding(configValue, bufferStart + tokens[0].Start, _in.Position, local: !shape || tokens[i + 6].IsWord(span, "TRUE"u8));
            }

            if (string.Equals(setting, "search_path", StringComparison.Ordinal) && configValue is not null)
            {
                var path = configValue.Split(',')[0].Trim();
                _defaultSchema = path.Length > 0 ? path.Trim('"') : "public";
            }

            return;
        }

        if (!tokens[i].IsWord(span, "SETVAL"u8) || tokens[i + 2].Kind != TokenKind.String)
        {
            return;
        }

        var sequenceText = DecodeToString(span, tokens[i + 2], bufferStart);
        var j = i + 3;
        if (j + 1 >= tokens.Count || !tokens[j].IsPunct(span, (byte)','))
        {
            return;
        }

        j++;
        var negative = false;
        if (tokens[j].IsPunct(span, (byte)'-'))
        {
            negative = true;
            j++;
        }

        // Parse the sign with the digits: a descending bigint sequence can sit at -9223372036854775808.
        if (j >= tokens.Count || tokens[j].Kind != TokenKind.Number ||
            !long.TryParse((negative ? "-" : string.Empty) + System.Text.Encoding.ASCII.GetString(tokens[j].Text(span)), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Fail("setval has a value that is not an integer", bufferStart + tokens[Math.Min(j, tokens.Count - 1)].Start);
        }

        var isCalled = true;
        if (j + 2 < tokens.Count && tokens[j + 1].IsPunct(span, (byte)','))
        {
            isCalled = tokens[j + 2].IsWord(span, "TRUE"u8);
        }

        var name = ParseQualifiedNameText(sequenceText);
        if (DataInScope(bufferStart))
        {
            _sequences.Add(new SequenceValue(name, value, isCalled, _in.LineOf(bufferStart)));
        }
    }

    /// <summary>Parses a regclass literal such as <c>public."My_seq"</c>.</summary>
    private TableName ParseQualifiedNameText(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var tokens = new List<Token>();
        var i = 0;
        while (SqlLexer.Next(bytes, i, final: true, standardStrings: true, out var token, out _) == LexStatus.Token)
        {
            tokens.Add(token);
            i = token.End;
        }

        var names = tokens.Where(t => t.Kind is TokenKind.Word or TokenKind.QuotedIdentifier)
            .Select(t => SqlLiteral.Identifier(t.Text(bytes), t.Kind)).ToList();
        return names.Count switch
        {
            0 => new TableName(_defaultSchema, text),
            1 => new TableName(_defaultSchema, names[0]),
            _ => new TableName(names[^2], names[^1]),
        };
    }

    private string DecodeToString(ReadOnlySpan<byte> span, Token token, int bufferStart)
    {
        _value.Reset();
        var error = SqlLiteral.DecodeString(token.Text(span), token.Prefix, _value);
        return error is null
            ? System.Text.Encoding.UTF8.GetString(_value.WrittenSpan)
            : throw Fail("bad escape: " + error, bufferStart + token.Start);
    }

    // ---------------------------------------------------------------- qualified names from the token stream

    private async ValueTask<TableName> ReadQualifiedNameAsync(Token first, bool async, CancellationToken cancellationToken)
    {
        if (first.Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
        {
            throw Fail("expected a table name", first.Start);
        }

        var name = SqlLiteral.Identifier(first.Text(_in.Buffer), first.Kind);
        var dot = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        if (dot is { } d && d.IsPunct(_in.Buffer, (byte)'.'))
        {
            var second = await RequireTokenAsync("a table name after the dot", async, cancellationToken).ConfigureAwait(false);
            if (second.Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
            {
                throw Fail("expected a table name after the dot", second.Start);
            }

            return new TableName(name, SqlLiteral.Identifier(second.Text(_in.Buffer), second.Kind));
        }

        // Not a dot: un-read that token (no refill happened since it was lexed, so its start is still valid).
        _in.Position = dot is { } t ? t.Start : _in.Position;
        return new TableName(_defaultSchema, name);
    }

    private async ValueTask<List<string>> ReadColumnListAsync(bool async, CancellationToken cancellationToken)
    {
        var columns = new List<string>();
        while (true)
        {
            var token = await RequireTokenAsync("a column name", async, cancellationToken).ConfigureAwait(false);
            if (token.IsPunct(_in.Buffer, (byte)')') && columns.Count == 0)
            {
                return columns;
            }

            if (token.Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
            {
                throw Fail("expected a column name", token.Start);
            }

            columns.Add(SqlLiteral.Identifier(token.Text(_in.Buffer), token.Kind));
            CheckHeaderLength();
            var separator = await RequireTokenAsync("',' or ')'", async, cancellationToken).ConfigureAwait(false);
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                return columns;
            }

            if (!separator.IsPunct(_in.Buffer, (byte)','))
            {
                throw Fail("expected ',' or ')' in the column list", separator.Start);
            }
        }
    }

    /// <summary>The statement that starts a table's data is held whole while its header is read: it must fit the buffering limit.</summary>
    private void CheckHeaderLength()
    {
        if (_in.Mark >= 0 && _in.Position - _in.Mark > _maxBuffered)
        {
            throw Fail($"the statement is longer than {Limit} before its data starts", _in.Mark);
        }
    }

    // ---------------------------------------------------------------- COPY

    private async ValueTask<DumpTable?> BeginCopyTableAsync(bool async, CancellationToken cancellationToken)
    {
        var statementLine = _in.LineOf(_in.Mark);
        var statementOffset = _in.OffsetOf(_in.Mark);
        var nameToken = await RequireTokenAsync("a table name after COPY", async, cancellationToken).ConfigureAwait(false);
        var name = await ReadQualifiedNameAsync(nameToken, async, cancellationToken).ConfigureAwait(false);
        _headerTable = name;
        var next = await RequireTokenAsync("FROM stdin", async, cancellationToken).ConfigureAwait(false);
        List<string> columns = [];
        var hasList = false;
        if (next.IsPunct(_in.Buffer, (byte)'('))
        {
            columns = await ReadColumnListAsync(async, cancellationToken).ConfigureAwait(false);
            hasList = true;
            next = await RequireTokenAsync("FROM stdin", async, cancellationToken).ConfigureAwait(false);
        }

        if (!next.IsWord(_in.Buffer, "FROM"u8))
        {
            if (name == new TableName(_defaultSchema, "binary") && nameToken.Kind == TokenKind.Word)
            {
                throw Fail("COPY BINARY: binary COPY data cannot be part of a psql script (psql sends the lines after the statement as text)", nameToken.Start);
            }

            throw Fail("only 'COPY table (columns) FROM stdin;' is supported in a dump (found COPY with other options)", next.Start, name);
        }

        var stdin = await RequireTokenAsync("stdin", async, cancellationToken).ConfigureAwait(false);
        if (!stdin.IsWord(_in.Buffer, "STDIN"u8))
        {
            throw Fail("COPY in a dump must read FROM stdin", stdin.Start, name);
        }

        if (hasList && columns.Count > MaxColumns)
        {
            throw Fail($"the COPY statement lists {columns.Count} columns; a PostgreSQL table has at most {MaxColumns}", _in.Mark, name);
        }

        // Very old pg_dump omitted the column list; the CREATE TABLE order is the COPY order then.
        var definition = hasList ? null : _definitions.GetValueOrDefault(name);
        var format = await ReadCopyOptionsAsync(name, hasList ? columns : definition?.DataColumns.ToList(), async, cancellationToken).ConfigureAwait(false);

        // The data starts on the line after the statement. psql would run whatever else is on this line after
        // the data, so only blanks and a -- comment may follow the ';'.
        while (true)
        {
            var rest = _in.Available;
            var nl = rest.IndexOf((byte)'\n');
            var line = nl >= 0 ? rest[..nl] : rest;
            var other = line.IndexOfAnyExcept(" \t\r\f\v"u8);
            if (other >= 0 && !line[other..].StartsWith("--"u8) && !(nl < 0 && other == line.Length - 1 && line[other] == '-' && !_in.StreamExhausted))
            {
                throw Fail(
                    "text follows 'COPY ... FROM stdin;' on its line: psql reads the rows from the next line and runs that text after them, which the reader does not do",
                    _in.Position + other,
                    name);
            }

            if (line.Length > _maxBuffered)
            {
                throw Fail($"the line of the COPY statement is longer than {Limit}", _in.Position, name);
            }

            if (nl >= 0)
            {
                _in.Position += nl + 1;
                break;
            }

            if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
            {
                throw Fail("the dump ends right after the COPY statement (no data and no \\. terminator)", _in.End, name);
            }
        }

        _headerTable = null;
        var dumpColumns = new DumpColumn[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            dumpColumns[i] = new DumpColumn(columns[i], i + 1);
        }

        if (definition is not null)
        {
            dumpColumns = [.. definition.DataColumns.Select((c, i) => new DumpColumn(c, i + 1))];
            if (dumpColumns.Length > MaxColumns)
            {
                throw Fail($"CREATE TABLE {name} declares {dumpColumns.Length} columns; a PostgreSQL table has at most {MaxColumns}", _in.Position, name);
            }
        }

        _copyColumns = dumpColumns.Length;
        _copyFirstLine = true;
        _copyCrLf = false;
        _copyLineEnds = null;
        _copyFormat = format is { IsDefaultText: false } ? format : null;
        _copyHeaderPending = _copyFormat is { Header: not CopyHeader.None };
        if (format?.Encoding is { } dataEncoding)
        {
            // COPY ... ENCODING: the rows are in that encoding whatever client_encoding says, up to the end of the data.
            _copySessionDecoder = _in.Decoder;
            _copyEncodingSwitched = true;
            _in.SetEncoding(dataEncoding.IsPassThrough ? null : dataEncoding, _in.Position);
        }
        _in.LineOf(_in.Position);
        var table = new DumpTable(this, name, dumpColumns, DumpDataForm.Copy, statementOffset, statementLine);
        if (!DataInScope(_in.Mark >= 0 ? _in.Mark : _in.Position) || !_filter.Matches(name))
        {
            _in.Mark = -1;
            _current = table;
            TablesSkipped++;
            while (await ReadCopyRowAsync(table, materialize: false, async, cancellationToken).ConfigureAwait(false))
            {
            }

            _current = null;
            return null;
        }

        _current = table;
        return table;
    }

    private enum CopyLineResult
    {
        Row,
        End,
        NeedMore,
    }

    private async ValueTask<bool> ReadCopyRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (_copyFormat is not null ? TryReadConvertedRow(table, materialize) : materialize ? TryReadCopyLine(table, materialize: true) : TrySkipCopyLines(table))
            {
                case CopyLineResult.Row:
                    return true;
                case CopyLineResult.End:
                    return false;
            }

            // The position is at the start of a row that runs past the buffer.
            if (_in.End - _in.Position > _maxBuffered)
            {
                throw RowTooLong(table, _in.Position);
            }

            if (await FillAsync(async, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (_in.Available.SequenceEqual("\\."u8) && _copyFormat is { Csv: true })
            {
                throw Fail(
                    "the CSV data ends with \\. without a newline: psql sends that line to the server, which reads it as a row holding \\. " +
                    "(not as the end of the data); the reader refuses it as ambiguous",
                    _in.Position,
                    table.Name);
            }

            if (_in.Available.SequenceEqual("\\."u8))
            {
                // Terminator on the last line without a newline: psql accepts it too.
                _in.Position = _in.End;
                FinishTable(table);
                return false;
            }

            throw Fail(
                $"the dump ends inside the COPY data after {table.RowsRead} rows (no \\. terminator): the file is truncated",
                _in.End,
                table.Name);
        }
    }

    /// <summary>
    /// The options after <c>FROM stdin</c> up to the <c>;</c> (the statement is held whole while they are read): null when
    /// there are none, else the format they give (<see cref="CopyFormat"/>; refused options are errors naming them).
    /// </summary>
    private async ValueTask<CopyFormat?> ReadCopyOptionsAsync(TableName name, IReadOnlyList<string>? columns, bool async, CancellationToken cancellationToken)
    {
        var token = await RequireTokenAsync("';'", async, cancellationToken).ConfigureAwait(false);
        if (token.IsPunct(_in.Buffer, (byte)';'))
        {
            return null;
        }

        var fromMark = token.Start - _in.Mark;
        while (!token.IsPunct(_in.Buffer, (byte)';'))
        {
            CheckHeaderLength();
            token = await RequireTokenAsync("';' after the COPY options", async, cancellationToken).ConfigureAwait(false);
        }

        var from = _in.Mark + fromMark;
        var length = _in.Position - from;
        var tokens = Tokenize(_in.Buffer.AsSpan(from, length), from);
        try
        {
            return CopyFormat.Parse(_in.Buffer.AsSpan(from, length), tokens, t => DecodeToString(_in.Buffer.AsSpan(from, length), t, from), columns);
        }
        catch (CopyFormat.OptionException ex)
        {
            throw Fail(ex.Message, from + tokens[ex.Token].Start, name);
        }
    }

    /// <summary>
    /// Reads one row of a COPY with options (CSV, another delimiter or NULL marker, a header) and converts it to the neutral
    /// COPY text line, as the server would store it; never reads the stream (the caller refills on <see cref="CopyLineResult.NeedMore"/>).
    /// </summary>
    private CopyLineResult TryReadConvertedRow(DumpTable table, bool materialize)
    {
        var format = _copyFormat!;
        while (true)
        {
            var start = _in.Position;
            var span = _in.Buffer.AsSpan(start, _in.End - start);
            CopyFormat.RecordStatus status;
            int length, consumed, lines;
            try
            {
                status = format.FindRecord(span, _in.StreamExhausted, ref _copyLineEnds, out length, out consumed, out lines);
            }
            catch (CopyFormat.RecordException ex)
            {
                throw Fail($"row {table.RowsRead + 1} {ex.Message}", start + ex.At, table.Name);
            }

            if (status == CopyFormat.RecordStatus.NeedMore)
            {
                return CopyLineResult.NeedMore;
            }

            _in.LineOf(start);
            if (status == CopyFormat.RecordStatus.End)
            {
                if (_copyHeaderPending && format.Header == CopyHeader.Match)
                {
                    throw Fail("the COPY data ends where its header line should be (HEADER MATCH: the server would compare it with the columns and fail)", start, table.Name);
                }

                _in.Position = start + consumed;
                _in.AdvanceLines(_in.Position, lines);
                FinishTable(table);
                return CopyLineResult.End;
            }

            if (length > _maxBuffered)
            {
                throw RowTooLong(table, start);
            }

            var record = span[..length];
            if (!Utf8.IsValid(record))
            {
                throw InvalidUtf8(table, start, record);
            }

            var lineNumber = _in.LineOf(start);
            if (_copyHeaderPending)
            {
                _copyHeaderPending = false;
                if (format.Header == CopyHeader.Match)
                {
                    CheckHeader(format, record, table, start);
                }

                _in.Position = start + consumed;
                _in.AdvanceLines(_in.Position, lines);
                continue;
            }

            int fields;
            try
            {
                fields = format.Convert(record, _copyColumns, _row, _value);
            }
            catch (CopyFormat.RecordException ex)
            {
                throw Fail($"row {table.RowsRead + 1} {ex.Message}", start + ex.At, table.Name);
            }

            if (fields != _copyColumns)
            {
                throw WrongFieldCount(table, start, fields);
            }

            _in.Position = start + consumed;
            _in.AdvanceLines(_in.Position, lines);
            table.RowsRead++;
            if (materialize)
            {
                table.Current.Set(_row.Array, 0, _row.Count, lineNumber, _in.OffsetOf(start));
            }

            return CopyLineResult.Row;
        }
    }

    /// <summary>HEADER MATCH: the header line's fields must be the COPY's column names, in order (as the server checks them).</summary>
    private void CheckHeader(CopyFormat format, ReadOnlySpan<byte> record, DumpTable table, int start)
    {
        var names = new List<string?>();
        try
        {
            format.Convert(record, Math.Max(1, _copyColumns), new ByteBuilder(record.Length + 16), new ByteBuilder(record.Length + 16), names);
        }
        catch (CopyFormat.RecordException ex)
        {
            throw Fail($"the header line {ex.Message}", start + ex.At, table.Name);
        }

        if (names.Count != table.Columns.Count)
        {
            throw Fail($"the header line has {names.Count} fields but the COPY has {table.Columns.Count} columns (HEADER MATCH: the server would refuse the data)", start, table.Name);
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (!string.Equals(names[i], table.Columns[i].Name, StringComparison.Ordinal))
            {
                throw Fail(
                    $"header field {i + 1} is {(names[i] is null ? "NULL" : $"\"{names[i]}\"")}, not the column name \"{table.Columns[i].Name}\" (HEADER MATCH: the server would refuse the data)",
                    start,
                    table.Name);
            }
        }
    }

    /// <summary>CopyRawTo for a COPY with options: a plain COPY statement, then the converted rows (its own lines are not COPY text).</summary>
    private async ValueTask<long> CopyConvertedAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = -1;
        table.Started = true;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        var columns = table.Columns.All(c => c.Name is not null) && table.Columns.Count > 0
            ? " (" + string.Join(", ", table.Columns.Select(c => Providers.ScriptText.QuoteIdentifier(c.Name!))) + ")"
            : string.Empty;
        buffer.Write(System.Text.Encoding.UTF8.GetBytes($"COPY {Providers.ScriptText.QuoteName(table.Name)}{columns} FROM stdin;\n"));
        while (await ReadCopyRowAsync(table, materialize: true, async, cancellationToken).ConfigureAwait(false))
        {
            buffer.Write(table.Current.CopyLine);
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= 1 << 16)
            {
                await WriteAsync(destination, buffer.WrittenMemory, async, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        buffer.Write("\\.\n"u8);
        await WriteAsync(destination, buffer.WrittenMemory, async, cancellationToken).ConfigureAwait(false);
        return table.RowsRead;
    }

    private static async ValueTask WriteAsync(Stream destination, ReadOnlyMemory<byte> bytes, bool async, CancellationToken cancellationToken)
    {
        if (async)
        {
            await destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            destination.Write(bytes.Span);
        }
    }

    /// <summary>
    /// Consumes every complete COPY line in the buffer at once (inspect, split and filtered tables need no
    /// row objects). The checks are the per-line ones done as whole-region vectorized passes: field count
    /// by counting tabs, UTF-8 validity, and the absence of the rare escapes that would make counting tabs
    /// or newlines wrong (backslash-tab, backslash-newline, CR); a region with one of those is cut before
    /// it and that line goes through <see cref="TryReadCopyLine"/>.
    /// </summary>
    private CopyLineResult TrySkipCopyLines(DumpTable table)
    {
        if (_copyFirstLine || _copyCrLf)
        {
            return TryReadCopyLine(table, materialize: false);
        }

        var start = _in.Position;
        var span = _in.Buffer.AsSpan(start, _in.End - start);
        int dataEnd;
        var terminated = true;
        if (span.StartsWith("\\.\n"u8))
        {
            dataEnd = 0;
        }
        else
        {
            var terminator = span.IndexOf("\n\\.\n"u8);
            if (terminator >= 0)
            {
                dataEnd = terminator + 1;
            }
            else
            {
                dataEnd = span.LastIndexOf((byte)'\n') + 1;
                terminated = false;
                if (dataEnd == 0)
                {
                    return CopyLineResult.NeedMore;
                }
            }
        }

        var region = span[..dataEnd];
        if (region.Length > _maxBuffered)
        {
            CheckLineLengths(table, region, start);
        }

        var stats = CopyRegionScanner.Scan(region);
        var rows = stats.Newlines;
        var countsAgree = !stats.HasOddBytes && (_copyColumns == 0
            ? region.Length == rows
            : stats.Tabs == (long)rows * (_copyColumns - 1));
        if (!countsAgree || (stats.HasNonAscii && !Utf8.IsValid(region)))
        {
            // Rare escapes (backslash-tab, backslash-newline), a CR, or a bad line: go line by line through
            // this block (once, not per row), which counts escapes exactly and names the bad line.
            var stop = start + dataEnd;
            while (_in.Position < stop)
            {
                var result = TryReadCopyLine(table, materialize: false);
                if (result != CopyLineResult.Row)
                {
                    return result;
                }
            }

            return CopyLineResult.Row;
        }

        _in.Position = start + dataEnd;
        _in.LineOf(start);
        _in.AdvanceLines(_in.Position, rows);
        table.RowsRead += rows;
        if (terminated)
        {
            _in.Position += 3;
            _in.AdvanceLines(_in.Position, 1);
            FinishTable(table);
            return CopyLineResult.End;
        }

        return CopyLineResult.Row;
    }

    /// <summary>Reads one COPY line from the buffer; never reads the stream (the caller refills on <see cref="CopyLineResult.NeedMore"/>).</summary>
    private CopyLineResult TryReadCopyLine(DumpTable table, bool materialize)
    {
        var start = _in.Position;
        var span = _in.Buffer.AsSpan(start, _in.End - start);
        var nl = span.IndexOf((byte)'\n');
        if (nl < 0)
        {
            return CopyLineResult.NeedMore;
        }

        var line = span[..nl];
        if (_copyFirstLine)
        {
            _copyFirstLine = false;
            _copyCrLf = line.Length > 0 && line[^1] == '\r';
        }

        if (_copyCrLf)
        {
            if (line.Length == 0 || line[^1] != '\r')
            {
                throw Fail("inconsistent line endings in COPY data (the block started with CR LF)", start, table.Name);
            }

            line = line[..^1];
        }

        if (line.Length == 2 && line[0] == '\\' && line[1] == '.')
        {
            _in.Position = start + nl + 1;
            _in.AdvanceLines(_in.Position, 1);
            FinishTable(table);
            return CopyLineResult.End;
        }

        var lines = 1;
        if (line.IndexOfAny((byte)'\\', (byte)'\r') >= 0)
        {
            var length = ScanEscapedRow(table, span, out var extraLines);
            if (length < 0)
            {
                return CopyLineResult.NeedMore;
            }

            lines += extraLines;
            line = span[..length];
            nl = length + (_copyCrLf ? 1 : 0);
        }
        else if (line.Length > _maxBuffered)
        {
            throw RowTooLong(table, start);
        }
        else if (line.Count((byte)'\t') != _copyColumns - 1 && !(_copyColumns == 0 && line.Length == 0))
        {
            throw WrongFieldCount(table, start, line.Count((byte)'\t') + 1);
        }

        if (!Utf8.IsValid(line))
        {
            throw InvalidUtf8(table, start, line);
        }

        _in.Position = start + nl + 1;
        var lineNumber = _in.LineOf(start);
        _in.AdvanceLines(_in.Position, lines);
        table.RowsRead++;
        if (materialize)
        {
            table.Current.Set(_in.Buffer, start, line.Length, lineNumber, _in.OffsetOf(start));
        }

        return CopyLineResult.Row;
    }

    /// <summary>
    /// The slow path for a line with backslashes: honours escapes when counting fields (an escaped tab
    /// is data) and joins lines ending in an escaped newline, as the server's COPY does.
    /// Returns the row's length without its line end, or -1 when the row runs past the buffer.
    /// </summary>
    private int ScanEscapedRow(DumpTable table, ReadOnlySpan<byte> span, out int extraLines)
    {
        var start = _in.Position;
        var fields = 1;
        extraLines = 0;
        var i = 0;
        while (i < span.Length)
        {
            var hit = span[i..].IndexOfAny(CopySpecial);
            if (hit < 0)
            {
                return -1;
            }

            i += hit;
            switch (span[i])
            {
                case (byte)'\\':
                    if (i + 1 >= span.Length)
                    {
                        return -1;
                    }

                    if (span[i + 1] == '\n')
                    {
                        extraLines++;
                    }
                    else if (span[i + 1] == '.')
                    {
                        throw AmbiguousEndOfData(table, start + i);
                    }

                    i += 2;
                    continue;
                case (byte)'\t':
                    fields++;
                    break;
                case (byte)'\r':
                    if (!(_copyCrLf && i + 1 < span.Length && span[i + 1] == '\n'))
                    {
                        if (i + 1 >= span.Length)
                        {
                            return -1;
                        }

                        throw Fail("literal carriage return in COPY data (it must be written as \\r)", start + i, table.Name);
                    }

                    break;
                default: // '\n'
                    var length = i - (_copyCrLf ? 1 : 0);
                    if (length > _maxBuffered)
                    {
                        throw RowTooLong(table, start);
                    }

                    if (fields != _copyColumns && !(_copyColumns == 0 && length == 0))
                    {
                        throw WrongFieldCount(table, start, fields);
                    }

                    return length;
            }

            i++;
        }

        return -1;
    }

    private static readonly System.Buffers.SearchValues<byte> CopySpecial = System.Buffers.SearchValues.Create("\\\t\r\n"u8);

    /// <summary>Only for a block longer than the buffering limit: no line in it may be longer.</summary>
    private void CheckLineLengths(DumpTable table, ReadOnlySpan<byte> region, int start)
    {
        var at = 0;
        while (at < region.Length)
        {
            var nl = region[at..].IndexOf((byte)'\n');
            var length = nl < 0 ? region.Length - at : nl;
            if (length > _maxBuffered)
            {
                throw RowTooLong(table, start + at, table.RowsRead + 1 + region[..at].Count((byte)'\n'));
            }

            at += length + 1;
        }
    }

    private DumpFormatException RowTooLong(DumpTable table, int start, long row = 0) =>
        Fail($"row {(row > 0 ? row : table.RowsRead + 1)} is longer than {Limit}", start, table.Name);

    /// <summary>
    /// PostgreSQL (up to 17) ends COPY data at an unescaped <c>\.</c> anywhere in a line (the rest of the data is
    /// discarded, or the marker is rejected as corrupt); pg_dump escapes every backslash in data, so it never writes one
    /// inside a row. Reading it as a dot would count rows the server never loads: the line is refused as ambiguous.
    /// </summary>
    private DumpFormatException AmbiguousEndOfData(DumpTable table, int at) =>
        Fail(
            $"row {table.RowsRead + 1} holds an unescaped \\. (backslash-dot), which pg_dump never writes inside a row: " +
            "PostgreSQL would end the COPY data there and not load the rows after it; the line is ambiguous and refused",
            at,
            table.Name);

    private DumpFormatException WrongFieldCount(DumpTable table, int start, int fields)
    {
        var expected = _copyColumns;
        var names = string.Join(", ", table.Columns.Select(c => c.Name ?? "#" + c.Position.ToString(CultureInfo.InvariantCulture)));
        return Fail($"row {table.RowsRead + 1} has {fields} fields but the COPY statement lists {expected} columns ({names})", start, table.Name);
    }

    private DumpFormatException InvalidUtf8(DumpTable table, int start, ReadOnlySpan<byte> line)
    {
        var valid = ValidUtf8Prefix(line);
        return Fail($"invalid UTF-8 byte sequence (0x{line[valid]:X2}) in row {table.RowsRead + 1}", start + valid, table.Name);
    }

    /// <summary>Length of the longest well-formed UTF-8 prefix of <paramref name="bytes"/>.</summary>
    private static int ValidUtf8Prefix(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out var bytesRead, out _, replaceInvalidSequences: false);
        return bytesRead;
    }

    // ---------------------------------------------------------------- INSERT

    // Raw: the statement's bytes from INSERT through VALUES, to recognise the next statement of the same table without lexing it.
    // Query: INSERT ... SELECT (or WITH, TABLE, a parenthesised query), whose rows the server computes: not data.
    private sealed record InsertHeader(TableName Name, List<string>? Columns, bool Overriding, byte[] Raw, long Offset, long Line, bool DefaultValues, bool Query = false);

    private async ValueTask<InsertHeader> ReadInsertHeaderAsync(bool async, CancellationToken cancellationToken)
    {
        var statementOffset = _in.OffsetOf(_in.Mark);
        var statementLine = _in.LineOf(_in.Mark);
        var into = await RequireTokenAsync("INTO", async, cancellationToken).ConfigureAwait(false);
        if (!into.IsWord(_in.Buffer, "INTO"u8))
        {
            throw Fail("expected INSERT INTO", into.Start);
        }

        var nameToken = await RequireTokenAsync("a table name", async, cancellationToken).ConfigureAwait(false);
        var name = await ReadQualifiedNameAsync(nameToken, async, cancellationToken).ConfigureAwait(false);
        _headerTable = name;
        var next = await RequireTokenAsync("VALUES", async, cancellationToken).ConfigureAwait(false);
        List<string>? columns = null;
        if (next.IsPunct(_in.Buffer, (byte)'('))
        {
            // A column list, or a parenthesised query: INSERT INTO t (SELECT ...).
            var inside = await RequireTokenAsync("a column name", async, cancellationToken).ConfigureAwait(false);
            if (StartsQuery(inside))
            {
                _headerTable = null;
                return new InsertHeader(name, null, false, [], statementOffset, statementLine, DefaultValues: false, Query: true);
            }

            _in.Position = inside.Start; // un-read it (lexed after any refill, so its start is valid)
            columns = await ReadColumnListAsync(async, cancellationToken).ConfigureAwait(false);
            if (columns.Count > MaxColumns)
            {
                throw Fail($"the INSERT lists {columns.Count} columns; a PostgreSQL table has at most {MaxColumns}", _in.Mark, name);
            }

            next = await RequireTokenAsync("VALUES", async, cancellationToken).ConfigureAwait(false);
        }

        var overriding = false;
        if (next.IsWord(_in.Buffer, "OVERRIDING"u8))
        {
            // OVERRIDING SYSTEM VALUE | OVERRIDING USER VALUE
            await RequireTokenAsync("SYSTEM or USER", async, cancellationToken).ConfigureAwait(false);
            await RequireTokenAsync("VALUE", async, cancellationToken).ConfigureAwait(false);
            overriding = true;
            next = await RequireTokenAsync("VALUES", async, cancellationToken).ConfigureAwait(false);
        }

        if (next.IsWord(_in.Buffer, "DEFAULT"u8))
        {
            var values = await RequireTokenAsync("VALUES", async, cancellationToken).ConfigureAwait(false);
            if (!values.IsWord(_in.Buffer, "VALUES"u8))
            {
                throw Fail("expected DEFAULT VALUES", values.Start, name);
            }

            _headerTable = null;
            return new InsertHeader(name, columns, overriding, RawHeader(), statementOffset, statementLine, DefaultValues: true);
        }

        if (StartsQuery(next))
        {
            _headerTable = null;
            return new InsertHeader(name, columns, overriding, [], statementOffset, statementLine, DefaultValues: false, Query: true);
        }

        if (!next.IsWord(_in.Buffer, "VALUES"u8))
        {
            throw Fail("only INSERT ... VALUES (...) is supported in a dump (found INSERT with a query or other clause)", next.Start, name);
        }

        _headerTable = null;
        return new InsertHeader(name, columns, overriding, RawHeader(), statementOffset, statementLine, DefaultValues: false);
    }

    /// <summary>Whether the token after an INSERT's table name (and column list) starts a query: SELECT, WITH, TABLE or a parenthesis.</summary>
    private bool StartsQuery(Token token) =>
        token.IsWord(_in.Buffer, "SELECT"u8) || token.IsWord(_in.Buffer, "WITH"u8) || token.IsWord(_in.Buffer, "TABLE"u8) || token.IsPunct(_in.Buffer, (byte)'(');

    /// <summary>
    /// An INSERT ... SELECT (pg_dump 7's trigger bookkeeping, <c>INSERT INTO "tr" SELECT ...</c>, or a script's own): the server
    /// computes its rows from other tables, which the reader cannot do. Read past it like an UPDATE, with a notice.
    /// </summary>
    private async ValueTask SkipInsertQueryAsync(bool async, CancellationToken cancellationToken)
    {
        _in.Position = _in.Mark; // the statement's start: skipped from its first word, as any other statement
        var first = await RequireTokenAsync("INSERT", async, cancellationToken).ConfigureAwait(false);
        await SkipStatementAsync(first, async, cancellationToken).ConfigureAwait(false);
    }

    private byte[] RawHeader() => _in.Mark >= 0 ? _in.Buffer.AsSpan(_in.Mark, _in.Position - _in.Mark).ToArray() : [];

    private async ValueTask<DumpTable?> BeginInsertTableAsync(InsertHeader header, bool async, CancellationToken cancellationToken)
    {
        if (header.Query)
        {
            await SkipInsertQueryAsync(async, cancellationToken).ConfigureAwait(false);
            return null;
        }

        _header = header;
        _tableHeader = header;
        _fieldOrder = null;
        _phase = InsertPhase.ExpectTuple;
        _defaultPositions = null;

        // Parse the first tuple now: which positions hold DEFAULT (generated columns) decides the column list.
        var placeholder = new DumpTable(this, header.Name, [], DumpDataForm.Insert, header.Offset, header.Line);
        _current = placeholder;
        var fields = await ReadTupleAsync(placeholder, firstRow: true, async, cancellationToken).ConfigureAwait(false);
        var columns = BuildInsertColumns(header, fields, placeholder.Current);
        _tableDefaults = _defaultPositions;
        var table = new DumpTable(this, header.Name, columns, DumpDataForm.Insert, header.Offset, header.Line);
        _current = table;
        _pendingRow = true;
        table.Current.Set(_row.Array, 0, _row.Count, placeholder.Current.Line, placeholder.Current.ByteOffset);

        if (!DataInScope(_in.Mark >= 0 ? _in.Mark : _in.Position) || !_filter.Matches(header.Name))
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

    private DumpColumn[] BuildInsertColumns(InsertHeader header, int fieldCount, DumpRow firstRow)
    {
        List<string?> names;
        if (header.Columns is { } listed)
        {
            if (listed.Count != fieldCount)
            {
                throw new DumpFormatException(
                    $"the first VALUES tuple has {fieldCount} values but the INSERT lists {listed.Count} columns", _sourceName, header.Name, firstRow.Line, firstRow.ByteOffset);
            }

            names = [.. listed];
        }
        else if (_definitions.TryGetValue(header.Name, out var definition) && ResolveColumns(definition) is { } all && all.Count == fieldCount)
        {
            names = [.. all];
        }
        else
        {
            names = [.. Enumerable.Repeat<string?>(null, fieldCount)];
        }

        var columns = new List<DumpColumn>(fieldCount);
        for (var i = 0; i < fieldCount; i++)
        {
            if (_defaultPositions is null || !_defaultPositions[i])
            {
                columns.Add(new DumpColumn(names[i], i + 1));
            }
        }

        return [.. columns];
    }

    /// <summary>All columns of a table in declared order, including inherited ones, or null when a parent is unknown.</summary>
    private List<string>? ResolveColumns(TableDefinition definition, int depth = 0)
    {
        if (depth > 32)
        {
            return null;
        }

        var result = new List<string>();
        foreach (var parent in definition.Parents)
        {
            if (!_definitions.TryGetValue(parent, out var parentDefinition) || ResolveColumns(parentDefinition, depth + 1) is not { } inherited)
            {
                return null;
            }

            foreach (var column in inherited)
            {
                if (!result.Contains(column))
                {
                    result.Add(column);
                }
            }
        }

        foreach (var column in definition.AllColumns)
        {
            if (!result.Contains(column))
            {
                result.Add(column);
            }
        }

        return result;
    }

    /// <summary>Parses one VALUES tuple into <see cref="_row"/> as a COPY line. Returns the number of values (including DEFAULTs).</summary>
    /// <summary>
    /// Reads one VALUES tuple. The parsing is synchronous over the buffer (no async machinery per token);
    /// when a tuple runs past the end of the buffer the attempt is abandoned, the buffer refilled and the
    /// tuple parsed again from its start — at most once per refill.
    /// </summary>
    private async ValueTask<int> ReadTupleAsync(DumpTable table, bool firstRow, bool async, CancellationToken cancellationToken)
    {
        var start = _in.Position;
        var savedMark = _in.Mark;
        var fromMark = savedMark >= 0 ? start - savedMark : 0;
        if (savedMark < 0)
        {
            _in.Mark = start; // keep the tuple in the buffer across refills
        }

        try
        {
            while (true)
            {
                try
                {
                    var count = ReadTuple(table, firstRow);
                    if (_in.Position - (_in.Mark + fromMark) > _maxBuffered)
                    {
                        throw RowTooLong(table, _in.Mark + fromMark);
                    }

                    return count;
                }
                catch (NeedMoreInputException)
                {
                    _in.Position = _in.Mark + fromMark;
                    if (_in.End - _in.Position > _maxBuffered)
                    {
                        throw RowTooLong(table, _in.Position);
                    }

                    await FillAsync(async, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (savedMark < 0)
            {
                _in.Mark = -1;
            }
        }
    }

    /// <summary>The next token; null at the end of the input; <see cref="NeedMoreInputException"/> when it runs past the buffer.</summary>
    private Token? NextTokenOrNeedMore() => TryNextToken(out var token) ? token : throw NeedMoreInputException.Instance;

    private Token RequireToken(string expected) =>
        NextTokenOrNeedMore() ?? throw Fail($"unexpected end of input: expected {expected}", _in.Position);

    private int ReadTuple(DumpTable table, bool firstRow)
    {
        _row.Reset();
        var open = RequireToken("'('");
        var rowOffset = _in.OffsetOf(open.Start);
        var rowLine = _in.LineOf(open.Start);
        if (_header!.DefaultValues)
        {
            _in.Position = open.Start; // DEFAULT VALUES has no tuple: the token is the ';'
            table.Current.Set(_row.Array, 0, 0, rowLine, rowOffset);
            return 0;
        }

        if (!open.IsPunct(_in.Buffer, (byte)'('))
        {
            throw Fail("expected '(' to start a VALUES tuple", open.Start, table.Name);
        }

        var count = 0;
        var written = 0;
        var defaults = firstRow ? new List<bool>() : null;
        while (true)
        {
            var token = RequireToken("a value");
            if (count == 0 && token.IsPunct(_in.Buffer, (byte)')'))
            {
                break;
            }

            var isDefault = token.IsWord(_in.Buffer, "DEFAULT"u8);
            if (firstRow)
            {
                defaults!.Add(isDefault);
            }
            else
            {
                var expectDefault = _defaultPositions is { } d && count < d.Length && d[count];
                if (isDefault != expectDefault)
                {
                    throw Fail(
                        isDefault
                            ? $"value {count + 1} is DEFAULT in this row but not in the first row of the table"
                            : $"value {count + 1} is DEFAULT in the first row of the table but not in this one",
                        token.Start,
                        table.Name);
                }
            }

            if (!isDefault)
            {
                if (written > 0)
                {
                    _row.GetSpan(1)[0] = (byte)'\t';
                    _row.Advance(1);
                }

                if (_fieldOrder is not null && written < _fieldStarts.Length)
                {
                    _fieldStarts[written] = _row.Count;
                }

                ReadValue(token, table);
                written++;
            }

            count++;
            var separator = RequireToken("',' or ')'");
            if (separator.IsPunct(_in.Buffer, (byte)')'))
            {
                break;
            }

            if (!separator.IsPunct(_in.Buffer, (byte)','))
            {
                throw Fail("expected ',' or ')' between values (unbalanced quotes or an unsupported expression?)", separator.Start, table.Name);
            }
        }

        if (firstRow)
        {
            if (count > MaxColumns)
            {
                throw new DumpFormatException($"the first VALUES tuple has {count} values; a PostgreSQL table has at most {MaxColumns} columns", _sourceName, table.Name, rowLine, rowOffset);
            }

            _defaultPositions = defaults!.Contains(true) ? [.. defaults] : null;
        }
        else if (count != (table.Columns.Count + (_defaultPositions?.Count(d => d) ?? 0)))
        {
            throw new DumpFormatException(
                $"a VALUES tuple has {count} values but the table's first tuple had {table.Columns.Count + (_defaultPositions?.Count(d => d) ?? 0)}", _sourceName, table.Name, rowLine, rowOffset);
        }
        else if (_fieldOrder is { } order)
        {
            Reorder(order, written);
        }

        table.Current.Set(_row.Array, 0, _row.Count, rowLine, rowOffset);
        return count;
    }

    /// <summary>Puts the <paramref name="fields"/> fields of <see cref="_row"/> (in the statement's column order) in the table's order.</summary>
    private void Reorder(int[] order, int fields)
    {
        var byTarget = new int[fields];
        for (var j = 0; j < fields; j++)
        {
            byTarget[order[j]] = j;
        }

        _reordered.Reset();
        var line = _row.WrittenSpan;
        for (var target = 0; target < fields; target++)
        {
            var j = byTarget[target];
            var start = _fieldStarts[j];
            var end = j + 1 < fields ? _fieldStarts[j + 1] - 1 : line.Length;
            if (target > 0)
            {
                _reordered.Write("\t"u8);
            }

            _reordered.Write(line[start..end]);
        }

        _row.Reset();
        _row.Write(_reordered.WrittenSpan);
    }

    /// <summary>Writes one literal (NULL, number, boolean, string with optional ::cast) as an escaped COPY field.</summary>
    private void ReadValue(Token token, DumpTable table)
    {
        var buffer = _in.Buffer;
        var droppedSpaces = false;
        if (token.IsWord(buffer, "NULL"u8))
        {
            _row.Write(CopyText.Null);
        }
        else if (token.IsWord(buffer, "TRUE"u8))
        {
            _row.Write("t"u8);
        }
        else if (token.IsWord(buffer, "FALSE"u8))
        {
            _row.Write("f"u8);
        }
        else if (token.Kind == TokenKind.Number)
        {
            _row.Write(token.Text(buffer));
        }
        else if (token.Kind == TokenKind.Punct && (buffer[token.Start] == '-' || buffer[token.Start] == '+'))
        {
            var sign = buffer[token.Start];
            var number = RequireToken("a number after the sign");
            if (number.Kind != TokenKind.Number)
            {
                throw Fail("expected a number after the sign", number.Start, table.Name);
            }

            if (sign == '-')
            {
                _row.Write("-"u8);
            }

            _row.Write(number.Text(_in.Buffer));
        }
        else if (token.Kind == TokenKind.String)
        {
            _value.Reset();
            var error = SqlLiteral.DecodeString(token.Text(buffer), token.Prefix, _value);
            if (error is not null)
            {
                throw Fail("bad escape: " + error, token.Start, table.Name);
            }

            if (!Utf8.IsValid(_value.WrittenSpan))
            {
                // Point at the bad byte when it is in the dump as such (not made by an escape).
                var raw = token.Text(buffer);
                var at = Utf8.IsValid(raw) ? token.Start : token.Start + ValidUtf8Prefix(raw);
                throw Fail("invalid UTF-8 byte sequence in a string literal", at, table.Name);
            }

            if (_value.WrittenSpan.Contains((byte)0))
            {
                throw Fail("a string literal contains a zero byte, which PostgreSQL text cannot hold", token.Start, table.Name);
            }

            var value = _value.WrittenSpan;
            if ((buffer[token.Start] | 0x20) == 'n')
            {
                // N'...' is a national character literal, of type character (bpchar): stored into a text, varchar, name or citext
                // column it goes through the cast from bpchar, which drops trailing spaces (a char(n) column pads them back, so
                // the value is the same there). Only a column of type bpchar without a length keeps them (docs/reading.md).
                var trimmed = value.TrimEnd((byte)' ');
                droppedSpaces = trimmed.Length != value.Length;
                value = trimmed;
            }

            CopyText.Escape(value, _row);
        }
        else
        {
            var text = System.Text.Encoding.UTF8.GetString(token.Text(buffer)[..Math.Min(token.Length, 40)]);
            throw Fail($"unsupported value expression '{text}' in INSERT (expected a literal, NULL, DEFAULT, true or false)", token.Start, table.Name);
        }

        // Optional ::type casts; the value's text is what the type's input function reads, as in COPY.
        while (true)
        {
            var next = NextTokenOrNeedMore();
            if (next is { } castToken && castToken.Kind == TokenKind.Punct && castToken.Length == 2 && droppedSpaces)
            {
                throw Fail(
                    "an N'...' literal with trailing spaces is cast with '::': it is of type character, and whether the cast keeps the spaces " +
                    "depends on the type (a cast to text drops them, one to json keeps them); the reader refuses rather than guess",
                    castToken.Start,
                    table.Name);
            }

            if (next is not { } cast || !(cast.Kind == TokenKind.Punct && cast.Length == 2))
            {
                // Un-read the token (at the end of input the position is already there; an index saved
                // before the read could be stale, as the read may have compacted the buffer).
                if (next is { } n)
                {
                    _in.Position = n.Start;
                }

                return;
            }

            SkipTypeName(table);
        }
    }

    private void SkipTypeName(DumpTable table)
    {
        var depth = 0;
        var any = false;
        while (true)
        {
            var token = RequireToken("a type name");
            var buffer = _in.Buffer;
            if (depth == 0 && (token.IsPunct(buffer, (byte)',') || token.IsPunct(buffer, (byte)')') || (token.Kind == TokenKind.Punct && token.Length == 2)))
            {
                if (!any)
                {
                    throw Fail("expected a type name after ::", token.Start, table.Name);
                }

                _in.Position = token.Start;
                return;
            }

            if (token.IsPunct(buffer, (byte)'(') || token.IsPunct(buffer, (byte)'['))
            {
                depth++;
            }
            else if (token.IsPunct(buffer, (byte)')') || token.IsPunct(buffer, (byte)']'))
            {
                depth--;
            }
            else if (token.IsPunct(buffer, (byte)';'))
            {
                throw Fail("unexpected ';' in a type cast", token.Start, table.Name);
            }

            any = true;
        }
    }

    private async ValueTask<bool> ReadInsertRowAsync(DumpTable table, bool async, CancellationToken cancellationToken)
    {
        if (_pendingRow)
        {
            _pendingRow = false;
            table.RowsRead++;
            return true;
        }

        while (true)
        {
            switch (_phase)
            {
                case InsertPhase.ExpectTuple:
                    {
                        var separator = await RequireTokenAsync("',' or ';' after a VALUES tuple", async, cancellationToken).ConfigureAwait(false);
                        var buffer = _in.Buffer;
                        if (separator.IsPunct(buffer, (byte)','))
                        {
                            await ReadTupleAsync(table, firstRow: false, async, cancellationToken).ConfigureAwait(false);
                            table.RowsRead++;
                            return true;
                        }

                        if (separator.IsWord(buffer, "ON"u8))
                        {
                            // --on-conflict-do-nothing
                            foreach (var word in OnConflictWords)
                            {
                                var w = await RequireTokenAsync(word, async, cancellationToken).ConfigureAwait(false);
                                if (!w.IsWord(_in.Buffer, System.Text.Encoding.ASCII.GetBytes(word)))
                                {
                                    throw Fail($"expected {word} in ON CONFLICT DO NOTHING", w.Start, table.Name);
                                }
                            }

                            separator = await RequireTokenAsync("';'", async, cancellationToken).ConfigureAwait(false);
                        }

                        if (!separator.IsPunct(_in.Buffer, (byte)';'))
                        {
                            throw Fail("expected ',' or ';' after a VALUES tuple", separator.Start, table.Name);
                        }

                        _phase = InsertPhase.AfterStatement;
                        break;
                    }

                case InsertPhase.AfterStatement:
                    {
                        // Does the next statement continue this table? pg_dump writes one INSERT per row (or per batch).
                        // First bring the rest of the statement's line into the buffer, so that the section ends
                        // after its newline whatever the stream's read sizes.
                        while (SkipBlanks(_in.Position) >= _in.End && await FillAsync(async, cancellationToken).ConfigureAwait(false))
                        {
                        }

                        var statementEnd = _in.Position;
                        if (_in.IsCapturing)
                        {
                            await _in.FlushCaptureAsync(LineEndAfter(statementEnd), async, cancellationToken).ConfigureAwait(false);
                            _in.HoldCapture = true;
                        }

                        var endOffset = _in.OffsetOf(LineEndAfter(statementEnd));
                        var connects = _connects;
                        if (!await SkipTriviaAsync(async, cancellationToken).ConfigureAwait(false) || _connects != connects)
                        {
                            // The end of the input, or a \connect: an INSERT after it is into another database's table.
                            table.EndOffset = endOffset;
                            await EndInsertTableAsync(table, async, cancellationToken).ConfigureAwait(false);
                            return false;
                        }

                        _in.Mark = _in.Position;

                        // pg_dump repeats a table's INSERT header byte for byte: a statement that starts with the
                        // same bytes as the table's first one (through VALUES) continues the table, no lexing needed.
                        var same = _header!.Raw;
                        while (_in.End - _in.Position <= same.Length && await FillAsync(async, cancellationToken).ConfigureAwait(false))
                        {
                        }

                        var upcoming = _in.Buffer.AsSpan(_in.Position, _in.End - _in.Position);
                        if (same.Length > 0 && upcoming.Length > same.Length && upcoming.StartsWith(same) && !SqlLexer.IsIdentContinue(upcoming[same.Length]))
                        {
                            _in.Position += same.Length;
                            return await ContinueInsertTableAsync(table, async, cancellationToken).ConfigureAwait(false);
                        }

                        var first = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
                        if (first is { } word && word.IsWord(_in.Buffer, "INSERT"u8))
                        {
                            var header = await ReadInsertHeaderAsync(async, cancellationToken).ConfigureAwait(false);
                            if (SameTable(header, _header!))
                            {
                                return await ContinueInsertTableAsync(table, async, cancellationToken).ConfigureAwait(false);
                            }

                            if (ReorderedColumns(header, table))
                            {
                                _header = header; // its bytes recognise the INSERTs that repeat it
                                return await ContinueInsertTableAsync(table, async, cancellationToken).ConfigureAwait(false);
                            }

                            _pendingHeader = header;
                        }
                        else
                        {
                            // Not an INSERT: rewind so NextTable reads the statement from its start.
                            _in.Position = _in.Mark;
                        }

                        _in.Mark = _pendingHeader is null ? -1 : _in.Mark;
                        table.EndOffset = endOffset;
                        await EndInsertTableAsync(table, async, cancellationToken).ConfigureAwait(false);
                        return false;
                    }

                default:
                    return false;
            }
        }
    }

    /// <summary>The next statement continues the current INSERT table (its header has been consumed): read its first tuple.</summary>
    private async ValueTask<bool> ContinueInsertTableAsync(DumpTable table, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = -1;
        _in.HoldCapture = false;
        _phase = InsertPhase.ExpectTuple;
        await ReadTupleAsync(table, firstRow: false, async, cancellationToken).ConfigureAwait(false);
        table.RowsRead++;
        return true;
    }

    private static readonly string[] OnConflictWords = ["CONFLICT", "DO", "NOTHING"];

    /// <summary>
    /// The next INSERT is into the current table with another column list (a hand-written script, or rows added after an ALTER
    /// TABLE). The same columns in another order continue the table: true, and its values are put in the table's order. Other
    /// columns are an error naming them: an INSERT leaves the columns it does not list to their DEFAULT, which the reader cannot
    /// compute, so its rows and the table's have no common column list (as the rule for DEFAULT in a VALUES tuple: the same in
    /// every row, or refused). False when the INSERT is not comparable (another table, no column list, OVERRIDING, DEFAULT VALUES):
    /// it starts a table of its own, as before.
    /// </summary>
    private bool ReorderedColumns(InsertHeader header, DumpTable table)
    {
        var first = _tableHeader!;
        if (header.Query || header.Name != first.Name || header.Overriding != first.Overriding || header.DefaultValues || first.DefaultValues ||
            header.Columns is not { } columns || first.Columns is not { } tableColumns)
        {
            return false;
        }

        var missing = tableColumns.Where(c => !columns.Contains(c, StringComparer.Ordinal)).ToList();
        var extra = columns.Where(c => !tableColumns.Contains(c, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0 || extra.Count > 0 || columns.Count != tableColumns.Count || columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => Providers.ScriptText.QuoteIdentifier(n)));
            var differences = new List<string>();
            if (extra.Count > 0)
            {
                differences.Add($"{List(extra)} only in this one");
            }

            if (missing.Count > 0)
            {
                differences.Add($"{List(missing)} only in the first");
            }

            throw Fail(
                $"this INSERT into {table.Name} lists the columns ({List(columns)}), but the table's first INSERT (line {first.Line}) lists ({List(tableColumns)})" +
                $"{(differences.Count > 0 ? ": " + string.Join("; ", differences) : string.Empty)}. An INSERT leaves the columns it does not list to their " +
                "DEFAULT, which the reader cannot compute, so these rows and the table's earlier ones have no common column list; the reader refuses " +
                "rather than invent the missing values (list every column in every INSERT, as pg_dump --column-inserts does)",
                _in.Mark >= 0 ? _in.Mark : _in.Position,
                table.Name);
        }

        // Where each value of this INSERT goes among the table's columns (DEFAULT ones, left out of the rows, are not counted).
        var defaults = _tableDefaults;
        var order = new int[columns.Count];
        var statementDefaults = defaults is null ? null : new bool[columns.Count];
        var identity = true;
        for (var j = 0; j < columns.Count; j++)
        {
            var k = tableColumns.FindIndex(c => string.Equals(c, columns[j], StringComparison.Ordinal));
            var skippedBefore = defaults is null ? 0 : defaults.Take(k).Count(d => d);
            if (statementDefaults is not null)
            {
                statementDefaults[j] = defaults![k];
            }

            order[j] = k - skippedBefore;
            identity &= k == j;
        }

        _defaultPositions = statementDefaults;
        _fieldOrder = identity ? null : [.. order.Where((_, j) => statementDefaults is null || !statementDefaults[j])];
        if (_fieldOrder is not null && _fieldStarts.Length < _fieldOrder.Length)
        {
            _fieldStarts = new int[_fieldOrder.Length];
        }

        return true;
    }

    private static bool SameTable(InsertHeader a, InsertHeader b) =>
        a.Name == b.Name && a.Overriding == b.Overriding && a.DefaultValues == b.DefaultValues && !a.Query && !b.Query &&
        ((a.Columns is null && b.Columns is null) || (a.Columns is not null && b.Columns is not null && a.Columns.SequenceEqual(b.Columns, StringComparer.Ordinal)));

    /// <summary>Index just past the line end that follows a statement (so a split file keeps its newline).</summary>
    private int LineEndAfter(int index)
    {
        var i = SkipBlanks(index);
        return i < _in.End && _in.Buffer[i] == '\n' ? i + 1 : index;
    }

    /// <summary>Index of the first byte at or after <paramref name="index"/> that is not a blank (space, tab, CR) on the same line.</summary>
    private int SkipBlanks(int index)
    {
        var buffer = _in.Buffer;
        var i = index;
        while (i < _in.End && buffer[i] is (byte)' ' or (byte)'\t' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    private async ValueTask EndInsertTableAsync(DumpTable table, bool async, CancellationToken cancellationToken)
    {
        _phase = InsertPhase.Done;
        _in.HoldCapture = false;
        await _in.EndCaptureAsync(-1, async, cancellationToken).ConfigureAwait(false);
        table.IsCompleted = true;
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

        return table.Form == DumpDataForm.Copy
            ? ReadCopyRowAsync(table, materialize, async, cancellationToken)
            : ReadInsertRowAsync(table, async, cancellationToken);
    }

    public async ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(table, _current) || table.Started || _in.Mark < 0)
        {
            throw new InvalidOperationException($"CopyRawTo must be called on the current table before any of its rows are read ({table.Name}).");
        }

        if (_copyFormat is not null)
        {
            return await CopyConvertedAsync(table, destination, async, cancellationToken).ConfigureAwait(false);
        }

        _in.BeginCapture(destination, _in.Mark);
        _in.Mark = -1;
        table.Started = true;
        while (await ReadRowAsync(table, materialize: false, async, cancellationToken).ConfigureAwait(false))
        {
        }

        if (_in.IsCapturing)
        {
            await _in.EndCaptureAsync(_in.Position, async, cancellationToken).ConfigureAwait(false);
        }

        return table.RowsRead;
    }

    private void FinishTable(DumpTable table)
    {
        table.IsCompleted = true;
        table.EndOffset = _in.OffsetOf(_in.Position);
        _copyFormat = null;
        if (_copyEncodingSwitched)
        {
            // After the data, the session's client_encoding again.
            _copyEncodingSwitched = false;
            _in.SetEncoding(_copySessionDecoder, _in.Position);
        }
    }

    /// <summary>Reads more input; a decompressor's complaint about corrupt data becomes a located <see cref="DumpFormatException"/>.</summary>
    private async ValueTask<bool> FillAsync(bool async, CancellationToken cancellationToken)
    {
        try
        {
            return await _in.FillAsync(async, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new DumpFormatException(
                CompressedData.Corrupt("compressed", ex), _sourceName, _current?.Name, _in.LineOf(_in.End), _in.OffsetOf(_in.End), ex);
        }
        catch (UndecodableInputException ex)
        {
            // The bad bytes stand right after the decoded text: the window's end is where they are in the file.
            throw Fail(ex.Message + " (the dump's client_encoding; PostgreSQL would refuse it too)", _in.End);
        }
    }

    private DumpFormatException Fail(string reason, int index, TableName? table = null) =>
        new(reason, _sourceName, table ?? _headerTable ?? _current?.Name, _in.LineOf(Math.Clamp(index, 0, _in.End)), _in.OffsetOf(Math.Clamp(index, 0, _in.End)));

    public void Dispose() => _in.Dispose();
}
