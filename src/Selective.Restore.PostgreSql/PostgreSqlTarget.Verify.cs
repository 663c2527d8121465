using Npgsql;
using Selective.Restore.Apply;
using Selective.Restore.Dump;
using Selective.Restore.Verify;

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

    public async Task<VerifyCounts> CompareAsync(StagedTable staged, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var live = Live(mapping.Live);
        var stage = $"pg_temp.{staged.StageName}";
        var keys = KeyStageColumns(mapping);
        var liveKeys = keys.Select(k => "l." + PgSql.Quote(k.Live)).ToList();
        var stageKeys = keys.Select(k => "s." + k.Stage).ToList();
        var join = string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = s.{k.Stage}"));
        var nullKey = string.Join(" OR ", stageKeys.Select(k => k + " IS NULL"));
        var differs = Differs(mapping, "s");

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
                LEFT JOIN (SELECT {string.Join(", ", stageKeys.Select((k, i) => $"{k} AS lo{i + 1}"))} FROM {stage} s WHERE NOT ({nullKey}) ORDER BY {ascending} LIMIT 1) a ON true
                LEFT JOIN (SELECT {string.Join(", ", stageKeys.Select((k, i) => $"{k} AS hi{i + 1}"))} FROM {stage} s WHERE NOT ({nullKey}) ORDER BY {descending} LIMIT 1) b ON true
                """;
            liveRange = $"""
                SELECT (SELECT {KeyText(liveKeys)} FROM {live} l ORDER BY {string.Join(", ", liveKeys)} LIMIT 1),
                       (SELECT {KeyText(liveKeys)} FROM {live} l ORDER BY {string.Join(", ", liveKeys.Select(k => k + " DESC"))} LIMIT 1)
                """;
            inRange = keys.Count == 1
                ? $"{liveKeys[0]} BETWEEN r.lo1 AND r.hi1"
                : $"ROW({string.Join(", ", liveKeys)}) >= ROW({string.Join(", ", lo)}) AND ROW({string.Join(", ", liveKeys)}) <= ROW({string.Join(", ", hi)})";
        }

        // The stage side is present when s.ctid is; the live side when its (NOT NULL) key is. NULL keys never join.
        var livePresent = liveKeys[0] + " IS NOT NULL";
        var stageKey = keys.Count == 1 ? stageKeys[0] : $"ROW({string.Join(", ", stageKeys)})";

        // Live keys are unique, so each stage row appears once in the join: the stage-side counts are exact. Duplicate
        // dump keys show up without a pass of their own: among missing rows as fewer distinct keys (a sort of the
        // missing keys only), among matched rows as live rows counted more than once (against the live row count).
        var sql = $"""
            WITH r AS MATERIALIZED ({dumpRange})
            SELECT count(*) FILTER (WHERE s.ctid IS NOT NULL AND ({nullKey})),
                   count(*) FILTER (WHERE s.ctid IS NOT NULL AND NOT ({nullKey}) AND NOT ({livePresent})),
                   count(*) FILTER (WHERE s.ctid IS NOT NULL AND {livePresent} AND {differs}),
                   count(*) FILTER (WHERE s.ctid IS NOT NULL AND {livePresent} AND NOT {differs}),
                   count(*) FILTER (WHERE s.ctid IS NULL),
                   count(*) FILTER (WHERE s.ctid IS NULL AND {inRange}),
                   (SELECT {KeyText(lo)} FROM r), (SELECT {KeyText(hi)} FROM r),
                   count(DISTINCT {stageKey}) FILTER (WHERE s.ctid IS NOT NULL AND NOT ({nullKey}) AND NOT ({livePresent})),
                   (SELECT count(*) FROM {live} l)
            FROM {stage} s FULL JOIN {live} l ON {join} CROSS JOIN r;
            {liveRange};
            """;

        return await GuardedAsync(
            async () =>
            {
                long nullKeys, missing, conflicting, identical, liveOnly, inDumpRange, missingKeys, liveRows;
                string? dumpMin, dumpMax, liveMin, liveMax;
                var command = new NpgsqlCommand(sql, Connection, _transaction);
                await using (command.ConfigureAwait(false))
                {
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using var readerScope = reader.ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    nullKeys = reader.GetInt64(0);
                    missing = reader.GetInt64(1);
                    conflicting = reader.GetInt64(2);
                    identical = reader.GetInt64(3);
                    liveOnly = reader.GetInt64(4);
                    inDumpRange = reader.GetInt64(5);
                    dumpMin = reader.IsDBNull(6) ? null : reader.GetString(6);
                    dumpMax = reader.IsDBNull(7) ? null : reader.GetString(7);
                    missingKeys = reader.GetInt64(8);
                    liveRows = reader.GetInt64(9);
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    liveMin = reader.IsDBNull(0) ? null : reader.GetString(0);
                    liveMax = reader.IsDBNull(1) ? null : reader.GetString(1);
                }

                if (missingKeys < missing || identical + conflicting + liveOnly > liveRows)
                {
                    // Rare: a key repeats. Rows repeated exactly count once (the staging is a temp table, writable in a
                    // read-only transaction), as in a restore; different rows under one key throw, naming one.
                    var removed = await RemoveRepeatedRowsAsync(staged, cancellationToken).ConfigureAwait(false);
                    if (removed == 0)
                    {
                        throw new InvalidOperationException($"repeated keys were counted in {mapping.Live.Name} but none was found; please report this");
                    }

                    staged.Repeats += removed;
                    return await CompareAsync(staged, cancellationToken).ConfigureAwait(false);
                }

                return new VerifyCounts(liveRows, missing, liveOnly, inDumpRange, identical, conflicting, nullKeys, dumpMin, dumpMax, liveMin, liveMax);
            },
            cancellationToken).ConfigureAwait(false);
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

    public Task<long> CountRowsAsync(Schema.LiveTable live, CancellationToken cancellationToken) =>
        GuardedAsync(() => ScalarAsync($"SELECT count(*) FROM {Live(live)}", cancellationToken), cancellationToken);

    public Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken) =>
        GuardedAsync(
            async () =>
            {
                var command = new NpgsqlCommand($"SELECT max({PgSql.Quote(column)})::bigint FROM {PgSql.Quote(table)}", Connection, _transaction);
                await using var commandScope = command.ConfigureAwait(false);
                var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return value is long max ? max : (long?)null;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="action"/> under a savepoint, so a failed statement does not abort the surrounding (read-only) transaction.</summary>
    private async Task<T> GuardedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
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
