using System.Buffers.Binary;

namespace Selective.Restore.Diff;

/// <summary>
/// One temp file of rows: written once, then read once from the start, deleted on dispose (and by the OS if the process
/// dies). Records are <c>int32 length, int64 line, int64 byte offset, line bytes</c>. Local and buffered: plain
/// synchronous I/O, which is what .NET does for files on Linux anyway.
/// </summary>
internal sealed class SpillFile : IDisposable
{
    private const int HeaderSize = 20;
    private const int BufferSize = 64 * 1024;

    private readonly FileStream _file;
    private byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;
    private bool _reading;

    public SpillFile(string directory)
    {
        _file = new FileStream(
            Path.Combine(directory, $"selective-restore-{Guid.NewGuid():N}.spill"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            BufferSize,
            FileOptions.DeleteOnClose | FileOptions.SequentialScan);
    }

    public long Rows { get; private set; }

    public long Length => _file.Length;

    public void Write(ReadOnlySpan<byte> line, long lineNumber, long byteOffset)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, line.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[4..], lineNumber);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], byteOffset);
        _file.Write(header);
        _file.Write(line);
        Rows++;
    }

    /// <summary>Starts reading from the first record.</summary>
    public void Rewind()
    {
        _file.Flush();
        _file.Position = 0;
        _start = _end = 0;
        _reading = true;
    }

    /// <summary>Reads the next record; the line is valid until the next call.</summary>
    public bool TryRead(out ReadOnlySpan<byte> line, out long lineNumber, out long byteOffset)
    {
        if (!_reading)
        {
            throw new InvalidOperationException("Rewind before reading.");
        }

        line = default;
        lineNumber = byteOffset = 0;
        if (!Fill(HeaderSize))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start));
        if (!Fill(HeaderSize + length))
        {
            throw new InvalidDataException($"spill file {_file.Name} ends inside a record");
        }

        lineNumber = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start + 4));
        byteOffset = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start + 12));
        line = _buffer.AsSpan(_start + HeaderSize, length);
        _start += HeaderSize + length;
        return true;
    }

    private bool Fill(int needed)
    {
        if (_end - _start >= needed)
        {
            return true;
        }

        if (needed > _buffer.Length)
        {
            var larger = new byte[Math.Max(needed, _buffer.Length * 2)];
            _buffer.AsSpan(_start, _end - _start).CopyTo(larger);
            _buffer = larger;
        }
        else
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        }

        _end -= _start;
        _start = 0;
        while (_end < needed)
        {
            var read = _file.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                if (_end == 0)
                {
                    return false;
                }

                throw new InvalidDataException($"spill file {_file.Name} ends inside a record");
            }

            _end += read;
        }

        return true;
    }

    public void Dispose() => _file.Dispose();
}
