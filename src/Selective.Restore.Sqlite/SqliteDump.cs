using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using SQLitePCL;

namespace Selective.Restore.Sqlite;

/// <summary>
/// Writes a SQLite database as the sqlite3 shell's <c>.dump</c> does (its tables' <c>CREATE</c> statements and one
/// <c>INSERT INTO "t" VALUES(...)</c> per row, in one transaction), without the sqlite3 binary: a backup a restore
/// can read, and that <c>sqlite3 new.db &lt; backup.sql</c> loads. Rows stream from the database to the file.
/// </summary>
public static class SqliteDump
{
    // Output is written in chunks of about this many bytes.
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Dumps the database at <paramref name="connectionString"/> (<c>Data Source=app.db</c>) to the file <paramref name="path"/> (UTF-8), read in one transaction.</summary>
    public static async Task WriteAsync(string connectionString, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        await using (file.ConfigureAwait(false))
        {
            await WriteAsync(connectionString, file, TableFilter.All, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Dumps the database at <paramref name="connectionString"/> to <paramref name="writer"/>, read in one transaction.</summary>
    public static async Task WriteAsync(string connectionString, TextWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(writer);
        var output = new TextWriterStream(writer);
        await using (output.ConfigureAwait(false))
        {
            await WriteAsync(connectionString, output, TableFilter.All, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes the dump to <paramref name="output"/> as UTF-8, with the rows of the tables <paramref name="selected"/> leaves
    /// out not read: their <c>CREATE</c> statements are still written, so a reader learns their names and columns. Rows are
    /// read straight from SQLite's statements and printed as UTF-8 (<see cref="SqliteStatement"/>), in chunks.
    /// </summary>
    internal static async Task WriteAsync(string connectionString, Stream output, TableFilter selected, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(output);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        await using var connectionScope = connection.ConfigureAwait(false);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        // One read transaction: every table as of the same moment.
        var transaction = connection.BeginTransaction(deferred: true);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + 4096);
        Write(buffer, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
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
            Write(buffer, sql + ";\n");
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
            var prefix = Encoding.UTF8.GetBytes($"INSERT INTO {SqliteSql.Quote(name)}{(generated ? "(" + string.Join(",", columns.Select(SqliteSql.Quote)) + ")" : string.Empty)} VALUES(");
            using var rows = SqliteStatement.Prepare(connection, $"SELECT {string.Join(", ", columns.Select(SqliteSql.Quote))} FROM {SqliteSql.Quote(name)};");
            while (rows.Step())
            {
                buffer.Write(prefix);
                for (var i = 0; i < rows.ColumnCount; i++)
                {
                    if (i > 0)
                    {
                        buffer.GetSpan(1)[0] = (byte)',';
                        buffer.Advance(1);
                    }

                    WriteLiteral(rows, i, buffer);
                }

                buffer.Write(");\n"u8);
                if (buffer.WrittenCount >= ChunkBytes)
                {
                    await FlushAsync(buffer, output, cancellationToken).ConfigureAwait(false);
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
                Write(buffer, (first ? "DELETE FROM sqlite_sequence;\n" : string.Empty) +
                    $"INSERT INTO sqlite_sequence VALUES({SqliteSql.Literal(reader.GetString(0))},{SqliteSql.Literal(reader.GetValue(1))});\n");
                first = false;
            }
        }

        foreach (var sql in later)
        {
            Write(buffer, sql + ";\n");
        }

        Write(buffer, "COMMIT;\n");
        await FlushAsync(buffer, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A value as <see cref="SqliteSql.Literal"/> writes it, from the statement's current row.</summary>
    private static void WriteLiteral(SqliteStatement rows, int i, ArrayBufferWriter<byte> buffer)
    {
        switch (rows.Type(i))
        {
            case raw.SQLITE_INTEGER:
                SqliteFields.WriteInteger(rows.Integer(i), buffer);
                break;
            case raw.SQLITE_FLOAT:
                var real = rows.Real(i);
                if (double.IsNaN(real))
                {
                    buffer.Write("NULL"u8);
                }
                else
                {
                    SqliteFields.WriteReal(real, buffer);
                }

                break;
            case raw.SQLITE_TEXT:
                SqliteSql.WriteTextLiteral(rows.Text(i), buffer);
                break;
            case raw.SQLITE_BLOB:
                SqliteFields.WriteBlob(rows.Blob(i), buffer);
                break;
            default:
                buffer.Write("NULL"u8);
                break;
        }
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static async Task FlushAsync(ArrayBufferWriter<byte> buffer, Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        buffer.ResetWrittenCount();
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

    /// <summary>UTF-8 written to a <see cref="TextWriter"/> as text (the writer is not flushed: its owner does that).</summary>
    private sealed class TextWriterStream(TextWriter writer) : Stream
    {
        private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
        private char[] _chars = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(_chars.AsSpan(0, Decode(buffer)));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Decode(buffer.Span);
            await writer.WriteAsync(_chars.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }

        private int Decode(ReadOnlySpan<byte> bytes)
        {
            var max = _decoder.GetCharCount(bytes, flush: false);
            if (_chars.Length < max)
            {
                _chars = new char[Math.Max(max, 4096)];
            }

            return _decoder.GetChars(bytes, _chars, flush: false);
        }
    }
}
