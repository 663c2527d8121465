using Selective.Restore.Dump;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore;

/// <summary>
/// Passes COPY data on to a split file, proving on the way that psql will read all of it as data. psql feeds the
/// lines after <c>COPY ... FROM stdin;</c> to the server until a line that is exactly <c>\.</c> (LF or CR LF); every
/// line after that is psql input again, where <c>\! cmd</c> runs a shell command. So the data must hold that line
/// once, at its very end, and no NUL (psql's line reader stops at a NUL and then misjudges where lines start).
/// </summary>
/// <remarks>
/// With <c>skipStatement</c> the first bytes written are the dump's own COPY statement, which is dropped: the split
/// file has a COPY statement regenerated from the parsed name and columns instead, so no text of the dump's statement
/// (a comment psql ends earlier than the reader, text after the <c>;</c>) reaches psql. The statement ends where the
/// reader's lexer says, at the line end after its <c>;</c>.
/// </remarks>
internal sealed class CopyDataGuard(Stream inner, DumpTable table, string? source, bool skipStatement) : WriteOnlyStream
{
    private const int MaxStatementBytes = 64 << 20;
    private const string EndedEarly = "the COPY data has a line psql reads as its end (\\.) before the end the reader found, so psql would run the lines after it as commands";
    private static readonly byte[] MarkerLf = "\\.\n"u8.ToArray();
    private static readonly byte[] MarkerCrLf = "\\.\r\n"u8.ToArray();

    private readonly List<byte> _statement = [];
    private readonly byte[] _lineHead = new byte[4];
    private bool _inStatement = skipStatement;
    private bool _atLineStart = true;
    private int _lineHeadLength;
    private bool _ended;

    /// <summary>After the last write: the data ended with its end-of-data line.</summary>
    public void Complete()
    {
        if (_inStatement || !_ended)
        {
            throw Refuse("the COPY data does not end with a \\. line");
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer[CheckedStart(buffer)..]);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer[CheckedStart(buffer.Span)..], cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <summary>Validates a chunk; returns where its data starts (after the dropped statement).</summary>
    private int CheckedStart(ReadOnlySpan<byte> buffer)
    {
        var start = 0;
        if (_inStatement)
        {
            // Hold the statement until its end is known; what follows it in the same chunk is data.
            var before = _statement.Count;
            _statement.AddRange(buffer);
            var end = StatementEnd([.. _statement]);
            if (end < 0)
            {
                if (_statement.Count > MaxStatementBytes)
                {
                    throw Refuse("the COPY statement is too long to be one");
                }

                return buffer.Length;
            }

            _inStatement = false;
            start = end - before;
            _statement.Clear();
            if (start < 0)
            {
                // Cannot happen (the statement ends after the bytes already held); never write them as data.
                throw Refuse("the COPY statement could not be separated from its data");
            }
        }

        ScanData(buffer[start..]);
        return start;
    }

    /// <summary>Index just past the line end that follows the statement's <c>;</c>, or -1 when more bytes are needed.</summary>
    private static int StatementEnd(ReadOnlySpan<byte> text)
    {
        var position = 0;
        while (true)
        {
            var status = SqlLexer.Next(text, position, final: false, standardStrings: true, out var token, out _);
            if (status != LexStatus.Token)
            {
                return -1; // NeedMore; an error or the end cannot happen after the reader accepted the statement
            }

            position = token.End;
            if (token.IsPunct(text, (byte)';'))
            {
                var newline = text[position..].IndexOf((byte)'\n');
                return newline < 0 ? -1 : position + newline + 1;
            }
        }
    }

    /// <summary>
    /// Checks a chunk of COPY data. Data lines starting with <c>\.</c> are rare, so the chunk is searched for LF then
    /// <c>\.</c> (vectorized) instead of walked line by line; a line start cut off by the chunk's end is carried over.
    /// </summary>
    private void ScanData(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_ended)
        {
            throw Refuse(EndedEarly);
        }

        if (data.Contains((byte)0))
        {
            throw Refuse("the COPY data contains a NUL byte");
        }

        var searchFrom = 0;
        if (_atLineStart)
        {
            // A line began at the end of the last chunk (or this is the first): complete its first bytes.
            var i = 0;
            while (_lineHeadLength < _lineHead.Length && i < data.Length)
            {
                var b = data[i++];
                _lineHead[_lineHeadLength++] = b;
                if (b == '\n')
                {
                    break;
                }
            }

            var head = _lineHead.AsSpan(0, _lineHeadLength);
            if (IsMarker(head))
            {
                End(i, data.Length);
                return;
            }

            if (IsMarkerStart(head) && i >= data.Length)
            {
                return; // "\", "\." or "\.\r" and nothing more yet
            }

            _atLineStart = false;
            _lineHeadLength = 0;
            searchFrom = head[^1] == '\n' ? i - 1 : i; // a short line: the next one starts right after its LF
        }

        while (true)
        {
            var found = data[searchFrom..].IndexOf("\n\\."u8);
            if (found < 0)
            {
                break;
            }

            var start = searchFrom + found + 1;
            var rest = data[start..];
            if (rest.StartsWith(MarkerLf) || rest.StartsWith(MarkerCrLf))
            {
                End(start + (rest.StartsWith(MarkerLf) ? MarkerLf.Length : MarkerCrLf.Length), data.Length);
                return;
            }

            searchFrom = start;
        }

        // Carry a line start in the last few bytes over to the next chunk.
        var lastNewline = data.LastIndexOf((byte)'\n');
        var tail = lastNewline >= 0 ? data[(lastNewline + 1)..] : default;
        if (lastNewline >= 0 && IsMarkerStart(tail))
        {
            _atLineStart = true;
            tail.CopyTo(_lineHead);
            _lineHeadLength = tail.Length;
        }
    }

    private static bool IsMarker(ReadOnlySpan<byte> head) => head.SequenceEqual(MarkerLf) || head.SequenceEqual(MarkerCrLf);

    /// <summary>A strict beginning of an end-of-data line: empty, <c>\</c>, <c>\.</c> or <c>\.\r</c>.</summary>
    private static bool IsMarkerStart(ReadOnlySpan<byte> head) =>
        head.Length < MarkerCrLf.Length && !IsMarker(head) && (MarkerLf.AsSpan().StartsWith(head) || MarkerCrLf.AsSpan().StartsWith(head));

    /// <summary>The end-of-data line ends at <paramref name="end"/>: it must be the last thing written.</summary>
    private void End(int end, int length)
    {
        _ended = true;
        if (end < length)
        {
            throw Refuse(EndedEarly);
        }
    }

    private DumpFormatException Refuse(string reason) =>
        new($"{reason}; refusing to write it into a psql script", source, table.Name, table.StartLine, table.StartOffset);
}
