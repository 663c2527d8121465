using System.Buffers;
using System.Globalization;
using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// Undo scripts. Each write statement returns what it changed (inserted rows; the previous and the written values of
/// overwritten rows, the previous ones read through a second reference to the table) as COPY text straight into the
/// script, so values go back byte for byte and never pass through SQL literals. A block is a temp table, its COPY data
/// and a DO block that reverts only rows still exactly as the restore left them, and raises an error (so the script,
/// one transaction, undoes nothing) when any was changed since.
/// </summary>
internal sealed partial class PostgreSqlTarget
{
    public IUndoDialect UndoDialect => PostgreSqlUndoDialect.Instance;

    public async Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(
            Connection,
            $"""
            CREATE TABLE IF NOT EXISTS {PgSql.Quote(journal)} (
                fingerprint text NOT NULL, table_schema text NOT NULL, table_name text NOT NULL, entry text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (fingerprint, table_schema, table_name))
            """,
            cancellationToken).ConfigureAwait(false);
        var command = new NpgsqlCommand($"SELECT entry FROM {PgSql.Quote(journal)} WHERE fingerprint = $1 ORDER BY recorded_at", Connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = fingerprint });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var entries = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(reader.GetString(0));
        }

        return entries;
    }

    public async Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        if (mapping.Key.Count == 0)
        {
            // A row of a table without a key may have copies that were live before: its presence proves nothing.
            return [];
        }

        var keys = KeyStageColumns(mapping);

        // Rows this run inserted under their dump key, or overwrote, as they are now (in the run's own transaction).
        var sql = $"""
            SELECT {string.Join(", ", keys.Select(k => $"l.{PgSql.Quote(k.Live)}::text"))}, l::text
            FROM {Live(mapping.Live)} l JOIN pg_temp.{Pg(staged).DeltaName} d ON {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
            WHERE d.sr_class = 'm' OR d.sr_class IN ({UpdatedClasses(instructions)})
            LIMIT $1
            """;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var witnesses = new List<RowWitness>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            witnesses.Add(new RowWitness([.. Enumerable.Range(0, keys.Count).Select(reader.GetString)], reader.GetString(keys.Count)));
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

        // Values travel as text arrays and are cast by the key's type: never spliced into the SQL.
        var command = new NpgsqlCommand { Connection = Connection };
        await using var commandScope = command.ConfigureAwait(false);
        var columns = new List<string>();
        for (var i = 0; i < key.Count; i++)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = witnesses.Select(w => w.Key[i]).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            columns.Add("k" + (i + 1).ToString(CultureInfo.InvariantCulture));
        }

        command.Parameters.Add(new NpgsqlParameter { Value = witnesses.Select(w => w.Row).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.CommandText = $"""
            SELECT count(*)::int FROM unnest({string.Join(", ", Enumerable.Range(1, key.Count + 1).Select(i => "$" + i.ToString(CultureInfo.InvariantCulture)))}) AS w({string.Join(", ", columns)}, r)
            JOIN {Live(live)} l ON {string.Join(" AND ", key.Select((k, i) => $"l.{PgSql.Quote(k)} = w.{columns[i]}::{live.Find(k)!.DataType}"))} AND l::text = w.r
            """;
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<long> TransactionIdAsync(CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT pg_catalog.txid_current()", Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        var command = new NpgsqlCommand("SELECT pg_catalog.txid_status($1)", Connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = transactionId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) switch
        {
            "committed" => true,
            "aborted" => false,
            _ => null, // in progress, or too old for the commit log
        };
    }

    public async Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            $"""
            INSERT INTO {PgSql.Quote(journal)} (fingerprint, table_schema, table_name, entry) VALUES ($1, $2, $3, $4)
            ON CONFLICT (fingerprint, table_schema, table_name) DO UPDATE SET entry = EXCLUDED.entry, recorded_at = now()
            """,
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = fingerprint });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = entry });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static List<LiveColumn> KeyColumns(TableMapping mapping) => [.. mapping.Key.Select(k => mapping.Live.Find(k)!)];

    /// <summary>Every column an insert writes (the key first).</summary>
    private static List<LiveColumn> InsertedColumns(TableMapping mapping) =>
        [.. KeyColumns(mapping), .. WrittenColumns(mapping).Select(c => c.Column).Where(c => !mapping.Key.Contains(c.Name, StringComparer.Ordinal))];

    /// <summary>The columns an overwrite changes (key columns never change; identity ALWAYS and generated columns cannot be set).</summary>
    private static List<LiveColumn> UpdatedColumns(TableMapping mapping) =>
        [.. WrittenColumns(mapping).Select(c => c.Column).Where(c => !mapping.Key.Contains(c.Name, StringComparer.Ordinal) && c.Identity != IdentityColumn.Always)];

    /// <summary>The key columns, then the updated columns (their previous values).</summary>
    private static List<LiveColumn> UndoColumns(TableMapping mapping) => [.. KeyColumns(mapping), .. UpdatedColumns(mapping)];

    /// <summary>Rows inserted: block columns u1..un are the inserted values; rows still equal to them are deleted.</summary>
    private static (string Columns, string Apply) UndoDeleteInserted(TableMapping mapping)
    {
        var columns = InsertedColumns(mapping);
        var keys = columns.Take(mapping.Key.Count).ToList();
        var join = string.Join(" AND ", keys.Select((c, i) => $"t.{PgSql.Quote(c.Name)} = u.u{i + 1}"));
        var unchanged = Unchanged(columns, "u");
        return (
            BlockColumns(columns.Select((c, i) => ($"u{i + 1}", c.DataType))),
            Checked(mapping.Live, "inserted", $"DELETE FROM {Live(mapping.Live)} t USING pg_temp.sr_undo u WHERE {join} AND {unchanged}"));
    }

    /// <summary>Rows overwritten: block columns are the key (k), previous values (v) and written values (w); rows still at w get v back.</summary>
    private static (string Columns, string Apply) UndoRestoreValues(TableMapping mapping)
    {
        var keys = KeyColumns(mapping);
        var values = UpdatedColumns(mapping);
        var join = string.Join(" AND ", keys.Select((c, i) => $"t.{PgSql.Quote(c.Name)} = u.k{i + 1}"));
        return (
            BlockColumns(keys.Select((c, i) => ($"k{i + 1}", c.DataType)).Concat(values.Select((c, i) => ($"v{i + 1}", c.DataType))).Concat(values.Select((c, i) => ($"w{i + 1}", c.DataType)))),
            Checked(mapping.Live, "overwrote", $"UPDATE {Live(mapping.Live)} t SET {string.Join(", ", values.Select((c, i) => $"{PgSql.Quote(c.Name)} = u.v{i + 1}"))} FROM pg_temp.sr_undo u WHERE {join} AND {Unchanged(values, "w")}"));
    }

    private static string BlockColumns(IEnumerable<(string Name, string Type)> columns) => string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));

    /// <summary>The live row t still holds the values in block columns prefix1..n, compared as the classification compares.</summary>
    private static string Unchanged(List<LiveColumn> columns, string prefix) =>
        columns.Count == 0
            ? "true"
            : $"ROW({string.Join(", ", columns.Select(c => Comparable("t." + PgSql.Quote(c.Name), c)))}) IS NOT DISTINCT FROM ROW({string.Join(", ", columns.Select((c, i) => Comparable($"u.{prefix}{i + 1}", c)))})";

    /// <summary>A DO block that runs <paramref name="statement"/> and fails the script unless it touched every row of the block.</summary>
    private static string Checked(LiveTable live, string verb, string statement)
    {
        // Dollar-quote with a tag the statement cannot contain (identifiers from a dump could hold any text).
        var tag = "$sr$";
        for (var n = 0; statement.Contains(tag, StringComparison.Ordinal); n++)
        {
            tag = "$sr" + n.ToString(CultureInfo.InvariantCulture) + "$";
        }

        var name = ScriptText.Comment(live.Name.ToString()).Replace("'", "''", StringComparison.Ordinal); // one line, whatever the name holds
        return $"""
            DO {tag} DECLARE done bigint; expected bigint; BEGIN
                SELECT count(*) INTO expected FROM pg_temp.sr_undo;
                {statement};
                GET DIAGNOSTICS done = ROW_COUNT;
                IF done <> expected THEN
                    RAISE EXCEPTION 'undo: % of the % rows the restore {verb} in % were changed or deleted since; nothing was undone', expected - done, expected, '{name}';
                END IF;
            END {tag};
            """;
    }

    /// <summary>Runs a writing statement with RETURNING and streams its rows into an undo block; returns the rows written.</summary>
    private async Task<long> ExportUndoAsync(string statement, (string Columns, string Apply) block, TextWriter undo, CancellationToken cancellationToken)
    {
        long rows = 0;
        var reader = await Connection.BeginTextExportAsync($"COPY ({statement}) TO STDOUT", cancellationToken).ConfigureAwait(false);
        using (reader)
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (rows++ == 0)
                {
                    await undo.WriteAsync($"CREATE TEMP TABLE sr_undo ({block.Columns});\nCOPY pg_temp.sr_undo FROM stdin;\n").ConfigureAwait(false);
                }

                await undo.WriteAsync(line).ConfigureAwait(false);
                await undo.WriteAsync('\n').ConfigureAwait(false);
            }
        }

        if (rows > 0)
        {
            await undo.WriteAsync($"\\.\n{block.Apply}\nDROP TABLE pg_temp.sr_undo;\n").ConfigureAwait(false);
        }

        return rows;
    }

    private static string MergedOld(StagedTable staged) => Pg(staged).StageName + "_old";

    /// <summary>Before merged rows are written: their live values (the client holds them) go to a temp table, for the undo block.</summary>
    private async Task StageMergedOldValuesAsync(StagedTable staged, IEnumerable<RowValues> liveRows, CancellationToken cancellationToken)
    {
        var columns = UndoColumns(staged.Mapping);
        await ExecuteCountAsync(
            $"""
            CREATE TEMP TABLE IF NOT EXISTS {MergedOld(staged)} ({BlockColumns(columns.Select((c, i) => ($"x{i + 1}", c.DataType)))});
            DELETE FROM pg_temp.{MergedOld(staged)};
            """,
            cancellationToken).ConfigureAwait(false);
        var copy = await Connection.BeginTextImportAsync($"COPY pg_temp.{MergedOld(staged)} FROM STDIN", cancellationToken).ConfigureAwait(false);
        await using (copy.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>();
            foreach (var row in liveRows)
            {
                await copy.WriteAsync(CopyLine([.. columns.Select(c => row.GetText(c.Name))], buffer).AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>After merged rows are written: the undo block pairs their previous values with what they hold now.</summary>
    private async Task ExportMergedUndoAsync(StagedTable staged, TextWriter undo, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyColumns(mapping);
        var values = UpdatedColumns(mapping);
        var old = Enumerable.Range(1, keys.Count + values.Count).Select(i => "x." + "x" + i.ToString(CultureInfo.InvariantCulture));
        var select = $"""
            SELECT {string.Join(", ", old.Concat(values.Select(c => "t." + PgSql.Quote(c.Name))))}
            FROM pg_temp.{MergedOld(staged)} x JOIN {Live(mapping.Live)} t ON {string.Join(" AND ", keys.Select((c, i) => $"t.{PgSql.Quote(c.Name)} = x.x{i + 1}"))}
            """;
        await ExportUndoAsync(select, UndoRestoreValues(mapping), undo, cancellationToken).ConfigureAwait(false);
    }
}
