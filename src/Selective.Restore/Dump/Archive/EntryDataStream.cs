namespace Selective.Restore.Dump.Archive;

/// <summary>
/// One TOC entry's decompressed data as the plain parser reads it: decompression errors become
/// <see cref="DumpFormatException"/>s that name the archive and entry, and, for archives whose COPY data may
/// lack the <c>\.</c> terminator, one is added after a last complete line.
/// </summary>
internal sealed class EntryDataStream(Stream inner, string where, Func<long> archivePosition, bool addTerminator) : ReadOnlyStream
{
    private static readonly byte[] Terminator = "\\.\n"u8.ToArray();

    // The last bytes of the data (newlines trimmed at the end) decide whether a terminator is missing.
    private readonly byte[] _tail = new byte[4];
    private int _tailLength;
    private bool _pendingNewline;
    private int _terminatorLeft = -1;

    public override int Read(Span<byte> buffer)
    {
        if (_terminatorLeft >= 0)
        {
            return EmitTerminator(buffer);
        }

        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(ex);
        }

        return After(buffer, n);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_terminatorLeft >= 0)
        {
            return EmitTerminator(buffer.Span);
        }

        int n;
        try
        {
            n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(ex);
        }

        return After(buffer.Span, n);
    }

    private DumpFormatException Corrupt(InvalidDataException ex) =>
        new($"{where}: near archive byte offset {archivePosition()}: {CompressedData.Corrupt("compressed", ex)}", ex);

    private int After(Span<byte> buffer, int n)
    {
        if (!addTerminator)
        {
            return n;
        }

        if (n > 0)
        {
            Track(buffer[..n]);
            return n;
        }

        var terminated = _tailLength >= 2 && _tail[_tailLength - 2] == '\\' && _tail[_tailLength - 1] == '.'
                         && (_tailLength == 2 || _tail[_tailLength - 3] == '\n');
        if (terminated || (_tailLength > 0 && !_pendingNewline))
        {
            // Complete, or cut inside a line: the parser reports the latter.
            return 0;
        }

        _terminatorLeft = Terminator.Length;
        return EmitTerminator(buffer);
    }

    private void Track(ReadOnlySpan<byte> data)
    {
        var end = data.Length;
        while (end > 0 && data[end - 1] == '\n')
        {
            end--;
        }

        if (end > 0)
        {
            if (_pendingNewline)
            {
                Push("\n"u8);
            }

            Push(data[..end]);
        }

        _pendingNewline = end < data.Length || (end == 0 && _pendingNewline);
    }

    private void Push(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= _tail.Length)
        {
            bytes[^_tail.Length..].CopyTo(_tail);
            _tailLength = _tail.Length;
            return;
        }

        var keep = Math.Min(_tailLength, _tail.Length - bytes.Length);
        Array.Copy(_tail, _tailLength - keep, _tail, 0, keep);
        bytes.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + bytes.Length;
    }

    private int EmitTerminator(Span<byte> buffer)
    {
        var n = Math.Min(_terminatorLeft, buffer.Length);
        Terminator.AsSpan(Terminator.Length - _terminatorLeft, n).CopyTo(buffer);
        _terminatorLeft -= n;
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
