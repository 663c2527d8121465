namespace Selective.Restore.Dump;

/// <summary>
/// One table's data in a dump, read forward only. Rows stream from the dump as you call
/// <see cref="ReadAsync"/>; nothing is buffered beyond the current row. Moving to the next table
/// (<see cref="DumpReader.NextTableAsync"/>) skips whatever rows are left.
/// </summary>
public sealed class DumpTable
{
    private readonly ITableSource _source;

    internal DumpTable(ITableSource source, TableName name, IReadOnlyList<DumpColumn> columns, DumpDataForm form, long startOffset, long startLine)
    {
        _source = source;
        Name = name;
        Columns = columns;
        Form = form;
        StartOffset = startOffset;
        StartLine = startLine;
        Current = new DumpRow(name, columns.Count);
    }

    /// <summary>The table's schema-qualified name.</summary>
    public TableName Name { get; }

    /// <summary>The columns in the order the row fields appear.</summary>
    public IReadOnlyList<DumpColumn> Columns { get; }

    /// <summary>Whether the dump wrote COPY data or INSERT statements.</summary>
    public DumpDataForm Form { get; }

    /// <summary>
    /// The source table's columns that the rows have no values for because the source database fills them in, in the
    /// table's order. Only SQL Server scripts and SQLite dumps have them: an <c>INSERT</c> without a column list supplies every
    /// column except the IDENTITY, computed, rowversion/timestamp and hidden period columns (SQL Server) or the generated
    /// columns (SQLite, listed as <see cref="DumpOmittedColumnKind.Computed"/>), which the script's <c>CREATE TABLE</c> names.
    /// Empty otherwise (pg_dump rows, and INSERTs with a column list, have a value for every column they name).
    /// </summary>
    public IReadOnlyList<DumpOmittedColumn> OmittedColumns { get; internal init; } = [];

    /// <summary>
    /// The IDENTITY column that the rows have no value for (see <see cref="OmittedColumns"/>), or null. Such rows have
    /// no key value of their own: they can be matched to live rows only on their other columns (the whole row, or a
    /// declared identity key), and a row restored from them gets a new IDENTITY value.
    /// </summary>
    public string? OmittedIdentityColumn
    {
        get
        {
            foreach (var column in OmittedColumns)
            {
                if (column.Kind == DumpOmittedColumnKind.Identity)
                {
                    return column.Name;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// True when the rows come from SQL Server INSERTs without a column list: their values fill the table's columns in
    /// order, leaving out its IDENTITY, computed, rowversion/timestamp and hidden period columns (from a SQLite dump's: its
    /// generated columns). With the script's
    /// <c>CREATE TABLE</c>, the columns have names and <see cref="OmittedColumns"/> lists those left out. Without it, the
    /// columns have no names and nothing says which columns were left out, so their positions match those of a table
    /// only when it has no such columns.
    /// </summary>
    public bool InsertableColumnsOnly { get; internal init; }

    /// <summary>Byte offset (in the decompressed dump) of the statement that starts this table's data.</summary>
    public long StartOffset { get; internal set; }

    /// <summary>1-based line of the statement that starts this table's data.</summary>
    public long StartLine { get; }

    /// <summary>Byte offset just past this table's data (after <c>\.</c> or the last INSERT), or -1 until the table has been read to the end.</summary>
    public long EndOffset { get; internal set; } = -1;

    /// <summary>
    /// Archives: the TOC entry (dump id) that holds the table's data, as <c>pg_restore -l</c> lists it; null for scripts.
    /// (In an archive, <see cref="StartOffset"/>, <see cref="EndOffset"/> and <see cref="StartLine"/> count within this entry's data.)
    /// </summary>
    public int? ArchiveEntryId { get; internal set; }

    /// <summary>Custom archives: byte offset in the archive (decompressed, for a gzip-compressed file) of the entry's data block; otherwise null.</summary>
    public long? ArchiveDataOffset { get; internal set; }

    /// <summary>Directory archives: the name of the data file read (<c>N.dat</c> or <c>N.dat.gz</c>); otherwise null.</summary>
    public string? ArchiveDataFile { get; internal set; }

    /// <summary>Rows read so far; the table's row count once <see cref="IsCompleted"/>.</summary>
    public long RowsRead { get; internal set; }

    /// <summary>True when every row has been read (or skipped).</summary>
    public bool IsCompleted { get; internal set; }

    /// <summary>The row read by the last successful <see cref="ReadAsync"/>; reused between calls.</summary>
    public DumpRow Current { get; }

    internal bool Started { get; set; }

    /// <summary>Advances to the next row.</summary>
    /// <returns>False when the table has no more rows.</returns>
    /// <exception cref="DumpFormatException">The row is malformed; the message says where.</exception>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default) =>
        IsCompleted ? ValueTask.FromResult(false) : _source.ReadRowAsync(this, materialize: true, async: true, cancellationToken);

    /// <inheritdoc cref="ReadAsync"/>
    public bool Read() =>
        !IsCompleted && SyncPath.Complete(_source.ReadRowAsync(this, materialize: true, async: false, CancellationToken.None));

    /// <summary>Reads (and validates) the remaining rows without decoding them.</summary>
    /// <returns>The table's total row count.</returns>
    public async ValueTask<long> SkipAsync(CancellationToken cancellationToken = default)
    {
        while (!IsCompleted && await _source.ReadRowAsync(this, materialize: false, async: true, cancellationToken).ConfigureAwait(false))
        {
        }

        return RowsRead;
    }

    /// <summary>Reads (and validates) the next row without decoding it, for a caller that reports progress between rows.</summary>
    /// <returns>False when the table has no more rows.</returns>
    internal ValueTask<bool> SkipRowAsync(CancellationToken cancellationToken) =>
        IsCompleted ? ValueTask.FromResult(false) : _source.ReadRowAsync(this, materialize: false, async: true, cancellationToken);

    /// <inheritdoc cref="SkipAsync"/>
    public long Skip()
    {
        while (!IsCompleted && SyncPath.Complete(_source.ReadRowAsync(this, materialize: false, async: false, CancellationToken.None)))
        {
        }

        return RowsRead;
    }

    /// <summary>
    /// Copies this table's section of the dump byte for byte to <paramref name="destination"/> (the COPY
    /// statement, its rows and <c>\.</c>; or the INSERT statements), validating every row on the way.
    /// Must be called before any row is read.
    /// </summary>
    /// <returns>The table's row count.</returns>
    public ValueTask<long> CopyRawToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return _source.CopyRawAsync(this, destination, async: true, cancellationToken);
    }

    /// <inheritdoc cref="CopyRawToAsync"/>
    public long CopyRawTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return SyncPath.Complete(_source.CopyRawAsync(this, destination, async: false, CancellationToken.None));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Form}, {Columns.Count} columns)";
}

/// <summary>What a <see cref="DumpTable"/> reads from: one implementation per dump format.</summary>
internal interface ITableSource
{
    ValueTask<bool> ReadRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken);

    ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken);
}
