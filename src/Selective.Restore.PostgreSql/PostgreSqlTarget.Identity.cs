using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using Selective.Restore.Apply;
using Selective.Restore.Identity;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// Identity keys, key maps and remaps. Every table has a key map (<c>sr_keymap_N</c>: dump key k1..kn → live key
/// n1..nn, NULL when held back) filled inside the table's transaction, so a rolled-back table leaves none behind.
/// Children restored later in the run follow it: their foreign keys are rewritten before they are classified, so a
/// re-run compares the rewritten rows with what the first run wrote and finds them identical.
/// </summary>
internal sealed partial class PostgreSqlTarget
{
    private static readonly string[] IntegerTypes = ["smallint", "integer", "bigint"];

    public async Task PrepareAsync(StagedTable staged, IReadOnlyList<ParentReference> parents, bool referenced, CancellationToken cancellationToken)
    {
        staged.HasOriginalKeys = false;
        await ExecuteCountAsync($"DELETE FROM pg_temp.{staged.KeyMap}", cancellationToken).ConfigureAwait(false);

        // Parents whose key map is empty (the usual case) cost nothing: no join over the staged rows.
        var active = parents.Where(p => p.Parent.HasKeyMap).ToList();
        if (active.Count == 0)
        {
            return;
        }

        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var keyStages = keys.Select(k => k.Stage).ToHashSet(StringComparer.Ordinal);
        var references = active.Select(p => (Columns: p.Columns.Select(c => StageColumn(mapping, c)).ToList(), p.Parent)).ToList();

        // A rewrite that changes this table's own key (a composite key holding a foreign key) would leave this table's
        // children pointing at keys that no longer exist: keep the original key so the key map can translate it.
        if (referenced && references.Any(r => r.Columns.Any(keyStages.Contains)))
        {
            await ExecuteCountAsync(
                $"UPDATE pg_temp.{staged.StageName} SET {string.Join(", ", keys.Select((k, i) => $"sr_o{i + 1} = {k.Stage}"))}",
                cancellationToken).ConfigureAwait(false);
            staged.HasOriginalKeys = true;
        }

        foreach (var (columns, parent) in references)
        {
            var join = string.Join(" AND ", columns.Select((c, i) => $"s.{c} = m.k{i + 1}"));
            await ExecuteCountAsync(
                $"""
                UPDATE pg_temp.{staged.StageName} s SET sr_hold = true FROM pg_temp.{parent.KeyMap} m WHERE {join} AND m.n1 IS NULL;
                UPDATE pg_temp.{staged.StageName} s SET {string.Join(", ", columns.Select((c, i) => $"{c} = m.n{i + 1}"))}
                FROM pg_temp.{parent.KeyMap} m WHERE {join} AND m.n1 IS NOT NULL;
                """,
                cancellationToken).ConfigureAwait(false);
        }

        if (staged.HasOriginalKeys)
        {
            var original = string.Join(", ", keys.Select((_, i) => $"sr_o{i + 1}"));
            var current = string.Join(", ", keys.Select(k => k.Stage));
            var moved = await ExecuteCountAsync(
                $"""
                INSERT INTO pg_temp.{staged.KeyMap} SELECT {original}, {current}, 'p' FROM pg_temp.{staged.StageName}
                WHERE ROW({original}) IS DISTINCT FROM ROW({current}) AND sr_hold IS NOT TRUE
                ON CONFLICT DO NOTHING
                """,
                cancellationToken).ConfigureAwait(false);
            staged.HasKeyMap |= moved > 0;
        }
    }

    /// <summary>Key map entries for held-back rows (no live key): their children must not follow them.</summary>
    private async Task RecordHeldKeysAsync(StagedTable staged, CancellationToken cancellationToken)
    {
        var keys = KeyStageColumns(staged.Mapping);
        var original = string.Join(", ", keys.Select((_, i) => OriginalKey(staged, "d", i)));
        var nulls = string.Join(", ", keys.Select(_ => "NULL"));
        await ExecuteCountAsync(
            $"""
            INSERT INTO pg_temp.{staged.KeyMap} SELECT {original}, {nulls}, d.sr_class FROM pg_temp.{staged.DeltaName} d WHERE d.sr_class = 'h'
            ON CONFLICT ({KeyMapColumns(keys.Count)}) DO UPDATE SET ({string.Join(", ", keys.Select((_, i) => $"n{i + 1}"))}, sr_kind) = ROW({nulls}, EXCLUDED.sr_kind)
            """,
            cancellationToken).ConfigureAwait(false);
        staged.HasKeyMap = true;
    }

    public async IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var id = identity.Select(c => (Stage: StageColumn(mapping, c), Live: PgSql.Quote(c))).ToList();
        var live = Live(mapping.Live);

        // The live rows carrying a delta row's identity are looked up by identity (not by grouping the whole table), and
        // counted: one row is where the entity lives now, several cannot be told apart.
        var liveIdentity = string.Join(", ", id.Select(c => "i." + c.Live));
        var sql = $"""
            SELECT d.sr_n, d.sr_class = 'c',
                   {string.Join(" OR ", id.Select(c => $"d.{c.Stage} IS NULL"))},
                   d.sr_class = 'c' AND ({string.Join(" OR ", id.Select(c => $"l.{c.Live} IS NULL"))}),
                   COALESCE({string.Join(" AND ", id.Select(c => $"d.{c.Stage} = l.{c.Live}"))}, false),
                   COALESCE(g.sr_count, 0), {string.Join(", ", keys.Select((_, i) => $"g.sr_k{i + 1}"))}
            FROM pg_temp.{staged.DeltaName} d
            LEFT JOIN {live} l ON d.sr_class = 'c' AND {string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"))}
            LEFT JOIN (SELECT {liveIdentity}, count(*) AS sr_count, {string.Join(", ", keys.Select((k, i) => $"min(i.{PgSql.Quote(k.Live)}::text) AS sr_k{i + 1}"))}
                       FROM {live} i
                       WHERE ({liveIdentity}) IN (SELECT {string.Join(", ", id.Select(c => "x." + c.Stage))} FROM pg_temp.{staged.DeltaName} x
                                                  WHERE x.sr_class IN ('m', 'c') AND {string.Join(" AND ", id.Select(c => $"x.{c.Stage} IS NOT NULL"))})
                       GROUP BY {liveIdentity}) g ON {string.Join(" AND ", id.Select(c => $"g.{c.Live} = d.{c.Stage}"))}
            WHERE d.sr_class IN ('m', 'c')
            ORDER BY d.sr_n
            """;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var count = reader.GetInt64(5);
            yield return new IdentityFacts(
                reader.GetInt64(0),
                reader.GetBoolean(1),
                reader.GetBoolean(2),
                reader.GetBoolean(3),
                reader.GetBoolean(4),
                count,
                count == 1 ? [.. Enumerable.Range(6, keys.Count).Select(reader.GetString)] : null);
        }
    }

    public async Task ReclassifyAsync(StagedTable staged, Reclassifications rows, CancellationToken cancellationToken)
    {
        const int Batch = 10_000;
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var original = string.Join(", ", keys.Select((_, i) => OriginalKey(staged, "d", i)));
        var newColumns = string.Join(", ", keys.Select((_, i) => $"n{i + 1}"));
        var sql = $"""
            WITH r AS (SELECT * FROM unnest($1::bigint[], $2::text[], {string.Join(", ", keys.Select((_, i) => $"${i + 3}::text[]"))}) AS r(sr_n, sr_class, {newColumns})),
                 u AS (UPDATE pg_temp.{staged.DeltaName} d SET sr_class = r.sr_class::"char" FROM r WHERE d.sr_n = r.sr_n
                       RETURNING {original}, {string.Join(", ", keys.Select((k, i) => $"r.n{i + 1}::{mapping.Live.Find(k.Live)!.DataType}"))}, r.sr_class::"char")
            INSERT INTO pg_temp.{staged.KeyMap} SELECT * FROM u
            ON CONFLICT ({KeyMapColumns(keys.Count)}) DO UPDATE SET ({newColumns}, sr_kind) = ROW({string.Join(", ", keys.Select((_, i) => $"EXCLUDED.n{i + 1}"))}, EXCLUDED.sr_kind)
            """;
        var positions = new List<long>(Batch);
        var classes = new List<string>(Batch);
        var liveKeys = keys.Select(_ => new List<string?>(Batch)).ToList();
        foreach (var (position, to, liveKey) in rows.Read())
        {
            positions.Add(position);
            classes.Add(to switch { DeltaClass.Collision => "k", DeltaClass.Undetermined => "u", DeltaClass.Relocated => "o", DeltaClass.Remapped => "r", _ => throw new ArgumentOutOfRangeException(nameof(rows), to, "not a class the engine reclassifies to") });
            for (var i = 0; i < keys.Count; i++)
            {
                liveKeys[i].Add(liveKey?[i]);
            }

            if (positions.Count == Batch)
            {
                await SendAsync().ConfigureAwait(false);
            }
        }

        if (positions.Count > 0)
        {
            await SendAsync().ConfigureAwait(false);
        }

        staged.HasKeyMap = true;

        async Task SendAsync()
        {
            var command = new NpgsqlCommand(sql, Connection, _transaction);
            await using var commandScope = command.ConfigureAwait(false);
            command.Parameters.Add(new NpgsqlParameter { Value = positions.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = classes.ToArray() });
            foreach (var column in liveKeys)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = column.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            positions.Clear();
            classes.Clear();
            liveKeys.ForEach(k => k.Clear());
        }
    }

    public async IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var column = keys.Count == 1 ? mapping.Live.Find(keys[0].Live) : null;
        if (column is not { Sequence: { } sequence } || !IntegerTypes.Contains(column.DataType, StringComparer.Ordinal))
        {
            throw new RestoreTableException(
                $"{count} rows must be remapped to new keys, but the key ({string.Join(", ", keys.Select(k => k.Live))}) is not a single integer column fed by a sequence (serial or identity); restore with collisions skipped or failed instead");
        }

        // New keys start above every key in the live table (all of its inheritance tree) and in the dump, so neither a
        // live row nor a dump row restored later can ever get the same key. A sequence counting down is left untouched.
        var command = new NpgsqlCommand(
            $"""
            SELECT q.seqincrement, CASE WHEN q.seqincrement > 0 THEN pg_catalog.setval($1::regclass, GREATEST(m.v, h.handed), true) END
            FROM (SELECT GREATEST((SELECT max({PgSql.Quote(column.Name)}) FROM {PgSql.Quote(mapping.Live.Name)}),
                                  (SELECT max({keys[0].Stage}) FROM pg_temp.{staged.StageName}))::bigint AS v) m,
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

    public async Task<(long Held, long NowIdentical)> FollowSelfReferencesAsync(StagedTable staged, IReadOnlyList<IReadOnlyList<string>> selfReferences, CancellationToken cancellationToken)
    {
        if (!staged.HasKeyMap || selfReferences.Count == 0)
        {
            return (0, 0);
        }

        var mapping = staged.Mapping;
        var keys = KeyStageColumns(mapping);
        var references = selfReferences.Select(r => r.Select(c => StageColumn(mapping, c)).ToList()).ToList();
        var original = string.Join(", ", keys.Select((_, i) => OriginalKey(staged, "d", i)));
        var nulls = string.Join(", ", keys.Select(_ => "NULL"));
        var newColumns = string.Join(", ", keys.Select((_, i) => $"n{i + 1}"));

        // A row under a held-back row is held too, then the rows under it: one level per round.
        long held = 0;
        for (var round = 0; ; round++)
        {
            long heldThisRound = 0;
            foreach (var columns in references)
            {
                var join = string.Join(" AND ", columns.Select((c, i) => $"d.{c} = m.k{i + 1}"));
                heldThisRound += await ExecuteCountAsync(
                    $"""
                    WITH held AS (
                        UPDATE pg_temp.{staged.DeltaName} d SET sr_class = 'h' FROM pg_temp.{staged.KeyMap} m
                        WHERE d.sr_class IN ('m', 'c', 'r') AND {join} AND m.n1 IS NULL
                        RETURNING {original})
                    INSERT INTO pg_temp.{staged.KeyMap} SELECT *, {nulls}, 'h' FROM held
                    ON CONFLICT ({KeyMapColumns(keys.Count)}) DO UPDATE SET ({newColumns}, sr_kind) = ROW({nulls}, 'h')
                    """,
                    cancellationToken).ConfigureAwait(false);
            }

            held += heldThisRound;
            if (heldThisRound == 0)
            {
                break;
            }
        }

        foreach (var columns in references)
        {
            var join = string.Join(" AND ", columns.Select((c, i) => $"d.{c} = m.k{i + 1}"));
            await ExecuteCountAsync(
                $"""
                UPDATE pg_temp.{staged.DeltaName} d SET {string.Join(", ", columns.Select((c, i) => $"{c} = m.n{i + 1}"))}
                FROM pg_temp.{staged.KeyMap} m WHERE d.sr_class IN ('m', 'c', 'r') AND {join} AND m.n1 IS NOT NULL
                """,
                cancellationToken).ConfigureAwait(false);
        }

        // A conflicting row may now equal its live row (a re-run after a remap): nothing to write for it.
        var keyJoin = string.Join(" AND ", keys.Select(k => $"l.{PgSql.Quote(k.Live)} = d.{k.Stage}"));
        var nowIdentical = await ExecuteCountAsync(
            $"DELETE FROM pg_temp.{staged.DeltaName} d USING {Live(mapping.Live)} l WHERE d.sr_class = 'c' AND {keyJoin} AND NOT ({Differs(mapping, "d")})",
            cancellationToken).ConfigureAwait(false);
        return (held, nowIdentical);
    }

    public async Task<IReadOnlyList<IReadOnlyList<string>>> ReadKeysAsync(StagedTable staged, KeyClass keyClass, int max, CancellationToken cancellationToken)
    {
        var keys = KeyStageColumns(staged.Mapping);
        var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", keys.Select(k => k.Stage + "::text"))} FROM pg_temp.{staged.DeltaName} WHERE sr_class = $1 ORDER BY sr_n LIMIT $2",
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var code = keyClass switch { KeyClass.Collision => 'k', KeyClass.Undetermined => 'u', _ => 'h' };
        command.Parameters.Add(new NpgsqlParameter { Value = code, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.InternalChar });
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var result = new List<IReadOnlyList<string>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add([.. Enumerable.Range(0, keys.Count).Select(reader.GetString)]);
        }

        return result;
    }

    public async Task<IReadOnlyList<KeyRemap>> ReadRemapsAsync(StagedTable staged, int max, CancellationToken cancellationToken)
    {
        var count = KeyStageColumns(staged.Mapping).Count;
        var command = new NpgsqlCommand(
            $"""
            SELECT {string.Join(", ", Enumerable.Range(1, count).Select(i => $"k{i}::text"))}, {string.Join(", ", Enumerable.Range(1, count).Select(i => $"n{i}::text"))}, sr_kind
            FROM pg_temp.{staged.KeyMap} WHERE sr_kind IN ('r', 'o') ORDER BY {KeyMapColumns(count)} LIMIT $1
            """,
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var result = new List<KeyRemap>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new KeyRemap(
                [.. Enumerable.Range(0, count).Select(reader.GetString)],
                [.. Enumerable.Range(count, count).Select(reader.GetString)],
                reader.GetChar(2 * count) == 'r' ? RemapKind.NewKey : RemapKind.LiveEntity));
        }

        return result;
    }

    /// <summary>The dump's own key of a staged or delta row (before a parent's remap rewrote it).</summary>
    private static string OriginalKey(StagedTable staged, string alias, int index)
    {
        var stage = KeyStageColumns(staged.Mapping)[index].Stage;
        return staged.HasOriginalKeys
            ? $"COALESCE({alias}.sr_o{index + 1}, {alias}.{stage})"
            : $"{alias}.{stage}";
    }

    private static string KeyMapJoin(StagedTable staged, string keyMap, string alias) =>
        string.Join(" AND ", KeyStageColumns(staged.Mapping).Select((_, i) => $"{keyMap}.k{i + 1} = {OriginalKey(staged, alias, i)}"));

    private static string KeyMapColumns(int count) =>
        string.Join(", ", Enumerable.Range(1, count).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture)));
}
