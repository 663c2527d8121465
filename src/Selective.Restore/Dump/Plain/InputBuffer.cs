using System.Buffers;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// A growable window over a forward-only byte stream. Parsers look at <see cref="Buffer"/> from
/// <see cref="Position"/> and call <see cref="FillAsync"/> when a token or line crosses the end.
/// Memory is bounded by the largest single token or line (one row), never by the dump.
/// </summary>
/// <remarks>
/// <para>
/// Sync and async reading share one core: every I/O method takes <c>async</c> and returns a
/// <see cref="ValueTask"/> that completes synchronously when <c>async</c> is false (the Npgsql pattern).
/// </para>
/// <para>
/// The window holds UTF-8. A dump in another client encoding is decoded on the fly from the point the parser calls
/// <see cref="SetEncoding"/> (where the dump's <c>SET client_encoding</c> takes effect): the raw bytes go through a
/// small side buffer and only their UTF-8 reaches the window, so the parsers never see the dump's own encoding.
/// Offsets (<see cref="OffsetOf"/>) stay those of the original bytes, and line numbers are unchanged (a newline is one
/// byte in every encoding). With no other encoding the bytes are read straight into the window, as before.
/// </para>
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

    // Transcoding. _decoder null and no raw bytes waiting: the stream's bytes go straight into the window.
    private const int RawBlock = 64 * 1024;
    private ClientEncoding? _decoder;
    private byte[] _raw = [];
    private int _rawStart;
    private int _rawEnd;
    private bool _streamEof;

    // Where the window's text changes encoding, to map its offsets back to the file's; null while the text is the file's bytes.
    private List<Segment>? _segments;

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

    /// <summary>True once the underlying stream has returned 0 and every byte read is in the window.</summary>
    public bool StreamExhausted => _eof;

    public ReadOnlySpan<byte> Available => _buffer.AsSpan(Position, _end - Position);

    /// <summary>Offset in the original input (the file, or the decompressed stream) of the byte at a buffer index, for messages and row positions.</summary>
    public long OffsetOf(int index) => _segments is null ? _bufferStart + index : FileOffsetOf(index);

    /// <summary>The original input's offset of <see cref="Position"/>.</summary>
    public long CurrentOffset => OffsetOf(Position);

    /// <summary>
    /// Offset of a buffer index in the text the parser reads (the UTF-8 after any decoding): cheap, for arithmetic on
    /// how much is held; the same as <see cref="OffsetOf"/> while nothing is decoded.
    /// </summary>
    public long TextOffsetOf(int index) => _bufferStart + index;

    /// <summary>The client encoding the window is being decoded from; null when the bytes are taken as they are.</summary>
    public ClientEncoding? Decoder => _decoder;

    /// <summary>
    /// From buffer index <paramref name="index"/> on, reads the input as <paramref name="encoding"/> (null: as UTF-8, bytes
    /// passed through). Text already decoded past that point is given back as the bytes it was decoded from (every supported
    /// mapping is one to one) and decoded again, so the change takes effect exactly there, as the server's conversion does
    /// when a <c>SET client_encoding</c> runs.
    /// </summary>
    public void SetEncoding(ClientEncoding? encoding, int index)
    {
        if (ReferenceEquals(encoding, _decoder))
        {
            return;
        }

        var file = OffsetOf(index);
        var text = _bufferStart + index;
        _segments ??= [new Segment(_bufferStart, _bufferStart, null)];
        var tail = _buffer.AsSpan(index, _end - index);
        var given = _decoder is null ? tail.ToArray() : _decoder.Encode(tail);
        var waiting = _rawEnd - _rawStart;
        var raw = new byte[Math.Max(RawBlock, given.Length + waiting)];
        given.CopyTo(raw, 0);
        _raw.AsSpan(_rawStart, waiting).CopyTo(raw.AsSpan(given.Length));
        _raw = raw;
        _rawStart = 0;
        _rawEnd = given.Length + waiting;

        if (_lineCountedTo > index)
        {
            _lineAt -= _buffer.AsSpan(index, _lineCountedTo - index).Count((byte)'\n');
            _lineCountedTo = index;
        }

        _end = index;
        _segments.RemoveAll(s => s.Start >= text);
        _segments.Add(new Segment(text, file, encoding));
        _decoder = encoding;
        _eof = _streamEof && _rawEnd == 0;
    }

    /// <summary>The file offset of a buffer index inside decoded text: the segment's start plus the length its text was decoded from.</summary>
    private long FileOffsetOf(int index)
    {
        var text = _bufferStart + index;
        var segment = _segments![0];
        for (var i = _segments.Count - 1; i > 0; i--)
        {
            if (_segments[i].Start <= text)
            {
                segment = _segments[i];
                break;
            }
        }

        if (segment.Encoding is not { } encoding)
        {
            return segment.File + (text - segment.Start);
        }

        // Offsets are asked for mostly in increasing order (row after row): count on from the last answer.
        if (text >= segment.CountedTo)
        {
            var from = (int)(segment.CountedTo - _bufferStart);
            segment.CountedFile += encoding.EncodedLength(_buffer.AsSpan(from, index - from));
            segment.CountedTo = text;
            return segment.CountedFile;
        }

        var start = (int)(segment.Start - _bufferStart);
        return segment.File + encoding.EncodedLength(_buffer.AsSpan(start, index - start));
    }

    /// <summary>Before the window drops its first <paramref name="keepFrom"/> bytes: segments that start there are moved to the new start (counted while the bytes are still here).</summary>
    private void DropSegmentsBefore(int keepFrom)
    {
        var newStart = _bufferStart + keepFrom;
        var file = FileOffsetOf(keepFrom);
        var last = _segments!.FindLastIndex(s => s.Start <= newStart);
        _segments.RemoveRange(0, last);
        var segment = _segments[0];
        if (segment.Start < newStart)
        {
            segment.Start = newStart;
            segment.File = file;
            if (segment.CountedTo < newStart)
            {
                segment.CountedTo = newStart;
                segment.CountedFile = file;
            }
        }
    }

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
            if (_segments is not null)
            {
                DropSegmentsBefore(keepFrom);
            }

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

        if (_decoder is null && _rawStart == _rawEnd)
        {
            if (_end == _buffer.Length)
            {
                Grow();
            }

            var read = _streamEof ? 0 : await ReadAsync(_stream, _buffer.AsMemory(_end), async, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = _streamEof = true;
                return false;
            }

            _end += read;
            return true;
        }

        if (_buffer.Length - _end < ClientEncoding.MaxUtf8PerChar)
        {
            Grow();
        }

        return await FillDecodedAsync(async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fills the window from the raw side buffer: decoded, or copied as they are when the text is UTF-8 again after a switch.</summary>
    private async ValueTask<bool> FillDecodedAsync(bool async, CancellationToken cancellationToken)
    {
        var cutCharacter = false;
        while (true)
        {
            if (_rawStart == _rawEnd || cutCharacter)
            {
                if (_streamEof)
                {
                    if (_rawStart == _rawEnd)
                    {
                        _eof = true;
                        return false;
                    }

                    throw new UndecodableInputException($"the input ends in the middle of a character ({_decoder!.DescribeInvalid(_raw.AsSpan(_rawStart, _rawEnd - _rawStart))})");
                }

                var waiting = _rawEnd - _rawStart;
                if (_raw.Length < RawBlock)
                {
                    _raw = new byte[RawBlock];
                }

                _raw.AsSpan(_rawStart, waiting).CopyTo(_raw); // (no-op for a fresh array: nothing waits then)
                _rawStart = 0;
                _rawEnd = waiting;
                var read = await ReadAsync(_stream, _raw.AsMemory(_rawEnd), async, cancellationToken).ConfigureAwait(false);
                _streamEof = read == 0;
                _rawEnd += read;
                cutCharacter = false;
                continue;
            }

            var free = _buffer.AsSpan(_end);
            var raw = _raw.AsSpan(_rawStart, _rawEnd - _rawStart);
            if (_decoder is null)
            {
                var n = Math.Min(raw.Length, free.Length);
                raw[..n].CopyTo(free);
                _rawStart += n;
                _end += n;
                return true;
            }

            var status = _decoder.Decode(raw, free, out var consumed, out var written);
            _rawStart += consumed;
            _end += written;
            if (written > 0)
            {
                return true; // a refused byte after these is reported when the parser needs it
            }

            switch (status)
            {
                case System.Buffers.OperationStatus.InvalidData:
                    throw new UndecodableInputException(_decoder.DescribeInvalid(raw[consumed..]));
                case System.Buffers.OperationStatus.NeedMoreData:
                    cutCharacter = true;
                    break;
                case System.Buffers.OperationStatus.DestinationTooSmall:
                    throw new InvalidOperationException("The input buffer has no room for one character.");
            }
        }
    }

    private async ValueTask<int> ReadAsync(Stream stream, Memory<byte> into, bool async, CancellationToken cancellationToken) =>
        async && !_synchronousIO
            ? await stream.ReadAsync(into, cancellationToken).ConfigureAwait(false)
            : stream.Read(into.Span);

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

    /// <summary>A stretch of the window's text read in one encoding, from text offset <see cref="Start"/> (file offset <see cref="File"/>) on.</summary>
    private sealed class Segment(long start, long file, ClientEncoding? encoding)
    {
        public long Start { get; set; } = start;

        public long File { get; set; } = file;

        /// <summary>Null: the bytes were taken as they are.</summary>
        public ClientEncoding? Encoding { get; } = encoding;

        // A later text offset whose file offset is known, so that increasing queries count each byte once.
        public long CountedTo { get; set; } = start;

        public long CountedFile { get; set; } = file;
    }
}

/// <summary>The input has a byte sequence its client encoding does not define; the parser reports it at the window's end, where it stands.</summary>
internal sealed class UndecodableInputException(string message) : Exception(message);
