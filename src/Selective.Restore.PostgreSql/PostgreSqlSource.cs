using System.Text;
using Npgsql;
using Selective.Restore.Dump;
using Selective.Restore.PostgreSql;

namespace Selective.Restore;

/// <summary>
/// A PostgreSQL database as a restore's source (a PITR clone, a replica out of rotation, a database restored from a
/// backup next to the live one): read as pg_dump writes a plain dump (its tables' rows as <c>COPY</c> text with
/// pg_dump's output settings, its sequences' positions), from one REPEATABLE READ, READ ONLY snapshot per pass, so
/// every table is as of the same moment. Streamed: no dump file is written.
/// </summary>
public sealed class PostgreSqlSource : DumpSource
{
    // Ordinary tables and partitions with rows (pg_dump dumps partitions' rows under their own names), outside the
    // system schemas and extensions; generated columns are never dumped.
    private const string TablesSql = """
        SELECT n.nspname, c.relname,
               array(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum)
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2
        """;

    // With the table that owns each sequence (serial, identity, OWNED BY), if any.
    private const string SequencesSql = """
        SELECT n.nspname, c.relname, tn.nspname, t.relname
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_depend o ON o.classid = 'pg_catalog.pg_class'::regclass AND o.objid = c.oid
             AND o.refclassid = 'pg_catalog.pg_class'::regclass AND o.deptype IN ('a', 'i')
        LEFT JOIN pg_catalog.pg_class t ON t.oid = o.refobjid
        LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2
        """;

    private readonly string _connectionString;
    private readonly NpgsqlConnectionStringBuilder _builder;

    /// <summary>The database at <paramref name="connectionString"/> (an Npgsql connection string; never logged or reported).</summary>
    public PostgreSqlSource(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _builder = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        _connectionString = _builder.ConnectionString;
    }

    /// <inheritdoc/>
    public override string Description => $"postgresql://{_builder.Username}@{_builder.Host}:{_builder.Port}/{_builder.Database}";

    /// <inheritdoc/>
    public override string Fingerprint => "postgresql " + Address;

    private string Address => $"{_builder.Host}:{_builder.Port}/{_builder.Database}";

    /// <inheritdoc/>
    public override DumpFormat? Format => DumpFormat.PlainSql;

    /// <summary>The same server (host and port) and database as the target, whoever connects.</summary>
    public override bool IsSameDatabase(string targetDescription)
    {
        ArgumentNullException.ThrowIfNull(targetDescription);
        return targetDescription.StartsWith("postgresql://", StringComparison.Ordinal)
            && targetDescription.EndsWith("@" + Address, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override DumpReader Open(DumpReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tables = options.Tables;
        return OpenProduced((output, cancellationToken) => WriteAsync(output, tables, cancellationToken), new DumpReaderOptions { Tables = options.Tables, Database = options.Database, MaxBufferedBytes = options.MaxBufferedBytes, SourceName = Description });
    }

    /// <summary>
    /// Writes the database as a plain pg_dump (data only) to <paramref name="output"/>. A table <paramref name="selected"/>
    /// leaves out is written as an empty COPY block: the reader still learns its name (for pattern checks and hints), but
    /// its rows are never read from the server, nor are the sequences it owns.
    /// </summary>
    private async Task WriteAsync(Stream output, TableFilter selected, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        await using var connectionScope = connection.ConfigureAwait(false);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await Execute(connection, "SET TRANSACTION READ ONLY; " + PostgreSqlLiveRows.OutputSettings, cancellationToken).ConfigureAwait(false);
        await Write(output, "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n", cancellationToken).ConfigureAwait(false);

        var tables = new List<(TableName Name, string[] Columns)>();
        var list = new NpgsqlCommand(TablesSql, connection);
        await using (list.ConfigureAwait(false))
        {
            var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add((new TableName(reader.GetString(0), reader.GetString(1)), reader.GetFieldValue<string[]>(2)));
            }
        }

        var buffer = new byte[64 * 1024];
        foreach (var (name, columns) in tables)
        {
            var list2 = string.Join(", ", columns.Select(PgSql.Quote));
            await Write(output, $"\nCOPY {PgSql.Quote(name)} ({list2}) FROM stdin;\n", cancellationToken).ConfigureAwait(false);
            if (!selected.Matches(name))
            {
                await Write(output, "\\.\n", cancellationToken).ConfigureAwait(false);
                continue;
            }

            var rows = await PostgreSqlLiveRows.OpenAsync(connection, name, columns, cancellationToken).ConfigureAwait(false);
            await using (rows.ConfigureAwait(false))
            {
                int n;
                while ((n = await rows.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }
            }

            await Write(output, "\\.\n", cancellationToken).ConfigureAwait(false);
        }

        var sequences = new List<TableName>();
        var seqList = new NpgsqlCommand(SequencesSql, connection);
        await using (seqList.ConfigureAwait(false))
        {
            var reader = await seqList.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // As pg_dump -t: a sequence owned by a table left out is left out too (and never read).
                if (reader.IsDBNull(3) || selected.Matches(new TableName(reader.GetString(2), reader.GetString(3))))
                {
                    sequences.Add(new TableName(reader.GetString(0), reader.GetString(1)));
                }
            }
        }

        foreach (var sequence in sequences)
        {
            var position = new NpgsqlCommand($"SELECT last_value, is_called FROM {PgSql.Quote(sequence)}", connection);
            await using var positionScope = position.ConfigureAwait(false);
            var reader = await position.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var literal = PgSql.RegClass(sequence).Replace("'", "''", StringComparison.Ordinal);
            await Write(output, $"\nSELECT pg_catalog.setval('{literal}', {reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture)}, {(reader.GetBoolean(1) ? "true" : "false")});\n", cancellationToken).ConfigureAwait(false);
        }

        await Write(output, "\n--\n-- PostgreSQL database dump complete\n--\n\n", cancellationToken).ConfigureAwait(false);
    }

    private static ValueTask Write(Stream output, string text, CancellationToken cancellationToken) =>
        output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using var commandScope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
