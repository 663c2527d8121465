namespace Selective.Restore.Providers;

/// <summary>
/// Rows the engine hands a provider (a delta to stage, live rows to pair, keys to range), as row text: one line per
/// row, UTF-8, fields separated by tabs, <c>\N</c> for NULL and backslash escapes for tab, newline, carriage return
/// and backslash (the text format of PostgreSQL's COPY, which the engine uses as its neutral row form; see
/// <see cref="Dump.CopyText"/>). Held in bounded memory: past a block the rows live in a temp file.
/// </summary>
public interface IRowLines
{
    /// <summary>How many rows there are.</summary>
    long Rows { get; }

    /// <summary>Starts reading from the first row again.</summary>
    void Rewind();

    /// <summary>
    /// Reads the next row, or returns false at the end. <paramref name="line"/> (without its newline) is valid until the
    /// next call. <paramref name="lineNumber"/> and <paramref name="byteOffset"/> say where a dump row came from (its
    /// line and byte offset in the dump), for error messages; both are 0 for rows that did not come from the dump.
    /// </summary>
    bool TryRead(out ReadOnlySpan<byte> line, out long lineNumber, out long byteOffset);
}
