using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// What identity keys, key maps and remaps need from the server: typed facts about the delta's rows, new classes and
/// values for them, and new keys from a sequence. The rules and the key maps are the engine's.
/// </summary>
internal sealed partial class PostgreSqlTarget
{
    private static readonly string[] IntegerTypes = ["smallint", "integer", "bigint"];

    public async IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var id = identity.Select(c => (Stage: StageColumn(mapping, c), Live: PgSql.Quote(c))).ToList();
        var live = Live(mapping.Live);

        // The live rows carrying a delta row's identity are looked up by identity (not by grouping the whole table), and
        // counted: one row is where the entity lives now, several cannot be told apart. Keys come out as COPY prints
        // them, which is how the engine's key maps hold them.
        var liveIdentity = string.Join(", ", id.Select(c => "i." + c.Live));
        var query = $"""
            SELECT d.sr_n, d.sr_class = 'c',
                   {string.Join(" OR ", id.Select(c => $"d.{c.Stage} IS NULL"))},
                   d.sr_class = 'c' AND ({string.Join(" OR ", id.Select(c => $"l.{c.Live} IS NULL"))}),
                   COALESCE({string.Join(" AND ", id.Select(c => $"d.{c.Stage} = l.{c.Live}"))}, false),
                   COALESCE(g.sr_count, 0), {string.Join(", ", keys.Select(k => "d." + k.Stage))}, {string.Join(", ", keys.Select((_, i) => $"g.sr_k{i + 1}"))}
            FROM pg_temp.{Pg(staged).DeltaName} d
            LEFT JOIN {live} l ON d.sr_class = 'c' AND {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
            LEFT JOIN (SELECT {liveIdentity}, count(*) AS sr_count, {string.Join(", ", keys.Select((k, i) => $"(array_agg(i.{PgSql.Quote(k.Live)}))[1] AS sr_k{i + 1}"))}
                       FROM {live} i
                       WHERE ({liveIdentity}) IN (SELECT {string.Join(", ", id.Select(c => "x." + c.Stage))} FROM pg_temp.{Pg(staged).DeltaName} x
                                                  WHERE x.sr_class IN ('m', 'c') AND {string.Join(" AND ", id.Select(c => $"x.{c.Stage} IS NOT NULL"))})
                       GROUP BY {liveIdentity}) g ON {string.Join(" AND ", id.Select(c => $"g.{c.Live} = d.{c.Stage}"))}
            WHERE d.sr_class IN ('m', 'c')
            ORDER BY d.sr_n
            """;
        var stream = await PostgreSqlLiveRows.OpenQueryAsync(Connection, query, cancellationToken).ConfigureAwait(false);
        await using var streamScope = stream.ConfigureAwait(false);
        var reader = new CopyLineReader(stream);
        var count = keys.Count;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var fields = Fields(reader.Line);
            var liveCount = long.Parse(fields[5], CultureInfo.InvariantCulture);
            yield return new IdentityFacts(
                long.Parse(fields[0], CultureInfo.InvariantCulture),
                string.Join('\t', fields.Skip(6).Take(count)),
                IsTrue(fields[1]),
                IsTrue(fields[2]),
                IsTrue(fields[3]),
                IsTrue(fields[4]),
                liveCount,
                liveCount == 1 ? string.Join('\t', fields.Skip(6 + count).Take(count)) : null);
        }
    }

    private static bool IsTrue(string field) => string.Equals(field, "t", StringComparison.Ordinal);

    /// <summary>A COPY text line's raw fields.</summary>
    private static string[] Fields(ReadOnlySpan<byte> line) => Encoding.UTF8.GetString(line).Split('\t');

    public async Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken)
    {
        const int Batch = 10_000;
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);

        // A remapped row takes its new key here, so the insert needs nothing else.
        var sql = $"""
            UPDATE pg_temp.{Pg(staged).DeltaName} d
            SET sr_class = r.sr_class::"char"{string.Concat(keys.Select((k, i) => $", {k.Stage} = CASE WHEN r.sr_class = 'r' THEN r.n{i + 1}::{mapping.Live.Find(k.Live)!.DataType} ELSE d.{k.Stage} END"))}
            FROM unnest($1::bigint[], $2::text[]{string.Concat(keys.Select((_, i) => $", ${i + 3}::text[]"))}) AS r(sr_n, sr_class{string.Concat(keys.Select((_, i) => $", n{i + 1}"))})
            WHERE d.sr_n = r.sr_n
            """;
        var positions = new List<long>(Batch);
        var classes = new List<string?>(Batch);
        var newKeys = keys.Select(_ => new List<string?>(Batch)).ToList();
        foreach (var (position, to, key) in rows.Read())
        {
            positions.Add(position);
            classes.Add(to switch
            {
                DeltaClass.Collision => "k",
                DeltaClass.Undetermined => "u",
                DeltaClass.Relocated => "o",
                DeltaClass.Remapped => "r",
                DeltaClass.HeldBack => "h",
                DeltaClass.Excluded => "x",
                DeltaClass.Skipped => "s",
                DeltaClass.Overwrite => "t",
                _ => throw new ArgumentOutOfRangeException(nameof(rows), to, "not a class the engine reclassifies to"),
            });
            var values = to == DeltaClass.Remapped ? DeltaEdits.Decode(key!) : null;
            for (var i = 0; i < keys.Count; i++)
            {
                newKeys[i].Add(values?[i]);
            }

            if (positions.Count == Batch)
            {
                await UpdateDeltaAsync(sql, positions, [classes, .. newKeys], cancellationToken).ConfigureAwait(false);
            }
        }

        if (positions.Count > 0)
        {
            await UpdateDeltaAsync(sql, positions, [classes, .. newKeys], cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken)
    {
        const int Batch = 10_000;
        var mapping = staged.Mapping;
        var sql = $"""
            UPDATE pg_temp.{Pg(staged).DeltaName} d
            SET {string.Join(", ", columns.Select((c, i) => $"{StageColumn(mapping, c)} = r.v{i + 1}::{mapping.Live.Find(c)!.DataType}"))}
            FROM unnest($1::bigint[], {string.Join(", ", columns.Select((_, i) => $"${i + 2}::text[]"))}) AS r(sr_n, {string.Join(", ", columns.Select((_, i) => $"v{i + 1}"))})
            WHERE d.sr_n = r.sr_n
            """;
        var positions = new List<long>(Batch);
        var values = columns.Select(_ => new List<string?>(Batch)).ToList();
        foreach (var (position, _, raw) in rows.Read())
        {
            positions.Add(position);
            var decoded = DeltaEdits.Decode(raw!);
            for (var i = 0; i < columns.Count; i++)
            {
                values[i].Add(decoded[i]);
            }

            if (positions.Count == Batch)
            {
                await UpdateDeltaAsync(sql, positions, values, cancellationToken).ConfigureAwait(false);
            }
        }

        if (positions.Count > 0)
        {
            await UpdateDeltaAsync(sql, positions, values, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs an UPDATE of the delta from arrays (positions, then text columns), then empties them for the next batch.</summary>
    private async Task UpdateDeltaAsync(string sql, List<long> positions, List<List<string?>> columns, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = positions.ToArray() });
            foreach (var column in columns)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = column.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        positions.Clear();
        columns.ForEach(c => c.Clear());
    }

    public Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        PostgreSqlLiveRows.OpenQueryAsync(
            Connection,
            $"SELECT sr_n, {string.Join(", ", columns.Select(c => StageColumn(staged.Mapping, c)))} FROM pg_temp.{Pg(staged).DeltaName} WHERE sr_class IN ('m', 'c', 'r', 't') ORDER BY sr_n",
            cancellationToken);

    public Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keyJoin = string.Join(" AND ", KeyStageColumns(mapping).Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"));
        return ExecuteCountAsync(
            $"DELETE FROM pg_temp.{Pg(staged).DeltaName} d USING {Live(mapping.Live)} l WHERE d.sr_class IN ('c', 't') AND {keyJoin} AND NOT ({Differs(mapping, "d")})",
            cancellationToken);
    }

    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var column = keys.Count == 1 ? mapping.Live.Find(keys[0].Live) : null;
        if (column is not { Sequence: { } sequence } || !IntegerTypes.Contains(column.DataType, StringComparer.Ordinal))
        {
            throw new RestoreTableException(
                $"{count} rows must be remapped to new keys, but the key ({string.Join(", ", keys.Select(k => k.Live))}) is not a single integer column fed by a sequence (serial or identity); restore with collisions skipped or failed instead");
        }

        if (preview)
        {
            await foreach (var key in PreviewKeysAsync(staged, column, sequence, count, cancellationToken).ConfigureAwait(false))
            {
                yield return key;
            }

            yield break;
        }

        // New keys start above every key in the live table (all of its inheritance tree) and in the dump, so neither a
        // live row nor a dump row restored later can ever get the same key. A sequence counting down is left untouched.
        var command = new NpgsqlCommand(
            $"""
            SELECT q.seqincrement, CASE WHEN q.seqincrement > 0 THEN pg_catalog.setval($1::regclass, GREATEST(m.v, h.handed), true) END
            FROM (SELECT GREATEST((SELECT max({PgSql.Quote(column.Name)}) FROM {PgSql.Quote(mapping.Live.Name)}),
                                  (SELECT max({keys[0].Stage}) FROM pg_temp.{Pg(staged).StageName}))::bigint AS v) m,
                 (SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END AS handed FROM {PgSql.Quote(sequence)} s) h,
                 pg_catalog.pg_sequence q
            WHERE q.seqrelid = $1::regclass
            """,
            Connection,
            _transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(sequence) });
            var increment = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (increment <= 0)
            {
                throw new RestoreTableException($"cannot remap rows of {mapping.Live.Name}: its sequence {sequence} counts down");
            }
        }

        var values = new NpgsqlCommand("SELECT pg_catalog.nextval($1::regclass)::text FROM pg_catalog.generate_series(1, $2)", Connection, _transaction);
        await using var valuesScope = values.ConfigureAwait(false);
        values.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(sequence) });
        values.Parameters.Add(new NpgsqlParameter { Value = count });
        var reader = await values.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.GetString(0);
        }
    }

    /// <summary>
    /// A plan's keys (nextval is refused in its READ ONLY transaction, and would not roll back): the values the sequence
    /// would hand out after the move <see cref="ReserveKeysAsync"/> makes, above every key live, staged and already
    /// remapped. The sequence's position is read only where the session may (otherwise the keys start above the rows).
    /// </summary>
    private async IAsyncEnumerable<string> PreviewKeysAsync(StagedTable staged, LiveColumn column, TableName sequence, long count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var key = KeyStageColumns(mapping)[0].Stage;
        var command = new NpgsqlCommand(
            $"""
            SELECT q.seqincrement,
                   GREATEST(m.v, COALESCE(CASE WHEN pg_catalog.has_sequence_privilege($1::regclass, 'SELECT') THEN pg_catalog.pg_sequence_last_value($1::regclass) END,
                                          q.seqstart - q.seqincrement))
            FROM (SELECT GREATEST((SELECT max({PgSql.Quote(column.Name)}) FROM {PgSql.Quote(mapping.Live.Name)}),
                                  (SELECT max({key}) FROM pg_temp.{Pg(staged).StageName}),
                                  (SELECT max(d.{key}) FROM pg_temp.{Pg(staged).DeltaName} d WHERE d.sr_class = 'r'))::bigint AS v) m,
                 pg_catalog.pg_sequence q
            WHERE q.seqrelid = $1::regclass
            """,
            Connection,
            _transaction);
        long increment, last;
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(sequence) });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (increment, last) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        if (increment <= 0)
        {
            throw new RestoreTableException($"cannot remap rows of {mapping.Live.Name}: its sequence {sequence} counts down");
        }

        for (long i = 1; i <= count; i++)
        {
            yield return (last + (i * increment)).ToString(CultureInfo.InvariantCulture);
        }
    }

}
