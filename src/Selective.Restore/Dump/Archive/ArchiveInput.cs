using System.Text;

namespace Selective.Restore.Dump.Archive;

/// <summary>
/// Buffered reading of a pg_dump archive's binary primitives (bytes, sign-and-magnitude integers,
/// length-prefixed strings, data offsets) with the archive position tracked for error messages and seeks.
/// </summary>
internal sealed class ArchiveInput : IDisposable
{
    private const int BufferSize = 64 * 1024;


    private readonly Stream _stream;
    private readonly long _origin;
    private readonly bool _leaveOpen;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _position;
    private int _end;
    private long _bufferStart;

    /// <param name="stream">The archive bytes.</param>
    /// <param name="origin">For a seekable stream, the stream position of the archive's first byte (offsets in the TOC count from it).</param>
    /// <param name="leaveOpen">Leave <paramref name="stream"/> open on dispose.</param>
    /// <param name="source">The archive's name for error messages.</param>
    public ArchiveInput(Stream stream, long origin, bool leaveOpen, string source)
    {
        _stream = stream;
        _origin = origin;
        _leaveOpen = leaveOpen;
        Source = source;
    }

    public string Source { get; }

    /// <summary>A string longer than this in a TOC is refused (<see cref="DumpReaderOptions.MaxBufferedBytes"/>): pg_dump's largest are function bodies.</summary>
    public int MaxString { get; init; } = DumpReaderOptions.DefaultMaxBufferedBytes;

    /// <summary>The archive's encoding once its ENCODING entry is read, when not UTF-8: TOC strings are decoded from it.</summary>
    public Plain.ClientEncoding? TextEncoding { get; set; }

    /// <summary>Size of an integer in the archive (pg_dump writes 4), set once the header is read.</summary>
    public int IntSize { get; set; } = 4;

    /// <summary>Size of a data offset in the archive (pg_dump writes 8).</summary>
    public int OffSize { get; set; } = 8;

    /// <summary>Whether integers start with a sign byte: every archive version but 1.0.</summary>
    public bool SignedIntegers { get; set; } = true;

    /// <summary>Whether data offsets are written as integers (archive versions before 1.7) rather than a flag byte and <see cref="OffSize"/> bytes.</summary>
    public bool OffsetsAsIntegers { get; set; }

    /// <summary>Archive offset of the next byte.</summary>
    public long Position => _bufferStart + _position;

    public bool CanSeek => _stream.CanSeek;

    /// <summary>The archive's length in bytes (seekable archives only).</summary>
    public long Length => _stream.Length - _origin;

    public DumpFormatException Corrupt(string reason, long at) =>
        new($"{Source}: byte offset {at}: {reason}");

    private async ValueTask<bool> FillAsync(bool async, CancellationToken cancellationToken)
    {
        if (_position > 0)
        {
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, _end - _position);
            _bufferStart += _position;
            _end -= _position;
            _position = 0;
        }

        var read = async
            ? await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
            : _stream.Read(_buffer.AsSpan(_end));
        _end += read;
        return read > 0;
    }

    private async ValueTask EnsureAsync(int count, string what, bool async, CancellationToken cancellationToken)
    {
        while (_end - _position < count)
        {
            if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
            {
                throw Corrupt($"the archive ends inside {what} (truncated file?)", Position);
            }
        }
    }

    /// <summary>The next byte, or -1 at the end of the archive.</summary>
    public async ValueTask<int> ReadByteOrEndAsync(bool async, CancellationToken cancellationToken)
    {
        if (_position == _end && !await FillAsync(async, cancellationToken).ConfigureAwait(false))
        {
            return -1;
        }

        return _buffer[_position++];
    }

    /// <summary>Whether the archive ends here.</summary>
    public async ValueTask<bool> AtEndAsync(bool async, CancellationToken cancellationToken) =>
        _position == _end && !await FillAsync(async, cancellationToken).ConfigureAwait(false);

    public byte ReadByte(string what)
    {
        SyncPath.Complete(AsTrue(EnsureAsync(1, what, async: false, CancellationToken.None)));
        return _buffer[_position++];
    }

    private static async ValueTask<bool> AsTrue(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    /// <summary>An integer as pg_dump writes it: a sign byte (from archive version 1.1 on), then <see cref="IntSize"/> bytes, least significant first.</summary>
    public async ValueTask<long> ReadIntAsync(string what, bool async, CancellationToken cancellationToken)
    {
        var at = Position;
        var sign = SignedIntegers ? 1 : 0;
        await EnsureAsync(sign + IntSize, what, async, cancellationToken).ConfigureAwait(false);
        var negative = SignedIntegers && _buffer[_position] != 0;
        long value = 0;
        for (var i = 0; i < IntSize; i++)
        {
            var b = _buffer[_position + sign + i];
            if (i >= 8)
            {
                if (b != 0)
                {
                    throw Corrupt($"{what} does not fit in 64 bits", at);
                }

                continue;
            }

            value |= (long)b << (8 * i);
        }

        _position += sign + IntSize;
        return negative ? -value : value;
    }

    public long ReadInt(string what) => SyncPath.Complete(ReadIntAsync(what, async: false, CancellationToken.None));

    /// <summary>A length-prefixed string (length -1 is SQL NULL).</summary>
    public string? ReadString(string what)
    {
        var at = Position;
        var length = ReadInt(what);
        if (length == -1)
        {
            return null;
        }

        if (length < 0)
        {
            throw Corrupt($"{what} has an impossible length {length} (corrupt TOC?)", at);
        }

        if (CanSeek && length > Length - Position)
        {
            throw Corrupt($"the archive ends inside {what} (truncated file?): a string of {length} bytes is longer than what is left", at);
        }

        if (length > MaxString)
        {
            throw Corrupt($"{what} is a string of {length} bytes, longer than {MaxString} bytes (DumpReaderOptions.MaxBufferedBytes; corrupt TOC?)", at);
        }

        if (length <= BufferSize)
        {
            SyncPath.Complete(AsTrue(EnsureAsync((int)length, what, async: false, CancellationToken.None)));
            var text = Decode(_buffer.AsSpan(_position, (int)length), what, at);
            _position += (int)length;
            return text;
        }

        var bytes = new byte[length];
        var done = 0;
        while (done < bytes.Length)
        {
            var n = SyncPath.Complete(ReadAsync(bytes.AsMemory(done), async: false, CancellationToken.None));
            if (n == 0)
            {
                throw Corrupt($"the archive ends inside {what} (truncated file?)", Position);
            }

            done += n;
        }

        return Decode(bytes, what, at);
    }

    private string Decode(ReadOnlySpan<byte> bytes, string what, long at)
    {
        if (TextEncoding is { Refusal: null } encoding)
        {
            return encoding.GetString(bytes) ?? throw Corrupt($"{what} is not valid {encoding.Name} (the archive's encoding)", at);
        }

        if (TextEncoding is { Refusal: { } refusal } refused && !System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw Corrupt($"{what} is in the archive's encoding {refused.Name}, which the reader cannot convert to UTF-8 exactly: {refusal}", at);
        }

        try
        {
            return CopyText.Utf8Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Corrupt($"{what} is not valid UTF-8 (and the archive's ENCODING entry names no other encoding)", at);
        }
    }

    /// <summary>
    /// A TOC data offset: a flag byte (1 not set, 2 set, 3 no data), then <see cref="OffSize"/> bytes, least significant
    /// first; before archive version 1.7 an integer (negative: not set, 0: no data), as pg_restore reads them.
    /// </summary>
    public (int Flag, long Offset) ReadOffset(string what)
    {
        var at = Position;
        if (OffsetsAsIntegers)
        {
            var value = ReadInt(what);
            return value < 0 ? (1, 0) : value == 0 ? (3, 0) : (2, value);
        }

        SyncPath.Complete(AsTrue(EnsureAsync(1 + OffSize, what, async: false, CancellationToken.None)));
        int flag = _buffer[_position];
        long offset = 0;
        for (var i = 0; i < OffSize; i++)
        {
            var b = _buffer[_position + 1 + i];
            if (i < 8)
            {
                offset |= (long)b << (8 * i);
            }
            else if (b != 0)
            {
                throw Corrupt($"{what} has a data offset that does not fit in 64 bits", at);
            }
        }

        _position += 1 + OffSize;
        if (flag is < 1 or > 3)
        {
            throw Corrupt($"{what} has an unknown flag {flag} (corrupt TOC?)", at);
        }

        if (offset < 0)
        {
            throw Corrupt($"{what} has a negative data offset {offset} (corrupt TOC?)", at);
        }

        return (flag, offset);
    }

    /// <summary>Reads up to <paramref name="destination"/>'s length; 0 at the end of the archive.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, bool async, CancellationToken cancellationToken)
    {
        if (_position < _end)
        {
            var n = Math.Min(destination.Length, _end - _position);
            _buffer.AsMemory(_position, n).CopyTo(destination);
            _position += n;
            return n;
        }

        if (destination.Length >= BufferSize)
        {
            // Large reads bypass the buffer.
            var read = async
                ? await _stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false)
                : _stream.Read(destination.Span);
            _bufferStart += read;
            return read;
        }

        if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        return await ReadAsync(destination, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves past <paramref name="count"/> bytes: by seeking when the archive allows, else by reading them.</summary>
    public async ValueTask SkipAsync(long count, string what, bool async, CancellationToken cancellationToken)
    {
        var buffered = Math.Min(count, _end - _position);
        _position += (int)buffered;
        count -= buffered;
        if (count == 0)
        {
            return;
        }

        if (CanSeek)
        {
            var target = Position + count;
            if (target > Length)
            {
                throw Corrupt($"the archive ends inside {what} (truncated file?)", Length);
            }

            Seek(target);
            return;
        }

        while (count > 0)
        {
            if (!await FillAsync(async, cancellationToken).ConfigureAwait(false))
            {
                throw Corrupt($"the archive ends inside {what} (truncated file?)", Position);
            }

            var n = (int)Math.Min(count, _end - _position);
            _position += n;
            count -= n;
        }
    }

    /// <summary>Moves to an archive offset (seekable archives only).</summary>
    public void Seek(long offset)
    {
        if (offset >= _bufferStart && offset <= _bufferStart + _end)
        {
            _position = (int)(offset - _bufferStart);
            return;
        }

        _stream.Seek(_origin + offset, SeekOrigin.Begin);
        _bufferStart = offset;
        _position = 0;
        _end = 0;
    }

    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
