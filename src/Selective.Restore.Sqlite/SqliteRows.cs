using System.Buffers;
using System.Data.Common;
using Selective.Restore.Dump;

namespace Selective.Restore.Sqlite;

/// <summary>
/// A query's rows as a stream of row-text lines (UTF-8), each value in <see cref="SqliteText"/>'s form (the storage
/// class kept), formatted as the stream is read, so memory does not grow with the table. The stream owns the reader
/// and the command: disposing it ends the query.
/// </summary>
internal sealed class SqliteRows(DbDataReader reader, DbCommand command) : ReadOnlyStream
{
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private int _consumed;
    private bool _done;
    private bool _disposed;

    public override int Read(Span<byte> buffer)
    {
        while (Available == 0 && !_done)
        {
            Fill(reader.Read());
        }

        return Take(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (Available == 0 && !_done)
        {
            Fill(await reader.ReadAsync(cancellationToken).ConfigureAwait(false));
        }

        return Take(buffer.Span);
    }

    private int Available => _pending.WrittenCount - _consumed;

    private void Fill(bool hasRow)
    {
        if (!hasRow)
        {
            _done = true;
            return;
        }

        if (_consumed == _pending.WrittenCount)
        {
            _pending.ResetWrittenCount();
            _consumed = 0;
        }

        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (i > 0)
            {
                _pending.Write("\t"u8);
            }

            if (SqliteText.Format(reader.GetValue(i)) is { } field)
            {
                CopyText.Escape(field, _pending);
            }
            else
            {
                _pending.Write(CopyText.Null);
            }
        }

        _pending.Write("\n"u8);
    }

    private int Take(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Available);
        _pending.WrittenSpan.Slice(_consumed, n).CopyTo(destination);
        _consumed += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await reader.DisposeAsync().ConfigureAwait(false);
        await command.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            reader.Dispose();
            command.Dispose();
        }

        base.Dispose(disposing);
    }
}
