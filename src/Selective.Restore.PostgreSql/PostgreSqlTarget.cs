using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// The PostgreSQL side of a restore. Dump rows go to session temp tables through COPY (the dump's own COPY
/// text, unchanged); classification and writes are single SQL statements joining them with the live table.
/// Only rows a merge policy must see are read back to the client, in batches.
/// </summary>
internal sealed partial class PostgreSqlTarget : IRestoreTarget, IDumpFormats
{
    // Types whose equality implies the same text output; every other type is compared as text, so
    // 1.0 vs 1.00 (numeric), 'A' vs 'a' (citext), -0 vs 0 (float) and json (no equality at all) count as different.
    private static readonly string[] ExactEqualityTypes =
    [
        "smallint", "integer", "bigint", "oid", "text", "boolean", "uuid", "bytea", "date",
        "timestamp without time zone", "timestamp with time zone", "time without time zone", "character varying", "\"char\"", "name",
    ];

    private const int MaxColumns = 1600; // MaxHeapAttributeNumber

    private readonly Func<NpgsqlConnection> _newConnection;
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;

    public PostgreSqlTarget(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // The server's error detail says which key broke which constraint: the report needs it (it names keys,
        // never passwords). Npgsql leaves it out unless asked.
        // No command timeout: staging and classifying a large table legitimately takes minutes, and Npgsql's default
        // (30 s) turned a long statement into "Exception while reading from stream". Waits for locks are bounded by
        // lock_timeout instead (LockTimeout), and a vanished server by TCP keepalives.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { IncludeErrorDetail = true, CommandTimeout = 0 };
        if (!builder.TcpKeepAlive && builder.TcpKeepAliveTime == 0)
        {
            builder.TcpKeepAliveTime = 60;
            builder.TcpKeepAliveInterval = 10;
        }

        var connectionStringWithSettings = builder.ConnectionString;
        _newConnection = () => new NpgsqlConnection(connectionStringWithSettings);
        Description = Describe(builder);
    }

    /// <summary>Connections come from <paramref name="dataSource"/> as configured (password provider, TLS, timeouts).</summary>
    public PostgreSqlTarget(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _newConnection = dataSource.CreateConnection;
        Description = Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString));
    }

    private static string Describe(NpgsqlConnectionStringBuilder builder) => $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";

    public string Description { get; }

    public int Session { get; private set; }

    public bool IsBroken => _connection is null || _connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || _connection.State == System.Data.ConnectionState.Closed;

    private NpgsqlConnection Connection => _connection ?? throw new InvalidOperationException("Not connected.");

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            _transaction = null;
        }

        var connection = _newConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Input styles for staging; output styles as pg_dump's, so live rows print as the dump does (the engine
            // diff compares their text) and typed/text comparisons and reports are stable.
            // lock_timeout: a table locked by another session fails this table after LockTimeout, with the holder named.
            await ExecuteAsync(
                connection,
                PostgreSqlLiveRows.OutputSettings + "; SET client_min_messages = warning; " +
                $"SET lock_timeout = {(long)LockTimeout.TotalMilliseconds}",
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _connection = connection;
        Session++;
    }

    public TimeSpan LockTimeout { get; set; } = RestoreTimeouts.DefaultLockTimeout;

    public bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    // serialization failure, deadlock, admin shutdown/crash, too many connections, connection exceptions.
                    // A lock timeout (55P03) is not: the user chose how long to wait, and retrying would multiply it.
                    return pg.SqlState is "40001" or "40P01" or "57P01" or "57P02" or "57P03" or "53300" || pg.SqlState.StartsWith("08", StringComparison.Ordinal);
                case NpgsqlException when MissingPassword(e):
                    // Asking again cannot make a password appear: fail at once, with where to give it (Describe).
                    return false;
                case NpgsqlException npgsql:
                    return npgsql.IsTransient || IsBroken;
                case IOException or UnauthorizedAccessException:
                    // Not wrapped by Npgsql: a local file (the dump, a journal, an undo part). Never the database's, never retried.
                    return false;
                case SocketException or TimeoutException:
                    return true;
            }
        }

        // e.g. "connection is not open" after the connection broke under us.
        return exception is InvalidOperationException && IsBroken;
    }

    public string Describe(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } pg => pg.MessageText + " [" + pg.SqlState + "]" + PasswordHint,
        PostgresException pg => pg.MessageText + (string.IsNullOrEmpty(pg.Detail) ? string.Empty : " (" + pg.Detail + ")") + " [" + pg.SqlState + "]",
        NpgsqlException when MissingPassword(exception) => exception.Message + PasswordHint,
        _ => exception.Message,
    };

    private const string PasswordHint =
        "; give the password in the connection string (Password=...), in the PGPASSWORD environment variable, or in a " +
        "~/.pgpass file (%APPDATA%\\postgresql\\pgpass.conf on Windows, or the file PGPASSFILE names)";

    // Npgsql has no error code for it: the server asked for a password and none was configured anywhere.
    private static bool MissingPassword(Exception exception) =>
        exception is NpgsqlException and not PostgresException &&
        exception.Message.StartsWith("No password has been provided", StringComparison.Ordinal);

    public bool IsLockTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable })
            {
                return true;
            }
        }

        return false;
    }

    public async Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken)
    {
        var waited = LockTimeout.TotalSeconds >= 1 ? $"{LockTimeout.TotalSeconds:0.#} s" : $"{LockTimeout.TotalMilliseconds:0} ms";
        var prefix = $"waited {waited} for a lock on {table}";
        const string Hint = "; wait longer with --lock-timeout (WithLockTimeout; 0 waits forever), or end that session";

        // The holders now (the wait is over): sessions with a granted lock on the table, strongest first. A session
        // holding a row lock also holds a table lock (RowExclusiveLock) while its transaction is open, so it shows too.
        // Query texts are left out: they may carry values or passwords.
        const string Sql = """
            SELECT l.pid, l.mode, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.state, ''),
                   coalesce(extract(epoch FROM now() - a.xact_start)::bigint, -1)
            FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.relation = $1::regclass AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()
            ORDER BY CASE l.mode WHEN 'AccessExclusiveLock' THEN 0 WHEN 'ExclusiveLock' THEN 1 WHEN 'ShareRowExclusiveLock' THEN 2
                                 WHEN 'ShareLock' THEN 3 WHEN 'ShareUpdateExclusiveLock' THEN 4 ELSE 5 END, a.xact_start NULLS LAST
            LIMIT 3
            """;
        try
        {
            var holders = new List<string>();
            var command = new NpgsqlCommand(Sql, Connection);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(table) });
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var seconds = reader.GetInt64(5);
                    var details = new List<string> { reader.GetString(1) };
                    if (reader.GetString(2).Length > 0)
                    {
                        details.Add("user " + reader.GetString(2));
                    }

                    if (reader.GetString(3).Length > 0)
                    {
                        details.Add($"application '{reader.GetString(3)}'");
                    }

                    if (reader.GetString(4).Length > 0)
                    {
                        details.Add(reader.GetString(4));
                    }

                    if (seconds >= 0)
                    {
                        details.Add($"transaction open {seconds} s");
                    }

                    holders.Add($"PID {reader.GetInt32(0)} ({string.Join(", ", details)})");
                }
            }

            return holders.Count == 0
                ? $"{prefix}; the session that held it has finished since, so running again may succeed{Hint}"
                : $"{prefix}, held by {string.Join("; ", holders)}{Hint}";
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return $"{prefix} (who holds it could not be read: {Describe(ex)}){Hint}";
        }
    }

    /// <summary>
    /// pg_dump in every format, and SQL Server scripts (whose values the script reader prints as PostgreSQL reads them);
    /// not a sqlite3 .dump, whose values are SQLite literals.
    /// </summary>
    public string? Refuses(DumpFormat format) => format == DumpFormat.SqliteDump
        ? "a sqlite3 .dump cannot be restored into PostgreSQL: its values are SQLite literals ('text' quoted, X'..' blobs) that keep SQLite's storage classes, which PostgreSQL would store quotes and all. Restore it into SQLite"
        : null;

    /// <summary>The staging this target made (a table is staged and applied by one target).</summary>
    private static PostgreSqlStaging Pg(StagedTable staged) => (PostgreSqlStaging)staged;

    public Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken) =>
        PostgreSqlCatalog.ReadAsync(Connection, name, cancellationToken);

    public async Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken)
    {
        var stage = $"sr_stage_{ordinal}";
        var delta = $"sr_delta_{ordinal}";
        var columns = new StringBuilder();
        for (var i = 0; i < mapping.DumpColumns.Count; i++)
        {
            columns.Append(CultureInfo.InvariantCulture, $"c{i + 1} {mapping.Targets[i]?.DataType ?? "text"}, ");
        }

        if (mapping.Key.Count == 0)
        {
            await CreateWholeRowStagingAsync(stage, delta, columns.ToString(), mapping, cancellationToken).ConfigureAwait(false);
            return new PostgreSqlStaging(mapping, stage, delta, Session);
        }

        // The delta holds every staged column plus its own bookkeeping; PostgreSQL allows 1600 columns per table.
        var widest = mapping.DumpColumns.Count + 1 + 3;
        if (widest > MaxColumns)
        {
            throw RestoreTableException.Incompatible(
                $"{dump.Name} has {mapping.DumpColumns.Count} columns in the dump; staging it needs {widest}, over PostgreSQL's limit of {MaxColumns} columns per table, so it cannot be restored by this tool (restore it with psql from a split file)");
        }

        // sr_hold marks rows the engine held back (they reference a row that is not written): classified held, never written.
        await ExecuteAsync(Connection, $"""
            DROP TABLE IF EXISTS pg_temp.{stage}, pg_temp.{delta};
            CREATE TEMP TABLE {stage} ({columns}sr_hold boolean);
            CREATE TEMP TABLE {delta} (sr_n bigint PRIMARY KEY, sr_class "char" NOT NULL, sr_live boolean NOT NULL, LIKE pg_temp.{stage});
            """, cancellationToken).ConfigureAwait(false);

        return new PostgreSqlStaging(mapping, stage, delta, Session);
    }

    public Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        PostgreSqlLiveRows.OpenAsync(Connection, mapping.Live.Name, columns, cancellationToken);

    /// <summary>
    /// Replaces the staged rows with the engine's delta, inside the current transaction (a rolled-back attempt leaves
    /// nothing behind; a plan's committed read-only transaction does, hence the DELETE). The server's insert counter
    /// proves every line became one row.
    /// </summary>
    public async Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        await ExecuteAsync(Connection, $"DELETE FROM pg_temp.{Pg(staged).StageName}", cancellationToken).ConfigureAwait(false);
        long rows = 0;
        foreach (var (lines, isHeld) in new[] { (held, true), (delta, false) })
        {
            if (lines is not { Rows: > 0 })
            {
                continue;
            }

            lines.Rewind();
            rows += await CopyLinesAsync(
                Pg(staged).StageName,
                mapping,
                columns: null,
                new SpillLines(lines),
                where => $"{mapping.Live.Name}{LocateDelta(where, mapping, lines)}",
                (stagedRows, sent) => $"the server staged {stagedRows} rows of {mapping.Live.Name} where the engine sent {sent}: the server read the data differently, so nothing is applied to this table",
                cancellationToken).ConfigureAwait(false);
            if (isHeld)
            {
                await ExecuteAsync(Connection, $"UPDATE pg_temp.{Pg(staged).StageName} SET sr_hold = true", cancellationToken).ConfigureAwait(false);
            }
        }

        return rows;
    }

    /// <summary>"COPY sr_stage_3, line 17, column c2" for a delta: the 17th row sent is found again for its row in the table and its dump line.</summary>
    private static string LocateDelta(string? where, TableMapping mapping, IRowLines delta)
    {
        var match = where is null ? null : CopyWhere().Match(where);
        if (match is not { Success: true } || !long.TryParse(match.Groups["line"].Value, CultureInfo.InvariantCulture, out var row))
        {
            return string.Empty;
        }

        long dumpLine = 0, ordinal = 0;
        delta.Rewind();
        for (long i = 1; i <= row && delta.TryRead(out _, out var lineNumber, out var position); i++)
        {
            (dumpLine, ordinal) = (lineNumber, position);
        }

        var column = match.Groups["column"].Success && int.TryParse(match.Groups["column"].Value, CultureInfo.InvariantCulture, out var c) && c <= mapping.DumpColumns.Count
            ? $", column {mapping.DumpColumns[c - 1].Name ?? "#" + mapping.DumpColumns[c - 1].Position.ToString(CultureInfo.InvariantCulture)}"
            : string.Empty;
        return $" (row {ordinal}, dump line {dumpLine}{column})";
    }

    /// <summary>
    /// COPYs lines (COPY text: the engine's delta into every dump column, or keys into <paramref name="columns"/>) into a staging table; returns
    /// the lines sent. The server's insert counter must say it staged as many rows, or the table fails
    /// (<paramref name="mismatch"/>: the message, from the rows staged and sent). A value the server rejects is a table
    /// failure naming where (<paramref name="locate"/> turns the server's "line N, column cK" into the dump's terms).
    /// </summary>
    private async Task<long> CopyLinesAsync(string stage, TableMapping mapping, string? columns, ICopyLines lines, Func<string?, string> locate, Func<long, long, string> mismatch, CancellationToken cancellationToken)
    {
        var list = columns ?? string.Join(", ", Enumerable.Range(1, mapping.DumpColumns.Count).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)));
        var countBefore = await StagedCountAsync(stage, cancellationToken).ConfigureAwait(false);

        // The rows are already COPY text: they go to the server unchanged (Npgsql's text import takes chars, so the
        // UTF-8 bytes are decoded on the way and encoded again on the wire).
        var copy = (NpgsqlCopyTextWriter)await Connection.BeginTextImportAsync($"COPY pg_temp.{stage} ({list}) FROM STDIN", cancellationToken).ConfigureAwait(false);
        long rows = 0;
        try
        {
            var buffer = new char[64 * 1024];
            var used = 0;
            while (await lines.NextAsync(cancellationToken).ConfigureAwait(false))
            {
                var length = lines.Length; // chars <= bytes for UTF-8
                if (used + length + 1 > buffer.Length)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                    used = 0;
                    if (length + 1 > buffer.Length)
                    {
                        buffer = new char[length + 1];
                    }
                }

                used += lines.CopyTo(buffer.AsSpan(used));
                buffer[used++] = '\n';
                rows++;
            }

            await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Cancel rather than dispose: disposing would complete the COPY with half the rows. If the COPY is already
            // over, cancelling fails too: that must not hide the error that stopped it.
            try
            {
                await copy.CancelAsync().ConfigureAwait(false);
                await copy.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception cancel) when (cancel is NpgsqlException or InvalidOperationException or IOException)
            {
                // Nothing to add: the original error is rethrown below, and the transaction goes with it.
            }

            throw;
        }

        try
        {
            await copy.DisposeAsync().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal))
        {
            throw new RestoreTableException($"the server rejected a value while staging {locate(ex.Where)}: {ex.MessageText}", ex);
        }

        var staged = await StagedCountAsync(stage, cancellationToken).ConfigureAwait(false) - countBefore;
        return staged == rows ? rows : throw new RestoreTableException(mismatch(staged, rows));
    }

    /// <summary>Lines for <see cref="CopyLinesAsync"/>: the source advances asynchronously, the line is copied synchronously (a span cannot cross an await).</summary>
    private interface ICopyLines
    {
        ValueTask<bool> NextAsync(CancellationToken cancellationToken);

        /// <summary>The current line's length in bytes (at least its length in chars).</summary>
        int Length { get; }

        /// <summary>Decodes the current line into <paramref name="destination"/>; returns the chars written.</summary>
        int CopyTo(Span<char> destination);
    }

    /// <summary>The engine's delta, read from its spill file (rewound by the caller).</summary>
    private sealed class SpillLines(IRowLines delta) : ICopyLines
    {
        private byte[] _line = new byte[4096];
        private int _length;

        public ValueTask<bool> NextAsync(CancellationToken cancellationToken)
        {
            if (!delta.TryRead(out var span, out _, out _))
            {
                return ValueTask.FromResult(false);
            }

            if (span.Length > _line.Length)
            {
                _line = new byte[span.Length];
            }

            span.CopyTo(_line);
            _length = span.Length;
            return ValueTask.FromResult(true);
        }

        public int Length => _length;

        public int CopyTo(Span<char> destination) => Encoding.UTF8.GetChars(_line.AsSpan(0, _length), destination);
    }

    /// <summary>
    /// The server's count of rows inserted into the staging table, read inside the staging transaction: the backend's
    /// insert counter (exact and free; it is not flushed inside a transaction, so a difference is this COPY's rows),
    /// or, with track_counts off (which also stops autovacuum, so rare), the table's row count.
    /// </summary>
    private async Task<long> StagedCountAsync(string stage, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            $"SELECT CASE WHEN pg_catalog.current_setting('track_counts')::boolean THEN pg_catalog.pg_stat_get_xact_tuples_inserted('pg_temp.{stage}'::regclass) ELSE (SELECT count(*) FROM pg_temp.{stage}) END",
            Connection);
        await using var commandScope = command.ConfigureAwait(false);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"line (?<line>\d+)(, column c(?<column>\d+))?", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial System.Text.RegularExpressions.Regex CopyWhere();

    public async Task BeginAsync(bool readOnly, CancellationToken cancellationToken)
    {
        _transaction = await Connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        if (readOnly)
        {
            // A plan writes to temp tables only; READ ONLY proves it never touches a live table.
            await ExecuteAsync(Connection, "SET TRANSACTION READ ONLY", cancellationToken).ConfigureAwait(false);
        }
    }

    public Task DeferConstraintsAsync(CancellationToken cancellationToken) => ExecuteAsync(Connection, "SET CONSTRAINTS ALL DEFERRED", cancellationToken);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        var transaction = _transaction ?? throw new InvalidOperationException("No transaction.");
        _transaction = null;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        var transaction = _transaction;
        _transaction = null;
        if (transaction is null || IsBroken)
        {
            return;
        }

        await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    public async Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var live = Live(mapping.Live);
        var keys = KeyStageColumns(mapping);
        var join = string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = s.{k.Stage}"));
        var nullKey = string.Join(" OR ", keys.Select(k => $"s.{k.Stage} IS NULL"));
        var firstKey = PgSql.Quote(keys[0].Live);
        var differs = Differs(mapping, "s");

        // Rows that need no write (identical) never reach the delta, except held ones: a row equal to live but under a
        // parent that is a different entity (or cannot be told) is not the same row, and its own children must be held too.
        var sql = $"""
            DELETE FROM pg_temp.{Pg(staged).DeltaName};
            INSERT INTO pg_temp.{Pg(staged).DeltaName}
            SELECT row_number() OVER (),
                   CASE WHEN {nullKey} THEN 'n' WHEN s.sr_hold THEN 'h' WHEN l.{firstKey} IS NULL THEN 'm' ELSE 'c' END,
                   l.{firstKey} IS NOT NULL, s.*
            FROM pg_temp.{Pg(staged).StageName} s LEFT JOIN {live} l ON {join}
            WHERE {nullKey} OR l.{firstKey} IS NULL OR {differs} OR s.sr_hold;
            SELECT count(*) FILTER (WHERE sr_class = 'm'), count(*) FILTER (WHERE sr_class = 'c'), count(*) FILTER (WHERE sr_class = 'n'),
                   count(*) FILTER (WHERE sr_class = 'h'), count(*), count(*) FILTER (WHERE sr_live)
            FROM pg_temp.{Pg(staged).DeltaName};
            {(liveRows is null ? $"SELECT count(*) FROM {live};" : string.Empty)}
            """;
        long missing, conflicting, nullKeys, held, delta, deltaLive, liveCount;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            missing = reader.GetInt64(0);
            conflicting = reader.GetInt64(1);
            nullKeys = reader.GetInt64(2);
            held = reader.GetInt64(3);
            delta = reader.GetInt64(4);
            deltaLive = reader.GetInt64(5);
            if (liveRows is { } known)
            {
                liveCount = known;
            }
            else
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                liveCount = reader.GetInt64(0);
            }
        }

        if (nullKeys > 0)
        {
            // A NULL never matches anything: such rows can be neither compared nor inserted.
            throw RestoreTableException.NullKeys(nullKeys, keys.Select(k => k.Live));
        }

        var keyList = string.Join(", ", keys.Select(k => k.Stage));
        var duplicateCommand = new NpgsqlCommand($"SELECT {string.Join(", ", keys.Select(k => k.Stage + "::text"))} FROM pg_temp.{Pg(staged).DeltaName} GROUP BY {keyList} HAVING count(*) > 1 LIMIT 1", Connection, _transaction);
        await using (duplicateCommand.ConfigureAwait(false))
        {
            var reader = await duplicateCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = Enumerable.Range(0, keys.Count).Select(i => $"{keys[i].Live}={reader.GetString(i)}");
                throw new RestoreTableException($"the dump has more than one row with key ({string.Join(", ", values)}); cannot tell which to restore");
            }
        }

        var identical = staged.DumpRows - delta;
        return new Classification(missing, identical, conflicting, liveCount - identical - deltaLive, 0, 0, 0, held);
    }

    public async Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var dumpColumns = Enumerable.Range(0, mapping.DumpColumns.Count).Where(i => mapping.Targets[i] is not null).ToList();
        var names = dumpColumns.Select(i => mapping.Targets[i]!.Name).ToList();
        var select = new List<string> { "d.sr_n" };
        select.AddRange(dumpColumns.Select(i => $"d.c{i + 1}"));
        select.AddRange(dumpColumns.Select(i => $"d.c{i + 1}::text"));
        var withLive = rowClass == RowClass.Conflicting;
        if (withLive)
        {
            select.AddRange(names.Select(n => "l." + PgSql.Quote(n)));
            select.AddRange(names.Select(n => "l." + PgSql.Quote(n) + "::text"));
        }

        var join = withLive ? $"JOIN {Live(mapping.Live)} l ON {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}" : string.Empty;
        var sql = $"SELECT {string.Join(", ", select)} FROM pg_temp.{Pg(staged).DeltaName} d {join} WHERE d.sr_class = $1 AND d.sr_n > $2 ORDER BY d.sr_n LIMIT $3";
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = rowClass == RowClass.Missing ? 'm' : 'c', NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.InternalChar });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var result = new List<RowPair>();
        var keyNames = keys.Select(k => k.Live).ToList();
        var keyIndexes = keys.Select(k => names.IndexOf(k.Live)).ToList();
        var n = names.Count;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var dump = ReadValues(reader, names, 1, 1 + n);
            RowValues? liveRow = withLive ? ReadValues(reader, names, 1 + (2 * n), 1 + (3 * n)) : null;
            var key = new RowValues(keyNames, [.. keyIndexes.Select(dump.ValueAt)], [.. keyIndexes.Select(dump.TextAt)]);
            result.Add(new RowPair(reader.GetInt64(0), key, dump, liveRow));
        }

        return result;
    }

    private static RowValues ReadValues(NpgsqlDataReader reader, List<string> names, int typedStart, int textStart)
    {
        var values = new object?[names.Count];
        var texts = new string?[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (reader.IsDBNull(textStart + i))
            {
                continue;
            }

            texts[i] = reader.GetString(textStart + i);
            try
            {
                values[i] = reader.GetValue(typedStart + i);
            }
            catch (Exception ex) when (ex is InvalidCastException or NotSupportedException)
            {
                values[i] = texts[i]; // a type Npgsql has no CLR mapping for: the text is the value
            }
        }

        return new RowValues(names, values, texts);
    }

    /// <summary>Values (null for SQL NULL) as one line of COPY text, escaped; <paramref name="buffer"/> is reused between lines.</summary>
    private static string CopyLine(IReadOnlyList<string?> values, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write("\t"u8);
            }

            if (values[i] is { } value)
            {
                CopyText.Escape(value, buffer);
            }
            else
            {
                buffer.Write(CopyText.Null);
            }
        }

        buffer.Write("\n"u8);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public async Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        if (undo is not null)
        {
            await StageMergedOldValuesAsync(staged, rows.Select(r => r.Live), cancellationToken).ConfigureAwait(false);
        }

        var live = staged.Mapping.Live;
        var keys = KeyStageColumns(staged.Mapping);
        var batch = new NpgsqlBatch(Connection, _transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        foreach (var (key, values, _) in rows)
        {
            var command = new NpgsqlBatchCommand();
            var sets = new List<string>();
            foreach (var (name, value) in values)
            {
                var column = live.Find(name) ?? throw new RestoreTableException($"a merged row sets column '{name}', which {live.Name} does not have");
                if (keys.Any(k => string.Equals(k.Live, name, StringComparison.Ordinal)))
                {
                    throw new RestoreTableException($"a merged row may not change key column '{name}'");
                }

                if (column.IsGenerated)
                {
                    throw new RestoreTableException($"a merged row may not set generated column '{name}'");
                }

                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                sets.Add($"{PgSql.Quote(name)} = ${command.Parameters.Count}::{column.DataType}");
            }

            if (sets.Count == 0)
            {
                continue;
            }

            var where = new List<string>();
            for (var i = 0; i < keys.Count; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = key.TextAt(i) });
                where.Add($"{PgSql.Quote(keys[i].Live)} = ${command.Parameters.Count}::text::{live.Find(keys[i].Live)!.DataType}");
            }

            command.CommandText = $"UPDATE {Live(live)} SET {string.Join(", ", sets)} WHERE {string.Join(" AND ", where)}";
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count == 0)
        {
            return 0;
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (undo is not null)
        {
            await ExportMergedUndoAsync(staged, undo, cancellationToken).ConfigureAwait(false);
        }

        long affected = 0;
        foreach (var command in batch.BatchCommands)
        {
            affected += (long)command.RecordsAffected;
        }

        return affected;
    }

    public async Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        if (mapping.Key.Count == 0)
        {
            return await ApplyWholeRowsAsync(staged, instructions, undo, cancellationToken).ConfigureAwait(false);
        }

        var live = mapping.Live;
        var keys = KeyStageColumns(mapping);
        var written = WrittenColumns(mapping).ToList();
        long inserted = 0, updated = 0, remapped = 0;

        if (instructions.InsertMissing)
        {
            // Missing rows and remapped rows (under their new key) in one statement, so rows of the same table may
            // reference each other whichever way (foreign keys are checked at the end of the statement).
            var overriding = live.Columns.Any(c => c.Identity == IdentityColumn.Always) ? " OVERRIDING SYSTEM VALUE" : string.Empty;
            var values = written.Select(c => "d." + c.Stage);
            var sql = $"""
                INSERT INTO {PgSql.Quote(live.Name)} ({string.Join(", ", written.Select(c => PgSql.Quote(c.Column.Name)))}){overriding}
                SELECT {string.Join(", ", values)} FROM pg_temp.{Pg(staged).DeltaName} d
                WHERE d.sr_class IN ('m', 'r')
                {(OnConflictUsable(mapping) ? $"ON CONFLICT ({string.Join(", ", keys.Select(k => PgSql.Quote(k.Live)))}) DO NOTHING" : string.Empty)}
                """;
            // Remapped rows carry their new key already (ReclassifyAsync). Without any, the delta (every row, when
            // restoring into an empty table) is not scanned again to count them.
            remapped = instructions.Remapped
                ? await ScalarAsync($"SELECT count(*) FROM pg_temp.{Pg(staged).DeltaName} WHERE sr_class = 'r'", cancellationToken).ConfigureAwait(false)
                : 0;
            inserted = undo is null
                ? await ExecuteCountAsync(sql, cancellationToken).ConfigureAwait(false)
                : await ExportUndoAsync($"{sql} RETURNING {string.Join(", ", InsertedColumns(mapping).Select(c => PgSql.Quote(c.Name)))}", UndoDeleteInserted(mapping), undo, cancellationToken).ConfigureAwait(false);
        }

        // Key columns never change; identity ALWAYS columns cannot be updated to a value. Nothing to overwrite (the policy
        // keeps live rows and decided no row otherwise): no UPDATE at all, which would still join every conflict with live.
        var updatable = written.Where(c => !keys.Any(k => string.Equals(k.Stage, c.Stage, StringComparison.Ordinal)) && c.Column.Identity != IdentityColumn.Always).ToList();
        if (updatable.Count > 0 && (instructions.UpdateConflicting || instructions.UpdateChosen))
        {
            var chosen = UpdatedClasses(instructions);
            var sql = $"""
                UPDATE {Live(live)} l SET {string.Join(", ", updatable.Select(c => $"{PgSql.Quote(c.Column.Name)} = d.{c.Stage}"))}
                FROM pg_temp.{Pg(staged).DeltaName} d
                WHERE d.sr_class IN ({chosen}) AND {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
                """;
            if (undo is null)
            {
                updated = await ExecuteCountAsync(sql, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // A second reference to the table reads the rows as they were before this statement: their old values.
                var before = $"""
                    UPDATE {Live(live)} l SET {string.Join(", ", updatable.Select(c => $"{PgSql.Quote(c.Column.Name)} = d.{c.Stage}"))}
                    FROM pg_temp.{Pg(staged).DeltaName} d JOIN {Live(live)} o ON {string.Join(" AND ", keys.Select(k => $"o.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
                    WHERE d.sr_class IN ({chosen}) AND {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
                    RETURNING {string.Join(", ", UndoColumns(mapping).Select(c => "o." + PgSql.Quote(c.Name)).Concat(UpdatedColumns(mapping).Select(c => "l." + PgSql.Quote(c.Name))))}
                    """;
                updated = await ExportUndoAsync(before, UndoRestoreValues(mapping), undo, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ApplyCounts(inserted, updated, remapped);
    }

    /// <summary>The delta classes an apply overwrites live rows with: the rows the policy chose, or every conflict.</summary>
    private static string UpdatedClasses(ApplyInstructions instructions) => instructions.UpdateConflicting ? "'c', 't'" : "'t'";

    public async Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        foreach (var column in live.Columns.Where(c => c.Sequence is not null))
        {
            var sequence = column.Sequence!.Value;
            var sql = $"""
                SELECT x.m, s.last_value, s.is_called, q.seqincrement
                FROM (SELECT max({PgSql.Quote(column.Name)})::bigint AS m FROM {PgSql.Quote(live.Name)}) x,
                     {PgSql.Quote(sequence)} s, pg_catalog.pg_sequence q
                WHERE q.seqrelid = $1::regclass
                """;
            long? max;
            long lastValue, increment;
            bool isCalled;
            var command = new NpgsqlCommand(sql, Connection, _transaction);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(sequence) });
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                max = reader.IsDBNull(0) ? null : reader.GetInt64(0);
                lastValue = reader.GetInt64(1);
                isCalled = reader.GetBoolean(2);
                increment = reader.GetInt64(3);
            }

            var highestHandedOut = isCalled ? lastValue : lastValue - increment;
            if (increment <= 0 || max is not { } m || m <= highestHandedOut)
            {
                continue;
            }

            var setvalCommand = new NpgsqlCommand("SELECT pg_catalog.setval($1::regclass, $2, true)", Connection, _transaction);
            await using (setvalCommand.ConfigureAwait(false))
            {
                setvalCommand.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(sequence) });
                setvalCommand.Parameters.Add(new NpgsqlParameter { Value = m });
                await setvalCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            changes.Add($"sequence {sequence} moved from {highestHandedOut} to {m} (max {column.Name}) so new rows cannot reuse restored IDs");
        }

        return changes;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    // ------------------------------------------------------------ SQL pieces

    /// <summary>
    /// Whether the insert can skip rows inserted concurrently (<c>ON CONFLICT DO NOTHING</c>): not on a table with write
    /// rules, nor on a DEFERRABLE key. Without it, a row inserted concurrently under the same key fails the table.
    /// </summary>
    private static bool OnConflictUsable(TableMapping mapping) =>
        !mapping.Live.HasWriteRules && !mapping.Live.DeferrableKeys.Any(k => k.SequenceEqual(mapping.Key, StringComparer.Ordinal));

    /// <summary>The live table as read and written: ONLY for plain tables (inheritance children have their own dump data), whole for partitioned ones.</summary>
    private static string Live(LiveTable live) => (live.IsPartitioned ? string.Empty : "ONLY ") + PgSql.Quote(live.Name);

    private static List<(string Stage, string Live)> KeyStageColumns(TableMapping mapping)
    {
        var result = new List<(string, string)>();
        foreach (var key in mapping.Key)
        {
            var index = -1;
            for (var i = 0; i < mapping.Targets.Count; i++)
            {
                if (string.Equals(mapping.Targets[i]?.Name, key, StringComparison.Ordinal))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                throw RestoreTableException.Incompatible($"the dump has no column for key column '{key}'");
            }

            result.Add(("c" + (index + 1).ToString(CultureInfo.InvariantCulture), key));
        }

        return result;
    }

    private static IEnumerable<(string Stage, LiveColumn Column)> WrittenColumns(TableMapping mapping)
    {
        for (var i = 0; i < mapping.Targets.Count; i++)
        {
            if (mapping.Targets[i] is { IsGenerated: false } column)
            {
                yield return ("c" + (i + 1).ToString(CultureInfo.InvariantCulture), column);
            }
        }
    }

    private static IEnumerable<(string Stage, LiveColumn Column)> ComparedColumns(TableMapping mapping) =>
        WrittenColumns(mapping).Where(c => !mapping.Key.Contains(c.Column.Name, StringComparer.Ordinal));

    /// <summary>True (as SQL) when the staged row aliased <paramref name="alias"/> differs from the live row <c>l</c> with its key, NULL-safely.</summary>
    private static string Differs(TableMapping mapping, string alias)
    {
        var compared = ComparedColumns(mapping).ToList();
        return compared.Count == 0
            ? "false"
            : $"ROW({string.Join(", ", compared.Select(c => Comparable(alias + "." + c.Stage, c.Column)))}) IS DISTINCT FROM ROW({string.Join(", ", compared.Select(c => Comparable("l." + PgSql.Quote(c.Column.Name), c.Column)))})";
    }

    /// <summary>The staging column (c1, c2...) holding live column <paramref name="column"/>.</summary>
    private static string StageColumn(TableMapping mapping, string column)
    {
        for (var i = 0; i < mapping.Targets.Count; i++)
        {
            if (string.Equals(mapping.Targets[i]?.Name, column, StringComparison.Ordinal))
            {
                return "c" + (i + 1).ToString(CultureInfo.InvariantCulture);
            }
        }

        throw RestoreTableException.Incompatible($"the dump has no values for column {column}");
    }

    /// <summary>
    /// Expressions whose NULL-safe equality means "prints the same": the value itself where the type's equality
    /// implies identical text; plus the scale for numeric (1.0 = 1.00 but prints differently); plus the text of
    /// zero floats (0 = -0); and the text itself for every other type (json has no equality, citext ignores case).
    /// </summary>
    private static string Comparable(string expression, LiveColumn column)
    {
        var type = column.DataType;
        var paren = type.IndexOf('(', StringComparison.Ordinal);
        var baseType = paren > 0 ? type[..paren] : type;
        if (ExactEqualityTypes.Contains(baseType, StringComparer.Ordinal) || string.Equals(baseType, "jsonb", StringComparison.Ordinal) ||
            (type.EndsWith("[]", StringComparison.Ordinal) && ExactEqualityTypes.Contains(type[..type.IndexOf('[', StringComparison.Ordinal)], StringComparer.Ordinal)))
        {
            return expression;
        }

        return baseType switch
        {
            "numeric" => $"{expression}, scale({expression})",
            "double precision" or "real" => $"{expression}, CASE WHEN {expression} = 0 THEN {expression}::text END",
            _ => expression + "::text",
        };
    }

    private async Task<long> ExecuteCountAsync(string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using var commandScope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
