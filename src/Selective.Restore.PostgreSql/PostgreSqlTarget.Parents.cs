using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <content>Rows whose parent row is not live, found before a write the foreign key would refuse (or by a plan, which writes nothing).</content>
internal sealed partial class PostgreSqlTarget
{
    public async Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, CancellationToken cancellationToken)
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
        var sql = $"""
            SELECT count(*) OVER (){string.Concat(keys.Concat(references).Select(c => $", d.{c}::text"))}
            FROM pg_temp.{Pg(staged).DeltaName} d
            WHERE d.sr_class IN ({string.Join(", ", classes.Select(c => $"'{c}'"))}) AND {string.Join(" AND ", references.Select(c => $"d.{c} IS NOT NULL"))}
              AND NOT EXISTS (SELECT 1 FROM {Live(parent)} p WHERE {string.Join(" AND ", foreignKey.ReferencedColumns.Select((c, i) => $"p.{PgSql.Quote(c)} = d.{references[i]}"))})
            ORDER BY d.sr_n
            LIMIT 1
            """;
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new MissingParents(
            reader.GetInt64(0),
            [.. Enumerable.Range(1, keys.Count).Select(reader.GetString)],
            [.. Enumerable.Range(1 + keys.Count, references.Count).Select(reader.GetString)]);
    }
}
