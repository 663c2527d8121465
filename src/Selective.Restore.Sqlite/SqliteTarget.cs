using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>
/// The SQLite side of a restore. SQLite runs in the process, so the delta goes in row by row through one prepared
/// statement (no bulk protocol to win against) into a temp table whose value columns have no type: values keep their
/// storage class, and the comparison is by storage class and value (<c>1</c> is not <c>'1'</c>). Classification and
/// writes are set-based statements joining it with the live table.
/// </summary>
internal sealed partial class SqliteTarget : IVerifyTarget, IDumpFormats, IParallelSessions
{
    private readonly Func<SqliteConnection> _newConnection;
    private readonly Dictionary<TableName, SqliteTableShape> _shapes = [];
    private SqliteConnection? _connection;
    private SqliteTransaction? _transaction;
    private long _transactionId;

    public SqliteTarget(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Unpooled: a closed connection lets the file go (a caller may copy or delete it next).
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        var connectionStringWithSettings = builder.ConnectionString;
        _newConnection = () => new SqliteConnection(connectionStringWithSettings);
        Description = $"sqlite://{builder.DataSource}";
    }

    /// <summary>Connections come from <paramref name="newConnection"/> (unopened), which may register collations and functions once opened.</summary>
    public SqliteTarget(Func<SqliteConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(newConnection);
        _newConnection = newConnection;
        using var sample = newConnection();
        Description = $"sqlite://{new SqliteConnectionStringBuilder(sample.ConnectionString).DataSource}";
    }

    public string Description { get; }

    public int Session { get; private set; }

    public bool IsBroken => _connection is null || _connection.State != ConnectionState.Open;

    public TimeSpan LockTimeout { get; set; } = RestoreTimeouts.DefaultLockTimeout;

    public IUndoDialect UndoDialect => SqliteUndoDialect.Instance;

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("Not connected.");

    private static SqliteStaging Lite(StagedTable staged) => (SqliteStaging)staged;

    /// <summary>Only SQLite sources: live rows print as the sqlite3 <c>.dump</c> reader reads values (SQL literals that keep the storage class).</summary>
    public string? Refuses(DumpFormat format) => format == DumpFormat.SqliteDump
        ? null
        : $"a {format} dump cannot be restored into SQLite: its values are written the way {(format == DumpFormat.SqlServerScript ? "SQL Server scripts them" : "PostgreSQL prints them")}, which say nothing of SQLite's storage classes. Restore it into {(format == DumpFormat.SqlServerScript ? "SQL Server or PostgreSQL" : "PostgreSQL")}, or restore into SQLite from a sqlite3 .dump";

    /// <summary>SQLite writes one transaction at a time per file: parallel jobs (<c>BEGIN IMMEDIATE</c> each) would only queue behind each other.</summary>
    public string? RefusesParallelSessions => "SQLite lets one connection write to a database file at a time, so parallel jobs would only wait for each other";

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

            // Foreign keys are checked only on connections that ask; a busy database is waited for up to the lock timeout.
            var busy = LockTimeout <= TimeSpan.Zero ? int.MaxValue : (int)Math.Min(int.MaxValue, LockTimeout.TotalMilliseconds);
            connection.DefaultTimeout = LockTimeout <= TimeSpan.Zero ? 0 : Math.Max(1, (int)LockTimeout.TotalSeconds);
            var command = connection.CreateCommand();
            await using var commandScope = command.ConfigureAwait(false);
            command.CommandText = $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy.ToString(CultureInfo.InvariantCulture)};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _connection = connection;
        Session++;
    }

    public bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // SQLITE_BUSY, SQLITE_LOCKED: another connection holds the lock past the busy timeout; worth another go.
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode is 5 or 6;
                case IOException or UnauthorizedAccessException:
                    return false;
            }
        }

        return false;
    }

    // SQLite reports a lock it waited for as SQLITE_BUSY, retried as transient (there is no lock_timeout to honour).
    public bool IsLockTimeout(Exception exception) => false;

    public Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken) =>
        Task.FromResult($"another connection held {Description}'s write lock for longer than the busy timeout ({LockTimeout.TotalSeconds:0.#} s); wait longer with --lock-timeout, or close that connection");

    public string Describe(Exception exception) => exception switch
    {
        SqliteException sqlite => $"{sqlite.Message} [SQLite {sqlite.SqliteExtendedErrorCode.ToString(CultureInfo.InvariantCulture)}]",
        _ => exception.Message,
    };

    public Task BeginAsync(bool readOnly, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE for writes: the write lock is taken first, so no other writer slips in between the
        // classification and the writes. A read-only transaction is deferred (it takes no write lock at all).
        _transaction = Connection.BeginTransaction(IsolationLevel.Serializable, deferred: readOnly);
        _transactionId = Random.Shared.NextInt64(1, long.MaxValue);
        return Task.CompletedTask;
    }

    public Task DeferConstraintsAsync(CancellationToken cancellationToken) => ExecuteAsync("PRAGMA defer_foreign_keys = ON;", cancellationToken);

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

    public async Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken)
    {
        var shape = await SqliteCatalog.ReadAsync(Connection, name, cancellationToken).ConfigureAwait(false);
        if (shape is null)
        {
            return null;
        }

        _shapes[name] = shape;
        return shape.Table;
    }

    private async Task<SqliteTableShape> ShapeAsync(TableName name, CancellationToken cancellationToken) =>
        _shapes.TryGetValue(name, out var shape)
            ? shape
            : await ReadTableAsync(name, cancellationToken).ConfigureAwait(false) is not null
                ? _shapes[name]
                : throw RestoreTableException.Incompatible($"{name} does not exist in the target database");

    public Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        OpenRowsAsync($"SELECT {string.Join(", ", columns.Select(SqliteSql.Quote))} FROM {SqliteSql.Quote(mapping.Live.Name)};", cancellationToken);

    private Task<Stream> OpenRowsAsync(string sql, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<Stream>(SqliteRows.Open(Connection, sql));
    }

    public async Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken)
    {
        var shape = await ShapeAsync(mapping.Live.Name, cancellationToken).ConfigureAwait(false);
        var staging = new SqliteStaging(mapping, Session, ordinal, shape);
        var columns = string.Concat(staging.Columns.Select(c => ", " + c.Stage));
        await ExecuteAsync(
            $"""
            DROP TABLE IF EXISTS temp.{staging.Delta};
            DROP TABLE IF EXISTS temp.{staging.LiveOnly};
            CREATE TEMP TABLE {staging.Delta} (sr_n INTEGER PRIMARY KEY, sr_class TEXT NOT NULL, sr_live INTEGER NOT NULL, sr_hold INTEGER NOT NULL{columns});
            CREATE TEMP TABLE {staging.LiveOnly} (sr_n INTEGER PRIMARY KEY, sr_class TEXT NOT NULL, sr_live INTEGER NOT NULL, sr_hold INTEGER NOT NULL{columns});
            """,
            cancellationToken).ConfigureAwait(false);
        return staging;
    }

    public async Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        await ExecuteAsync($"DELETE FROM temp.{staging.Delta};", cancellationToken).ConfigureAwait(false);
        long rows = 0;
        foreach (var (lines, isHeld) in new[] { (held, true), (delta, false) })
        {
            if (lines is { Rows: > 0 })
            {
                rows += await StageLinesAsync(staging, staging.Delta, lines, rows, isHeld, cancellationToken).ConfigureAwait(false);
            }
        }

        return rows;
    }

    /// <summary>
    /// Inserts row lines into <paramref name="table"/> through one prepared statement, numbered after
    /// <paramref name="first"/>; a field that is no SQLite value fails the table naming its dump line and column.
    /// </summary>
    private async Task<long> StageLinesAsync(SqliteStaging staging, string table, IRowLines lines, long first, bool held, CancellationToken cancellationToken)
    {
        var count = staging.Columns.Count;
        var command = Command(
            $"INSERT INTO temp.{table} (sr_n, sr_class, sr_live, sr_hold{string.Concat(staging.Columns.Select(c => ", " + c.Stage))}) " +
            $"VALUES (@n, '{(held ? 'h' : 'm')}', 0, {(held ? 1 : 0)}{string.Concat(staging.Columns.Select((_, i) => ", @c" + i.ToString(CultureInfo.InvariantCulture)))});");
        await using var commandScope = command.ConfigureAwait(false);
        var position = command.Parameters.Add("@n", SqliteType.Integer);
        var values = Enumerable.Range(0, count).Select(i => command.Parameters.Add("@c" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Blob)).ToArray();
        command.Prepare();
        lines.Rewind();
        var n = first;
        while (lines.TryRead(out var line, out var lineNumber, out _))
        {
            n++;
            var field = 0;
            var rest = line;
            while (true)
            {
                var tab = rest.IndexOf((byte)'\t');
                var raw = tab < 0 ? rest : rest[..tab];
                if (field == count)
                {
                    throw new RestoreTableException($"{staging.Mapping.Live.Name} (dump line {lineNumber}): the row has more than the {count} fields the table's columns take");
                }

                values[field].Value = Value(raw, staging, field, lineNumber);
                field++;
                if (tab < 0)
                {
                    break;
                }

                rest = rest[(tab + 1)..];
            }

            if (field != count)
            {
                throw new RestoreTableException($"{staging.Mapping.Live.Name} (dump line {lineNumber}): the row has {field} fields, the table's columns take {count}");
            }

            position.Value = n;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return n - first;
    }

    /// <summary>A row-text field as the value it stands for (typed by its form, so the parameter keeps the storage class).</summary>
    private static object Value(ReadOnlySpan<byte> raw, SqliteStaging staging, int field, long lineNumber)
    {
        if (CopyText.IsNull(raw))
        {
            return DBNull.Value;
        }

        try
        {
            return SqliteText.Parse(CopyText.Decode(raw)) ?? DBNull.Value;
        }
        catch (FormatException ex)
        {
            throw new RestoreTableException($"{staging.Mapping.Live.Name} (dump line {lineNumber}), column {staging.Columns[field].Live}: {ex.Message}", ex);
        }
    }

    /// <summary>The staged row <paramref name="stage"/> holds, in column <paramref name="column"/>, the same storage class and value as the live row <paramref name="live"/>.</summary>
    private static string Same(string stage, SqliteStageColumn column, string live) =>
        $"(typeof({stage}.{column.Stage}) = typeof({live}.{SqliteSql.Quote(column.Live)}) AND {stage}.{column.Stage} IS {live}.{SqliteSql.Quote(column.Live)} COLLATE BINARY)";

    /// <summary>Every compared column the same (true without any).</summary>
    private static string AllSame(SqliteStaging staging, string stage, string live) =>
        staging.Compared.Count == 0 ? "1" : string.Join(" AND ", staging.Compared.Select(c => Same(stage, c, live)));

    /// <summary>The live row aliased <paramref name="live"/> has the staged row's key, compared under the live key columns' own collations.</summary>
    private static string KeyJoin(SqliteStaging staging, string live, string stage) =>
        string.Join(" AND ", staging.Key.Select(k => $"{live}.{SqliteSql.Quote(k.Live)} = {stage}.{k.Stage}"));

    public async Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var live = SqliteSql.Quote(staging.Mapping.Live.Name);
        var nullKey = string.Join(" OR ", staging.Key.Select(k => $"d.{k.Stage} IS NULL"));
        long missing, conflicting, nullKeys, held, identical, deltaLive, liveCount;
        var command = Command($"""
            UPDATE temp.{staging.Delta} AS d SET sr_live = EXISTS (SELECT 1 FROM {live} AS l WHERE {KeyJoin(staging, "l", "d")});
            UPDATE temp.{staging.Delta} AS d SET sr_class = CASE WHEN {nullKey} THEN 'n' WHEN d.sr_hold = 1 THEN 'h' WHEN d.sr_live = 0 THEN 'm'
                WHEN EXISTS (SELECT 1 FROM {live} AS l WHERE {KeyJoin(staging, "l", "d")} AND NOT ({AllSame(staging, "d", "l")})) THEN 'c' ELSE 'i' END;
            SELECT count(*) FILTER (WHERE sr_class = 'm'), count(*) FILTER (WHERE sr_class = 'c'), count(*) FILTER (WHERE sr_class = 'n'),
                   count(*) FILTER (WHERE sr_class = 'h'), count(*) FILTER (WHERE sr_class = 'i'), count(*) FILTER (WHERE sr_live = 1 AND sr_class <> 'i')
            FROM temp.{staging.Delta};
            {(liveRows is null ? $"SELECT count(*) FROM {live};" : string.Empty)}
            """);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (missing, conflicting, nullKeys, held, identical, deltaLive) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
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
            throw RestoreTableException.NullKeys(nullKeys, staging.Key.Select(k => k.Live));
        }

        var keys = string.Join(", ", staging.Key.Select(k => k.Stage));
        var duplicate = Command($"SELECT {keys} FROM temp.{staging.Delta} WHERE sr_class <> 'n' GROUP BY {keys} HAVING count(*) > 1 LIMIT 1;");
        await using (duplicate.ConfigureAwait(false))
        {
            var reader = await duplicate.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = staging.Key.Select((k, i) => $"{k.Live}={SqliteText.Format(reader.GetValue(i)) ?? "NULL"}");
                throw new RestoreTableException($"the dump has more than one row with key ({string.Join(", ", values)}); cannot tell which to restore");
            }
        }

        return new Classification(missing, identical, conflicting, liveCount - identical - deltaLive, 0, 0, 0, held);
    }

    public async Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var withLive = rowClass == RowClass.Conflicting;
        var select = new List<string> { "d.sr_n" };
        select.AddRange(staging.Written.Select(c => "d." + c.Stage));
        if (withLive)
        {
            select.AddRange(staging.Written.Select(c => "l." + SqliteSql.Quote(c.Live)));
        }

        var join = withLive ? $" JOIN {SqliteSql.Quote(staging.Mapping.Live.Name)} AS l ON {KeyJoin(staging, "l", "d")}" : string.Empty;
        var command = Command($"SELECT {string.Join(", ", select)} FROM temp.{staging.Delta} AS d{join} WHERE d.sr_class = @class AND d.sr_n > @after ORDER BY d.sr_n LIMIT @max;");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@class", rowClass == RowClass.Missing ? "m" : "c");
        command.Parameters.AddWithValue("@after", after);
        command.Parameters.AddWithValue("@max", max);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var names = staging.Written.Select(c => c.Live).ToList();
        var keyIndexes = staging.Key.Select(k => names.IndexOf(k.Live)).ToList();
        var keyNames = staging.Key.Select(k => k.Live).ToList();
        var result = new List<RowPair>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var dump = ReadValues(reader, names, 1);
            RowValues? liveRow = withLive ? ReadValues(reader, names, 1 + names.Count) : null;
            var key = new RowValues(keyNames, [.. keyIndexes.Select(dump.ValueAt)], [.. keyIndexes.Select(dump.TextAt)]);
            result.Add(new RowPair(reader.GetInt64(0), key, dump, liveRow));
        }

        return result;
    }

    private static RowValues ReadValues(DbDataReader reader, List<string> names, int start)
    {
        var values = new object?[names.Count];
        var texts = new string?[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (!reader.IsDBNull(start + i))
            {
                values[i] = reader.GetValue(start + i);
                texts[i] = Plain(values[i]!);
            }
        }

        return new RowValues(names, values, texts);
    }

    /// <summary>A value's plain text for a policy: text as it is, numbers as they print, a blob as <c>\x</c> hex.</summary>
    private static string Plain(object value) => value switch
    {
        string text => text,
        byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
        double real => SqliteText.Real(real),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>A value as an escaped row-text field (<c>\N</c> for NULL).</summary>
    private static string Field(object? value) =>
        SqliteText.Format(value) is { } text ? Escaped(text) : "\\N";

    private static string Escaped(string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        CopyText.Escape(text, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public async Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var live = SqliteSql.Quote(staging.Mapping.Live.Name);
        var columns = string.Join(", ", staging.Written.Select(c => SqliteSql.Quote(c.Live)));
        if (staging.Key.Count == 0)
        {
            long copies = 0;
            if (instructions.InsertMissing)
            {
                copies = await InsertAsync($"INSERT INTO {live} ({columns}) SELECT {string.Join(", ", staging.Written.Select(c => "d." + c.Stage))} FROM temp.{staging.Delta} AS d WHERE d.sr_class = 'm' ORDER BY d.sr_n", staging.Written, undo is null ? null : SqliteUndo.DeleteInsertedCopies(staging), undo, staging, cancellationToken).ConfigureAwait(false);
            }

            return new ApplyCounts(copies, 0, 0);
        }

        long inserted = 0, updated = 0, remapped = 0;
        if (instructions.InsertMissing)
        {
            remapped = instructions.Remapped ? await ScalarAsync($"SELECT count(*) FROM temp.{staging.Delta} WHERE sr_class = 'r';", cancellationToken).ConfigureAwait(false) : 0;
            var insertedColumns = Inserted(staging);
            inserted = await InsertAsync(
                $"INSERT INTO {live} ({string.Join(", ", insertedColumns.Select(c => SqliteSql.Quote(c.Live)))}) SELECT {string.Join(", ", insertedColumns.Select(c => "d." + c.Stage))} FROM temp.{staging.Delta} AS d WHERE d.sr_class IN ('m', 'r') ORDER BY d.sr_n",
                insertedColumns,
                undo is null ? null : SqliteUndo.DeleteInserted(staging),
                undo,
                staging,
                cancellationToken).ConfigureAwait(false);
        }

        if (staging.Compared.Count > 0 && (instructions.UpdateConflicting || instructions.UpdateChosen))
        {
            var classes = instructions.UpdateConflicting ? "'c', 't'" : "'t'";
            if (undo is not null)
            {
                // The values they have now, kept for the undo block (RETURNING gives only the new ones).
                await ExecuteAsync(
                    $"""
                    DROP TABLE IF EXISTS temp.{staging.Old};
                    CREATE TEMP TABLE {staging.Old} AS SELECT {string.Join(", ", staging.Key.Concat(staging.Compared).Select((c, i) => $"l.{SqliteSql.Quote(c.Live)} AS o{i + 1}"))}
                    FROM {live} AS l JOIN temp.{staging.Delta} AS d ON {KeyJoin(staging, "l", "d")} WHERE d.sr_class IN ({classes});
                    """,
                    cancellationToken).ConfigureAwait(false);
            }

            var command = Command($"UPDATE {live} AS l SET {string.Join(", ", staging.Compared.Select(c => $"{SqliteSql.Quote(c.Live)} = d.{c.Stage}"))} FROM temp.{staging.Delta} AS d WHERE {KeyJoin(staging, "l", "d")} AND d.sr_class IN ({classes});");
            await using (command.ConfigureAwait(false))
            {
                updated = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (undo is not null && updated > 0)
            {
                await ExportOverwrittenAsync(staging, undo, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ApplyCounts(inserted, updated, remapped);
    }

    /// <summary>The columns an insert writes, the key first.</summary>
    private static List<SqliteStageColumn> Inserted(SqliteStaging staging) => [.. staging.Key, .. staging.Written.Where(c => !staging.Key.Contains(c))];

    /// <summary>Runs an insert; with an undo writer, the rows it wrote (RETURNING <paramref name="columns"/>) become the undo block.</summary>
    private async Task<long> InsertAsync(string insert, IReadOnlyList<SqliteStageColumn> columns, SqliteUndo.Block? block, TextWriter? undo, SqliteStaging staging, CancellationToken cancellationToken)
    {
        if (undo is null || block is null)
        {
            var command = Command(insert + ";");
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var returning = Command($"{insert} RETURNING {string.Join(", ", columns.Select(c => SqliteSql.Quote(c.Live)))};");
        await using var returningScope = returning.ConfigureAwait(false);
        var reader = await returning.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await SqliteUndo.WriteAsync(reader, columns.Count, block, staging.Mapping.Live, undo, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Overwritten rows' undo block: the key, the values they had (kept before the update), the values written.</summary>
    private async Task ExportOverwrittenAsync(SqliteStaging staging, TextWriter undo, CancellationToken cancellationToken)
    {
        var k = staging.Key.Count;
        var old = Enumerable.Range(1, k + staging.Compared.Count).Select(i => "o.o" + i.ToString(CultureInfo.InvariantCulture));
        var command = Command(
            $"SELECT {string.Join(", ", old.Concat(staging.Compared.Select(c => "l." + SqliteSql.Quote(c.Live))))} FROM temp.{staging.Old} AS o JOIN {SqliteSql.Quote(staging.Mapping.Live.Name)} AS l ON " +
            string.Join(" AND ", staging.Key.Select((c, i) => $"l.{SqliteSql.Quote(c.Live)} = o.o{i + 1}")) + ";");
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await SqliteUndo.WriteAsync(reader, k + (2 * staging.Compared.Count), SqliteUndo.RestoreValues(staging), staging.Mapping.Live, undo, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var held = await ScalarAsync($"UPDATE temp.{staging.Delta} SET sr_class = CASE WHEN sr_hold = 1 THEN 'h' ELSE 'm' END, sr_live = 0; SELECT count(*) FROM temp.{staging.Delta} WHERE sr_hold = 1;", cancellationToken).ConfigureAwait(false);
        if (liveOnly is { Rows: > 0 })
        {
            await ExecuteAsync($"DELETE FROM temp.{staging.LiveOnly};", cancellationToken).ConfigureAwait(false);
            await StageLinesAsync(staging, staging.LiveOnly, liveOnly, 0, held: false, cancellationToken).ConfigureAwait(false);

            // Copy for copy: in each group of equal rows (storage class and value), the first n dump copies pair with the n live ones.
            var group = string.Join(", ", staging.Written.SelectMany(c => new[] { $"{c.Stage} COLLATE BINARY", $"typeof({c.Stage})" }));
            var same = string.Join(" AND ", staging.Written.Select(c => $"typeof(x.{c.Stage}) = typeof(y.{c.Stage}) AND x.{c.Stage} IS y.{c.Stage} COLLATE BINARY"));
            await ExecuteAsync(
                $"""
                DELETE FROM temp.{staging.Delta} WHERE sr_n IN (
                    SELECT x.sr_n FROM (SELECT d.*, row_number() OVER (PARTITION BY {group} ORDER BY d.sr_n) AS sr_copy FROM temp.{staging.Delta} AS d) AS x
                    JOIN (SELECT l.*, count(*) OVER (PARTITION BY {group}) AS sr_copies, row_number() OVER (PARTITION BY {group}) AS sr_first FROM temp.{staging.LiveOnly} AS l) AS y
                      ON y.sr_first = 1 AND {same}
                    WHERE x.sr_copy <= y.sr_copies);
                """,
                cancellationToken).ConfigureAwait(false);
        }

        var command = Command($"SELECT count(*) FILTER (WHERE sr_class = 'm'), count(*) FILTER (WHERE sr_class = 'h') FROM temp.{staging.Delta};");
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new WholeRowCounts(reader.GetInt64(0), held, held - reader.GetInt64(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    private SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        command.CommandTimeout = Connection.DefaultTimeout;
        return command;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        var command = Command(sql);
        await using var commandScope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of the last row any statement of <paramref name="sql"/> returned.</summary>
    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        var command = Command(sql);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        long value = 0;
        do
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                value = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
            }
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        return value;
    }
}
