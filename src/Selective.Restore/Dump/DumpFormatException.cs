namespace Selective.Restore;

/// <summary>
/// The dump is malformed or uses something the reader does not support. The message names the file,
/// the table (when inside one), the 1-based line and the byte offset, so the bad spot can be found
/// with <c>sed -n 'LINEp'</c> or <c>dd skip=OFFSET</c> without opening a multi-GB file.
/// </summary>
public sealed class DumpFormatException : Exception
{
    /// <summary>Creates an exception with a plain message (no location).</summary>
    public DumpFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a plain message and an inner exception.</summary>
    public DumpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception that locates the problem.</summary>
    /// <param name="reason">What is wrong, without location.</param>
    /// <param name="source">The file name or other description of the input.</param>
    /// <param name="table">The table being read, if any.</param>
    /// <param name="line">1-based line number.</param>
    /// <param name="byteOffset">0-based byte offset in the (decompressed) dump.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public DumpFormatException(string reason, string? source, TableName? table, long line, long byteOffset, Exception? innerException = null)
        : base(Format(reason, source, table, line, byteOffset), innerException)
    {
        Reason = reason;
        Source = source;
        Table = table;
        Line = line;
        ByteOffset = byteOffset;
    }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string? Reason { get; }

    /// <summary>The input's name (usually the file path), or null.</summary>
    public new string? Source { get; }

    /// <summary>The table being read when the problem was found, or null between tables.</summary>
    public TableName? Table { get; }

    /// <summary>1-based line number of the problem, or 0 when unknown.</summary>
    public long Line { get; }

    /// <summary>0-based byte offset of the problem in the decompressed dump, or -1 when unknown.</summary>
    public long ByteOffset { get; } = -1;

    private static string Format(string reason, string? source, TableName? table, long line, long byteOffset)
    {
        var where = source ?? "<stream>";
        var tablePart = table is { } t ? $", table {t}" : string.Empty;
        return $"{where}: line {line}, byte offset {byteOffset}{tablePart}: {reason}";
    }
}
