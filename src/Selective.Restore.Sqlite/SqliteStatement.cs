using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using SQLitePCL;

namespace Selective.Restore.Sqlite;

/// <summary>
/// A query stepped through SQLite's own API on a connection's handle (<see cref="SqliteConnection.Handle"/>), for the
/// paths that read every row of a table: each value is read by its storage class straight from the statement (no boxed
/// value, no string), and printed as UTF-8 with <see cref="SqliteFields"/>. Runs in whatever transaction the connection
/// has open. Disposing it finalizes the statement.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private byte[]? _transcoded;

    private SqliteStatement(SqliteConnection connection, sqlite3_stmt statement)
    {
        _connection = connection;
        _statement = statement;
        ColumnCount = raw.sqlite3_column_count(statement);
    }

    /// <summary>Prepares <paramref name="sql"/> (one statement) on the open <paramref name="connection"/>.</summary>
    /// <exception cref="SqliteException">SQLite refused the statement.</exception>
    public static SqliteStatement Prepare(SqliteConnection connection, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            throw new InvalidOperationException("SQLite prepared no statement (an empty query?)");
        }

        return new SqliteStatement(connection, statement);
    }

    public int ColumnCount { get; }

    /// <summary>Moves to the next row: false after the last.</summary>
    /// <exception cref="SqliteException">SQLite failed (a busy database past its timeout: SQLITE_BUSY, transient).</exception>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }

        return false;
    }

    /// <summary>The storage class of the current row's value in column <paramref name="i"/> (<c>raw.SQLITE_INTEGER</c>...).</summary>
    public int Type(int i) => raw.sqlite3_column_type(_statement, i);

    public long Integer(int i) => raw.sqlite3_column_int64(_statement, i);

    public double Real(int i) => raw.sqlite3_column_double(_statement, i);

    public ReadOnlySpan<byte> Blob(int i) => raw.sqlite3_column_blob(_statement, i);

    /// <summary>
    /// A TEXT value's UTF-8 (valid for the current row only). Bytes that are not UTF-8 come back as Microsoft.Data.Sqlite's
    /// <see cref="SqliteDataReader.GetString"/> reads them (each bad sequence a U+FFFD), so the value prints as it did
    /// through the reader.
    /// </summary>
    public ReadOnlySpan<byte> Text(int i)
    {
        // column_text first (it converts a UTF-16 database's text), then column_bytes: the length of that UTF-8.
        var text = raw.sqlite3_column_text(_statement, i);
        var length = raw.sqlite3_column_bytes(_statement, i);
        var bytes = length == 0 ? [] : MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in text.GetPinnableReference()), length);
        if (Utf8.IsValid(bytes))
        {
            return bytes;
        }

        var decoded = Encoding.UTF8.GetString(bytes);
        var size = Encoding.UTF8.GetByteCount(decoded);
        if (_transcoded is null || _transcoded.Length < size)
        {
            _transcoded = new byte[Math.Max(size, 256)];
        }

        var written = Encoding.UTF8.GetBytes(decoded, _transcoded);
        return _transcoded.AsSpan(0, written);
    }

    /// <summary>The current row as a row-text line's fields (<see cref="SqliteText"/>'s forms, escaped), tab-separated, without the newline.</summary>
    public void WriteRowText(IBufferWriter<byte> destination)
    {
        for (var i = 0; i < ColumnCount; i++)
        {
            if (i > 0)
            {
                destination.GetSpan(1)[0] = (byte)'\t';
                destination.Advance(1);
            }

            switch (Type(i))
            {
                case raw.SQLITE_INTEGER:
                    SqliteFields.WriteInteger(Integer(i), destination);
                    break;
                case raw.SQLITE_FLOAT:
                    var real = Real(i);
                    if (double.IsNaN(real))
                    {
                        destination.Write(CopyText.Null);
                    }
                    else
                    {
                        SqliteFields.WriteReal(real, destination);
                    }

                    break;
                case raw.SQLITE_TEXT:
                    SqliteFields.WriteText(Text(i), destination);
                    break;
                case raw.SQLITE_BLOB:
                    SqliteFields.WriteBlob(Blob(i), destination);
                    break;
                default:
                    destination.Write(CopyText.Null);
                    break;
            }
        }
    }

    public void Dispose() => _statement.Dispose();
}
