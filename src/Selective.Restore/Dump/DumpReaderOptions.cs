
namespace Selective.Restore.Dump;

/// <summary>Options for <see cref="DumpReader"/>.</summary>
public sealed class DumpReaderOptions
{
    /// <summary>The default for <see cref="MaxBufferedBytes"/>: 256 MiB.</summary>
    public const int DefaultMaxBufferedBytes = 256 * 1024 * 1024;

    /// <summary>The smallest value <see cref="MaxBufferedBytes"/> accepts: 1 KiB.</summary>
    public const int MinMaxBufferedBytes = 1024;

    /// <summary>
    /// The largest value <see cref="MaxBufferedBytes"/> accepts: 1 GiB, PostgreSQL's own limit on a value
    /// (and on the line buffer of a COPY row), so nothing larger could be loaded anyway.
    /// </summary>
    public const int MaxMaxBufferedBytes = 1024 * 1024 * 1024;

    /// <summary>Which tables to yield; the others are skipped (and still validated). Default: <see cref="TableFilter.All"/>.</summary>
    public TableFilter Tables { get; set; } = TableFilter.All;

    /// <summary>
    /// The name used for the input in error messages. Default: the file path given to
    /// <see cref="DumpReader.Open(string, DumpReaderOptions?)"/>, or <c>&lt;stream&gt;</c>.
    /// </summary>
    public string? SourceName { get; set; }

    /// <summary>
    /// The most bytes the reader holds in memory for one thing it must see whole: a row (a COPY line, an
    /// <c>INSERT</c> tuple), the statement that starts a table's data, or a single token (a quoted string, a
    /// dollar-quoted function body, a comment inside a statement). Anything larger is an error that names
    /// where it starts, so memory stays bounded whatever the input. Statements that are skipped are never
    /// held whole. Default <see cref="DefaultMaxBufferedBytes"/> (256 MiB); from 1 KiB to 1 GiB.
    /// </summary>
    public int MaxBufferedBytes { get; set; } = DefaultMaxBufferedBytes;

    /// <summary>
    /// For a plain script that holds several databases (<c>pg_dumpall</c>, whose <c>\connect NAME</c> lines start each database's
    /// section): read only the tables and sequence values of this database's section. Without it, such a script is read whole when
    /// only one of its databases holds table data (the usual <c>template1</c> and <c>postgres</c> sections hold none), and refused
    /// when two do, since a table's name carries no database. An archive holds one database: its header must name this one. A name
    /// the dump has no section for is an error once the dump is read. Null (the default): no selection.
    /// </summary>
    public string? Database { get; set; }

    internal void Validate()
    {
        if (Tables is null)
        {
            throw new InvalidOperationException("DumpReaderOptions.Tables must not be null; use TableFilter.All.");
        }

        if (Database is { Length: 0 })
        {
            throw new InvalidOperationException("DumpReaderOptions.Database must not be empty; use null to read every database.");
        }

        if (MaxBufferedBytes is < MinMaxBufferedBytes or > MaxMaxBufferedBytes)
        {
            throw new InvalidOperationException(
                $"DumpReaderOptions.MaxBufferedBytes must be between {MinMaxBufferedBytes} (1 KiB) and {MaxMaxBufferedBytes} (1 GiB); it is {MaxBufferedBytes}.");
        }
    }

    /// <summary>A copy with another source name.</summary>
    /// <summary>These options, with a filter that also tells <paramref name="decided"/> each answer (<see cref="TableFilter.Deciding"/>).</summary>
    internal DumpReaderOptions Deciding(Action<TableName, bool> decided) => new()
    {
        Tables = Tables.Deciding(decided),
        SourceName = SourceName,
        MaxBufferedBytes = MaxBufferedBytes,
        Database = Database,
    };

    internal DumpReaderOptions Named(string? sourceName) => new()
    {
        Tables = Tables,
        SourceName = sourceName,
        MaxBufferedBytes = MaxBufferedBytes,
        Database = Database,
    };
}
