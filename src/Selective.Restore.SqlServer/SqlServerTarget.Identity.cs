using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.SqlClient;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <content>
/// What identity keys, key maps and remaps need from the server: typed facts about the delta's rows, new classes and
/// values for them (bulk-copied as edits, then applied in one statement), and new keys from an IDENTITY or a sequence.
/// The rules and the key maps are the engine's.
/// </content>
internal sealed partial class SqlServerTarget
{
    public async IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var columns = identity.Select(staging.Column).ToList();
        var command = new SqlCommand(SqlServerStatements.IdentityFacts(staging, columns), Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var keys = staging.Key;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var liveCount = reader.GetInt64(5);
            var key = string.Join('\t', keys.Select((k, i) => Text(reader, 6 + i, k.Type) ?? "\\N"));
            var liveKey = liveCount == 1 ? string.Join('\t', keys.Select((k, i) => Text(reader, 6 + keys.Count + i, k.Type) ?? "\\N")) : null;
            yield return new IdentityFacts(reader.GetInt64(0), key, reader.GetInt32(1) == 1, reader.GetInt32(2) == 1, reader.GetInt32(3) == 1, reader.GetInt32(4) == 1, liveCount, liveKey);
        }
    }

    public async Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var keys = staging.Key;
        await EditAsync(
            staging,
            keys,
            rows.Read().Select(edit =>
            {
                var values = edit.Class == DeltaClass.Remapped ? DeltaEdits.Decode(edit.Values!) : null;
                var row = new object?[2 + keys.Count];
                row[0] = edit.Position;
                row[1] = ClassLetter(edit.Class);
                for (var i = 0; i < keys.Count; i++)
                {
                    row[2 + i] = values is null ? null : EditValue(values[i], keys[i]);
                }

                return row;
            }),
            SqlServerStatements.Reclassify(staging),
            cancellationToken).ConfigureAwait(false);
    }

    private static string ClassLetter(DeltaClass? to) => to switch
    {
        DeltaClass.Collision => "k",
        DeltaClass.Undetermined => "u",
        DeltaClass.Relocated => "o",
        DeltaClass.Remapped => "r",
        DeltaClass.HeldBack => "h",
        DeltaClass.Excluded => "x",
        DeltaClass.Skipped => "s",
        DeltaClass.Overwrite => "t",
        _ => throw new ArgumentOutOfRangeException(nameof(to), to, "not a class the engine reclassifies to"),
    };

    public async Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var stage = columns.Select(staging.Column).ToList();
        await EditAsync(
            staging,
            stage,
            rows.Read().Select(edit =>
            {
                var values = DeltaEdits.Decode(edit.Values!);
                var row = new object?[2 + stage.Count];
                row[0] = edit.Position;
                for (var i = 0; i < stage.Count; i++)
                {
                    row[2 + i] = EditValue(values[i], stage[i]);
                }

                return row;
            }),
            SqlServerStatements.Rewrite(staging, stage),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A value an edit sets, as it travels: text, or bytes for a binary column (the engine's <c>\x..</c> text).</summary>
    private static object? EditValue(string? text, SqlServerStageColumn column)
    {
        if (text is null || column.Type.Kind is not (SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion))
        {
            return text;
        }

        return text.StartsWith("\\x", StringComparison.Ordinal)
            ? Convert.FromHexString(text.AsSpan(2))
            : throw new RestoreTableException($"column {column.Live}: '{text}' is not binary data in hex (\\x...)");
    }

    /// <summary>Bulk-copies edits (position, class, values for <paramref name="columns"/>) into the edit table, then applies them in one statement.</summary>
    private async Task EditAsync(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> columns, IEnumerable<object?[]> rows, string apply, CancellationToken cancellationToken)
    {
        await ExecuteAsync(SqlServerStatements.CreateEdit(staging, columns), cancellationToken).ConfigureAwait(false);
        List<Type> types = [typeof(long), typeof(string), .. columns.Select(c => c.Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? typeof(byte[]) : typeof(string))];
        var reader = new SqlServerRowsReader(rows, types);
        await using (reader.ConfigureAwait(false))
        {
            using var bulk = new SqlBulkCopy(Connection, SqlBulkCopyOptions.KeepNulls, _transaction)
            {
                DestinationTableName = staging.Edit,
                BulkCopyTimeout = 0,
                EnableStreaming = true,
            };
            await bulk.WriteToServerAsync(reader, cancellationToken).ConfigureAwait(false);
        }

        if (reader.Count > 0)
        {
            await ExecuteAsync(apply, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var stage = columns.Select(staging.Column).ToList();
        List<SqlServerType> types = [new SqlServerType("bigint", SqlServerTypeKind.Integer, 0), .. stage.Select(c => c.Type)];
        return OpenRowsAsync(SqlServerStatements.ReadDelta(staging, stage), types, parameters: null, cancellationToken);
    }

    public Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken) =>
        ScalarAsync(SqlServerStatements.DropIdenticalConflicts(Sql(staged)), cancellationToken);

    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var staging = Sql(staged);
        var key = staging.Key.Count == 1 ? staging.Key[0] : null;
        var column = key is null ? null : staging.Mapping.Live.Find(key.Live);
        var fed = column is not null && (column.Identity == IdentityColumn.Always || column.Sequence is not null);
        if (key is null || column is null || !fed || key.Type.Kind != SqlServerTypeKind.Integer)
        {
            throw new RestoreTableException(
                $"{count} rows must be remapped to new keys, but the key ({string.Join(", ", staging.Key.Select(k => k.Live))}) is not a single integer column fed by IDENTITY or a sequence; restore with collisions skipped or failed instead");
        }

        long first, increment;
        var count_ = new SqlParameter("@count", SqlDbType.BigInt) { Value = count };
        var command = column.Sequence is { } sequence
            ? new SqlCommand(SqlServerStatements.ReserveSequence(staging, key, preview), Connection, _transaction)
            {
                Parameters = { Name("@sequence_schema", sequence.Schema), Name("@sequence_name", sequence.Name), count_ },
            }
            : new SqlCommand(SqlServerStatements.ReserveIdentity(staging, key, preview), Connection, _transaction)
            {
                Parameters = { Name("@table", SqlServerStatements.Quote(staging.Mapping.Live.Name)), count_ },
            };
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            (first, increment) = (0, 0);
            do
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    (first, increment) = (reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.IsDBNull(1) ? 0 : reader.GetInt64(1));
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }

        if (increment <= 0)
        {
            throw new RestoreTableException($"cannot remap rows of {staging.Mapping.Live.Name}: its {(column.Sequence is null ? "IDENTITY" : "sequence " + column.Sequence)} counts down");
        }

        // An IDENTITY yields the value before the range (it was reseeded past it); a sequence's range starts at first.
        var start = column.Sequence is null ? first + increment : first;
        for (long i = 0; i < count; i++)
        {
            yield return (start + (i * increment)).ToString(CultureInfo.InvariantCulture);
        }
    }

    public async Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        foreach (var column in live.Columns)
        {
            SqlCommand command;
            string what;
            if (column.Sequence is { } sequence)
            {
                command = new SqlCommand(SqlServerStatements.ReseedColumnSequence(live.Name, column.Name), Connection, _transaction)
                {
                    Parameters = { Name("@sequence_schema", sequence.Schema), Name("@sequence_name", sequence.Name) },
                };
                what = $"sequence {sequence}";
            }
            else if (column.Identity == IdentityColumn.Always)
            {
                command = new SqlCommand(SqlServerStatements.ReseedIdentity(live.Name, column.Name), Connection, _transaction)
                {
                    Parameters = { Name("@table", SqlServerStatements.Quote(live.Name)) },
                };
                what = $"IDENTITY of {live.Name}";
            }
            else
            {
                continue;
            }

            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var from = reader.IsDBNull(0) ? "(unused)" : reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
                    changes.Add($"{what} moved from {from} to {reader.GetInt64(1).ToString(CultureInfo.InvariantCulture)} (max {column.Name}) so new rows cannot reuse restored IDs");
                }
            }
        }

        return changes;
    }
}
