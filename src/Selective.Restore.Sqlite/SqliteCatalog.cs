using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>A live table as SQLite describes it, with what only SQLite has: the rowid alias and AUTOINCREMENT.</summary>
/// <param name="Table">The engine's shape.</param>
/// <param name="RowidAlias">The INTEGER PRIMARY KEY column, an alias of the rowid (SQLite gives it a value when none is written), or null.</param>
/// <param name="Autoincrement">The table is AUTOINCREMENT: <c>sqlite_sequence</c> keeps the largest key ever handed out.</param>
/// <param name="WithoutRowid">A WITHOUT ROWID table (its primary key is its storage).</param>
internal sealed record SqliteTableShape(LiveTable Table, string? RowidAlias, bool Autoincrement, bool WithoutRowid);

/// <summary>
/// Reads a table's shape with SQLite's table-valued pragmas (<c>pragma_table_xinfo</c>, <c>pragma_index_list</c>,
/// <c>pragma_index_info</c>, <c>pragma_foreign_key_list</c>), names always as parameters.
/// </summary>
internal static partial class SqliteCatalog
{
    /// <summary>The table's <c>CREATE</c> statement (@database, @table), or no row.</summary>
    public static string TableSql(string database) =>
        $"SELECT sql FROM {SqliteSql.Quote(database)}.sqlite_master WHERE type = 'table' AND name = @table;";

    public const string ColumnsSql = """SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(@table, @database) ORDER BY cid;""";

    public const string IndexesSql = """SELECT name, "unique", origin, partial FROM pragma_index_list(@table, @database);""";

    public const string IndexColumnsSql = """SELECT name FROM pragma_index_info(@index, @database) ORDER BY seqno;""";

    public const string ForeignKeysSql = """SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(@table, @database) ORDER BY id, seq;""";

    /// <summary>Reads <paramref name="name"/>'s shape, or null when there is no such table.</summary>
    /// <exception cref="RestoreTableException">A virtual table, which holds no rows of its own to restore.</exception>
    public static async Task<SqliteTableShape?> ReadAsync(SqliteConnection connection, TableName name, CancellationToken cancellationToken = default)
    {
        var database = SqliteSql.Database(name);
        string? sql;
        var command1 = Command(connection, TableSql(database), database, name.Name);
        await using (command1.ConfigureAwait(false))
        {
            sql = await command1.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }

        if (sql is null)
        {
            return null;
        }

        if (VirtualTable().IsMatch(sql))
        {
            throw RestoreTableException.Incompatible($"{name} is a virtual table: its rows belong to its module, so they cannot be restored row by row");
        }

        var columns = new List<(string Name, string Type, bool NotNull, bool HasDefault, int Pk, int Hidden)>();
        var command2 = Command(connection, ColumnsSql, database, name.Name);
        await using (command2.ConfigureAwait(false))
        {
            var reader = await command2.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.IsDBNull(1) ? string.Empty : reader.GetString(1), reader.GetInt64(2) != 0, !reader.IsDBNull(3), (int)reader.GetInt64(4), (int)reader.GetInt64(5)));
            }
        }

        var withoutRowid = WithoutRowid().IsMatch(sql);
        var primaryKey = columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => c.Name).ToList();

        // INTEGER PRIMARY KEY (exactly that type name) in a rowid table is the rowid itself: SQLite numbers it when no value is written.
        var alias = !withoutRowid && primaryKey.Count == 1 && string.Equals(columns.First(c => c.Pk == 1).Type, "INTEGER", StringComparison.OrdinalIgnoreCase) ? primaryKey[0] : null;
        var autoincrement = alias is not null && Autoincrement().IsMatch(sql);
        var live = columns.Where(c => c.Hidden != 1).Select((c, i) => new LiveColumn(
            c.Name,
            i + 1,
            c.Type,
            c.NotNull || (c.Pk > 0 && (withoutRowid || alias is not null)),
            c.HasDefault || string.Equals(c.Name, alias, StringComparison.Ordinal),
            c.Hidden is 2 or 3,
            string.Equals(c.Name, alias, StringComparison.Ordinal) ? IdentityColumn.ByDefault : IdentityColumn.None,
            autoincrement && string.Equals(c.Name, alias, StringComparison.Ordinal) ? new TableName(database, "sqlite_sequence") : null)).ToList();

        var unique = new List<IReadOnlyList<string>>();
        var indexes = new List<string>();
        var command3 = Command(connection, IndexesSql, database, name.Name);
        await using (command3.ConfigureAwait(false))
        {
            var reader = await command3.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // A partial unique index does not make its columns unique across the table; the primary key is read above.
                if (reader.GetInt64(1) == 1 && reader.GetInt64(3) == 0 && !string.Equals(reader.GetString(2), "pk", StringComparison.Ordinal))
                {
                    indexes.Add(reader.GetString(0));
                }
            }
        }

        foreach (var index in indexes)
        {
            var keyColumns = new List<string>();
            var expression = false;
            var command4 = Command(connection, IndexColumnsSql, database, null);
            await using (command4.ConfigureAwait(false))
            {
                command4.Parameters.AddWithValue("@index", index);
                var reader = await command4.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.IsDBNull(0))
                    {
                        expression = true; // an index on an expression identifies no column
                    }
                    else
                    {
                        keyColumns.Add(reader.GetString(0));
                    }
                }
            }

            if (!expression && keyColumns.Count > 0)
            {
                unique.Add(keyColumns);
            }
        }

        var references = new List<(long Id, string Parent, string From, string? To)>();
        var command5 = Command(connection, ForeignKeysSql, database, name.Name);
        await using (command5.ConfigureAwait(false))
        {
            var reader = await command5.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                references.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }

        var foreignKeys = new List<LiveForeignKey>();
        foreach (var group in references.GroupBy(r => r.Id))
        {
            var parent = new TableName(database, group.First().Parent);

            // REFERENCES parent without columns means the parent's primary key.
            IReadOnlyList<string> to = group.All(r => r.To is not null)
                ? [.. group.Select(r => r.To!)]
                : await PrimaryKeyAsync(connection, parent, cancellationToken).ConfigureAwait(false);
            foreignKeys.Add(new LiveForeignKey($"{name.Name}_fk{group.Key}", [.. group.Select(r => r.From)], parent, to, Deferrable: false));
        }

        var notes = foreignKeys.Count > 0
            ? (IReadOnlyList<string>)["SQLite checks foreign keys only on connections that turn them on: this restore turns them on (PRAGMA foreign_keys = ON), so the rows it writes are checked"]
            : [];
        return new SqliteTableShape(new LiveTable(name, live, primaryKey, unique, foreignKeys, IsPartitioned: false) { Notes = notes }, alias, autoincrement, withoutRowid);
    }

    private static async Task<IReadOnlyList<string>> PrimaryKeyAsync(SqliteConnection connection, TableName table, CancellationToken cancellationToken)
    {
        var key = new List<(int Pk, string Name)>();
        var command = Command(connection, """SELECT pk, name FROM pragma_table_info(@table, @database) WHERE pk > 0;""", SqliteSql.Database(table), table.Name);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            key.Add(((int)reader.GetInt64(0), reader.GetString(1)));
        }

        return [.. key.OrderBy(k => k.Pk).Select(k => k.Name)];
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string database, string? table)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@database", database);
        if (table is not null)
        {
            command.Parameters.AddWithValue("@table", table);
        }

        return command;
    }

    [GeneratedRegex(@"^\s*CREATE\s+VIRTUAL\s+TABLE", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex VirtualTable();

    [GeneratedRegex(@"\)\s*(STRICT\s*,\s*)?WITHOUT\s+ROWID\s*(,\s*STRICT\s*)?;?\s*$", RegexOptions.ExplicitCapture | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WithoutRowid();

    [GeneratedRegex(@"\bAUTOINCREMENT\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Autoincrement();
}
