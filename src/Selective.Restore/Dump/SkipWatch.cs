namespace Selective.Restore.Dump;

/// <summary>
/// What a reader is doing between the tables it returns: while it reads past a table the filter left out (a 50 GB
/// table before the one selected), every read of the input is passed on to <see cref="WhileSkipping"/>, so a
/// progress display is never silent. The filter says which table that is (<see cref="TableFilter.Matches"/> is asked
/// as the reader reaches each table).
/// </summary>
internal sealed class SkipWatch
{
    /// <summary>The table the reader is reading past, or null.</summary>
    public TableName? Skipping { get; private set; }

    /// <summary>Called after each read of the input made while <see cref="Skipping"/> is set; set by whoever reports progress.</summary>
    public Action<TableName>? WhileSkipping { get; set; }

    /// <summary>The filter's answer for <paramref name="table"/>.</summary>
    public void Decided(TableName table, bool selected) => Skipping = selected ? null : table;

    /// <summary>The reader returned a table: nothing is being skipped.</summary>
    public void Returned() => Skipping = null;

    /// <summary>The input was read.</summary>
    public void Read()
    {
        if (Skipping is { } table)
        {
            WhileSkipping?.Invoke(table);
        }
    }

    /// <summary>
    /// The reader's input, forwarding everything (seeking too, for archives) and telling the watch of each read. One
    /// call per block read, never per row.
    /// </summary>
    public sealed class WatchedStream(Stream inner, SkipWatch watch) : Stream
    {
        /// <inheritdoc/>
        public override bool CanRead => inner.CanRead;

        /// <inheritdoc/>
        public override bool CanSeek => inner.CanSeek;

        /// <inheritdoc/>
        public override bool CanWrite => false;

        /// <inheritdoc/>
        public override long Length => inner.Length;

        /// <inheritdoc/>
        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        /// <inheritdoc/>
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        /// <inheritdoc/>
        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            watch.Read();
            return n;
        }

        /// <inheritdoc/>
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            watch.Read();
            return n;
        }

        /// <inheritdoc/>
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <inheritdoc/>
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        /// <inheritdoc/>
        public override void Flush()
        {
        }

        /// <inheritdoc/>
        public override void SetLength(long value) => throw new NotSupportedException();

        /// <inheritdoc/>
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
