namespace Selective.Restore.Dump;

/// <summary>A read-only stream that first returns bytes already peeked from another stream, then the rest of it.</summary>
internal sealed class PrefixedStream(byte[] prefix, int prefixLength, Stream inner, bool leaveOpen) : ReadOnlyStream
{
    private int _prefixPosition;
    private long _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var fromPrefix = ReadPrefix(buffer);
        var read = fromPrefix > 0 ? fromPrefix : inner.Read(buffer);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var fromPrefix = ReadPrefix(buffer.Span);
        var read = fromPrefix > 0 ? fromPrefix : await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    private int ReadPrefix(Span<byte> buffer)
    {
        var left = prefixLength - _prefixPosition;
        if (left <= 0)
        {
            return 0;
        }

        var n = Math.Min(left, buffer.Length);
        prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
        _prefixPosition += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!leaveOpen)
        {
            await inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
