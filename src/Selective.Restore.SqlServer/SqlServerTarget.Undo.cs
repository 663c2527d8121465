using System.Data;
using System.Globalization;
using Microsoft.Data.SqlClient;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <content>
/// Undo blocks (each write's OUTPUT rows, read back from their temp table into the script), merged rows, the journal
/// and the witnesses a resumed run checks.
/// </content>
internal sealed partial class SqlServerTarget
{
    private (TableName Journal, string Fingerprint)? _journal;

    /// <summary>Reads a write's OUTPUT rows (<paramref name="columns"/>, o1..on) into an undo block, <see cref="SqlServerUndo.RowsPerInsert"/> rows per INSERT.</summary>
    private async Task ExportUndoAsync(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> columns, SqlServerUndo.Block block, TextWriter undo, CancellationToken cancellationToken)
    {
        var command = new SqlCommand($"SELECT {string.Join(", ", columns.Select((_, i) => "o" + (i + 1).ToString(CultureInfo.InvariantCulture)))} FROM {staging.Output};", Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await undo.WriteAsync(SqlServerUndo.Open(columns)).ConfigureAwait(false);
        var rows = new List<string>(SqlServerUndo.RowsPerInsert);
        var values = new object?[columns.Count];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < columns.Count; i++)
            {
                values[i] = await reader.IsDBNullAsync(i, cancellationToken).ConfigureAwait(false) ? null : SqlServerUndo.Field(reader.GetValue(i), columns[i].Type);
            }

            rows.Add(SqlServerUndo.Row(values));
            if (rows.Count == SqlServerUndo.RowsPerInsert)
            {
                await undo.WriteAsync(SqlServerUndo.Values(rows)).ConfigureAwait(false);
                rows.Clear();
            }
        }

        if (rows.Count > 0)
        {
            await undo.WriteAsync(SqlServerUndo.Values(rows)).ConfigureAwait(false);
        }

        await undo.WriteAsync(SqlServerUndo.Close(columns, block, staging.Mapping.Live)).ConfigureAwait(false);
    }

    public async Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        if (rows.Count == 0)
        {
            return 0;
        }

        var output = SqlServerStatements.UpdateOutput(staging);
        if (undo is not null)
        {
            await ExecuteAsync(SqlServerStatements.CreateOutput(staging.Output, output), cancellationToken).ConfigureAwait(false);
        }

        // Statements share a command until it nears SQL Server's 2100 parameters.
        long affected = 0;
        var command = NewMergeCommand();
        foreach (var (key, values, _) in rows)
        {
            var statement = MergeStatement(staging, key, values, command, undo is null ? null : staging.Output);
            if (statement is null)
            {
                continue;
            }

            command.CommandText += statement;
            if (command.Parameters.Count > 1900)
            {
                affected += await RunMergeAsync(command, cancellationToken).ConfigureAwait(false);
                command = NewMergeCommand();
            }
        }

        affected += await RunMergeAsync(command, cancellationToken).ConfigureAwait(false);
        if (undo is not null && affected > 0)
        {
            await ExportUndoAsync(staging, output, SqlServerUndo.RestoreValues(staging), undo, cancellationToken).ConfigureAwait(false);
        }

        return affected;
    }

    private SqlCommand NewMergeCommand() => new("DECLARE @rows bigint = 0;\n", Connection, _transaction);

    private static async Task<long> RunMergeAsync(SqlCommand command, CancellationToken cancellationToken)
    {
        await using var commandScope = command.ConfigureAwait(false);
        if (command.Parameters.Count == 0)
        {
            return 0;
        }

        command.CommandText += "SELECT @rows;";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>One merged row's UPDATE (values and key as parameters), adding its rows to @rows; null when it sets nothing.</summary>
    internal static string? MergeStatement(SqlServerStaging staging, RowValues key, IReadOnlyDictionary<string, object?> values, SqlCommand command, string? output)
    {
        var live = staging.Mapping.Live;
        var sets = new List<string>();
        var parameters = new List<SqlParameter>();
        foreach (var (name, value) in values)
        {
            var column = live.Find(name) ?? throw new RestoreTableException($"a merged row sets column '{name}', which {live.Name} does not have");
            if (staging.Key.Any(k => string.Equals(k.Live, name, StringComparison.Ordinal)))
            {
                throw new RestoreTableException($"a merged row may not change key column '{name}'");
            }

            if (column.IsGenerated || column.Identity == IdentityColumn.Always)
            {
                throw new RestoreTableException($"a merged row may not set {(column.IsGenerated ? "generated" : "IDENTITY")} column '{name}'");
            }

            var stage = staging.Column(name);
            var parameter = "@p" + (command.Parameters.Count + parameters.Count).ToString(CultureInfo.InvariantCulture);
            parameters.Add(Typed(parameter, value, stage));
            sets.Add($"{SqlServerStatements.Quote(name)} = {(value is string ? SqlServerStatements.Convert(parameter, stage) : parameter)}");
        }

        if (sets.Count == 0)
        {
            return null;
        }

        var where = new List<string>();
        for (var i = 0; i < staging.Key.Count; i++)
        {
            var parameter = "@p" + (command.Parameters.Count + parameters.Count).ToString(CultureInfo.InvariantCulture);
            parameters.Add(Typed(parameter, KeyValue(key.TextAt(i), staging.Key[i]), staging.Key[i]));
            where.Add($"{SqlServerStatements.Quote(staging.Key[i].Live)} = {SqlServerStatements.Convert(parameter, staging.Key[i])}");
        }

        command.Parameters.AddRange([.. parameters]);
        var updated = SqlServerStatements.Updated(staging);
        var into = output is null
            ? string.Empty
            : $" OUTPUT {string.Join(", ", staging.Key.Select(c => "deleted." + SqlServerStatements.Quote(c.Live)).Concat(updated.Select(c => "deleted." + SqlServerStatements.Quote(c.Live))).Concat(updated.Select(c => "inserted." + SqlServerStatements.Quote(c.Live))))} INTO {output}";
        return $"UPDATE {SqlServerStatements.Quote(live.Name)} SET {string.Join(", ", sets)}{into} WHERE {string.Join(" AND ", where)};\nSET @rows += @@ROWCOUNT;\n";
    }

    /// <summary>A key value's text as it travels: bytes for a binary key.</summary>
    private static object? KeyValue(string? text, SqlServerStageColumn column) =>
        text is not null && column.Type.Kind is SqlServerTypeKind.Binary && text.StartsWith("\\x", StringComparison.Ordinal) ? Convert.FromHexString(text.AsSpan(2)) : text;

    /// <summary>
    /// A parameter for a value a policy set: text goes as nvarchar and is converted by the server like staged text;
    /// dates and times go as the SQL types that keep their precision (a DateTime would be inferred as datetime).
    /// </summary>
    private static SqlParameter Typed(string name, object? value, SqlServerStageColumn column)
    {
        var parameter = new SqlParameter(name, value ?? DBNull.Value);
        switch (value)
        {
            case string:
                parameter.SqlDbType = SqlDbType.NVarChar;
                parameter.Size = -1;
                break;
            case byte[]:
                parameter.SqlDbType = SqlDbType.VarBinary;
                parameter.Size = -1;
                break;
            case DateTime:
                parameter.SqlDbType = column.Type.Kind == SqlServerTypeKind.Date ? SqlDbType.Date : SqlDbType.DateTime2;
                break;
            case DateTimeOffset:
                parameter.SqlDbType = SqlDbType.DateTimeOffset;
                break;
            case TimeSpan:
                parameter.SqlDbType = SqlDbType.Time;
                break;
        }

        return parameter;
    }

    public async Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        _journal = (journal, fingerprint);
        await ExecuteAsync(SqlServerJournal.Create(journal), cancellationToken, Name("@journal", SqlServerStatements.Quote(journal))).ConfigureAwait(false);
        var command = new SqlCommand(SqlServerJournal.Read(journal), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@fingerprint", SqlDbType.NVarChar, 128) { Value = fingerprint });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var entries = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(reader.GetString(0));
        }

        return entries;
    }

    public Task<long> TransactionIdAsync(CancellationToken cancellationToken) => ScalarAsync(SqlServerJournal.TransactionId, cancellationToken);

    public async Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken)
    {
        if (_journal is not var (journal, fingerprint))
        {
            return null; // the run has no journal: nothing in the database records its transactions
        }

        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        var command = new SqlCommand(SqlServerJournal.IsCommitted(journal), Connection);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@id", SqlDbType.BigInt) { Value = transactionId });
        command.Parameters.Add(new SqlParameter("@fingerprint", SqlDbType.NVarChar, 128) { Value = fingerprint });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) switch
        {
            bool committed => committed,
            _ => null,
        };
    }

    public async Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken)
    {
        var command = new SqlCommand(SqlServerJournal.Record(journal), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@fingerprint", SqlDbType.NVarChar, 128) { Value = fingerprint });
        command.Parameters.Add(new SqlParameter("@schema", SqlDbType.NVarChar, 128) { Value = table.Schema });
        command.Parameters.Add(new SqlParameter("@table", SqlDbType.NVarChar, 128) { Value = table.Name });
        command.Parameters.Add(new SqlParameter("@entry", SqlDbType.NVarChar, -1) { Value = entry });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        if (staging.Key.Count == 0)
        {
            // A row of a table without a key may have copies that were live before: its presence proves nothing.
            return [];
        }

        var shape = await ShapeAsync(staging.Mapping.Live.Name, cancellationToken).ConfigureAwait(false);
        var readable = shape.Columns.Where(c => c.Type is not null).ToList();
        var classes = instructions.UpdateConflicting ? "'m', 'c', 't'" : "'m', 't'";
        var sql = $"""
            SELECT TOP (@max) {string.Join(", ", staging.Key.Select(k => "l." + SqlServerStatements.Quote(k.Live)).Concat(readable.Select(c => "l." + SqlServerStatements.Quote(c.Name))))}
            FROM {SqlServerStatements.Quote(staging.Mapping.Live.Name)} AS l JOIN {staging.Delta} AS d ON {SqlServerStatements.KeyJoin(staging, "l", "d")}
            WHERE d.sr_class IN ({classes});
            """;
        var command = new SqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new SqlParameter("@max", SqlDbType.Int) { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var witnesses = new List<RowWitness>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = staging.Key.Select((k, i) => Text(reader, i, k.Type) ?? "\\N").ToList();
            var row = string.Join('\t', readable.Select((c, i) => Text(reader, staging.Key.Count + i, c.Type!.Value) ?? "\\N"));
            witnesses.Add(new RowWitness(key, row));
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

        var shape = await ShapeAsync(live.Name, cancellationToken).ConfigureAwait(false);
        var readable = shape.Columns.Where(c => c.Type is not null).ToList();
        var keys = key.Select(k => shape.Columns.First(c => string.Equals(c.Name, k, StringComparison.Ordinal))).Select(c => new SqlServerStageColumn(c.Name, c.Name, live.Find(c.Name)!.DataType, c.Type!.Value, null)).ToList();
        var sql = $"SELECT {string.Join(", ", readable.Select(c => SqlServerStatements.Quote(c.Name)))} FROM {SqlServerStatements.Quote(live.Name)} WHERE {string.Join(" AND ", keys.Select((k, i) => $"{SqlServerStatements.Quote(k.Live)} = {SqlServerStatements.Convert("@k" + i.ToString(CultureInfo.InvariantCulture), k)}"))};";
        var count = 0;
        foreach (var witness in witnesses)
        {
            var command = new SqlCommand(sql, Connection);
            await using var commandScope = command.ConfigureAwait(false);
            for (var i = 0; i < keys.Count; i++)
            {
                var text = CopyText.Decode(System.Text.Encoding.UTF8.GetBytes(witness.Key[i]));
                command.Parameters.Add(Typed("@k" + i.ToString(CultureInfo.InvariantCulture), KeyValue(text, keys[i]), keys[i]));
            }

            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                && string.Equals(string.Join('\t', readable.Select((c, i) => Text(reader, i, c.Type!.Value) ?? "\\N")), witness.Row, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}
