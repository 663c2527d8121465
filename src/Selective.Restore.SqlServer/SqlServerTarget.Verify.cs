using System.Data;
using Microsoft.Data.SqlClient;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <content>
/// The backup check's reads: key ranges ordered by the server (under the key's collation), the tables, sequences,
/// counts and maxima; all read-only, a failed read isolated by a savepoint.
/// </content>
internal sealed partial class SqlServerTarget
{
    /// <summary>User tables (not the system's), every one a table that holds rows itself.</summary>
    internal const string ListTablesSql = """
        SELECT s.name, t.name FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
        WHERE t.is_ms_shipped = 0 ORDER BY s.name, t.name;
        """;

    /// <summary>A sequence's increment and position (@schema, @name; last_used_value is NULL until it hands a value out), then the columns whose default uses it.</summary>
    internal const string SequenceSql = """
        DECLARE @id int = (SELECT s.object_id FROM sys.sequences AS s JOIN sys.schemas AS sc ON sc.schema_id = s.schema_id
                           WHERE sc.name = @schema AND s.name = @name);
        SELECT CONVERT(bigint, s.increment), CONVERT(bigint, s.current_value), CONVERT(bit, CASE WHEN s.last_used_value IS NULL THEN 0 ELSE 1 END)
        FROM sys.sequences AS s WHERE s.object_id = @id;
        SELECT ts.name, t.name, c.name, CONVERT(bit, ISNULL(HAS_PERMS_BY_NAME(QUOTENAME(ts.name) + N'.' + QUOTENAME(t.name), N'OBJECT', N'SELECT', c.name, N'COLUMN'), 0))
        FROM sys.sql_expression_dependencies AS d
        JOIN sys.default_constraints AS dc ON dc.object_id = d.referencing_id
        JOIN sys.tables AS t ON t.object_id = dc.parent_object_id
        JOIN sys.schemas AS ts ON ts.schema_id = t.schema_id
        JOIN sys.columns AS c ON c.object_id = dc.parent_object_id AND c.column_id = dc.parent_column_id
        WHERE d.referenced_id = @id
        ORDER BY ts.name, t.name, c.name;
        """;

    public async Task<KeyRanges> CompareKeyRangesAsync(StagedTable staged, IRowLines dumpKeys, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var keys = staging.Key;
        var (text, typed) = KeyTables(staging);
        await ExecuteAsync(SqlServerStatements.CreateKeys(text, typed, keys), cancellationToken).ConfigureAwait(false);
        if (dumpKeys.Rows > 0)
        {
            dumpKeys.Rewind();
            var reader = new SqlServerDeltaReader(dumpKeys, keys);
            await using (reader.ConfigureAwait(false))
            {
                using var bulk = new SqlBulkCopy(Connection, SqlBulkCopyOptions.KeepNulls, _transaction) { DestinationTableName = text, BulkCopyTimeout = 0, EnableStreaming = true };
                await bulk.WriteToServerAsync(reader, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(SqlServerStatements.FillKeys(text, typed, keys), cancellationToken).ConfigureAwait(false);
        }

        var command = new SqlCommand(SqlServerStatements.KeyRanges(staging, typed), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var rowsScope = rows.ConfigureAwait(false);
        await rows.ReadAsync(cancellationToken).ConfigureAwait(false);
        var dumpMin = KeyText(rows, 0, keys);
        var dumpMax = KeyText(rows, keys.Count, keys);
        var liveMin = KeyText(rows, 2 * keys.Count, keys);
        var liveMax = KeyText(rows, 3 * keys.Count, keys);
        return new KeyRanges(dumpMin, dumpMax, liveMin, liveMax, rows.GetInt64(4 * keys.Count));
    }

    private static (string Text, string Typed) KeyTables(SqlServerStaging staging) => (staging.Text + "_keys", staging.Delta + "_keys");

    /// <summary>A key as text: the value for one column, <c>(v1,v2)</c> for several; null when absent.</summary>
    private static string? KeyText(SqlDataReader reader, int start, IReadOnlyList<SqlServerStageColumn> keys)
    {
        if (reader.IsDBNull(start))
        {
            return null;
        }

        var values = keys.Select((k, i) => reader.IsDBNull(start + i) ? string.Empty : Plain(reader.GetValue(start + i), k.Type)).ToList();
        return keys.Count == 1 ? values[0] : "(" + string.Join(",", values) + ")";
    }

    public async Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken)
    {
        var tables = new List<LiveTableEntry>();
        var command = new SqlCommand(ListTablesSql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(new LiveTableEntry(new TableName(reader.GetString(0), reader.GetString(1)), []));
        }

        return tables;
    }

    public async Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken)
    {
        var command = new SqlCommand(SequenceSql, Connection, _transaction) { Parameters = { Name("@schema", sequence.Schema), Name("@name", sequence.Name) } };
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var (increment, current, used) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetBoolean(2));
        var columns = new List<SequenceColumn>();
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns.Add(new SequenceColumn(new TableName(reader.GetString(0), reader.GetString(1)), reader.GetString(2), reader.GetBoolean(3)));
        }

        // current_value is the last value handed out, or the start value (not yet handed out) while last_used_value is NULL.
        return new LiveSequence(sequence, increment, Readable: true, current, used, columns);
    }

    public Task<long> CountRowsAsync(LiveTable live, CancellationToken cancellationToken) =>
        IsolatedAsync(() => ScalarAsync($"SELECT COUNT_BIG(*) FROM {SqlServerStatements.Quote(live.Name)};", cancellationToken), cancellationToken);

    public Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken) =>
        IsolatedAsync(
            async () =>
            {
                var command = new SqlCommand($"SELECT CONVERT(bigint, MAX({SqlServerStatements.Quote(column)})) FROM {SqlServerStatements.Quote(table)};", Connection, _transaction);
                await using var commandScope = command.ConfigureAwait(false);
                return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long max ? max : (long?)null;
            },
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="action"/> under a savepoint, so a failed statement leaves the surrounding transaction usable;
    /// an error that dooms the transaction (XACT_STATE() = -1) cannot be isolated and ends it.
    /// </summary>
    public async Task<T> IsolatedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        var transaction = _transaction;
        if (transaction is null)
        {
            return await action().ConfigureAwait(false);
        }

        // SqlTransaction's own savepoint calls (its async ones are the base class's, which SqlClient may not implement).
        transaction.Save("sr_verify");
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !IsBroken && transaction.Connection is not null)
        {
            transaction.Rollback("sr_verify");
            throw;
        }
    }
}
