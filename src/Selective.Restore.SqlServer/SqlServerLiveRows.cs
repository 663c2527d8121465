using System.Buffers;
using System.Data.Common;
using Selective.Restore.Dump;

namespace Selective.Restore.SqlServer;

/// <summary>
/// A live table's rows as a stream of row-text lines (UTF-8), printed by <see cref="SqlServerValueText"/> as the script
/// reader prints the same values: the engine compares them with the dump's lines byte for byte. Rows are formatted as
/// the stream is read, a buffer at a time, so memory does not grow with the table. The stream owns the reader (and
/// what the reader owns): disposing it ends the query.
/// </summary>
internal sealed class SqlServerLiveRows : ReadOnlyStream
{
    private readonly DbDataReader _reader;
    private readonly IReadOnlyList<SqlServerType> _types;
    private readonly IAsyncDisposable? _owner;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private int _consumed;
    private bool _done;
    private bool _disposed;

    /// <param name="reader">The query's reader: one column per entry of <paramref name="types"/>, in that order.</param>
    /// <param name="types">How each column's values print.</param>
    /// <param name="owner">Disposed after the reader (the command, say).</param>
    public SqlServerLiveRows(DbDataReader reader, IReadOnlyList<SqlServerType> types, IAsyncDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(types);
        if (reader.FieldCount != types.Count)
        {
            throw new ArgumentException($"the query has {reader.FieldCount} columns, {types.Count} types were given", nameof(types));
        }

        _reader = reader;
        _types = types;
        _owner = owner;
    }

    public override int Read(Span<byte> buffer)
    {
        while (Available == 0 && !_done)
        {
            Fill(_reader.Read());
        }

        return Take(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (Available == 0 && !_done)
        {
            Fill(await _reader.ReadAsync(cancellationToken).ConfigureAwait(false));
        }

        return Take(buffer.Span);
    }

    private int Available => _pending.WrittenCount - _consumed;

    /// <summary>Formats the row the reader is on (if <paramref name="hasRow"/>) as one line; rows are read one per call, so a slow consumer holds one row's text at most beyond its buffer.</summary>
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

        for (var i = 0; i < _types.Count; i++)
        {
            if (i > 0)
            {
                _pending.Write("\t"u8);
            }

            SqlServerValueText.Append(_reader.IsDBNull(i) ? null : _reader.GetValue(i), _types[i], _pending);
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
        await _reader.DisposeAsync().ConfigureAwait(false);
        if (_owner is not null)
        {
            await _owner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

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
