using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>Reads a live table's shape from pg_catalog (PostgreSQL 12 or later).</summary>
internal static class PostgreSqlCatalog
{
    private const string TableSql = """
        SELECT c.oid, c.relkind = 'p'
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
        """;

    // Serial and identity columns own their sequence (pg_depend 'a'/'i'); a plain nextval() default depends on it ('n').
    private const string ColumnsSql = """
        SELECT a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef,
               a.attgenerated <> '', NULLIF(a.attidentity, ''), seq.nspname, seq.relname
        FROM pg_catalog.pg_attribute a
        LEFT JOIN LATERAL (
            SELECT sn.nspname, s.relname
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
              AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype IN ('a', 'i')
            UNION ALL
            SELECT sn.nspname, s.relname
            FROM pg_catalog.pg_attrdef ad
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid
                                       AND d.refclassid = 'pg_catalog.pg_class'::regclass
            JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            LIMIT 1) seq ON true
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """;

    private const string ConstraintsSql = """
        SELECT con.contype, con.conname, con.condeferrable,
               ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
               fn.nspname, fc.relname,
               ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
        FROM pg_catalog.pg_constraint con
        LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
        LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE con.conrelid = $1 AND con.contype IN ('p', 'u', 'f')
        ORDER BY con.contype, con.conname
        """;

    // Foreign keys of the table's inheritance relatives (parents, and children of the same parent). Old-style
    // inheritance does not copy foreign keys, so one child may have one that a sibling lacks (pagila's payment_p2007_07
    // has none, payment_p2007_01 references customer): the rows of both reference the same parent all the same.
    private const string RelativesForeignKeysSql = """
        WITH relatives AS (
            SELECT i.inhparent AS oid FROM pg_catalog.pg_inherits i WHERE i.inhrelid = $1
            UNION
            SELECT s.inhrelid FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_inherits s ON s.inhparent = i.inhparent
            WHERE i.inhrelid = $1 AND s.inhrelid <> $1)
        SELECT con.conname, rc.relname,
               ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
               fn.nspname, fc.relname,
               ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
        FROM relatives r
        JOIN pg_catalog.pg_constraint con ON con.conrelid = r.oid AND con.contype = 'f'
        JOIN pg_catalog.pg_class rc ON rc.oid = con.conrelid
        JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
        JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
        ORDER BY rc.relname, con.conname
        """;

    // Unique indexes that back no constraint (CREATE UNIQUE INDEX, as older Rails made for schema_migrations) can key the
    // rows too, when ON CONFLICT can use them as its arbiter: valid, immediate, on plain columns, not partial.
    private const string UniqueIndexesSql = """
        SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num ORDER BY k.ord)
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = $1 AND i.indisunique AND NOT i.indisprimary AND i.indisvalid AND i.indimmediate
          AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT (0 = ANY (i.indkey::int2[]))
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
        ORDER BY i.indnkeyatts, ic.relname
        """;

    public static async Task<LiveTable?> ReadAsync(NpgsqlConnection connection, TableName name, CancellationToken cancellationToken)
    {
        uint oid;
        bool partitioned;
        var command = new NpgsqlCommand(TableSql, connection);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = name.Schema });
            command.Parameters.Add(new NpgsqlParameter { Value = name.Name });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            oid = reader.GetFieldValue<uint>(0);
            partitioned = reader.GetBoolean(1);
        }

        var columns = new List<LiveColumn>();
        var columnsCommand = new NpgsqlCommand(ColumnsSql, connection);
        await using (columnsCommand.ConfigureAwait(false))
        {
            columnsCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var reader = await columnsCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var position = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var identity = reader.IsDBNull(6) ? IdentityColumn.None : reader.GetChar(6) == 'a' ? IdentityColumn.Always : IdentityColumn.ByDefault;
                TableName? sequence = reader.IsDBNull(7) ? null : new TableName(reader.GetString(7), reader.GetString(8));
                columns.Add(new LiveColumn(reader.GetString(0), ++position, reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetBoolean(5), identity, sequence));
            }
        }

        var primaryKey = new List<string>();
        var uniqueKeys = new List<IReadOnlyList<string>>();
        var deferrableKeys = new List<IReadOnlyList<string>>();
        var foreignKeys = new List<LiveForeignKey>();
        var constraintsCommand = new NpgsqlCommand(ConstraintsSql, connection);
        await using (constraintsCommand.ConfigureAwait(false))
        {
            constraintsCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var reader = await constraintsCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var kind = reader.GetChar(0);
                var keyColumns = reader.GetFieldValue<string[]>(3);
                if (kind is 'p' or 'u' && reader.GetBoolean(2))
                {
                    deferrableKeys.Add(keyColumns);
                }

                switch (kind)
                {
                    case 'p':
                        primaryKey.AddRange(keyColumns);
                        break;
                    case 'u':
                        uniqueKeys.Add(keyColumns);
                        break;
                    default:
                        foreignKeys.Add(new LiveForeignKey(
                            reader.GetString(1),
                            keyColumns,
                            new TableName(reader.GetString(4), reader.GetString(5)),
                            reader.GetFieldValue<string[]>(6),
                            reader.GetBoolean(2)));
                        break;
                }
            }
        }

        // A relative's foreign key over columns this table has too is followed here as well (key maps, parents first,
        // failing with the parent); it is not enforced, so it never blocks a cycle (deferrable).
        var relativesCommand = new NpgsqlCommand(RelativesForeignKeysSql, connection);
        await using (relativesCommand.ConfigureAwait(false))
        {
            relativesCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var reader = await relativesCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var keyColumns = reader.GetFieldValue<string[]>(2);
                var referenced = new TableName(reader.GetString(3), reader.GetString(4));
                if (keyColumns.All(c => columns.Exists(l => string.Equals(l.Name, c, StringComparison.Ordinal))) &&
                    !foreignKeys.Exists(fk => fk.ReferencedTable == referenced && fk.Columns.SequenceEqual(keyColumns, StringComparer.Ordinal)))
                {
                    foreignKeys.Add(new LiveForeignKey(
                        $"{reader.GetString(0)} (of inheritance relative {reader.GetString(1)})", keyColumns, referenced, reader.GetFieldValue<string[]>(5), Deferrable: true)
                    { Enforced = false });
                }
            }
        }

        var indexesCommand = new NpgsqlCommand(UniqueIndexesSql, connection);
        await using (indexesCommand.ConfigureAwait(false))
        {
            indexesCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            var reader = await indexesCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                uniqueKeys.Add(reader.GetFieldValue<string[]>(0));
            }
        }

        var rulesCommand = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite WHERE ev_class = $1 AND ev_type IN ('2', '3'))", connection);
        bool hasWriteRules;
        await using (rulesCommand.ConfigureAwait(false))
        {
            rulesCommand.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            hasWriteRules = (bool)(await rulesCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        return new LiveTable(name, columns, primaryKey, uniqueKeys, foreignKeys, partitioned) { HasWriteRules = hasWriteRules, DeferrableKeys = deferrableKeys };
    }
}
