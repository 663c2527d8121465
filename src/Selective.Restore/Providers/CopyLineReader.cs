namespace Selective.Restore.Providers;

/// <summary>
/// Lines of a row text stream (<see cref="IRowLines"/>'s format: what a provider's live rows stream yields, e.g.
/// PostgreSQL's <c>COPY ... TO STDOUT</c>), as bytes in a reused buffer: no per-row allocation, no decoding.
/// </summary>
/// <param name="stream">The stream, read from its current position; the reader does not dispose it.</param>
public sealed class CopyLineReader(Stream stream)
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private int _lineStart;
    private int _lineLength;
    private bool _eof;

    /// <summary>The current line without its newline; valid until the next read.</summary>
    public ReadOnlySpan<byte> Line => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>Lines read so far (the current one's 1-based number).</summary>
    public long LineNumber { get; private set; }

    /// <summary>Reads the next line into <see cref="Line"/>; false at the end of the stream. A last line without a newline counts.</summary>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default) => ReadAsync(async: true, cancellationToken);

    /// <summary>Reads the next line into <see cref="Line"/>, synchronously; false at the end of the stream.</summary>
    public bool Read() => SyncPath.Complete(ReadAsync(async: false, CancellationToken.None));

    internal async ValueTask<bool> ReadAsync(bool async, CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return Take(newline, newline + 1);
            }

            if (_eof)
            {
                return _start < _end && Take(_end - _start, _end - _start);
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            // Reads get room for a whole UTF-8 character at least (a decoding stream needs it), and long lines grow the buffer.
            if (_buffer.Length - _end < 4096)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = async
                ? await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
                : stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }

            _end += read;
        }
    }

    private bool Take(int length, int consumed)
    {
        _lineStart = _start;
        _lineLength = length;
        _start += consumed;
        LineNumber++;
        return true;
    }
}
