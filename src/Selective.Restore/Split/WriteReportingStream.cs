namespace Selective.Restore;

/// <summary>
/// A write-only stream that passes every write on to <paramref name="inner"/> and then calls <paramref name="written"/>,
/// for progress: a split's writers hand over blocks (64 KiB buffers, the dump's own chunks), never single rows, so a
/// call per write costs nothing measurable. Disposing it leaves <paramref name="inner"/> open.
/// </summary>
internal sealed class WriteReportingStream(Stream inner, Action written) : WriteOnlyStream
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        written();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        written();
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
