using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace Selective.Restore.Dump.SqlServer;

/// <summary>
/// A read-only stream that turns UTF-16 text (after its byte order mark) into UTF-8, block by block, so the
/// byte-level T-SQL lexer reads SSMS's "Unicode" scripts like UTF-8 ones. Memory is two fixed blocks.
/// </summary>
/// <remarks>
/// A surrogate pair or a code unit split across reads is carried over to the next block. Invalid UTF-16
/// (an unpaired surrogate, an odd byte at the end) is reported only once every valid byte before it has been
/// read, so the reader's position when <see cref="InvalidUtf16Exception"/> surfaces is the bad spot's offset
/// in the UTF-8 output, and its line number is the true one.
/// </remarks>
internal sealed class Utf16ToUtf8Stream : ReadOnlyStream
{
    private const int BlockBytes = 64 * 1024;

    private readonly Stream _inner;
    private readonly bool _bigEndian;
    private readonly bool _leaveOpen;
    private readonly byte[] _input = new byte[BlockBytes];
    private readonly char[] _chars = new char[BlockBytes / 2];

    // A BMP character takes at most 3 UTF-8 bytes, a surrogate pair (2 chars) 4.
    private readonly byte[] _output = new byte[BlockBytes / 2 * 3];

    private int _carry;       // bytes at the start of _input not converted yet (half a code unit, a high surrogate)
    private long _inputFileOffset; // file offset of _input[0]
    private int _outStart;
    private int _outEnd;
    private long _position;
    private bool _eof;
    private InvalidUtf16Exception? _pending;

    /// <param name="inner">The UTF-16 bytes after the byte order mark.</param>
    /// <param name="bigEndian">True for UTF-16 BE (BOM FE FF), false for LE (FF FE).</param>
    /// <param name="leaveOpen">True to leave <paramref name="inner"/> open on dispose.</param>
    /// <param name="startOffset">File offset of <paramref name="inner"/>'s first byte (2 after the BOM), for error messages.</param>
    public Utf16ToUtf8Stream(Stream inner, bool bigEndian, bool leaveOpen = false, long startOffset = 2)
    {
        _inner = inner;
        _bigEndian = bigEndian;
        _leaveOpen = leaveOpen;
        _inputFileOffset = startOffset;
    }

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_outStart == _outEnd)
        {
            if (!CanConvertMore())
            {
                return 0;
            }

            Convert(_inner.Read(_input, _carry, _input.Length - _carry));
        }

        return Deliver(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_outStart == _outEnd)
        {
            if (!CanConvertMore())
            {
                return 0;
            }

            Convert(await _inner.ReadAsync(_input.AsMemory(_carry), cancellationToken).ConfigureAwait(false));
        }

        return Deliver(buffer.Span);
    }

    /// <summary>False at the end; throws the pending error once the good bytes before it are all delivered.</summary>
    private bool CanConvertMore() => _pending is not null ? throw _pending : !_eof;

    private int Deliver(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _outEnd - _outStart);
        _output.AsSpan(_outStart, n).CopyTo(buffer);
        _outStart += n;
        _position += n;
        return n;
    }

    private void Convert(int read)
    {
        _outStart = 0;
        _outEnd = 0;
        if (read == 0)
        {
            _eof = true;
            if (_carry > 0)
            {
                var at = _inputFileOffset;
                _pending = _carry == 1
                    ? new InvalidUtf16Exception($"invalid UTF-16: the file ends in the middle of a character (odd byte count; UTF-16 byte offset {at})")
                    : new InvalidUtf16Exception($"invalid UTF-16: the file ends after an unpaired high surrogate U+{Unit(0):X4} (UTF-16 byte offset {at})");
            }

            return;
        }

        var total = _carry + read;
        var units = total / 2;
        var source = MemoryMarshal.Cast<byte, ushort>(_input.AsSpan(0, units * 2));
        var chars = MemoryMarshal.Cast<char, ushort>(_chars.AsSpan(0, units));
        if (_bigEndian == BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(source, chars);
        }
        else
        {
            source.CopyTo(chars);
        }

        var status = Utf8.FromUtf16(_chars.AsSpan(0, units), _output, out var charsRead, out var written, replaceInvalidSequences: false, isFinalBlock: false);
        if (status == OperationStatus.InvalidData)
        {
            _pending = new InvalidUtf16Exception(string.Create(
                CultureInfo.InvariantCulture,
                $"invalid UTF-16: unpaired surrogate U+{(int)_chars[charsRead]:X4} (UTF-16 byte offset {_inputFileOffset + (charsRead * 2)})"));
        }

        // Carry the undecoded tail (an odd byte, a high surrogate waiting for its pair) to the next block.
        var consumed = charsRead * 2;
        _carry = status == OperationStatus.InvalidData ? 0 : total - consumed;
        _input.AsSpan(consumed, _carry).CopyTo(_input);
        _inputFileOffset += consumed;
        _outEnd = written;
    }

    private int Unit(int index) => _bigEndian ? (_input[index] << 8) | _input[index + 1] : _input[index] | (_input[index + 1] << 8);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The UTF-16 input is malformed; the reader turns it into a located <see cref="DumpFormatException"/>.</summary>
internal sealed class InvalidUtf16Exception(string message) : IOException(message);
