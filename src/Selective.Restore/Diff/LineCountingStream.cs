using Selective.Restore.Dump;

namespace Selective.Restore.Diff;

/// <summary>
/// A live rows stream (one row per line) that counts the lines read through it, for progress: counted per buffer read
/// (vectorized), never per row, so the diff's per-row loop is untouched. Disposing it disposes the inner stream.
/// </summary>
internal sealed class LineCountingStream(Stream inner, Action<long> lines) : ReadOnlyStream
{
    private long _lines;
    private bool _disposed;

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Count(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Count(buffer.Span[..read]);
        return read;
    }

    private void Count(ReadOnlySpan<byte> read)
    {
        if (read.Length > 0)
        {
            _lines += read.Count((byte)'\n');
            lines(_lines);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
