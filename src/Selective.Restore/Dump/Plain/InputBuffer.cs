using System.Buffers;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// A growable window over a forward-only byte stream. Parsers look at <see cref="Buffer"/> from
/// <see cref="Position"/> and call <see cref="FillAsync"/> when a token or line crosses the end.
/// Memory is bounded by the largest single token or line (one row), never by the dump.
/// </summary>
/// <remarks>
/// Sync and async reading share one core: every I/O method takes <c>async</c> and returns a
/// <see cref="ValueTask"/> that completes synchronously when <c>async</c> is false (the Npgsql pattern).
/// </remarks>
internal sealed class InputBuffer : IDisposable
{
    internal const int DefaultSize = 1024 * 1024;

    // Larger arrays are not rented from (nor returned to) the shared pool, which would keep them alive after a huge row.
    private const int PooledSize = 16 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly bool _synchronousIO;
    private readonly int _maxBuffered;
    private byte[] _buffer;
    private int _end;
    private long _bufferStart; // stream offset of _buffer[0]
    private bool _eof;

    // Line numbers are counted lazily: _lineAt is the line number of the byte at _lineCountedTo.
    private int _lineCountedTo;
    private long _lineAt = 1;

    private Stream? _capture;
    private int _captureFrom;

    /// <param name="stream">The bytes.</param>
    /// <param name="size">Initial buffer size.</param>
    /// <param name="startOffset">Stream offset of the first byte (bytes already consumed before, such as a BOM).</param>
    /// <param name="synchronousIO">
    /// Read (and write captured bytes) synchronously even on the async path. Used for local files: .NET's
    /// async file I/O on Linux is a blocking call on a pool thread anyway, and the hop per 1 MiB block cost
    /// more than the read from the page cache.
    /// </param>
    /// <param name="startLine">Line number of the stream's first byte (archives start a table's synthesized statements before line 1).</param>
    /// <param name="maxBuffered">
    /// The parser's limit on one row or token (<see cref="DumpReaderOptions.MaxBufferedBytes"/>): the parser refuses anything
    /// larger, so the buffer grows to about that much (twice that while a statement header is held), not further.
    /// </param>
    public InputBuffer(Stream stream, int size = DefaultSize, long startOffset = 0, bool synchronousIO = false, long startLine = 1, int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        _lineAt = startLine;
        _stream = stream;
        _synchronousIO = synchronousIO;
        _maxBuffered = maxBuffered;
        _bufferStart = startOffset;
        _buffer = ArrayPool<byte>.Shared.Rent(size);
    }

    /// <summary>Index of the next unconsumed byte in <see cref="Buffer"/>.</summary>
    public int Position { get; set; }

    /// <summary>
    /// Earliest index the caller still needs (a statement start); compaction keeps everything from it.
    /// -1 when nothing before <see cref="Position"/> is needed.
    /// </summary>
    public int Mark { get; set; } = -1;

    public byte[] Buffer => _buffer;

    public int End => _end;

    /// <summary>True once the underlying stream has returned 0.</summary>
    public bool StreamExhausted => _eof;

    public ReadOnlySpan<byte> Available => _buffer.AsSpan(Position, _end - Position);

    /// <summary>Stream offset of a buffer index.</summary>
    public long OffsetOf(int index) => _bufferStart + index;

    public long CurrentOffset => _bufferStart + Position;

    /// <summary>1-based line number of the byte at <paramref name="index"/> (index must not go backwards past the counted point).</summary>
    public long LineOf(int index)
    {
        if (index < _lineCountedTo)
        {
            // Rare (error paths): count backwards from the counted point.
            return _lineAt - _buffer.AsSpan(index, _lineCountedTo - index).Count((byte)'\n');
        }

        _lineAt += _buffer.AsSpan(_lineCountedTo, index - _lineCountedTo).Count((byte)'\n');
        _lineCountedTo = index;
        return _lineAt;
    }

    /// <summary>Tells the line counter that <paramref name="lines"/> newlines were consumed up to <paramref name="index"/> (saves recounting hot COPY data).</summary>
    public void AdvanceLines(int index, long lines)
    {
        _lineAt += lines;
        _lineCountedTo = index;
    }

    /// <summary>Starts copying every consumed byte from <paramref name="fromIndex"/> on to <paramref name="sink"/>.</summary>
    public void BeginCapture(Stream sink, int fromIndex)
    {
        _capture = sink;
        _captureFrom = fromIndex;
    }

    /// <summary>Writes the captured bytes up to <paramref name="toIndex"/> (none when negative) and stops capturing.</summary>
    public async ValueTask EndCaptureAsync(int toIndex, bool async, CancellationToken cancellationToken)
    {
        if (_capture is null)
        {
            return;
        }

        if (toIndex >= 0)
        {
            await FlushCaptureAsync(toIndex, async, cancellationToken).ConfigureAwait(false);
        }

        _capture = null;
        HoldCapture = false;
    }

    public bool IsCapturing => _capture is not null;

    /// <summary>While true, refills keep captured bytes instead of writing them (the parser is looking ahead and may discard them).</summary>
    public bool HoldCapture { get; set; }

    /// <summary>Writes captured bytes up to <paramref name="toIndex"/>.</summary>
    public async ValueTask FlushCaptureAsync(int toIndex, bool async, CancellationToken cancellationToken)
    {
        var count = toIndex - _captureFrom;
        if (_capture is null || count <= 0)
        {
            return;
        }

        if (async && !_synchronousIO)
        {
            await _capture.WriteAsync(_buffer.AsMemory(_captureFrom, count), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _capture.Write(_buffer, _captureFrom, count);
        }

        _captureFrom = toIndex;
    }

    /// <summary>
    /// Reads more bytes, compacting or growing the buffer so that everything from
    /// min(<see cref="Mark"/>, <see cref="Position"/>) is kept. Returns false at end of stream.
    /// </summary>
    public async ValueTask<bool> FillAsync(bool async, CancellationToken cancellationToken)
    {
        if (_eof)
        {
            return false;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var keepFrom = Mark >= 0 ? Math.Min(Mark, Position) : Position;
        if (_capture is not null)
        {
            // Captured bytes before the keep point can go out now, the rest stays in the buffer.
            if (!HoldCapture)
            {
                await FlushCaptureAsync(Math.Min(keepFrom, Position), async, cancellationToken).ConfigureAwait(false);
            }

            keepFrom = Math.Min(keepFrom, _captureFrom);
        }

        if (keepFrom > 0)
        {
            LineOf(keepFrom); // count the lines we are about to discard
            var live = _end - keepFrom;
            _buffer.AsSpan(keepFrom, live).CopyTo(_buffer);
            _bufferStart += keepFrom;
            _end = live;
            Position -= keepFrom;
            _lineCountedTo -= keepFrom;
            _captureFrom -= keepFrom;
            if (Mark >= 0)
            {
                Mark -= keepFrom;
            }
        }

        if (_end == _buffer.Length)
        {
            Grow();
        }

        var read = async && !_synchronousIO
            ? await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
            : _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }

    /// <summary>
    /// One token or line is larger than the buffer: grow, doubling, up to what the parser can need. The parsers refuse a
    /// row or token larger than the limit before asking for more, so when only a row or token is kept, the limit plus a
    /// read's worth is enough; a held statement header adds up to the limit again. The last step goes straight to the
    /// cap, so that a row over the limit is found without first holding twice the limit.
    /// </summary>
    private void Grow()
    {
        var holdingStatement = Mark >= 0 && Mark < Position;
        var cap = Math.Min(Array.MaxLength, (holdingStatement ? 2L * _maxBuffered : _maxBuffered) + (2L * DefaultSize));
        var size = 2L * _buffer.Length;
        if (2 * size > cap)
        {
            size = cap;
        }

        if (size <= _buffer.Length)
        {
            throw new InvalidOperationException($"The input buffer cannot hold more than {_buffer.Length} bytes.");
        }

        var bigger = size <= PooledSize ? ArrayPool<byte>.Shared.Rent((int)size) : GC.AllocateUninitializedArray<byte>((int)size);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        Release(_buffer);
        _buffer = bigger;
    }

    private static void Release(byte[] buffer)
    {
        if (buffer.Length > 0 && buffer.Length <= PooledSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        Release(buffer);
    }
}
