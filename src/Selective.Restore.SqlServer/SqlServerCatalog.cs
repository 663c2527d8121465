using System.Globalization;
using Microsoft.Data.SqlClient;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>One column as <see cref="SqlServerCatalog.ColumnsSql"/> reads it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="SystemType">Its system type's name (an alias type's base type: <c>sysname</c> is <c>nvarchar</c>).</param>
/// <param name="MaxLength">sys.columns.max_length: bytes, -1 for <c>max</c>.</param>
/// <param name="Precision">sys.columns.precision.</param>
/// <param name="Scale">sys.columns.scale.</param>
/// <param name="Nullable">The column takes NULL.</param>
/// <param name="HasDefault">It has a default constraint.</param>
/// <param name="Computed">A computed column: never written.</param>
/// <param name="Identity">An IDENTITY column.</param>
/// <param name="GeneratedAlways">A temporal period column (GENERATED ALWAYS AS ROW START/END): never written.</param>
/// <param name="Sequence">The sequence its default takes values from (<c>NEXT VALUE FOR</c>), or null.</param>
/// <param name="Collation">A string column's collation (key equality follows it), or null.</param>
internal sealed record SqlServerColumnRow(string Name, string SystemType, short MaxLength, byte Precision, byte Scale, bool Nullable, bool HasDefault, bool Computed, bool Identity, bool GeneratedAlways, TableName? Sequence, string? Collation = null)
{
    /// <summary>How the column's values print, or null for a type the provider refuses.</summary>
    public SqlServerType? Type => SqlServerType.From(SystemType, Scale);
}

/// <summary>A live table as the engine sees it, and its columns as the catalog describes them (types and collations, in column order).</summary>
internal sealed record SqlServerTableShape(LiveTable Table, IReadOnlyList<SqlServerColumnRow> Columns);

/// <summary>One key column as <see cref="SqlServerCatalog.KeysSql"/> reads it: primary key or unique (constraint or unfiltered unique index).</summary>
internal sealed record SqlServerKeyRow(string Index, bool Primary, string Column);

/// <summary>A DML trigger on the table as <see cref="SqlServerCatalog.TriggersSql"/> reads it.</summary>
internal sealed record SqlServerTriggerRow(string Name, bool Disabled, bool InsteadOf);

/// <summary>One foreign key column as <see cref="SqlServerCatalog.ForeignKeysSql"/> reads it.</summary>
internal sealed record SqlServerForeignKeyRow(string Name, bool Disabled, string Column, TableName Referenced, string ReferencedColumn);

/// <summary>
/// A live table's shape from SQL Server's <c>sys.*</c> catalog views. The statements are constants (checked by
/// ScriptDom in the tests) and take the names as parameters; <see cref="Build"/> turns their rows into the engine's
/// <see cref="LiveTable"/>, so the mapping is tested without a server.
/// </summary>
internal static class SqlServerCatalog
{
    /// <summary>The table's object id into <c>@id</c>, and as the first result (null when there is no such table; @schema, @table).</summary>
    public const string TableSql = """
        DECLARE @id int = (SELECT t.object_id FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
                           WHERE s.name = @schema AND t.name = @table);
        SELECT @id;
        """;

    /// <summary>Columns in order (@id); a default's sequence is found through the default's dependencies, not its text.</summary>
    public const string ColumnsSql = """
        SELECT c.name, TYPE_NAME(c.system_type_id), c.max_length, c.precision, c.scale, c.is_nullable,
               CAST(CASE WHEN c.default_object_id <> 0 THEN 1 ELSE 0 END AS bit), c.is_computed, c.is_identity,
               CAST(CASE WHEN c.generated_always_type <> 0 THEN 1 ELSE 0 END AS bit),
               seq_schema.name, seq.name, c.collation_name
        FROM sys.columns AS c
        LEFT JOIN sys.sql_expression_dependencies AS dep
            ON dep.referencing_id = c.default_object_id AND c.default_object_id <> 0
        LEFT JOIN sys.sequences AS seq ON seq.object_id = dep.referenced_id
        LEFT JOIN sys.schemas AS seq_schema ON seq_schema.schema_id = seq.schema_id
        WHERE c.object_id = @id
        ORDER BY c.column_id;
        """;

    /// <summary>Primary key and unique keys (constraints, and unique indexes without a filter), key columns in key order (@id).</summary>
    public const string KeysSql = """
        SELECT i.name, i.is_primary_key, c.name
        FROM sys.indexes AS i
        JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
        JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
        WHERE i.object_id = @id AND i.is_unique = 1 AND i.has_filter = 0 AND i.is_disabled = 0
          AND ic.is_included_column = 0
        ORDER BY i.is_primary_key DESC, i.name, ic.key_ordinal;
        """;

    /// <summary>Foreign keys with their columns in key order (@id); disabled ones are read too, and reported.</summary>
    public const string ForeignKeysSql = """
        SELECT fk.name, fk.is_disabled, pc.name, rs.name, rt.name, rc.name
        FROM sys.foreign_keys AS fk
        JOIN sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id
        JOIN sys.columns AS pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
        JOIN sys.tables AS rt ON rt.object_id = fkc.referenced_object_id
        JOIN sys.schemas AS rs ON rs.schema_id = rt.schema_id
        JOIN sys.columns AS rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
        WHERE fk.parent_object_id = @id
        ORDER BY fk.name, fkc.constraint_column_id;
        """;

    /// <summary>The table's DML triggers (@id): they fire on the rows a restore writes, and are reported.</summary>
    public const string TriggersSql = """
        SELECT tr.name, tr.is_disabled, tr.is_instead_of_trigger FROM sys.triggers AS tr WHERE tr.parent_id = @id ORDER BY tr.name;
        """;

    /// <summary>
    /// The engine's <see cref="LiveTable"/> from the catalog's rows. A column of a type whose values have no text that
    /// round trips (hierarchyid, geography, geometry, sql_variant) fails the table naming it, unless the server
    /// computes it (then it is never read or written).
    /// </summary>
    /// <exception cref="RestoreTableException">A column has an unsupported type.</exception>
    public static LiveTable Build(TableName name, IReadOnlyList<SqlServerColumnRow> columns, IReadOnlyList<SqlServerKeyRow> keys, IReadOnlyList<SqlServerForeignKeyRow> foreignKeys, IReadOnlyList<SqlServerTriggerRow>? triggers = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(foreignKeys);
        var live = new List<LiveColumn>(columns.Count);
        foreach (var column in columns)
        {
            var type = SqlServerType.From(column.SystemType, column.Scale);
            var neverWritten = column.Computed || column.GeneratedAlways || type?.Kind == SqlServerTypeKind.RowVersion;
            if (type is null && !neverWritten)
            {
                throw RestoreTableException.Incompatible($"column {column.Name} of {name}: {SqlServerType.Unsupported(column.SystemType)}; leave the table out (--exclude-table) or restore it another way");
            }

            live.Add(new LiveColumn(
                column.Name,
                live.Count + 1,
                Spell(column),
                !column.Nullable,
                column.HasDefault || column.Identity,
                neverWritten,
                column.Identity ? IdentityColumn.Always : IdentityColumn.None,
                column.Sequence));
        }

        // The primary key first (the query orders it so), then each unique key once.
        var primaryKey = keys.Where(k => k.Primary).Select(k => k.Column).ToList();
        var uniqueKeys = keys.Where(k => !k.Primary).GroupBy(k => k.Index, StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)[.. g.Select(k => k.Column)]).ToList();
        var references = foreignKeys.GroupBy(k => k.Name, StringComparer.Ordinal)
            .Select(g => new LiveForeignKey(g.Key, [.. g.Select(k => k.Column)], g.First().Referenced, [.. g.Select(k => k.ReferencedColumn)], Deferrable: false) { Enforced = !g.First().Disabled })
            .ToList();
        // A disabled foreign key does not check the rows restored; a trigger acts on them.
        var notes = foreignKeys.Where(k => k.Disabled).Select(k => k.Name).Distinct(StringComparer.Ordinal)
            .Select(k => $"foreign key {k} is disabled (NOCHECK): the rows restored are not checked against it")
            .Concat((triggers ?? []).Select(t => t.Disabled
                ? $"trigger {t.Name} is disabled"
                : t.InsteadOf
                    ? $"INSTEAD OF trigger {t.Name} replaces the restore's writes: what it does is what gets written"
                    : $"trigger {t.Name} fires for the rows written (it may change or add rows)"))
            .ToList();
        return new LiveTable(name, live, primaryKey, uniqueKeys, references, IsPartitioned: false) { Notes = notes };
    }

    /// <summary>
    /// Reads <paramref name="name"/>'s shape in one round trip (five result sets), inside <paramref name="transaction"/>
    /// when given; null when there is no such table. The names go as parameters.
    /// </summary>
    /// <exception cref="RestoreTableException">A column has an unsupported type.</exception>
    public static async Task<SqlServerTableShape?> ReadAsync(SqlConnection connection, SqlTransaction? transaction, TableName name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = new SqlCommand(TableSql + "\n" + ColumnsSql + "\n" + KeysSql + "\n" + ForeignKeysSql + "\n" + TriggersSql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new SqlParameter("@schema", System.Data.SqlDbType.NVarChar, 128) { Value = name.Schema });
            command.Parameters.Add(new SqlParameter("@table", System.Data.SqlDbType.NVarChar, 128) { Value = name.Name });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(0))
                {
                    return null;
                }

                var columns = new List<SqlServerColumnRow>();
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    TableName? sequence = reader.IsDBNull(11) ? null : new TableName(reader.GetString(10), reader.GetString(11));
                    columns.Add(new SqlServerColumnRow(
                        reader.GetString(0), reader.GetString(1), reader.GetInt16(2), reader.GetByte(3), reader.GetByte(4), reader.GetBoolean(5),
                        reader.GetBoolean(6), reader.GetBoolean(7), reader.GetBoolean(8), reader.GetBoolean(9), sequence, reader.IsDBNull(12) ? null : reader.GetString(12)));
                }

                var keys = new List<SqlServerKeyRow>();
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    keys.Add(new SqlServerKeyRow(reader.GetString(0), reader.GetBoolean(1), reader.GetString(2)));
                }

                var foreignKeys = new List<SqlServerForeignKeyRow>();
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    foreignKeys.Add(new SqlServerForeignKeyRow(reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), new TableName(reader.GetString(3), reader.GetString(4)), reader.GetString(5)));
                }

                var triggers = new List<SqlServerTriggerRow>();
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    triggers.Add(new SqlServerTriggerRow(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
                }

                return new SqlServerTableShape(Build(name, columns, keys, foreignKeys, triggers), columns);
            }
        }
    }

    /// <summary>The column's type as T-SQL spells it in a declaration: <c>nvarchar(50)</c>, <c>decimal(18, 2)</c>, <c>varbinary(max)</c>, <c>datetime2(3)</c>.</summary>
    public static string Spell(SqlServerColumnRow column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var type = column.SystemType.ToLowerInvariant();
        var invariant = CultureInfo.InvariantCulture;
        return type switch
        {
            "char" or "varchar" or "binary" or "varbinary" => $"{type}({(column.MaxLength < 0 ? "max" : column.MaxLength.ToString(invariant))})",

            // max_length counts bytes: two per nchar/nvarchar character.
            "nchar" or "nvarchar" => $"{type}({(column.MaxLength < 0 ? "max" : (column.MaxLength / 2).ToString(invariant))})",
            "decimal" or "numeric" => $"{type}({column.Precision.ToString(invariant)}, {column.Scale.ToString(invariant)})",
            "time" or "datetime2" or "datetimeoffset" => $"{type}({column.Scale.ToString(invariant)})",
            _ => type,
        };
    }
}
