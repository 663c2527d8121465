using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <content>
/// Identity facts, the engine's edits (one prepared statement, in the process), new keys from the rowid, reseeding
/// <c>sqlite_sequence</c>, merged rows, the journal, witnesses and verify's reads.
/// </content>
internal sealed partial class SqliteTarget
{
    public async IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var live = SqliteSql.Quote(staging.Mapping.Live.Name);
        var id = identity.Select(staging.Column).ToList();
        var sameIdentity = string.Join(" AND ", id.Select(c => $"i.{SqliteSql.Quote(c.Live)} = d.{c.Stage}"));
        var command = Command($"""
            SELECT d.sr_n, d.sr_class = 'c', {string.Join(" OR ", id.Select(c => $"d.{c.Stage} IS NULL"))},
                   d.sr_class = 'c' AND ({string.Join(" OR ", id.Select(c => $"l.{SqliteSql.Quote(c.Live)} IS NULL"))}),
                   coalesce({string.Join(" AND ", id.Select(c => $"d.{c.Stage} = l.{SqliteSql.Quote(c.Live)}"))}, 0),
                   (SELECT count(*) FROM {live} AS i WHERE {sameIdentity}){string.Concat(staging.Key.Select(k => ", d." + k.Stage))}
                   {string.Concat(staging.Key.Select(k => $", (SELECT i.{SqliteSql.Quote(k.Live)} FROM {live} AS i WHERE {sameIdentity} LIMIT 1)"))}
            FROM temp.{staging.Delta} AS d
            LEFT JOIN {live} AS l ON d.sr_class = 'c' AND {KeyJoin(staging, "l", "d")}
            WHERE d.sr_class IN ('m', 'c')
            ORDER BY d.sr_n;
            """);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var keys = staging.Key.Count;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var liveCount = reader.GetInt64(5);
            var key = string.Join('\t', Enumerable.Range(6, keys).Select(i => Field(reader.IsDBNull(i) ? null : reader.GetValue(i))));
            var liveKey = liveCount == 1 ? string.Join('\t', Enumerable.Range(6 + keys, keys).Select(i => Field(reader.IsDBNull(i) ? null : reader.GetValue(i)))) : null;
            yield return new IdentityFacts(reader.GetInt64(0), key, reader.GetInt64(1) == 1, reader.GetInt64(2) == 1, reader.GetInt64(3) == 1, reader.GetInt64(4) == 1, liveCount, liveKey);
        }
    }

    public async Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var keys = staging.Key;
        var command = Command(
            $"UPDATE temp.{staging.Delta} SET sr_class = @class{string.Concat(keys.Select((k, i) => $", {k.Stage} = CASE WHEN @class = 'r' THEN @k{i} ELSE {k.Stage} END"))} WHERE sr_n = @n;");
        await using var commandScope = command.ConfigureAwait(false);
        var position = command.Parameters.Add("@n", SqliteType.Integer);
        var to = command.Parameters.Add("@class", SqliteType.Text);
        var values = keys.Select((_, i) => command.Parameters.Add("@k" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Blob)).ToArray();
        command.Prepare();
        foreach (var (at, @class, key) in rows.Read())
        {
            position.Value = at;
            to.Value = @class switch
            {
                DeltaClass.Collision => "k",
                DeltaClass.Undetermined => "u",
                DeltaClass.Relocated => "o",
                DeltaClass.Remapped => "r",
                DeltaClass.HeldBack => "h",
                DeltaClass.Excluded => "x",
                DeltaClass.Skipped => "s",
                DeltaClass.Overwrite => "t",
                _ => throw new ArgumentOutOfRangeException(nameof(rows), @class, "not a class the engine reclassifies to"),
            };
            var decoded = @class == DeltaClass.Remapped ? DeltaEdits.Decode(key!) : null;
            for (var i = 0; i < values.Length; i++)
            {
                values[i].Value = decoded is null ? DBNull.Value : EditValue(decoded[i]);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var stage = columns.Select(staging.Column).ToList();
        var command = Command($"UPDATE temp.{staging.Delta} SET {string.Join(", ", stage.Select((c, i) => $"{c.Stage} = @v{i}"))} WHERE sr_n = @n;");
        await using var commandScope = command.ConfigureAwait(false);
        var position = command.Parameters.Add("@n", SqliteType.Integer);
        var values = stage.Select((_, i) => command.Parameters.Add("@v" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Blob)).ToArray();
        command.Prepare();
        foreach (var (at, _, raw) in rows.Read())
        {
            position.Value = at;
            var decoded = DeltaEdits.Decode(raw!);
            for (var i = 0; i < values.Length; i++)
            {
                values[i].Value = EditValue(decoded[i]);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A value an edit sets (a decoded row-text field in <see cref="SqliteText"/>'s form) as the value it stands for.</summary>
    private static object EditValue(string? field) => SqliteText.Parse(field) ?? DBNull.Value;

    public Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        return OpenRowsAsync(
            $"SELECT sr_n{string.Concat(columns.Select(c => ", " + staging.Column(c).Stage))} FROM temp.{staging.Delta} WHERE sr_class IN ('m', 'c', 'r', 't') ORDER BY sr_n;",
            cancellationToken);
    }

    public async Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var command = Command(
            $"DELETE FROM temp.{staging.Delta} AS d WHERE d.sr_class IN ('c', 't') AND EXISTS (SELECT 1 FROM {SqliteSql.Quote(staging.Mapping.Live.Name)} AS l WHERE {KeyJoin(staging, "l", "d")} AND {AllSame(staging, "d", "l")});");
        await using var commandScope = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var shape = staging.Shape;
        if (staging.Key.Count != 1 || !string.Equals(staging.Key[0].Live, shape.RowidAlias, StringComparison.Ordinal))
        {
            throw new RestoreTableException(
                $"{count} rows must be remapped to new keys, but the key ({string.Join(", ", staging.Key.Select(k => k.Live))}) is not an INTEGER PRIMARY KEY (the rowid, which SQLite numbers); restore with collisions skipped or failed instead");
        }

        // New keys start above every key live, staged (remapped ones too), and (AUTOINCREMENT) ever handed out;
        // AUTOINCREMENT then records them, except for a plan's preview, which writes nothing.
        var key = staging.Key[0];
        var table = staging.Mapping.Live.Name;
        var sequence = shape.Autoincrement
            ? $", (SELECT seq FROM {SqliteSql.Quote(SqliteSql.Database(table))}.sqlite_sequence WHERE name = @table)"
            : string.Empty;
        long start;
        var command = Command($"SELECT max(coalesce((SELECT max({SqliteSql.Quote(key.Live)}) FROM {SqliteSql.Quote(table)}), 0), coalesce((SELECT max({key.Stage}) FROM temp.{staging.Delta} WHERE typeof({key.Stage}) = 'integer'), 0){sequence});");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("@table", table.Name);
            start = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (shape.Autoincrement && !preview)
        {
            var record = Command($"""
                UPDATE {SqliteSql.Quote(SqliteSql.Database(table))}.sqlite_sequence SET seq = @seq WHERE name = @table;
                INSERT INTO {SqliteSql.Quote(SqliteSql.Database(table))}.sqlite_sequence (name, seq) SELECT @table, @seq WHERE changes() = 0;
                """);
            await using var recordScope = record.ConfigureAwait(false);
            record.Parameters.AddWithValue("@table", table.Name);
            record.Parameters.AddWithValue("@seq", start + count);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        for (long i = 1; i <= count; i++)
        {
            yield return SqliteText.Integer(start + i);
        }
    }

    public async Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken)
    {
        // Only AUTOINCREMENT keeps a position (sqlite_sequence); a plain rowid is always max + 1. SQLite moves it past
        // explicit keys itself, so this finds nothing to do unless the sequence was edited by hand.
        var shape = await ShapeAsync(live.Name, cancellationToken).ConfigureAwait(false);
        if (!shape.Autoincrement)
        {
            return [];
        }

        var database = SqliteSql.Quote(SqliteSql.Database(live.Name));
        var command = Command($"""
            SELECT (SELECT max({SqliteSql.Quote(shape.RowidAlias!)}) FROM {SqliteSql.Quote(live.Name)}), (SELECT seq FROM {database}.sqlite_sequence WHERE name = @table);
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@table", live.Name.Name);
        long? max, seq;
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            max = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            seq = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        if (max is not { } m || (seq is { } s && s >= m))
        {
            return [];
        }

        var update = Command($"""
            UPDATE {database}.sqlite_sequence SET seq = @seq WHERE name = @table;
            INSERT INTO {database}.sqlite_sequence (name, seq) SELECT @table, @seq WHERE changes() = 0;
            """);
        await using var updateScope = update.ConfigureAwait(false);
        update.Parameters.AddWithValue("@table", live.Name.Name);
        update.Parameters.AddWithValue("@seq", m);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return [$"sqlite_sequence of {live.Name} moved from {seq?.ToString(CultureInfo.InvariantCulture) ?? "(none)"} to {m.ToString(CultureInfo.InvariantCulture)} (max {shape.RowidAlias}) so new rows cannot reuse restored IDs"];
    }

    public async Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        if (rows.Count == 0)
        {
            return 0;
        }

        var live = staging.Mapping.Live;
        if (undo is not null)
        {
            // The values the rows have now (the client holds them), for the undo block.
            await ExecuteAsync(
                $"DROP TABLE IF EXISTS temp.{staging.Old}; CREATE TEMP TABLE {staging.Old} ({string.Join(", ", staging.Key.Concat(staging.Compared).Select((_, i) => "o" + (i + 1).ToString(CultureInfo.InvariantCulture)))});",
                cancellationToken).ConfigureAwait(false);
            var columns = staging.Key.Concat(staging.Compared).ToList();
            var keep = Command($"INSERT INTO temp.{staging.Old} VALUES ({string.Join(", ", columns.Select((_, i) => "@o" + i.ToString(CultureInfo.InvariantCulture)))});");
            await using var keepScope = keep.ConfigureAwait(false);
            foreach (var (_, _, liveRow) in rows)
            {
                keep.Parameters.Clear();
                for (var i = 0; i < columns.Count; i++)
                {
                    keep.Parameters.AddWithValue("@o" + i.ToString(CultureInfo.InvariantCulture), liveRow[columns[i].Live] ?? DBNull.Value);
                }

                await keep.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        long affected = 0;
        foreach (var (key, values, _) in rows)
        {
            var sets = new List<string>();
            var command = Command(string.Empty);
            await using var commandScope = command.ConfigureAwait(false);
            foreach (var (name, value) in values)
            {
                var column = live.Find(name) ?? throw new RestoreTableException($"a merged row sets column '{name}', which {live.Name} does not have");
                if (staging.Key.Any(k => string.Equals(k.Live, name, StringComparison.Ordinal)))
                {
                    throw new RestoreTableException($"a merged row may not change key column '{name}'");
                }

                if (column.IsGenerated)
                {
                    throw new RestoreTableException($"a merged row may not set generated column '{name}'");
                }

                var parameter = "@p" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(parameter, value ?? DBNull.Value);
                sets.Add($"{SqliteSql.Quote(name)} = {parameter}");
            }

            if (sets.Count == 0)
            {
                continue;
            }

            var where = new List<string>();
            for (var i = 0; i < staging.Key.Count; i++)
            {
                var parameter = "@p" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(parameter, key.ValueAt(i) ?? DBNull.Value);
                where.Add($"{SqliteSql.Quote(staging.Key[i].Live)} = {parameter}");
            }

            command.CommandText = $"UPDATE {SqliteSql.Quote(live.Name)} SET {string.Join(", ", sets)} WHERE {string.Join(" AND ", where)};";
            affected += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (undo is not null && affected > 0)
        {
            await ExportOverwrittenAsync(staging, undo, cancellationToken).ConfigureAwait(false);
        }

        return affected;
    }

    public async Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(
            $"""
            CREATE TABLE IF NOT EXISTS {SqliteSql.Quote(journal)} (
                fingerprint TEXT NOT NULL, table_schema TEXT NOT NULL, table_name TEXT NOT NULL, entry TEXT NOT NULL,
                transaction_id INTEGER NOT NULL, recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                PRIMARY KEY (fingerprint, table_schema, table_name));
            """,
            cancellationToken).ConfigureAwait(false);
        var command = Command($"SELECT entry FROM {SqliteSql.Quote(journal)} WHERE fingerprint = @fingerprint ORDER BY recorded_at;");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@fingerprint", fingerprint);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var entries = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(reader.GetString(0));
        }

        _journal = journal;
        return entries;
    }

    private TableName? _journal;

    // SQLite has no transaction ids: each transaction draws one, and its journal rows carry it.
    public Task<long> TransactionIdAsync(CancellationToken cancellationToken) => Task.FromResult(_transactionId);

    public async Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken)
    {
        if (_journal is not { } journal)
        {
            return null;
        }

        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        // The journal row is written in the table's transaction: it exists exactly when that transaction committed,
        // and the database file holds no transaction of ours still running once the connection is gone.
        var command = Command($"SELECT EXISTS (SELECT 1 FROM {SqliteSql.Quote(journal)} WHERE transaction_id = @id);");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@id", transactionId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    public async Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken)
    {
        var command = Command($"""
            INSERT INTO {SqliteSql.Quote(journal)} (fingerprint, table_schema, table_name, entry, transaction_id) VALUES (@fingerprint, @schema, @table, @entry, @id)
            ON CONFLICT (fingerprint, table_schema, table_name) DO UPDATE SET entry = excluded.entry, transaction_id = excluded.transaction_id, recorded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@fingerprint", fingerprint);
        command.Parameters.AddWithValue("@schema", table.Schema);
        command.Parameters.AddWithValue("@table", table.Name);
        command.Parameters.AddWithValue("@entry", entry);
        command.Parameters.AddWithValue("@id", _transactionId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        if (staging.Key.Count == 0)
        {
            return []; // a row of a table without a key may have copies that were live before: its presence proves nothing
        }

        var all = staging.Shape.Table.Columns;
        var classes = instructions.UpdateConflicting ? "'m', 'c', 't'" : "'m', 't'";
        var command = Command($"""
            SELECT {string.Join(", ", staging.Key.Select(k => "l." + SqliteSql.Quote(k.Live)).Concat(all.Select(c => "l." + SqliteSql.Quote(c.Name))))}
            FROM {SqliteSql.Quote(staging.Mapping.Live.Name)} AS l JOIN temp.{staging.Delta} AS d ON {KeyJoin(staging, "l", "d")}
            WHERE d.sr_class IN ({classes}) LIMIT @max;
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("@max", max);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var witnesses = new List<RowWitness>();
        var k = staging.Key.Count;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            witnesses.Add(new RowWitness(
                [.. Enumerable.Range(0, k).Select(i => Field(reader.IsDBNull(i) ? null : reader.GetValue(i)))],
                string.Join('\t', Enumerable.Range(k, all.Count).Select(i => Field(reader.IsDBNull(i) ? null : reader.GetValue(i))))));
        }

        return witnesses;
    }

    public async Task<int> CountWitnessesAsync(LiveTable live, IReadOnlyList<string> key, IReadOnlyList<RowWitness> witnesses, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        if (witnesses.Count == 0 || key.Count == 0 || key.Any(k => live.Find(k) is null) || witnesses.Any(w => w.Key.Count != key.Count))
        {
            return 0;
        }

        var count = 0;
        foreach (var witness in witnesses)
        {
            var command = Command($"SELECT {string.Join(", ", live.Columns.Select(c => SqliteSql.Quote(c.Name)))} FROM {SqliteSql.Quote(live.Name)} WHERE {string.Join(" AND ", key.Select((k, i) => $"{SqliteSql.Quote(k)} = @k{i}"))};");
            await using var commandScope = command.ConfigureAwait(false);
            for (var i = 0; i < key.Count; i++)
            {
                command.Parameters.AddWithValue("@k" + i.ToString(CultureInfo.InvariantCulture), SqliteText.Parse(CopyText.Decode(Encoding.UTF8.GetBytes(witness.Key[i]))) ?? DBNull.Value);
            }

            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                && string.Equals(string.Join('\t', Enumerable.Range(0, reader.FieldCount).Select(i => Field(reader.IsDBNull(i) ? null : reader.GetValue(i)))), witness.Row, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    public async Task<KeyRanges> CompareKeyRangesAsync(StagedTable staged, IRowLines dumpKeys, CancellationToken cancellationToken)
    {
        var staging = Lite(staged);
        var keys = staging.Key;
        var table = "sr_keys_" + staging.Delta["sr_delta_".Length..];
        var columns = string.Join(", ", keys.Select((_, i) => "k" + (i + 1).ToString(CultureInfo.InvariantCulture)));
        await ExecuteAsync($"DROP TABLE IF EXISTS temp.{table}; CREATE TEMP TABLE {table} ({columns});", cancellationToken).ConfigureAwait(false);
        var insert = Command($"INSERT INTO temp.{table} VALUES ({string.Join(", ", keys.Select((_, i) => "@k" + i.ToString(CultureInfo.InvariantCulture)))});");
        await using (insert.ConfigureAwait(false))
        {
            var parameters = keys.Select((_, i) => insert.Parameters.Add("@k" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Blob)).ToArray();
            dumpKeys.Rewind();
            while (dumpKeys.TryRead(out var line, out var lineNumber, out _))
            {
                var fields = Encoding.UTF8.GetString(line).Split('\t');
                for (var i = 0; i < parameters.Length; i++)
                {
                    parameters[i].Value = i < fields.Length ? SqliteText.Parse(CopyText.Decode(Encoding.UTF8.GetBytes(fields[i]))) ?? DBNull.Value : DBNull.Value;
                }

                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var live = SqliteSql.Quote(staging.Mapping.Live.Name);
        var liveKeys = keys.Select(k => "l." + SqliteSql.Quote(k.Live)).ToList();
        var ks = keys.Select((_, i) => "k" + (i + 1).ToString(CultureInfo.InvariantCulture)).ToList();
        var (dumpMin, dumpMax) = (await RowAsync($"SELECT {columns} FROM temp.{table} ORDER BY {columns} LIMIT 1;", cancellationToken).ConfigureAwait(false),
            await RowAsync($"SELECT {columns} FROM temp.{table} ORDER BY {string.Join(", ", ks.Select(k => k + " DESC"))} LIMIT 1;", cancellationToken).ConfigureAwait(false));
        var liveMin = await RowAsync($"SELECT {string.Join(", ", liveKeys)} FROM {live} AS l ORDER BY {string.Join(", ", liveKeys)} LIMIT 1;", cancellationToken).ConfigureAwait(false);
        var liveMax = await RowAsync($"SELECT {string.Join(", ", liveKeys)} FROM {live} AS l ORDER BY {string.Join(", ", liveKeys.Select(k => k + " DESC"))} LIMIT 1;", cancellationToken).ConfigureAwait(false);
        long inRange = 0;
        if (dumpMin is not null && dumpMax is not null)
        {
            // Row values compare in tuple order, as ORDER BY orders keys.
            var lo = string.Join(", ", ks.Select(k => "@lo" + k));
            var hi = string.Join(", ", ks.Select(k => "@hi" + k));
            var command = Command($"SELECT count(*) FROM {live} AS l WHERE ({string.Join(", ", liveKeys)}) >= ({lo}) AND ({string.Join(", ", liveKeys)}) <= ({hi});");
            await using var commandScope = command.ConfigureAwait(false);
            for (var i = 0; i < ks.Count; i++)
            {
                command.Parameters.AddWithValue("@lo" + ks[i], dumpMin[i] ?? DBNull.Value);
                command.Parameters.AddWithValue("@hi" + ks[i], dumpMax[i] ?? DBNull.Value);
            }

            inRange = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        return new KeyRanges(KeyText(dumpMin), KeyText(dumpMax), KeyText(liveMin), KeyText(liveMax), inRange);
    }

    private static string? KeyText(object?[]? key) =>
        key is null ? null : key.Length == 1 ? (key[0] is null ? null : Plain(key[0]!)) : "(" + string.Join(",", key.Select(v => v is null ? string.Empty : Plain(v))) + ")";

    private async Task<object?[]?> RowAsync(string sql, CancellationToken cancellationToken)
    {
        var command = Command(sql);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return [.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))];
    }

    public async Task<IReadOnlyList<LiveTableEntry>> ListTablesAsync(CancellationToken cancellationToken)
    {
        var command = Command("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;");
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var tables = new List<LiveTableEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(new LiveTableEntry(new TableName("main", reader.GetString(0)), []));
        }

        return tables;
    }

    // SQLite has no sequences: AUTOINCREMENT keeps one number per table, which ReseedAsync looks after.
    public Task<LiveSequence?> ReadSequenceAsync(TableName sequence, CancellationToken cancellationToken) => Task.FromResult<LiveSequence?>(null);

    public Task<long> CountRowsAsync(LiveTable live, CancellationToken cancellationToken) =>
        IsolatedAsync(() => ScalarAsync($"SELECT count(*) FROM {SqliteSql.Quote(live.Name)};", cancellationToken), cancellationToken);

    public Task<long?> MaxValueAsync(TableName table, string column, CancellationToken cancellationToken) =>
        IsolatedAsync(
            async () =>
            {
                var command = Command($"SELECT max({SqliteSql.Quote(column)}) FROM {SqliteSql.Quote(table)};");
                await using var commandScope = command.ConfigureAwait(false);
                return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long max ? max : (long?)null;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="action"/> under a savepoint, so a failed statement leaves the surrounding transaction usable.</summary>
    public async Task<T> IsolatedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        if (_transaction is null)
        {
            return await action().ConfigureAwait(false);
        }

        await ExecuteAsync("SAVEPOINT sr_verify;", cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await action().ConfigureAwait(false);
            await ExecuteAsync("RELEASE sr_verify;", cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !IsBroken)
        {
            await ExecuteAsync("ROLLBACK TO sr_verify; RELEASE sr_verify;", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
