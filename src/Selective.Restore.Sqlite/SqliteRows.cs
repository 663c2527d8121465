using System.Buffers;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;

namespace Selective.Restore.Sqlite;

/// <summary>
/// A query's rows as row-text lines (UTF-8), each value in <see cref="SqliteText"/>'s form (the storage class kept), read
/// straight from SQLite's statement (<see cref="SqliteStatement"/>). Rows are printed as the stream is read, as many as
/// fill the reader's buffer, so memory does not grow with the table. Disposing it ends the query.
/// </summary>
internal sealed class SqliteRows : ReadOnlyStream
{
    private readonly SqliteStatement _statement;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private int _consumed;
    private bool _done;
    private bool _disposed;

    private SqliteRows(SqliteStatement statement) => _statement = statement;

    /// <summary>Runs <paramref name="sql"/> (one SELECT) on <paramref name="connection"/>, in its current transaction.</summary>
    public static SqliteRows Open(SqliteConnection connection, string sql) => new(SqliteStatement.Prepare(connection, sql));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // What is left of the last row printed first; then rows until the caller's buffer is full: at most one row's
        // text is held beyond it.
        var total = Take(buffer);
        if (total == buffer.Length)
        {
            return total;
        }

        _pending.ResetWrittenCount();
        _consumed = 0;
        while (_pending.WrittenCount < buffer.Length - total && !_done)
        {
            if (_statement.Step())
            {
                _statement.WriteRowText(_pending);
                _pending.GetSpan(1)[0] = (byte)'\n';
                _pending.Advance(1);
            }
            else
            {
                _done = true;
            }
        }

        return total + Take(buffer[total..]);
    }

    /// <summary>The bytes the row buffer can hold now (tests check it does not grow with the table).</summary>
    internal int BufferCapacity => _pending.Capacity;

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _pending.WrittenCount - _consumed);
        _pending.WrittenSpan.Slice(_consumed, n).CopyTo(buffer);
        _consumed += n;
        return n;
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // SQLite runs in the process: a read is CPU work, done here.
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _statement.Dispose();
        }

        base.Dispose(disposing);
    }
}
