using System.Buffers;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.SqlClient;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// The SQL Server side of a restore. The engine's delta is bulk-copied into a session temp table as text and
/// converted by the server; classification and writes are set-based statements joining it with the live table. Only
/// rows a merge policy must see are read back to the client, in batches.
/// </summary>
internal sealed partial class SqlServerTarget : IVerifyTarget, IDumpFormats
{
    private readonly Func<SqlConnection> _newConnection;
    private readonly Dictionary<TableName, SqlServerTableShape> _shapes = [];
    private SqlConnection? _connection;
    private SqlTransaction? _transaction;
    private bool _snapshot;

    public SqlServerTarget(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // No command timeout: staging and classifying a large table legitimately takes minutes. Waits for locks are
        // bounded by LOCK_TIMEOUT instead (LockTimeout). The application name shows who holds a lock.
        var builder = new SqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        if (string.IsNullOrEmpty(builder.ApplicationName) || string.Equals(builder.ApplicationName, "Core Microsoft SqlClient Data Provider", StringComparison.Ordinal))
        {
            builder.ApplicationName = "selective-restore";
        }

        var connectionStringWithSettings = builder.ConnectionString;
        _newConnection = () => new SqlConnection(connectionStringWithSettings);
        Description = Describe(builder);
    }

    /// <summary>Connections come from <paramref name="newConnection"/> as it configures them (an access token, credentials, timeouts).</summary>
    public SqlServerTarget(Func<SqlConnection> newConnection)
    {
        ArgumentNullException.ThrowIfNull(newConnection);
        _newConnection = newConnection;
        using var sample = newConnection();
        Description = Describe(new SqlConnectionStringBuilder(sample.ConnectionString));
    }

    private static string Describe(SqlConnectionStringBuilder builder) =>
        $"sqlserver://{(builder.IntegratedSecurity ? "(integrated)" : builder.UserID)}@{builder.DataSource}/{builder.InitialCatalog}";

    public string Description { get; }

    public int Session { get; private set; }

    public bool IsBroken => _connection is null || _connection.State is ConnectionState.Broken or ConnectionState.Closed;

    public TimeSpan LockTimeout { get; set; } = RestoreTimeouts.DefaultLockTimeout;

    public IUndoDialect UndoDialect => SqlServerUndoDialect.Instance;

    private SqlConnection Connection => _connection ?? throw new InvalidOperationException("Not connected.");

    /// <summary>Only SQL Server scripts: the live rows print as the T-SQL script reader reads values, not as pg_dump writes them.</summary>
    public string? Refuses(DumpFormat format) => format switch
    {
        DumpFormat.SqlServerScript => null,
        DumpFormat.SqliteDump => "a sqlite3 .dump cannot be restored into SQL Server: its values are SQLite literals that keep SQLite's storage classes, which SQL Server columns do not have. Restore it into SQLite",
        _ => $"a pg_dump dump ({format}) cannot be restored into SQL Server: its values are written the way PostgreSQL prints them (booleans as t/f, time zones as +00), which SQL Server reads differently. Restore it into PostgreSQL, or script the data out of SQL Server (SSMS Generate Scripts, mssql-scripter) and restore that",
    };

    private static SqlServerStaging Sql(StagedTable staged) => (SqlServerStaging)staged;

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

            // LOCK_TIMEOUT -1 waits forever (our 0). Snapshot isolation, where the database allows it, gives a plan and
            // a classification one consistent view without holding shared locks.
            var timeout = LockTimeout <= TimeSpan.Zero ? -1 : (long)LockTimeout.TotalMilliseconds;
            var command = new SqlCommand(
                $"SET LOCK_TIMEOUT {timeout.ToString(CultureInfo.InvariantCulture)}; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET XACT_ABORT OFF; " +
                "SELECT CONVERT(bit, CASE WHEN snapshot_isolation_state = 1 THEN 1 ELSE 0 END) FROM sys.databases WHERE database_id = DB_ID();",
                connection);
            await using (command.ConfigureAwait(false))
            {
                _snapshot = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
            }
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
                case SqlException sql:
                    var transient = false;
                    foreach (SqlError error in sql.Errors)
                    {
                        switch (SqlServerErrors.Classify(error.Number, error.Class))
                        {
                            case SqlServerErrorKind.Transient:
                                transient = true;
                                break;
                            case SqlServerErrorKind.LockTimeout:
                                return false;
                            default:
                                if (SqlServerErrors.NeverTransient.Contains(error.Number))
                                {
                                    return false;
                                }

                                break;
                        }
                    }

                    return transient || (sql.Errors.Count == 0 && IsBroken);
                case IOException or UnauthorizedAccessException:
                    // A local file (the dump, a journal, an undo part): never the database's, never retried.
                    return false;
                case SocketException or TimeoutException:
                    return true;
            }
        }

        // e.g. "connection is not open" after the connection broke under us.
        return exception is InvalidOperationException && IsBroken;
    }

    public bool IsLockTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqlException sql && sql.Errors.Cast<SqlError>().Any(error => SqlServerErrors.Classify(error.Number, error.Class) == SqlServerErrorKind.LockTimeout))
            {
                return true;
            }
        }

        return false;
    }

    public string Describe(Exception exception) => exception switch
    {
        SqlException sql => string.Join("; ", sql.Errors.Cast<SqlError>().Select(e => $"{e.Message} [{e.Number.ToString(CultureInfo.InvariantCulture)}]").Distinct(StringComparer.Ordinal)),
        _ => exception.Message,
    };

    public async Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken)
    {
        var waited = LockTimeout.TotalSeconds >= 1 ? $"{LockTimeout.TotalSeconds:0.#} s" : $"{LockTimeout.TotalMilliseconds:0} ms";
        var prefix = $"waited {waited} for a lock on {table}";
        const string Hint = "; wait longer with --lock-timeout (WithLockTimeout; 0 waits forever), or end that session";
        try
        {
            var holders = new List<string>();
            var command = new SqlCommand(LockHoldersSql, Connection, _transaction);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new SqlParameter("@table", SqlDbType.NVarChar, 600) { Value = SqlServerStatements.Quote(table) });
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var details = new List<string> { reader.GetString(1) };
                    if (!reader.IsDBNull(2) && reader.GetString(2).Length > 0)
                    {
                        details.Add("login " + reader.GetString(2));
                    }

                    if (!reader.IsDBNull(3) && reader.GetString(3).Length > 0)
                    {
                        details.Add($"application '{reader.GetString(3)}'");
                    }

                    if (!reader.IsDBNull(4))
                    {
                        details.Add($"transaction open {reader.GetInt32(4).ToString(CultureInfo.InvariantCulture)} s");
                    }

                    holders.Add($"session {reader.GetInt16(0).ToString(CultureInfo.InvariantCulture)} ({string.Join(", ", details)})");
                }
            }

            return holders.Count == 0
                ? $"{prefix}; the session that held it has finished since, so running again may succeed{Hint}"
                : $"{prefix}, held by {string.Join("; ", holders)}{Hint}";
        }
        catch (Exception ex) when (ex is SqlException or InvalidOperationException)
        {
            return $"{prefix} (who holds it could not be read: {Describe(ex)}; it needs VIEW SERVER STATE){Hint}";
        }
    }

    /// <summary>Sessions holding a granted lock on the table (@table), strongest first; no query texts, which may carry values.</summary>
    internal const string LockHoldersSql = """
        SELECT TOP (3) l.request_session_id, l.request_mode, s.login_name, s.program_name,
               DATEDIFF(second, t.transaction_begin_time, SYSDATETIME())
        FROM sys.dm_tran_locks AS l
        LEFT JOIN sys.dm_exec_sessions AS s ON s.session_id = l.request_session_id
        LEFT JOIN sys.dm_tran_session_transactions AS st ON st.session_id = l.request_session_id
        LEFT JOIN sys.dm_tran_active_transactions AS t ON t.transaction_id = st.transaction_id
        WHERE l.resource_type = N'OBJECT' AND l.resource_database_id = DB_ID() AND l.resource_associated_entity_id = OBJECT_ID(@table)
          AND l.request_status = N'GRANT' AND l.request_session_id <> @@SPID
        ORDER BY CASE l.request_mode WHEN N'Sch-M' THEN 0 WHEN N'X' THEN 1 WHEN N'SIX' THEN 2 WHEN N'S' THEN 3 ELSE 4 END, t.transaction_begin_time;
        """;

    public async Task BeginAsync(bool readOnly, CancellationToken cancellationToken)
    {
        // SQL Server has no read-only transaction: a plan writes temp tables only (the engine's rule), and its
        // transaction is rolled back or committed with nothing live touched.
        _transaction = (SqlTransaction)await Connection.BeginTransactionAsync(_snapshot ? IsolationLevel.Snapshot : IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
    }

    // SQL Server has no deferrable constraints: rows of one table that reference each other go in one statement, whose
    // foreign keys are checked when it ends.
    public Task DeferConstraintsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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

        // An error may have ended the transaction already (XACT_STATE() = 0): then there is nothing to roll back.
        if (transaction.Connection is not null)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    public async Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken)
    {
        var shape = await SqlServerCatalog.ReadAsync(Connection, _transaction, name, cancellationToken).ConfigureAwait(false);
        if (shape is null)
        {
            return null;
        }

        _shapes[name] = shape;
        return shape.Table;
    }

    private async Task<SqlServerTableShape> ShapeAsync(TableName name, CancellationToken cancellationToken)
    {
        if (_shapes.TryGetValue(name, out var shape))
        {
            return shape;
        }

        return await ReadTableAsync(name, cancellationToken).ConfigureAwait(false) is not null
            ? _shapes[name]
            : throw RestoreTableException.Incompatible($"{name} does not exist in the target database");
    }

    public async Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        var shape = await ShapeAsync(mapping.Live.Name, cancellationToken).ConfigureAwait(false);
        var types = columns.Select(c => TypeOf(shape, c)).ToList();
        var sql = $"SELECT {string.Join(", ", columns.Select(SqlServerStatements.Quote))} FROM {SqlServerStatements.Quote(mapping.Live.Name)};";
        return await OpenRowsAsync(sql, types, parameters: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A column's type, from the catalog; a column whose type is refused never reaches here (the catalog failed the table).</summary>
    private static SqlServerType TypeOf(SqlServerTableShape shape, string column) =>
        shape.Columns.FirstOrDefault(c => string.Equals(c.Name, column, StringComparison.Ordinal))?.Type
        ?? throw RestoreTableException.Incompatible($"column {column} of {shape.Table.Name} cannot be read: {SqlServerType.Unsupported(shape.Columns.FirstOrDefault(c => string.Equals(c.Name, column, StringComparison.Ordinal))?.SystemType ?? "unknown")}");

    /// <summary>A query's rows as a row-text stream (sequential access: a large value is never buffered twice); the stream owns the command.</summary>
    private async Task<Stream> OpenRowsAsync(string sql, IReadOnlyList<SqlServerType> types, IEnumerable<SqlParameter>? parameters, CancellationToken cancellationToken)
    {
        var command = new SqlCommand(sql, Connection, _transaction);
        try
        {
            foreach (var parameter in parameters ?? [])
            {
                command.Parameters.Add(parameter);
            }

            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            return new SqlServerLiveRows(reader, types, command);
        }
        catch
        {
            await command.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken)
    {
        var shape = await ShapeAsync(mapping.Live.Name, cancellationToken).ConfigureAwait(false);
        var staging = new SqlServerStaging(mapping, Session, ordinal, shape);

        // SQL Server allows 1024 columns per table; the delta adds four.
        if (staging.Columns.Count + 4 > 1024)
        {
            throw RestoreTableException.Incompatible($"{dump.Name} has {staging.Columns.Count} columns in the dump; staging it needs {staging.Columns.Count + 4}, over SQL Server's limit of 1024 columns per table");
        }

        await ExecuteAsync(SqlServerStatements.CreateStaging(staging), cancellationToken).ConfigureAwait(false);
        return staging;
    }

    public async Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        await ExecuteAsync($"DELETE FROM {staging.Delta};", cancellationToken).ConfigureAwait(false);
        long rows = 0;
        foreach (var (lines, isHeld) in new[] { (held, true), (delta, false) })
        {
            if (lines is not { Rows: > 0 })
            {
                continue;
            }

            rows += await StageLinesAsync(staging, lines, rows, isHeld, staging.Delta, cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>
    /// Bulk-copies row lines into the text table and converts them into <paramref name="into"/>, numbered after
    /// <paramref name="first"/>. A value the column cannot hold exactly fails the table naming its dump line and column;
    /// the server must report as many rows as were sent.
    /// </summary>
    private async Task<long> StageLinesAsync(SqlServerStaging staging, IRowLines lines, long first, bool held, string into, CancellationToken cancellationToken)
    {
        await ExecuteAsync(SqlServerStatements.TruncateText(staging), cancellationToken).ConfigureAwait(false);
        lines.Rewind();
        var reader = new SqlServerDeltaReader(lines, staging.Columns, first);
        await using (reader.ConfigureAwait(false))
        {
            using var bulk = new SqlBulkCopy(Connection, SqlBulkCopyOptions.KeepNulls, _transaction)
            {
                DestinationTableName = staging.Text,
                BulkCopyTimeout = 0,
                BatchSize = 0,
                EnableStreaming = true,
            };
            await bulk.WriteToServerAsync(reader, cancellationToken).ConfigureAwait(false);
        }

        var sent = reader.Position - first;
        if (SqlServerStatements.CheckText(staging) is { } check)
        {
            var problem = await ReadProblemAsync(check, cancellationToken).ConfigureAwait(false);
            if (problem is var (position, column))
            {
                var stage = staging.Columns[column - 1];
                throw new RestoreTableException($"{staging.Mapping.Live.Name}{Locate(lines, position - first)}, column {stage.Live}: the value does not fit {stage.DataType} exactly (unreadable as the type, too long, or characters its code page lacks), so nothing is applied to this table");
            }
        }

        long filled;
        try
        {
            filled = await ExecuteCountAsync(SqlServerStatements.FillDelta(staging, held, into), cancellationToken).ConfigureAwait(false);
        }
        catch (SqlException ex) when (ex.Class == 16)
        {
            throw new RestoreTableException($"the server rejected a value while staging {staging.Mapping.Live.Name}: {Describe(ex)}", ex);
        }

        return filled == sent
            ? sent
            : throw new RestoreTableException($"the server staged {filled} rows of {staging.Mapping.Live.Name} where the engine sent {sent}: the server read the data differently, so nothing is applied to this table");
    }

    private async Task<(long Position, int Column)?> ReadProblemAsync(string sql, CancellationToken cancellationToken)
    {
        var command = new SqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetInt32(1)) : null;
    }

    /// <summary>" (row 17, dump line 40)" for the <paramref name="row"/>-th line sent.</summary>
    private static string Locate(IRowLines lines, long row)
    {
        long dumpLine = 0;
        lines.Rewind();
        for (long i = 1; i <= row && lines.TryRead(out _, out var lineNumber, out _); i++)
        {
            dumpLine = lineNumber;
        }

        return dumpLine > 0 ? $" (row {row}, dump line {dumpLine})" : $" (row {row})";
    }

    public async Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        long missing, conflicting, nullKeys, held, identical, deltaLive, liveCount;
        var command = new SqlCommand(SqlServerStatements.Classify(staging, liveRows is null), Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            missing = reader.GetInt64(0);
            conflicting = reader.GetInt64(1);
            nullKeys = reader.GetInt64(2);
            held = reader.GetInt64(3);
            identical = reader.GetInt64(4);
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
            throw RestoreTableException.NullKeys(nullKeys, staging.Key.Select(k => k.Live));
        }

        var duplicate = new SqlCommand(SqlServerStatements.DuplicateKey(staging), Connection, _transaction);
        await using (duplicate.ConfigureAwait(false))
        {
            var reader = await duplicate.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = staging.Key.Select((k, i) => $"{k.Live}={Text(reader, i, k.Type) ?? "NULL"}");
                throw new RestoreTableException($"the dump has more than one row with key ({string.Join(", ", values)}) under the key's collation; cannot tell which to restore");
            }
        }

        return new Classification(missing, identical, conflicting, liveCount - identical - deltaLive, 0, 0, 0, held);
    }

    public async Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var withLive = rowClass == RowClass.Conflicting;
        var command = new SqlCommand(SqlServerStatements.ReadRows(staging, withLive), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@max", SqlDbType.Int) { Value = max });
        command.Parameters.Add(new SqlParameter("@class", SqlDbType.Char, 1) { Value = rowClass == RowClass.Missing ? "m" : "c" });
        command.Parameters.Add(new SqlParameter("@after", SqlDbType.BigInt) { Value = after });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var names = staging.Written.Select(c => c.Live).ToList();
        var types = staging.Written.Select(c => c.Type).ToList();
        var keyIndexes = staging.Key.Select(k => names.IndexOf(k.Live)).ToList();
        var keyNames = staging.Key.Select(k => k.Live).ToList();
        var result = new List<RowPair>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var dump = ReadValues(reader, names, types, 1);
            RowValues? live = withLive ? ReadValues(reader, names, types, 1 + names.Count) : null;
            var key = new RowValues(keyNames, [.. keyIndexes.Select(dump.ValueAt)], [.. keyIndexes.Select(dump.TextAt)]);
            result.Add(new RowPair(reader.GetInt64(0), key, dump, live));
        }

        return result;
    }

    public async Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken)
    {
        if (instructions.WrittenClasses.Count == 0)
        {
            return null;
        }

        var classes = instructions.WrittenClasses.Select(c => $"'{c}'");

        var staging = Sql(staged);
        var references = foreignKey.Columns.Select(staging.Column).ToList();
        var command = new SqlCommand(SqlServerStatements.MissingParents(staging, references, parent.Name, foreignKey.ReferencedColumns, string.Join(", ", classes), every: unwritten is not null), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@parent", SqlDbType.NVarChar, 300) { Value = SqlServerStatements.Quote(parent.Name) });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var columns = staging.Key.Concat(references).ToList();
        long rows = 0;
        MissingParents? first = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var texts = columns.Select((c, i) => Plain(reader.GetValue(1 + i), c.Type)).ToList();
            if (unwritten is null)
            {
                return new MissingParents(reader.GetInt64(0), texts[..staging.Key.Count], texts[staging.Key.Count..]);
            }

            if (unwritten(texts[staging.Key.Count..]))
            {
                rows++;
                first ??= new MissingParents(0, texts[..staging.Key.Count], texts[staging.Key.Count..]);
            }
        }

        return first is null ? null : first with { Rows = rows };
    }

    private static RowValues ReadValues(DbDataReader reader, List<string> names, List<SqlServerType> types, int start)
    {
        var values = new object?[names.Count];
        var texts = new string?[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (reader.IsDBNull(start + i))
            {
                continue;
            }

            values[i] = reader.GetValue(start + i);
            texts[i] = Plain(values[i]!, types[i]);
        }

        return new RowValues(names, values, texts);
    }

    /// <summary>A value's text as the dump prints it, unescaped (a policy sees the value, not the row-text escapes).</summary>
    private static string Plain(object value, SqlServerType type) => type.Kind switch
    {
        SqlServerTypeKind.String => (string)value,
        SqlServerTypeKind.Xml => value is System.Data.SqlTypes.SqlXml xml ? xml.Value : (string)value,
        SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion => "\\x" + Convert.ToHexStringLower((byte[])value),
        _ => SqlServerValueText.Format(value, type),
    };

    /// <summary>Field <paramref name="ordinal"/> as an escaped row-text field, or null for NULL.</summary>
    private static string? Text(DbDataReader reader, int ordinal, SqlServerType type)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        SqlServerValueText.Append(reader.GetValue(ordinal), type, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public async Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        if (staging.Key.Count == 0)
        {
            return await ApplyWholeRowsAsync(staging, instructions, undo, cancellationToken).ConfigureAwait(false);
        }

        long inserted = 0, updated = 0, remapped = 0;
        if (instructions.InsertMissing)
        {
            remapped = instructions.Remapped
                ? await ScalarAsync($"SELECT COUNT_BIG(*) FROM {staging.Delta} WHERE sr_class = 'r';", cancellationToken).ConfigureAwait(false)
                : 0;
            var columns = SqlServerStatements.Inserted(staging);
            if (undo is not null)
            {
                await ExecuteAsync(SqlServerStatements.CreateOutput(staging.Output, columns), cancellationToken).ConfigureAwait(false);
            }

            inserted = await ScalarAsync(SqlServerStatements.Insert(staging, "'m', 'r'", undo is null ? null : staging.Output), cancellationToken).ConfigureAwait(false);
            if (undo is not null && inserted > 0)
            {
                await ExportUndoAsync(staging, columns, SqlServerUndo.DeleteInserted(staging), undo, cancellationToken).ConfigureAwait(false);
            }
        }

        if (SqlServerStatements.Updated(staging).Count > 0 && (instructions.UpdateConflicting || instructions.UpdateChosen))
        {
            var chosenOnly = !instructions.UpdateConflicting;
            var columns = SqlServerStatements.UpdateOutput(staging);
            if (undo is not null)
            {
                await ExecuteAsync(SqlServerStatements.CreateOutput(staging.Output, columns), cancellationToken).ConfigureAwait(false);
            }

            updated = await ScalarAsync(SqlServerStatements.Update(staging, chosenOnly, undo is null ? null : staging.Output), cancellationToken).ConfigureAwait(false);
            if (undo is not null && updated > 0)
            {
                await ExportUndoAsync(staging, columns, SqlServerUndo.RestoreValues(staging), undo, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ApplyCounts(inserted, updated, remapped);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params SqlParameter[] parameters)
    {
        var command = new SqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> ExecuteCountAsync(string sql, CancellationToken cancellationToken)
    {
        var command = new SqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of the last row of the last result set (statements that report a count end with one).</summary>
    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken, params SqlParameter[] parameters)
    {
        var command = new SqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddRange(parameters);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        long value = 0;
        do
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                value = reader.IsDBNull(0) ? 0 : System.Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            }
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        return value;
    }

    private static SqlParameter Name(string name, string value) => new(name, SqlDbType.NVarChar, 600) { Value = value };
}
