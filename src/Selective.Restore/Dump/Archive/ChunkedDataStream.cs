namespace Selective.Restore.Dump.Archive;

/// <summary>
/// A custom archive's data block as a stream: length-prefixed chunks (an integer, then that many bytes)
/// until a zero length. With zlib compression the chunks together are one zlib stream.
/// </summary>
internal sealed class ChunkedDataStream(ArchiveInput input, string what) : ReadOnlyStream
{
    private long _left;
    private bool _done;

    public override int Read(Span<byte> buffer)
    {
        // The synchronous path must not rent a Memory over a Span: read into a pooled array and copy.
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = SyncPath.Complete(ReadCoreAsync(rented.AsMemory(0, buffer.Length), async: false, CancellationToken.None));
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, async: true, cancellationToken);

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, bool async, CancellationToken cancellationToken)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (_left == 0)
        {
            if (_done || !await NextChunkAsync(async, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        var want = (int)Math.Min(buffer.Length, _left);
        var n = await input.ReadAsync(buffer[..want], async, cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            throw input.Corrupt($"the archive ends inside the data of {what} (truncated file?)", input.Position);
        }

        _left -= n;
        return n;
    }

    private async ValueTask<bool> NextChunkAsync(bool async, CancellationToken cancellationToken)
    {
        var at = input.Position;
        var length = await input.ReadIntAsync($"the data of {what}", async, cancellationToken).ConfigureAwait(false);
        if (length < 0)
        {
            throw input.Corrupt($"a data chunk of {what} has a negative length {length} (corrupt archive?)", at);
        }

        if (length == 0)
        {
            _done = true;
            return false;
        }

        _left = length;
        return true;
    }

    /// <summary>Moves past the rest of the block without decompressing it (seeking when the archive allows).</summary>
    public async ValueTask SkipRestAsync(bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_left > 0)
            {
                await input.SkipAsync(_left, $"the data of {what}", async, cancellationToken).ConfigureAwait(false);
                _left = 0;
            }

            if (_done || !await NextChunkAsync(async, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }
}
