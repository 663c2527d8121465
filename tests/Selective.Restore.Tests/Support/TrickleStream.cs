namespace Selective.Restore.Tests.Support;

/// <summary>
/// A read-only stream over bytes that returns at most a few bytes per read (cycling through
/// <paramref name="chunkSizes"/>), so every token and line boundary of a dump crosses a buffer refill.
/// Async reads yield first, so the parser's asynchronous continuations really run.
/// </summary>
internal sealed class TrickleStream(byte[] data, params int[] chunkSizes) : Stream
{
    private readonly int[] _chunkSizes = chunkSizes.Length == 0 ? [1] : chunkSizes;
    private int _position;
    private int _reads;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, _chunkSizes[_reads++ % _chunkSizes.Length]), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_reads % 2 == 0)
        {
            await Task.Yield();
        }

        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
