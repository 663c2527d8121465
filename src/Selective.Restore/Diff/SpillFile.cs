using Microsoft.Win32.SafeHandles;
using Selective.Restore.Providers;

namespace Selective.Restore.Diff;

/// <summary>
/// One temp file of rows: written once, then read from the start (again, when a store is diffed again), deleted on
/// dispose (and by the OS if the process dies). The file is only created when the rows outgrow one block: a small
/// table's rows (a small delta) stay in memory, in a buffer that grows to the block size. Records are compact: a varint length, then (dump side only) the line
/// number and byte offset as zigzag varint deltas from the previous record's, then the line bytes. Rows are packed
/// into this file's own block buffer and written a whole block at a time (<see cref="RandomAccess"/>: one system call
/// per block, no stream layer per row).
/// </summary>
internal sealed class SpillFile : IDisposable, IRowLines
{
    private const int BlockSize = 64 * 1024;
    private const int FirstBlock = 4 * 1024;

    // Longest record header: a 5-byte length and two 10-byte deltas.
    private const int MaxHeader = 25;

    private readonly string _path;
    private SafeFileHandle? _handle;
    private readonly bool _positions;
    private byte[]? _buffer;
    private int _used;
    private long _flushed;
    private long _lastLine;
    private long _lastOffset;
    private bool _reading;
    private long _readFrom;
    private int _start;
    private int _end;

    /// <param name="directory">Where the file goes.</param>
    /// <param name="positions">Whether records carry a line number and a byte offset (dump rows); live rows need neither.</param>
    public SpillFile(string directory, bool positions = true)
    {
        _path = Path.Combine(directory, $"selective-restore-{Guid.NewGuid():N}.spill");
        _positions = positions;
    }

    /// <summary>Whether every row is still in the buffer (no file yet).</summary>
    public bool InMemory => _handle is null;

    /// <summary>Bytes of the write buffer (what the file holds in memory).</summary>
    public int BufferBytes => _buffer?.Length ?? 0;

    /// <summary>While writing: the buffered rows go to the file and the buffer is let go (more rows may follow).</summary>
    public void Spill()
    {
        if (!_reading && _buffer is not null)
        {
            Flush();
            _buffer = null;
        }
    }

    private SafeFileHandle Handle => _handle ??= File.OpenHandle(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose | FileOptions.SequentialScan);

    public long Rows { get; private set; }

    /// <summary>Bytes written (buffered ones included).</summary>
    public long Length => _flushed + _used;

    public void Write(ReadOnlySpan<byte> line, long lineNumber, long byteOffset)
    {
        if (_reading)
        {
            throw new InvalidOperationException("A spill file is written before it is read.");
        }

        var buffer = _buffer ??= NewBuffer(_handle is null ? FirstBlock : BlockSize);
        if (buffer.Length - _used < MaxHeader + line.Length)
        {
            if (_handle is null && buffer.Length < BlockSize)
            {
                // Still in memory: the buffer grows to a block before anything goes to a file.
                var larger = NewBuffer(Math.Min(BlockSize, Math.Max(buffer.Length * 2, _used + MaxHeader + line.Length)));
                buffer.AsSpan(0, _used).CopyTo(larger);
                _buffer = buffer = larger;
            }

            if (buffer.Length - _used < MaxHeader + line.Length)
            {
                Flush();
            }
        }

        _used += WriteVarint(buffer.AsSpan(_used), (uint)line.Length);
        if (_positions)
        {
            _used += WriteVarint(buffer.AsSpan(_used), ZigZag(lineNumber - _lastLine));
            _used += WriteVarint(buffer.AsSpan(_used), ZigZag(byteOffset - _lastOffset));
            _lastLine = lineNumber;
            _lastOffset = byteOffset;
        }

        if (line.Length <= buffer.Length - _used)
        {
            line.CopyTo(buffer.AsSpan(_used));
            _used += line.Length;
        }
        else
        {
            // A line longer than a block: the header goes out, then the line straight from the caller's memory.
            Flush();
            RandomAccess.Write(Handle, line, _flushed);
            _flushed += line.Length;
        }

        Rows++;
    }

    /// <summary>Starts reading from the first record.</summary>
    public void Rewind()
    {
        if (!_reading)
        {
            if (!InMemory)
            {
                Flush();
            }

            _reading = true;
        }

        _readFrom = 0;
        _start = 0;
        _end = InMemory ? _used : 0; // in memory, the buffer holds every record
        _lastLine = _lastOffset = 0;
    }

    /// <summary>Reads the next record; the line is valid until the next call. At the end the buffer is let go (a file read again gets another).</summary>
    public bool TryRead(out ReadOnlySpan<byte> line, out long lineNumber, out long byteOffset)
    {
        if (!_reading)
        {
            throw new InvalidOperationException("Rewind before reading.");
        }

        line = default;
        lineNumber = byteOffset = 0;
        if (_end - _start < MaxHeader && !Fill(MaxHeader) && _start == _end)
        {
            if (!InMemory)
            {
                _buffer = null;
            }

            return false;
        }

        var buffer = _buffer!;
        var position = _start;
        var length = (int)ReadVarint(buffer, ref position, _end);
        if (_positions)
        {
            _lastLine += UnZigZag(ReadVarint(buffer, ref position, _end));
            _lastOffset += UnZigZag(ReadVarint(buffer, ref position, _end));
        }

        var header = position - _start;
        if (_end - position < length)
        {
            Fill(header + length);
            buffer = _buffer!;
            position = _start + header;
            if (_end - position < length)
            {
                throw new InvalidDataException($"spill file {_path} ends inside a record");
            }
        }

        lineNumber = _lastLine;
        byteOffset = _lastOffset;
        line = buffer.AsSpan(position, length);
        _start = position + length;
        return true;
    }

    /// <summary>Makes <paramref name="needed"/> bytes available from <see cref="_start"/> if the file has them; false at its end.</summary>
    private bool Fill(int needed)
    {
        if (InMemory)
        {
            return _end - _start >= needed;
        }

        var buffer = _buffer ??= NewBuffer(BlockSize);
        if (needed > buffer.Length)
        {
            var larger = NewBuffer(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(_start, _end - _start).CopyTo(larger);
            _buffer = buffer = larger;
        }
        else
        {
            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
        }

        _end -= _start;
        _start = 0;
        while (_end < needed)
        {
            var read = RandomAccess.Read(Handle, buffer.AsSpan(_end), _readFrom);
            if (read == 0)
            {
                return false;
            }

            _readFrom += read;
            _end += read;
        }

        return true;
    }

    private void Flush()
    {
        if (_used > 0)
        {
            RandomAccess.Write(Handle, _buffer.AsSpan(0, _used), _flushed);
            _flushed += _used;
            _used = 0;
        }
    }

    // Pinned: never copied by the garbage collector as it ages.
    private static byte[] NewBuffer(int length) => GC.AllocateUninitializedArray<byte>(length, pinned: true);

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    private ulong ReadVarint(byte[] buffer, ref int position, int end)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= end)
            {
                break;
            }

            var b = buffer[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException($"spill file {_path} ends inside a record");
    }

    public void Dispose() => _handle?.Dispose();
}
