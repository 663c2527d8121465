using System.Collections.Frozen;
using System.Globalization;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump.Sqlite;

/// <summary>
/// Streams a sqlite3 <c>.dump</c> script: finds each run of <c>INSERT INTO ... VALUES</c> statements into one table,
/// yields its rows as row-text lines whose fields are SQLite literals (<see cref="SqliteText"/>), reads
/// <c>sqlite_sequence</c> rows as sequence positions, and skips every other statement (lexing through its strings,
/// comments and quoted names) while remembering <c>CREATE TABLE</c> column lists for INSERTs written without one.
/// </summary>
/// <remarks>
/// Built like <see cref="SqlServer.SqlServerScriptParser"/>: statement-level work (skipping DDL) reads token by token with
/// async refills; rows and statement heads are parsed synchronously over the buffer, and when one runs past the buffer's
/// end it is parsed again from its start after a refill. Every SQLite statement ends with <c>;</c> (a
/// <c>CREATE TRIGGER</c> with <c>END;</c>), as sqlite3 reads them.
/// </remarks>
internal sealed partial class SqliteDumpParser : IDumpParser, ITableSource
{
    /// <summary>The schema every table of a <c>.dump</c> is in: sqlite3 dumps the main database.</summary>
    public const string Schema = "main";

    // SQLite's largest SQLITE_MAX_COLUMN: no SQLite table has more columns.
    private const int MaxColumns = 32767;

    private readonly InputBuffer _in;
    private readonly int _maxBuffered;
    private readonly List<string> _notices = [];
    private readonly HashSet<string> _noticed = new(StringComparer.Ordinal);
    private readonly List<SequenceValue> _sequences = [];
    private readonly string? _sourceName;
    private readonly TableFilter _filter;
    private readonly Dictionary<TableName, TableDefinition> _definitions = new(AsciiIgnoreCaseNames.Instance);
    private readonly ByteBuilder _row = new(1024);

    // The current section's table is one the filter leaves out: its values are stepped over, not read.
    private bool _skipValues;

    private DumpTable? _current;
    private TableName? _headerTable;

    // The current section.
    private InsertHeader? _header;
    private string _arityNote = string.Empty;
    private Phase _phase = Phase.Done;
    private bool _pendingRow;
    private int _sectionEnd;

    // An INSERT into another table found while looking for the end of the current section.
    private InsertHeader? _pendingHeader;
    private int _pendingStart;

    // sqlite3 wraps its dump in BEGIN TRANSACTION ... COMMIT: the line of the open BEGIN, 0 when none is open.
    private long _transactionLine;
    private bool _transactionSeen;
    private bool _atEnd;

    /// <param name="stream">The dump as UTF-8 (after a skipped byte order mark).</param>
    /// <param name="sourceName">The input's name for error messages.</param>
    /// <param name="filter">Which tables to yield.</param>
    /// <param name="bufferSize">The initial buffer size (tests use tiny ones).</param>
    /// <param name="startOffset">Offset of the stream's first byte in the file (3 after a skipped UTF-8 byte order mark).</param>
    /// <param name="synchronousIO">Read synchronously on the async path too (local files; see <see cref="InputBuffer"/>).</param>
    /// <param name="maxBuffered">The most bytes held for one row, statement or token (<see cref="DumpReaderOptions.MaxBufferedBytes"/>).</param>
    public SqliteDumpParser(
        Stream stream,
        string? sourceName,
        TableFilter filter,
        int bufferSize = InputBuffer.DefaultSize,
        long startOffset = 0,
        bool synchronousIO = false,
        int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        _in = new InputBuffer(stream, bufferSize, startOffset, synchronousIO, maxBuffered: maxBuffered);
        _maxBuffered = maxBuffered;
        _sourceName = sourceName;
        _filter = filter;
    }

    private enum Phase
    {
        /// <summary>Just after a VALUES tuple: ',' (another tuple) or ';' follows.</summary>
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

    /// <summary>What an INSERT writes to: a user table, or one of SQLite's own.</summary>
    private enum Target
    {
        Table,

        /// <summary><c>sqlite_sequence</c>: AUTOINCREMENT positions, read as <see cref="SequenceValue"/>s.</summary>
        Sequence,

        /// <summary><c>sqlite_schema</c> / <c>sqlite_master</c>, written under <c>PRAGMA writable_schema</c> for virtual tables.</summary>
        Schema,

        /// <summary><c>sqlite_stat1</c> and the other <c>sqlite_</c> tables: the query planner's statistics.</summary>
        Internal,
    }

    public string? Encoding => "UTF8";

    /// <summary>SQLite strings have no backslash escapes.</summary>
    public bool StandardConformingStrings => true;

    public IReadOnlyList<SequenceValue> Sequences => _sequences;

    public IEnumerable<string> SettingStatements => [];

    public IReadOnlyList<string> Notices => _notices;

    /// <summary>
    /// sqlite3 writes <c>BEGIN TRANSACTION;</c> first and <c>COMMIT;</c> last: a dump that opens the transaction and never
    /// commits it was cut short. A script without <c>BEGIN</c> (hand-written, <c>.dump --data-only</c>) is not judged.
    /// </summary>
    public DumpCompleteness Completeness => !_atEnd || !_transactionSeen
        ? DumpCompleteness.Unknown
        : _transactionLine > 0 ? DumpCompleteness.Incomplete : DumpCompleteness.Complete;

    public string? IncompleteReason { get; private set; }

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
                ReachEnd();
                return null;
            }

            var buffer = _in.Buffer;
            if (first.IsPunct(buffer, (byte)';'))
            {
                continue; // an empty statement
            }

            if (first.IsWord(buffer, "INSERT"u8))
            {
                Unread(first);
                _in.Mark = first.Start;
                var header = await SynchronouslyAsync(static p => p.ParseInsertHeader(), async, cancellationToken).ConfigureAwait(false);
                var table = await BeginInsertTableAsync(header, async, cancellationToken).ConfigureAwait(false);
                if (table is not null)
                {
                    return table;
                }

                continue;
            }

            var line = _in.LineOf(first.Start);
            if (first.IsWord(buffer, "CREATE"u8))
            {
                Unread(first);
                _in.Mark = first.Start;
                var kind = await SynchronouslyAsync(static p => p.ParseCreate(), async, cancellationToken).ConfigureAwait(false);
                _in.Mark = -1;
                await SkipStatementAsync("CREATE", line, trigger: kind == CreateKind.Trigger, async, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var word = CheckStatementStart(first);
            if (word is "DELETE" or "UPDATE")
            {
                await NoteRowChangeAsync(word, first, line, async, cancellationToken).ConfigureAwait(false);
            }

            await SkipStatementAsync(word, line, trigger: false, async, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>At the end of the input: a transaction sqlite3 opened and never committed means the dump was cut short.</summary>
    private void ReachEnd()
    {
        if (_atEnd)
        {
            return;
        }

        _atEnd = true;
        if (_transactionLine > 0)
        {
            IncompleteReason = string.Create(
                CultureInfo.InvariantCulture,
                $"the dump opens a transaction (BEGIN TRANSACTION at line {_transactionLine}) and never commits it: sqlite3 ends every .dump with COMMIT, " +
                $"so this one is probably truncated, and tables after the cut are missing (sqlite3 itself would load none of it: it rolls an open transaction back)");
            _notices.Add(IncompleteReason);
        }
    }

    // SQLite's statement words (its SQL grammar's commands, by first word).
    private static readonly FrozenSet<string> SqliteCommands = new[]
    {
        "ALTER", "ANALYZE", "ATTACH", "BEGIN", "COMMIT", "CREATE", "DELETE", "DETACH", "DROP", "END", "EXPLAIN", "INSERT",
        "PRAGMA", "REINDEX", "RELEASE", "REPLACE", "ROLLBACK", "SAVEPOINT", "SELECT", "UPDATE", "VACUUM", "VALUES", "WITH",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// A statement starts with one of SQLite's statement words; anything else is reported rather than skipped with whatever
    /// follows it up to the next <c>;</c>. Transaction statements are followed; the ones that would change which rows the
    /// dump loads are refused. Returns the word, upper case.
    /// </summary>
    private string CheckStatementStart(SqliteToken first)
    {
        var buffer = _in.Buffer;
        var word = first.Kind == SqliteTokenKind.Word ? SqlCommands.Upper(first.Text(buffer)) : string.Empty;
        if (!SqliteCommands.Contains(word))
        {
            throw Fail(
                $"'{Excerpt(first)}' does not start a SQLite statement (a stray line, or a statement whose start is missing); " +
                "the reader stops here rather than skip what it cannot read",
                first.Start);
        }

        switch (word)
        {
            case "BEGIN":
                if (_transactionLine == 0)
                {
                    _transactionLine = _in.LineOf(first.Start);
                    _transactionSeen = true;
                }

                break;
            case "COMMIT" or "END":
                _transactionLine = 0;
                break;
            case "ROLLBACK":
                throw Fail(
                    "ROLLBACK: loading this script, sqlite3 would undo the rows before it (sqlite3 .dump ends with ROLLBACK instead of COMMIT when it " +
                    "met errors reading the database, marked by ERROR or CORRUPTION comments); the rows may be incomplete: check them, " +
                    "and replace the ROLLBACK with COMMIT to read the dump anyway",
                    first.Start);
            case "REPLACE":
                throw Fail("REPLACE INTO is not read: only INSERT INTO ... VALUES statements are (sqlite3 .dump writes those)", first.Start);
        }

        return word;
    }

    /// <summary>
    /// After DELETE or UPDATE: sqlite3 clears <c>sqlite_sequence</c> (and older versions <c>sqlite_stat1</c>) before writing
    /// them; any other statement that changes rows is noted, not replayed.
    /// </summary>
    private async ValueTask NoteRowChangeAsync(string word, SqliteToken first, long line, bool async, CancellationToken cancellationToken)
    {
        _in.Mark = first.Start; // keeps the look-ahead's tokens in the buffer
        var from = await NextTokenAsync(async, cancellationToken).ConfigureAwait(false);
        var internalTable = false;
        if (string.Equals(word, "DELETE", StringComparison.Ordinal) && from is { } f && f.IsWord(_in.Buffer, "FROM"u8) && await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is { } name && name.IsName)
        {
            internalTable = IsSqliteInternal(Ident(name));
        }

        _in.Position = _in.Mark + first.Length; // the mark moved with the buffer; the token's indexes may not have
        _in.Mark = -1;
        if (!internalTable && _noticed.Add(word))
        {
            _notices.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"the dump runs {word} statements (the first at line {line}); they are not replayed: the rows read are those of its INSERT ... VALUES statements"));
        }
    }

    /// <summary>
    /// Skips the rest of a statement through its <c>;</c>; a trigger's through the <c>END;</c> that closes its body (an END
    /// closing a CASE does not). An <c>INSERT</c> inside a statement other than a trigger means a <c>;</c> is missing before
    /// it: skipping on would skip its rows, so it is an error.
    /// </summary>
    private async ValueTask SkipStatementAsync(string what, long statementLine, bool trigger, bool async, CancellationToken cancellationToken)
    {
        var afterEnd = false;
        var cases = 0;
        while (await NextTokenAsync(async, cancellationToken).ConfigureAwait(false) is { } token)
        {
            var buffer = _in.Buffer;
            if (token.IsPunct(buffer, (byte)';') && (!trigger || afterEnd))
            {
                return;
            }

            if (!trigger && token.IsWord(buffer, "INSERT"u8))
            {
                throw Fail(
                    string.Create(CultureInfo.InvariantCulture, $"an INSERT (line {_in.LineOf(token.Start)}) inside the {what} statement that starts at line {statementLine}: a ';' is missing before it, and its rows would be skipped"),
                    token.Start);
            }

            afterEnd = false;
            if (token.IsWord(buffer, "CASE"u8))
            {
                cases++;
            }
            else if (token.IsWord(buffer, "END"u8))
            {
                afterEnd = cases == 0;
                cases = Math.Max(0, cases - 1);
            }
        }

        throw Fail(
            string.Create(CultureInfo.InvariantCulture, $"the dump ends inside the {what} statement that starts at line {statementLine} (no ';' ends it: is the file truncated?)"),
            _in.End);
    }

    private enum CreateKind
    {
        Table,
        Trigger,
        Other,
    }

    /// <summary>CREATE at a statement start: reads a CREATE TABLE's column list; tells a trigger (whose body holds statements) from the rest.</summary>
    private CreateKind ParseCreate()
    {
        var create = Require("CREATE");
        var kind = Require("the kind of object after CREATE");
        if (kind.IsWord(_in.Buffer, "TEMP"u8) || kind.IsWord(_in.Buffer, "TEMPORARY"u8))
        {
            kind = Require("the kind of object after CREATE TEMP");
        }

        if (kind.IsWord(_in.Buffer, "TRIGGER"u8))
        {
            return CreateKind.Trigger;
        }

        if (!kind.IsWord(_in.Buffer, "TABLE"u8))
        {
            Unread(kind); // INDEX, VIEW, VIRTUAL TABLE...: the skipper reads on from here
            return CreateKind.Other;
        }

        ParseCreateTable(create);
        return CreateKind.Table;
    }

    /// <summary>
    /// <c>CREATE TABLE [IF NOT EXISTS] name ( column definitions and table constraints )</c>: remembers the columns an INSERT
    /// without a column list supplies, in order, as SQLite fills them: every column but the generated ones
    /// (<c>GENERATED ALWAYS AS (...)</c>, <c>AS (...)</c>), which are remembered as left out. The options after the list
    /// (<c>WITHOUT ROWID</c>, <c>STRICT</c>) are skipped as the rest of the statement, and so is <c>CREATE TABLE ... AS SELECT</c>.
    /// </summary>
    private void ParseCreateTable(SqliteToken create)
    {
        var token = Require("a table name");
        if (token.IsWord(_in.Buffer, "IF"u8))
        {
            RequireWord("NOT"u8, "NOT after CREATE TABLE IF");
            RequireWord("EXISTS"u8, "EXISTS after CREATE TABLE IF NOT");
            token = Require("a table name");
        }

        var name = ParseName(token);
        var open = Require("'(' or AS after the table name");
        if (!open.IsPunct(_in.Buffer, (byte)'('))
        {
            Unread(open);
            return;
        }

        var columns = new List<string>();
        var generated = new List<DumpOmittedColumn>();
        while (true)
        {
            var first = Require("a column definition");
            var buffer = _in.Buffer;
            var isConstraint = first.Kind == SqliteTokenKind.Word && IsTableConstraint(first, buffer);
            string? column = null;
            if (!isConstraint)
            {
                if (!first.IsName)
                {
                    throw Fail($"expected a column name in CREATE TABLE {name}, found '{Excerpt(first)}'", first.Start, name);
                }

                column = Ident(first);
            }

            var isGenerated = false;
            var depth = 0;
            while (true)
            {
                token = Require("the rest of the column definition");
                buffer = _in.Buffer;
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
                else if (token.IsPunct(buffer, (byte)';'))
                {
                    throw Fail($"CREATE TABLE {name} ends at a ';' before its column list is closed", token.Start, name);
                }
                else if (depth == 0 && column is not null && token.IsWord(buffer, "AS"u8))
                {
                    isGenerated = true; // [GENERATED ALWAYS] AS (expr): SQLite computes it, and INSERTs without a column list leave it out
                }
            }

            if (column is not null)
            {
                if (isGenerated)
                {
                    generated.Add(new DumpOmittedColumn(column, DumpOmittedColumnKind.Computed));
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
        }

        _definitions[name] = new TableDefinition([.. columns], [.. generated], _in.LineOf(create.Start));
    }

    private static bool IsTableConstraint(SqliteToken word, ReadOnlySpan<byte> buffer) =>
        word.IsWord(buffer, "CONSTRAINT"u8) || word.IsWord(buffer, "PRIMARY"u8) || word.IsWord(buffer, "UNIQUE"u8) ||
        word.IsWord(buffer, "CHECK"u8) || word.IsWord(buffer, "FOREIGN"u8);

    /// <param name="Columns">The columns an INSERT without a column list supplies, in order.</param>
    /// <param name="Generated">The generated columns, which such an INSERT leaves out.</param>
    /// <param name="Line">The CREATE TABLE's line.</param>
    private sealed record TableDefinition(string[] Columns, DumpOmittedColumn[] Generated, long Line);

    // ---------------------------------------------------------------- INSERT headers and names

    // Raw: the statement's bytes from INSERT through VALUES, to recognise the next statement of the same table without lexing it.
    private sealed record InsertHeader(TableName Name, string[]? Columns, byte[] Raw, long Offset, long Line, Target Target);

    /// <summary><c>INSERT INTO name [(columns)] VALUES</c>, from the INSERT token.</summary>
    private InsertHeader ParseInsertHeader()
    {
        _headerTable = null;
        var insert = Require("INSERT");
        var into = Require("INTO after INSERT");
        if (!into.IsWord(_in.Buffer, "INTO"u8))
        {
            throw Fail(
                into.IsWord(_in.Buffer, "OR"u8)
                    ? "INSERT OR ... is not read: only INSERT INTO ... VALUES statements are (sqlite3 .dump writes those)"
                    : $"expected INTO after INSERT, found '{Excerpt(into)}'",
                into.Start);
        }

        var name = ParseName(Require("a table name after INSERT INTO"));
        _headerTable = name;
        var token = Require("VALUES");
        string[]? columns = null;
        if (token.IsPunct(_in.Buffer, (byte)'('))
        {
            columns = ParseColumnList();
            token = Require("VALUES");
        }

        if (token.IsWord(_in.Buffer, "DEFAULT"u8))
        {
            throw Fail("INSERT ... DEFAULT VALUES is not supported: the row's values are not in the dump", token.Start, name);
        }

        if (!token.IsWord(_in.Buffer, "VALUES"u8))
        {
            throw Fail($"only INSERT INTO ... VALUES (...) is supported (found '{Excerpt(token)}' where VALUES was expected)", token.Start, name);
        }

        var target = !IsSqliteInternal(name.Name) ? Target.Table
            : string.Equals(name.Name, "sqlite_sequence", StringComparison.OrdinalIgnoreCase) ? Target.Sequence
            : name.Name.ToUpperInvariant() is "SQLITE_SCHEMA" or "SQLITE_MASTER" or "SQLITE_TEMP_SCHEMA" or "SQLITE_TEMP_MASTER" ? Target.Schema
            : Target.Internal;
        var header = new InsertHeader(name, columns, _in.Buffer.AsSpan(insert.Start, token.End - insert.Start).ToArray(), _in.OffsetOf(insert.Start), _in.LineOf(insert.Start), target);
        _headerTable = null;
        return header;
    }

    /// <summary>SQLite reserves names starting with <c>sqlite_</c> (any case) for its own tables.</summary>
    private static bool IsSqliteInternal(string name) => name.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase);

    private string[] ParseColumnList()
    {
        var columns = new List<string>();
        while (true)
        {
            var token = Require("a column name");
            if (!token.IsName)
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

    /// <summary><c>name</c> or <c>schema.name</c>, each part bare, quoted, bracketed, backticked or a <c>'string'</c>; the schema is <c>main</c> when none is given.</summary>
    private TableName ParseName(SqliteToken first)
    {
        if (!first.IsName)
        {
            throw Fail($"expected a table name, found '{Excerpt(first)}'", first.Start);
        }

        var name = Ident(first);
        var dot = Next();
        if (dot is not { } d || !d.IsPunct(_in.Buffer, (byte)'.'))
        {
            if (dot is { } notDot)
            {
                Unread(notDot);
            }

            return new TableName(Schema, name);
        }

        var second = Require("a name after '.'");
        if (!second.IsName)
        {
            throw Fail($"expected a table name after '{name}.', found '{Excerpt(second)}'", second.Start);
        }

        return new TableName(name, Ident(second));
    }

    private static bool SameHeader(InsertHeader a, InsertHeader b) =>
        AsciiIgnoreCaseNames.Instance.Equals(a.Name, b.Name) &&
        ((a.Columns is null && b.Columns is null) ||
         (a.Columns is not null && b.Columns is not null && a.Columns.SequenceEqual(b.Columns, AsciiIgnoreCase.Instance)));

    /// <summary>SQLite compares names without ASCII case (and with it for other letters).</summary>
    private sealed class AsciiIgnoreCase : IEqualityComparer<string>
    {
        public static readonly AsciiIgnoreCase Instance = new();

        public bool Equals(string? x, string? y)
        {
            if (x is null || y is null || x.Length != y.Length)
            {
                return ReferenceEquals(x, y);
            }

            for (var i = 0; i < x.Length; i++)
            {
                if (Fold(x[i]) != Fold(y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(string obj)
        {
            var hash = default(HashCode);
            foreach (var c in obj)
            {
                hash.Add(Fold(c));
            }

            return hash.ToHashCode();
        }

        // Ascii.EqualsIgnoreCase refuses any non-ASCII text: only A-Z fold here, as in SQLite.
        private static char Fold(char c) => char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
    }

    private sealed class AsciiIgnoreCaseNames : IEqualityComparer<TableName>
    {
        public static readonly AsciiIgnoreCaseNames Instance = new();

        public bool Equals(TableName x, TableName y) => AsciiIgnoreCase.Instance.Equals(x.Schema, y.Schema) && AsciiIgnoreCase.Instance.Equals(x.Name, y.Name);

        public int GetHashCode(TableName obj) => HashCode.Combine(AsciiIgnoreCase.Instance.GetHashCode(obj.Schema), AsciiIgnoreCase.Instance.GetHashCode(obj.Name));
    }

    // ---------------------------------------------------------------- tables

    private async ValueTask<DumpTable?> BeginInsertTableAsync(InsertHeader header, bool async, CancellationToken cancellationToken)
    {
        // The position is just past VALUES; the mark holds the statement's start (for CopyRaw).
        _header = header;
        var user = header.Target == Target.Table;
        var selected = user && _filter.Matches(header.Name);

        // A table the filter leaves out is read and validated, but its values are not evaluated; sqlite_sequence's are.
        _skipValues = !selected && header.Target != Target.Sequence;
        var definition = user && header.Columns is null ? _definitions.GetValueOrDefault(header.Name) : null;
        var expected = header.Columns?.Length ?? definition?.Columns.Length ?? (header.Target == Target.Sequence ? 2 : -1);
        var columnNames = header.Columns ?? definition?.Columns ?? (header.Target == Target.Sequence ? ["name", "seq"] : []);
        _arityNote = header.Columns is { } listed
            ? $"the INSERT lists {listed.Length} columns ({string.Join(", ", listed)})"
            : definition is { } d
                ? $"the INSERT has no column list and CREATE TABLE {header.Name} at line {d.Line} declares {d.Columns.Length} columns ({string.Join(", ", d.Columns)})" +
                  (d.Generated.Length > 0 ? $"; left out as SQLite does: {string.Join(", ", d.Generated.Select(c => $"{c.Name} (generated)"))}" : string.Empty)
                : header.Target == Target.Sequence ? "sqlite_sequence has 2 columns (name, seq)" : string.Empty;

        if (header.Target == Target.Schema && _noticed.Add("sqlite_schema"))
        {
            _notices.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"the dump writes to {header.Name.Name} directly (the first at line {header.Line}), as sqlite3 does to create virtual tables under PRAGMA writable_schema; " +
                $"a virtual table's rows are not in the dump (those of its shadow tables, such as an FTS table's _content, are read as tables)"));
        }

        _headerTable = header.Name;
        var retry = _in.OffsetOf(_in.Position);
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
                await RefillAsync(_in.Position, "row 1", async, cancellationToken).ConfigureAwait(false);
            }
        }

        if (count > MaxColumns)
        {
            throw new DumpFormatException(
                string.Create(CultureInfo.InvariantCulture, $"the first VALUES tuple has {count} values; a SQLite table has at most {MaxColumns} columns"), _sourceName, header.Name, rowLine, rowOffset);
        }

        _headerTable = null;
        if (expected < 0)
        {
            _arityNote = string.Create(CultureInfo.InvariantCulture, $"the table's first VALUES tuple (line {rowLine}) has {count} values");
        }

        var columns = new DumpColumn[count];
        for (var i = 0; i < count; i++)
        {
            columns[i] = new DumpColumn(i < columnNames.Length ? columnNames[i] : null, i + 1);
        }

        var table = new DumpTable(this, header.Name, columns, DumpDataForm.Insert, header.Offset, header.Line)
        {
            OmittedColumns = definition?.Generated ?? [],
            InsertableColumnsOnly = header.Columns is null,
        };
        table.Current.Set(_row.Array, 0, _row.Count, rowLine, rowOffset);
        _current = table;
        _pendingRow = true;
        _phase = Phase.AfterTuple;

        if (!selected)
        {
            _in.Mark = -1;
            if (user)
            {
                TablesSkipped++;
            }

            while (await ReadRowAsync(table, materialize: false, async, cancellationToken).ConfigureAwait(false))
            {
                if (header.Target == Target.Sequence)
                {
                    AddSequence(table);
                }
            }

            _current = null;
            return null;
        }

        return table;
    }

    /// <summary>A <c>sqlite_sequence</c> row: the table's name and the largest key AUTOINCREMENT has handed out.</summary>
    private void AddSequence(DumpTable table)
    {
        var row = table.Current;
        var names = _header!.Columns;
        var nameAt = names is null ? 0 : Array.FindIndex(names, c => string.Equals(c, "name", StringComparison.OrdinalIgnoreCase));
        var seqAt = names is null ? 1 : Array.FindIndex(names, c => string.Equals(c, "seq", StringComparison.OrdinalIgnoreCase));
        var name = nameAt < 0 ? null : SqliteText.Parse(row.GetString(nameAt)) as string;
        var value = seqAt < 0 ? null : SqliteText.Parse(row.GetString(seqAt));
        if (name is null || value is not long seq)
        {
            throw new DumpFormatException(
                "a sqlite_sequence row must hold a table name (text) and an integer position (name, seq)", _sourceName, table.Name, row.Line, row.ByteOffset);
        }

        _sequences.Add(new SequenceValue(new TableName(Schema, name), seq, IsCalled: true, row.Line));
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
        var phase = _phase;
        _in.Mark = _in.Position;
        StepResult result;
        while (true)
        {
            try
            {
                result = Step(table);
                if (_in.Position - _in.Mark > _maxBuffered)
                {
                    CheckUnit(_in.Mark, string.Create(CultureInfo.InvariantCulture, $"row {table.RowsRead + 1}"));
                }
                break;
            }
            catch (NeedMoreInputException)
            {
                _in.Position = _in.Mark;
                _phase = phase;
                _headerTable = null;
                await RefillAsync(_in.Mark, string.Create(CultureInfo.InvariantCulture, $"row {table.RowsRead + 1}"), async, cancellationToken).ConfigureAwait(false);
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

                        if (separator is not { } semicolon)
                        {
                            throw Fail("the dump ends inside an INSERT statement (no ';' ends it: is the file truncated?)", _in.End, table.Name);
                        }

                        if (!semicolon.IsPunct(buffer, (byte)';'))
                        {
                            throw Fail($"expected ',' or ';' after a VALUES tuple, found '{Excerpt(semicolon)}' (only INSERT INTO ... VALUES (...); is read)", semicolon.Start, table.Name);
                        }

                        // The section runs through the statement's line end, so a split file keeps its newline.
                        _sectionEnd = LineEndAfter(semicolon.End);
                        _in.Position = _sectionEnd;
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
                        if (token.IsPunct(buffer, (byte)';'))
                        {
                            break; // an empty statement between INSERTs
                        }

                        if (!token.IsWord(buffer, "INSERT"u8))
                        {
                            Unread(token);
                            return StepResult.End;
                        }

                        // sqlite3 repeats a table's INSERT header byte for byte: compare bytes before lexing anything.
                        var raw = _header!.Raw;
                        if (_in.End - token.Start <= raw.Length && !_in.StreamExhausted)
                        {
                            throw NeedMoreInputException.Instance;
                        }

                        var upcoming = _in.Buffer.AsSpan(token.Start, _in.End - token.Start);
                        if (upcoming.Length > raw.Length && upcoming.StartsWith(raw) && !SqliteLexer.IsIdentContinue(upcoming[raw.Length]))
                        {
                            _in.Position = token.Start + raw.Length;
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

                case Phase.ExpectTuple:
                    ReadRow(table);
                    _phase = Phase.AfterTuple;
                    return StepResult.Row;

                default:
                    return StepResult.End;
            }
        }
    }

    private void ReadRow(DumpTable table)
    {
        ParseTuple(table.Name, table.Columns.Count, table.RowsRead + 1, out var line, out var offset);
        table.Current.Set(_row.Array, 0, _row.Count, line, offset);
    }

    private int LineEndAfter(int index) => ScriptInput.LineEndAfter(_in, index);

    public ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken) =>
        ScriptInput.CopyRawAsync(_in, this, table, _current, destination, async, cancellationToken);

    // ---------------------------------------------------------------- tokens and input

    /// <summary>Runs a synchronous parse from the current position, refilling and starting again while it runs past the buffer.</summary>
    private async ValueTask<T> SynchronouslyAsync<T>(Func<SqliteDumpParser, T> parse, bool async, CancellationToken cancellationToken)
    {
        var retry = _in.OffsetOf(_in.Position);
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
                _headerTable = null;
                await RefillAsync(_in.Position, "the statement", async, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private int IndexOf(long offset) => (int)(offset - _in.OffsetOf(0));

    private SqliteLexStatus Lex(out SqliteToken token)
    {
        var status = SqliteLexer.Next(_in.Buffer.AsSpan(0, _in.End), _in.Position, _in.StreamExhausted, out token, out var error);
        switch (status)
        {
            case SqliteLexStatus.Token:
                _in.Position = token.End;
                break;
            case SqliteLexStatus.End:
                _in.Position = _in.End;
                break;
            case SqliteLexStatus.Error:
                throw LexFailure(error, token.Start);
        }

        return status;
    }

    /// <summary>The next token, reading more input as needed; null at the end of the dump. A token (with the white space and comments before it) must fit the buffering limit.</summary>
    private async ValueTask<SqliteToken?> NextTokenAsync(bool async, CancellationToken cancellationToken)
    {
        var from = _in.CurrentOffset;
        while (true)
        {
            switch (Lex(out var token))
            {
                case SqliteLexStatus.Token:
                    if (_in.OffsetOf(token.End) - from > _maxBuffered)
                    {
                        throw Fail($"a token (a string, a quoted name or a comment) is longer than {Limit}", token.Start);
                    }

                    return token;
                case SqliteLexStatus.End:
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

    /// <summary>The next token; null at the end of the dump; <see cref="NeedMoreInputException"/> when it runs past the buffer.</summary>
    private SqliteToken? Next() => Lex(out var token) switch
    {
        SqliteLexStatus.Token => token,
        SqliteLexStatus.End => null,
        _ => throw NeedMoreInputException.Instance,
    };

    private SqliteToken Require(string expected) =>
        Next() ?? throw Fail($"the dump ends where {expected} was expected (is the file truncated?)", _in.End);

    private void RequireWord(ReadOnlySpan<byte> upperKeyword, string expected)
    {
        var token = Require(expected);
        if (!token.IsWord(_in.Buffer, upperKeyword))
        {
            throw Fail($"expected {expected}, found '{Excerpt(token)}'", token.Start);
        }
    }

    /// <summary>Puts a token back: the next read lexes it again.</summary>
    private void Unread(SqliteToken token) => _in.Position = token.Start;

    private string Ident(SqliteToken token)
    {
        try
        {
            return SqliteLexer.Identifier(token.Text(_in.Buffer), token.Kind);
        }
        catch (FormatException)
        {
            var text = token.Text(_in.Buffer);
            throw Fail("invalid UTF-8 byte sequence in a name", token.Start + ValidUtf8Prefix(text));
        }
    }

    /// <summary>The token's text for an error message (shortened).</summary>
    private string Excerpt(SqliteToken token)
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

    private string Limit => string.Create(CultureInfo.InvariantCulture, $"{_maxBuffered} bytes (DumpReaderOptions.MaxBufferedBytes)");

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
            throw new InvalidOperationException("The SQLite dump parser asked for more input after the end of the stream.");
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
        do
        {
            try
            {
                if (!await _in.FillAsync(async, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (InvalidDataException ex)
            {
                throw new DumpFormatException(CompressedData.Corrupt("compressed", ex), _sourceName, _headerTable ?? _current?.Name, _in.LineOf(_in.End), _in.OffsetOf(_in.End), ex);
            }
        }
        while (_in.End < _in.Buffer.Length);
    }

    private DumpFormatException LexFailure(SqliteLexError error, int index)
    {
        var line = _in.LineOf(index).ToString(CultureInfo.InvariantCulture);
        return Fail(
            error switch
            {
                SqliteLexError.UnterminatedString => $"unterminated string literal starting at line {line}: the dump ends before its closing quote (truncated file or unbalanced quotes)",
                SqliteLexError.UnterminatedQuotedIdentifier => $"unterminated \"quoted name\" starting at line {line}: the dump ends before its closing '\"'",
                SqliteLexError.UnterminatedBracket => $"unterminated [bracketed name] starting at line {line}: the dump ends before its closing ']'",
                SqliteLexError.UnterminatedBacktick => $"unterminated `backticked name` starting at line {line}: the dump ends before its closing '`'",
                _ => $"unterminated /* comment starting at line {line}: the dump ends before its closing */",
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
