using System.Globalization;
using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// The backup check's SQL: each staged table is compared with its live table in one statement (a FULL JOIN that also
/// yields the dump's key range and reveals duplicate dump keys) plus the live key range, read from the key's index;
/// all read-only and set-based on the server.
/// </summary>
internal sealed partial class PostgreSqlTarget : IVerifyTarget
{
    // Types with min()/max() aggregates (one pass, and an index scan on the live side); other key types are
    // ranged with ORDER BY ... LIMIT 1, which every btree-indexable type supports.
    private static readonly string[] MinMaxTypes =
    [
        "smallint", "integer", "bigint", "numeric", "text", "character varying", "character", "date", "oid",
        "timestamp without time zone", "timestamp with time zone", "time without time zone",
    ];

    private const string ListTablesSql = """
        SELECT n.nspname, c.relname, an.nspname, ac.relname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN LATERAL pg_catalog.pg_partition_ancestors(c.oid::regclass) p(relid) ON c.relispartition AND p.relid <> c.oid::regclass
        LEFT JOIN pg_catalog.pg_class ac ON ac.oid = p.relid
        LEFT JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace
        WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                          WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2
        """;

    private const string SequenceSql = """
        SELECT c.oid, q.seqincrement, pg_catalog.has_sequence_privilege(c.oid, 'SELECT')
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_sequence q ON q.seqrelid = c.oid
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'S'
        """;

    // Serial and identity columns own their sequence (pg_depend 'a'/'i'); a nextval() default depends on it.
    // Partitions are left out: their parent's maximum covers them.
    private const string SequenceColumnsSql = """
        SELECT tn.nspname, t.relname, a.attname, pg_catalog.has_column_privilege(t.oid, a.attnum, 'SELECT')
        FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = $1 AND d.refclassid = 'pg_catalog.pg_class'::regclass
          AND d.deptype IN ('a', 'i') AND t.relkind IN ('r', 'p') AND NOT t.relispartition
        UNION
        SELECT tn.nspname, t.relname, a.attname, pg_catalog.has_column_privilege(t.oid, a.attnum, 'SELECT')
        FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
        JOIN pg_catalog.pg_class t ON t.oid = ad.adrelid
        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = ad.adnum
        WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = $1
          AND t.relkind IN ('r', 'p') AND NOT t.relispartition
        ORDER BY 1, 2, 3
        """;

    public async Task<KeyRanges> CompareKeyRangesAsync(StagedTable staged, IRowLines dumpKeys, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var live = Live(mapping.Live);
        var stage = $"pg_temp.{Pg(staged).StageName}";
        var keys = KeyStageColumns(mapping);
        var liveKeys = keys.Select(k => "l." + PgSql.Quote(k.Live)).ToList();
        var stageKeys = keys.Select(k => "s." + k.Stage).ToList();

        // A single integer key orders as its numbers: the client finds the range while reading the keys once.
        if (keys.Count == 1 && IntegerTypes.Contains(mapping.Live.Find(keys[0].Live)!.DataType, StringComparer.Ordinal) && IntegerRange(dumpKeys) is var (min, max))
        {
            return await IntegerKeyRangesAsync(live, liveKeys[0], min, max, cancellationToken).ConfigureAwait(false);
        }

        // Otherwise the dump's keys, typed, in the staging table's key columns (a temp table: writable in a read-only
        // transaction), ordered by the server.
        await ExecuteAsync(Connection, $"DELETE FROM {stage}", cancellationToken).ConfigureAwait(false);
        if (dumpKeys.Rows > 0)
        {
            dumpKeys.Rewind();
            await CopyLinesAsync(
                Pg(staged).StageName,
                mapping,
                string.Join(", ", keys.Select(k => k.Stage)),
                new SpillLines(dumpKeys),
                where => $"the keys of {mapping.Live.Name}",
                (stagedRows, rows) => $"the server staged {stagedRows} keys of {mapping.Live.Name} where the engine sent {rows}",
                cancellationToken).ConfigureAwait(false);
        }

        var lo = Enumerable.Range(1, keys.Count).Select(i => "r.lo" + i).ToList();
        var hi = Enumerable.Range(1, keys.Count).Select(i => "r.hi" + i).ToList();
        string dumpRange, liveRange, inRange;
        if (keys.Count == 1 && HasMinMax(mapping.Live.Find(keys[0].Live)!.DataType))
        {
            dumpRange = $"SELECT min(s.{keys[0].Stage}) AS lo1, max(s.{keys[0].Stage}) AS hi1 FROM {stage} s";
            liveRange = $"SELECT min({liveKeys[0]})::text, max({liveKeys[0]})::text FROM {live} l";
            inRange = $"{liveKeys[0]} BETWEEN r.lo1 AND r.hi1";
        }
        else
        {
            // Composite keys (and types without min/max) in row order: the smallest and largest key as ORDER BY sees them.
            var ascending = string.Join(", ", stageKeys);
            var descending = string.Join(", ", stageKeys.Select(k => k + " DESC"));
            dumpRange = $"""
                SELECT {string.Join(", ", Enumerable.Range(1, keys.Count).Select(i => $"a.lo{i}").Concat(Enumerable.Range(1, keys.Count).Select(i => $"b.hi{i}")))} FROM (SELECT 1) x
                LEFT JOIN (SELECT {string.Join(", ", stageKeys.Select((k, i) => $"{k} AS lo{i + 1}"))} FROM {stage} s ORDER BY {ascending} LIMIT 1) a ON true
                LEFT JOIN (SELECT {string.Join(", ", stageKeys.Select((k, i) => $"{k} AS hi{i + 1}"))} FROM {stage} s ORDER BY {descending} LIMIT 1) b ON true
                """;
            liveRange = $"""
                SELECT (SELECT {KeyText(liveKeys)} FROM {live} l ORDER BY {string.Join(", ", liveKeys)} LIMIT 1),
                       (SELECT {KeyText(liveKeys)} FROM {live} l ORDER BY {string.Join(", ", liveKeys.Select(k => k + " DESC"))} LIMIT 1)
                """;
            inRange = keys.Count == 1
                ? $"{liveKeys[0]} BETWEEN r.lo1 AND r.hi1"
                : $"ROW({string.Join(", ", liveKeys)}) >= ROW({string.Join(", ", lo)}) AND ROW({string.Join(", ", liveKeys)}) <= ROW({string.Join(", ", hi)})";
        }

        // An index range scan where the key has an index (it is the primary key): no pass over the whole live table.
        var sql = $"""
            WITH r AS MATERIALIZED ({dumpRange})
            SELECT (SELECT {KeyText(lo)} FROM r), (SELECT {KeyText(hi)} FROM r), (SELECT count(*) FROM {live} l, r WHERE {inRange});
            {liveRange};
            """;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var dumpMin = reader.IsDBNull(0) ? null : reader.GetString(0);
            var dumpMax = reader.IsDBNull(1) ? null : reader.GetString(1);
            var inDumpRange = reader.GetInt64(2);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new KeyRanges(dumpMin, dumpMax, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), inDumpRange);
        }
    }

    /// <summary>The smallest and largest of integer keys (one field per line), or null when there are none.</summary>
    private static (long Min, long Max)? IntegerRange(IRowLines keys)
    {
        if (keys.Rows == 0)
        {
            return null;
        }

        long min = long.MaxValue, max = long.MinValue;
        keys.Rewind();
        while (keys.TryRead(out var line, out _, out _))
        {
            // The column's own type: the server read these values as integers when it confirmed the delta.
            if (!long.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key))
            {
                throw new RestoreTableException($"the dump has a key that is not an integer: {System.Text.Encoding.UTF8.GetString(line)}");
            }

            min = Math.Min(min, key);
            max = Math.Max(max, key);
        }

        return (min, max);
    }

    private async Task<KeyRanges> IntegerKeyRangesAsync(string live, string key, long min, long max, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            $"SELECT (SELECT count(*) FROM {live} l WHERE {key} BETWEEN $1 AND $2), min({key})::text, max({key})::text FROM {live} l",
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = min });
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new KeyRanges(
            min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture),
            reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(0));
    }

    public async Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken)
    {
        var rows = new List<(TableName Name, TableName? Ancestor)>();
        var command = new NpgsqlCommand(ListTablesSql, Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((new TableName(reader.GetString(0), reader.GetString(1)), reader.IsDBNull(2) ? null : new TableName(reader.GetString(2), reader.GetString(3))));
            }
        }

        return [.. rows.GroupBy(r => r.Name).Select(g => new LiveTableEntry(g.Key, [.. g.Where(r => r.Ancestor is not null).Select(r => r.Ancestor!.Value)]))];
    }

    public async Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken)
    {
        uint oid;
        long increment;
        bool readable;
        var command = new NpgsqlCommand(SequenceSql, Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = sequence.Schema });
            command.Parameters.Add(new NpgsqlParameter { Value = sequence.Name });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            oid = reader.GetFieldValue<uint>(0);
            increment = reader.GetInt64(1);
            readable = reader.GetBoolean(2);
        }

        long lastValue = 0;
        var isCalled = false;
        if (readable)
        {
            var valueCommand = new NpgsqlCommand($"SELECT last_value, is_called FROM {PgSql.Quote(sequence)}", Connection, _transaction);
            await using (valueCommand.ConfigureAwait(false))
            {
                var reader = await valueCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                lastValue = reader.GetInt64(0);
                isCalled = reader.GetBoolean(1);
            }
        }

        var columns = new List<SequenceColumn>();
        var columnsCommand = new NpgsqlCommand(SequenceColumnsSql, Connection, _transaction);
        await using (columnsCommand.ConfigureAwait(false))
        {
            columnsCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var reader = await columnsCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(new SequenceColumn(new TableName(reader.GetString(0), reader.GetString(1)), reader.GetString(2), reader.GetBoolean(3)));
            }
        }

        return new LiveSequence(sequence, increment, readable, lastValue, isCalled, columns);
    }

    public Task<long> CountRowsAsync(LiveTable live, CancellationToken cancellationToken) =>
        IsolatedAsync(() => ScalarAsync($"SELECT count(*) FROM {Live(live)}", cancellationToken), cancellationToken);

    public Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken) =>
        IsolatedAsync(
            async () =>
            {
                var command = new NpgsqlCommand($"SELECT max({PgSql.Quote(column)})::bigint FROM {PgSql.Quote(table)}", Connection, _transaction);
                await using var commandScope = command.ConfigureAwait(false);
                var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return value is long max ? max : (long?)null;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="action"/> under a savepoint, so a failed statement does not abort the surrounding (read-only) transaction.</summary>
    public async Task<T> IsolatedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        var transaction = _transaction;
        if (transaction is null)
        {
            return await action().ConfigureAwait(false);
        }

        await transaction.SaveAsync("sr_verify", cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await action().ConfigureAwait(false);
            await transaction.ReleaseAsync("sr_verify", cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !IsBroken)
        {
            await transaction.RollbackAsync("sr_verify", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static bool HasMinMax(string dataType)
    {
        var open = dataType.IndexOf('(', StringComparison.Ordinal);
        var close = dataType.IndexOf(')', StringComparison.Ordinal);
        var baseType = open > 0 && close > open ? (dataType[..open] + dataType[(close + 1)..]).Trim() : dataType;
        return MinMaxTypes.Contains(baseType, StringComparer.Ordinal);
    }

    /// <summary>A key as text: the value for one column, the row's text (e.g. <c>(1,a)</c>) for several; NULL when absent.</summary>
    private static string KeyText(List<string> columns) =>
        columns.Count == 1 ? columns[0] + "::text" : $"CASE WHEN {columns[0]} IS NULL THEN NULL ELSE ROW({string.Join(", ", columns)})::text END";
}
