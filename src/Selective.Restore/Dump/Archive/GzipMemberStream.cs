using System.Buffers.Binary;
using System.IO.Compression;

namespace Selective.Restore.Dump.Archive;

/// <summary>
/// Decompresses a gzip file that holds one member (a directory archive's <c>N.dat.gz</c>, written by zlib's gzwrite)
/// and checks its end: .NET's decompressor returns a cut-short deflate stream as if it had ended, so the member's
/// trailer (the uncompressed size, modulo 2^32) must be the file's last bytes and match what came out.
/// </summary>
internal sealed class GzipMemberStream : ReadOnlyStream
{
    private readonly TailStream _tail;
    private readonly GZipStream _gzip;
    private readonly string _where;
    private long _count;
    private bool _checked;

    /// <param name="compressed">The gzip file's bytes; disposed with this stream.</param>
    /// <param name="where">The file's description for error messages.</param>
    public GzipMemberStream(Stream compressed, string where)
    {
        _tail = new TailStream(compressed);
        _gzip = new GZipStream(_tail, CompressionMode.Decompress, leaveOpen: false);
        _where = where;
    }

    public override int Read(Span<byte> buffer) => After(_gzip.Read(buffer), buffer.Length);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _gzip.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return After(n, buffer.Length);
    }

    private int After(int n, int requested)
    {
        _count += n;
        if (n == 0 && requested > 0 && !_checked)
        {
            _checked = true;
            if (!_tail.Ended || _tail.Count < 8 || BinaryPrimitives.ReadUInt32LittleEndian(_tail.Last8[4..]) != (uint)_count)
            {
                throw new DumpFormatException(
                    $"{_where}: the gzip data stops before its end (its trailer is missing or does not match the {_count} bytes it decompressed to): the file is truncated or damaged");
            }
        }

        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Passes reads through, remembering the last 8 bytes and whether the end was reached.</summary>
    private sealed class TailStream(Stream inner) : ReadOnlyStream
    {
        private readonly byte[] _last = new byte[8];

        public bool Ended { get; private set; }

        public long Count { get; private set; }

        public ReadOnlySpan<byte> Last8 => _last;

        public override int Read(Span<byte> buffer) => Track(buffer, inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Track(buffer.Span, n);
        }

        private int Track(ReadOnlySpan<byte> buffer, int n)
        {
            if (n == 0)
            {
                Ended = buffer.Length > 0 || Ended;
                return 0;
            }

            var data = buffer[..n];
            if (n >= 8)
            {
                data[^8..].CopyTo(_last);
            }
            else
            {
                _last.AsSpan(n).CopyTo(_last);
                data.CopyTo(_last.AsSpan(8 - n));
            }

            Count += n;
            return n;
        }

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
