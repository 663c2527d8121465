using System.Buffers;
using System.Data.Common;
using Selective.Restore.Dump;

namespace Selective.Restore.Providers;

/// <summary>
/// A query's rows as a stream of row-text lines (UTF-8), for a provider whose driver reads rows one at a time
/// (<see cref="ILiveRows.OpenLiveRowsAsync"/>, <see cref="IDeltaStaging.ReadDeltaAsync"/>): a subclass prints one row's
/// fields (<see cref="WriteRow"/>); rows are formatted as the stream is read, one at a time, so memory does not grow
/// with the table. The stream owns the reader and <c>owner</c> (the command, say): disposing it ends the query.
/// </summary>
public abstract class RowTextStream : ReadOnlyStream
{
    private readonly DbDataReader _reader;
    private readonly IAsyncDisposable? _owner;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private int _consumed;
    private bool _done;
    private bool _disposed;

    /// <param name="reader">The query's reader.</param>
    /// <param name="owner">Disposed after the reader (the command, say), or null.</param>
    protected RowTextStream(DbDataReader reader, IAsyncDisposable? owner)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _owner = owner;
    }

    /// <summary>
    /// Writes the current row's fields to <paramref name="destination"/>, tab-separated and escaped
    /// (<see cref="CopyText.Escape(string, IBufferWriter{byte})"/>, <see cref="CopyText.Null"/> for NULL), without the newline.
    /// </summary>
    protected abstract void WriteRow(DbDataReader reader, IBufferWriter<byte> destination);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        while (Available == 0 && !_done)
        {
            Fill(_reader.Read());
        }

        return Take(buffer);
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (Available == 0 && !_done)
        {
            Fill(await _reader.ReadAsync(cancellationToken).ConfigureAwait(false));
        }

        return Take(buffer.Span);
    }

    private int Available => _pending.WrittenCount - _consumed;

    // One row per call: a slow consumer holds one row's text at most beyond its buffer.
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

        WriteRow(_reader, _pending);
        _pending.Write("\n"u8);
    }

    private int Take(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Available);
        _pending.WrittenSpan.Slice(_consumed, n).CopyTo(destination);
        _consumed += n;
        return n;
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _reader.DisposeAsync().ConfigureAwait(false);
            if (_owner is not null)
            {
                await _owner.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _reader.Dispose();
            (_owner as IDisposable)?.Dispose();
        }

        base.Dispose(disposing);
    }
}
