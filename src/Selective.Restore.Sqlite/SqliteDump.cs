using System.Text;
using Microsoft.Data.Sqlite;

namespace Selective.Restore.Sqlite;

/// <summary>
/// Writes a SQLite database as the sqlite3 shell's <c>.dump</c> does (its tables' <c>CREATE</c> statements and one
/// <c>INSERT INTO "t" VALUES(...)</c> per row, in one transaction), without the sqlite3 binary: a backup a restore
/// can read, and that <c>sqlite3 new.db &lt; backup.sql</c> loads. Rows stream from the database to the file.
/// </summary>
public static class SqliteDump
{
    /// <summary>Dumps the database at <paramref name="connectionString"/> (<c>Data Source=app.db</c>) to the file <paramref name="path"/> (UTF-8), read in one transaction.</summary>
    public static async Task WriteAsync(string connectionString, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        await using (file.ConfigureAwait(false))
        {
            await WriteAsync(connectionString, file, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Dumps the database at <paramref name="connectionString"/> to <paramref name="writer"/>, read in one transaction.</summary>
    public static Task WriteAsync(string connectionString, TextWriter writer, CancellationToken cancellationToken = default) =>
        WriteAsync(connectionString, writer, TableFilter.All, cancellationToken);

    /// <summary>
    /// Like <see cref="WriteAsync(string, TextWriter, CancellationToken)"/>, with the rows of the tables <paramref name="selected"/>
    /// leaves out not read: their <c>CREATE</c> statements are still written, so a reader learns their names and columns.
    /// </summary>
    internal static async Task WriteAsync(string connectionString, TextWriter writer, TableFilter selected, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(writer);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        await using var connectionScope = connection.ConfigureAwait(false);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        // One read transaction: every table as of the same moment.
        var transaction = connection.BeginTransaction(deferred: true);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await writer.WriteAsync("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n").ConfigureAwait(false);
        var tables = new List<(string Name, string Sql)>();
        var later = new List<string>();
        var schema = connection.CreateCommand();
        await using (schema.ConfigureAwait(false))
        {
            schema.Transaction = transaction;
            schema.CommandText = "SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type = 'table' DESC, rowid;";
            var reader = await schema.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (string.Equals(reader.GetString(0), "table", StringComparison.Ordinal))
                {
                    tables.Add((reader.GetString(1), reader.GetString(2)));
                }
                else
                {
                    later.Add(reader.GetString(2)); // indexes, views and triggers after the rows, as sqlite3 writes them
                }
            }
        }

        foreach (var (name, sql) in tables)
        {
            await writer.WriteAsync(sql + ";\n").ConfigureAwait(false);
            // A table left out keeps its CREATE statement (the reader learns its name, under the schema "main" as a
            // sqlite3 dump's tables are read) but not its rows.
            if (sql.StartsWith("CREATE VIRTUAL", StringComparison.OrdinalIgnoreCase) || !selected.Matches(new TableName("main", name)))
            {
                continue;
            }

            // Generated columns are never written: SQLite computes them (table_xinfo hidden 2 and 3).
            var columns = new List<string>();
            var info = connection.CreateCommand();
            await using (info.ConfigureAwait(false))
            {
                info.Transaction = transaction;
                info.CommandText = "SELECT name FROM pragma_table_xinfo(@table) WHERE hidden = 0 ORDER BY cid;";
                info.Parameters.AddWithValue("@table", name);
                var reader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    columns.Add(reader.GetString(0));
                }
            }

            var generated = columns.Count < await ColumnCountAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            var rows = connection.CreateCommand();
            await using (rows.ConfigureAwait(false))
            {
                rows.Transaction = transaction;
                rows.CommandText = $"SELECT {string.Join(", ", columns.Select(SqliteSql.Quote))} FROM {SqliteSql.Quote(name)};";
                var reader = await rows.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                var prefix = $"INSERT INTO {SqliteSql.Quote(name)}{(generated ? "(" + string.Join(",", columns.Select(SqliteSql.Quote)) + ")" : string.Empty)} VALUES(";
                var line = new StringBuilder();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    line.Clear().Append(prefix);
                    for (var i = 0; i < columns.Count; i++)
                    {
                        line.Append(i > 0 ? "," : string.Empty).Append(SqliteSql.Literal(reader.IsDBNull(i) ? null : reader.GetValue(i)));
                    }

                    await writer.WriteAsync(line.Append(");\n"), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // AUTOINCREMENT positions, as sqlite3 writes them: the largest key each table ever handed out (the table exists
        // only once an AUTOINCREMENT table has been created).
        if (await HasSequenceTableAsync(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            var sequences = connection.CreateCommand();
            await using var sequencesScope = sequences.ConfigureAwait(false);
            sequences.Transaction = transaction;
            sequences.CommandText = "SELECT name, seq FROM sqlite_sequence;";
            var reader = await sequences.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var first = true;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync((first ? "DELETE FROM sqlite_sequence;\n" : string.Empty) +
                    $"INSERT INTO sqlite_sequence VALUES({SqliteSql.Literal(reader.GetString(0))},{SqliteSql.Literal(reader.GetValue(1))});\n").ConfigureAwait(false);
                first = false;
            }
        }

        foreach (var sql in later)
        {
            await writer.WriteAsync(sql + ";\n").ConfigureAwait(false);
        }

        await writer.WriteAsync("COMMIT;\n").ConfigureAwait(false);
    }

    private static async Task<bool> HasSequenceTableAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.Transaction = transaction;
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence');";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    private static async Task<long> ColumnCountAsync(SqliteConnection connection, SqliteTransaction transaction, string table, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM pragma_table_xinfo(@table) WHERE hidden <> 1;";
        command.Parameters.AddWithValue("@table", table);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
