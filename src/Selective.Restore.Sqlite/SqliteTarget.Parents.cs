using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <content>Rows whose parent row is not live, found before a write the foreign key would refuse (or by a plan, which writes nothing).</content>
internal sealed partial class SqliteTarget
{
    public async Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken)
    {
        if (instructions.WrittenClasses.Count == 0)
        {
            return null;
        }

        var classes = instructions.WrittenClasses.Select(c => $"'{c}'");

        // As SQLite checks the key: a NULL in the reference checks nothing, and the parent column's affinity and
        // collation decide equality (the staged value has none of its own, so the parent's applies).
        var staging = Lite(staged);
        var keys = staging.Key.Select(k => k.Stage).ToList();
        var references = foreignKey.Columns.Select(c => staging.Column(c).Stage).ToList();
        var command = Command($"""
            SELECT {(unwritten is null ? "count(*) OVER ()" : "1")}{string.Concat(keys.Concat(references).Select(c => ", d." + c))}
            FROM temp.{staging.Delta} AS d
            WHERE d.sr_class IN ({string.Join(", ", classes)}) AND {string.Join(" AND ", references.Select(c => $"d.{c} IS NOT NULL"))}
              AND NOT EXISTS (SELECT 1 FROM {SqliteSql.Quote(parent.Name)} AS p WHERE {string.Join(" AND ", foreignKey.ReferencedColumns.Select((c, i) => $"p.{SqliteSql.Quote(c)} = d.{references[i]}"))})
            ORDER BY d.sr_n
            {(unwritten is null ? "LIMIT 1" : string.Empty)};
            """);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        long rows = 0;
        MissingParents? first = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<string> reference = [.. Enumerable.Range(1 + keys.Count, references.Count).Select(i => Plain(reader.GetValue(i)))];
            if (unwritten is null)
            {
                return new MissingParents(reader.GetInt64(0), [.. Enumerable.Range(1, keys.Count).Select(i => Plain(reader.GetValue(i)))], reference);
            }

            if (unwritten(reference))
            {
                rows++;
                first ??= new MissingParents(0, [.. Enumerable.Range(1, keys.Count).Select(i => Plain(reader.GetValue(i)))], reference);
            }
        }

        return first is null ? null : first with { Rows = rows };
    }
}
