using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <content>Rows whose parent row is not live, found before a write the foreign key would refuse (or by a plan, which writes nothing).</content>
internal sealed partial class PostgreSqlTarget
{
    public async Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken)
    {
        var classes = instructions.WrittenClasses;
        if (classes.Count == 0)
        {
            return null;
        }

        // Advice must not fail what it advises on: a role that may read only the restored tables is not failed for a parent it may not read.
        var privilege = new NpgsqlCommand("SELECT pg_catalog.has_table_privilege($1::regclass, 'SELECT')", Connection, _transaction);
        await using (privilege.ConfigureAwait(false))
        {
            privilege.Parameters.Add(new NpgsqlParameter { Value = PgSql.RegClass(parent.Name) });
            if (await privilege.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                return null;
            }
        }

        var mapping = staged.Mapping;
        var keys = mapping.Key.Count == 0 ? [] : KeyStageColumns(mapping).Select(k => k.Stage).ToList();
        var references = foreignKey.Columns.Select(c => StageColumn(mapping, c)).ToList();

        // As the foreign key checks a row: MATCH SIMPLE (a NULL in the reference checks nothing), equality on the parent's
        // key, and ONLY the parent for a plain table (a reference to an inheritance parent is not satisfied by its children).
        // Counted by the server, or read row by row when the engine decides which of them count.
        var sql = $"""
            SELECT {(unwritten is null ? "count(*) OVER ()" : "1")}{string.Concat(keys.Concat(references).Select(c => $", d.{c}::text"))}
            FROM pg_temp.{Pg(staged).DeltaName} d
            WHERE d.sr_class IN ({string.Join(", ", classes.Select(c => $"'{c}'"))}) AND {string.Join(" AND ", references.Select(c => $"d.{c} IS NOT NULL"))}
              AND NOT EXISTS (SELECT 1 FROM {Live(parent)} p WHERE {string.Join(" AND ", foreignKey.ReferencedColumns.Select((c, i) => $"p.{PgSql.Quote(c)} = d.{references[i]}"))})
            ORDER BY d.sr_n
            {(unwritten is null ? "LIMIT 1" : string.Empty)}
            """;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        long rows = 0;
        MissingParents? first = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<string> reference = [.. Enumerable.Range(1 + keys.Count, references.Count).Select(reader.GetString)];
            if (unwritten is null)
            {
                return new MissingParents(reader.GetInt64(0), [.. Enumerable.Range(1, keys.Count).Select(reader.GetString)], reference);
            }

            if (unwritten(reference))
            {
                rows++;
                first ??= new MissingParents(0, [.. Enumerable.Range(1, keys.Count).Select(reader.GetString)], reference);
            }
        }

        return first is null ? null : first with { Rows = rows };
    }
}
