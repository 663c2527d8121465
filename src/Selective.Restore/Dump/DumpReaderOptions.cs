using Selective.Restore.Filtering;

namespace Selective.Restore.Dump;

/// <summary>Options for <see cref="DumpReader"/>.</summary>
public sealed class DumpReaderOptions
{
    /// <summary>Which tables to yield; the others are skipped (and still validated). Default: <see cref="TableFilter.All"/>.</summary>
    public TableFilter Tables { get; set; } = TableFilter.All;

    /// <summary>
    /// The name used for the input in error messages. Default: the file path given to
    /// <see cref="DumpReader.Open(string, DumpReaderOptions?)"/>, or <c>&lt;stream&gt;</c>.
    /// </summary>
    public string? SourceName { get; set; }

    internal void Validate()
    {
        if (Tables is null)
        {
            throw new InvalidOperationException("DumpReaderOptions.Tables must not be null; use TableFilter.All.");
        }
    }
}
