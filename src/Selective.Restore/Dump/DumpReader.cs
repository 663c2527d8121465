using System.IO.Compression;
using Selective.Restore.Dump.Archive;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump;

/// <summary>
/// Reads a database dump table by table, streaming: memory stays constant whatever the dump's size.
/// The format and compression are detected from the content, not the file name.
/// </summary>
/// <example>
/// <code>
/// await using var reader = DumpReader.Open("backup.sql.gz");
/// while (await reader.NextTableAsync() is { } table)
/// {
///     while (await table.ReadAsync())
///     {
///         Console.WriteLine($"{table.Name}: {table.Current.GetString(0)}");
///     }
/// }
/// </code>
/// </example>
public sealed class DumpReader : IDisposable, IAsyncDisposable
{
    private const int PeekSize = 4096; // enough head for SqlServerScriptDetector and SqliteScriptDetector

    private readonly Stream _stream;
    private readonly IDumpParser _parser;
    private Stream? _counted; // the seekable input whose position says how far reading got, as stored
    private long _origin;
    private SkipWatch? _watch; // null for a directory archive, which skips a table by not opening its file

    private DumpReader(Stream stream, IDumpParser parser, DumpFormat format, DumpCompression compression, string? source)
    {
        _stream = stream;
        _parser = parser;
        Format = format;
        Compression = compression;
        Source = source;
    }

    /// <summary>The input's name as used in error messages.</summary>
    public string? Source { get; }

    /// <summary>The detected dump format.</summary>
    public DumpFormat Format { get; }

    /// <summary>The detected whole-file compression.</summary>
    public DumpCompression Compression { get; }

    /// <summary>
    /// The dump's character encoding from its <c>SET client_encoding</c> (PostgreSQL's name: <c>UTF8</c>, <c>LATIN1</c>...), or null
    /// until one has been read. Rows, names and settings are UTF-8 whatever it is: other encodings are transcoded as they are read.
    /// </summary>
    public string? Encoding => _parser.Encoding;

    /// <summary>
    /// The database the tables come from, when the dump names it: the selected <see cref="DumpReaderOptions.Database"/>, or for a
    /// plain script the database whose <c>\connect</c> section held the data read so far (pg_dumpall, <c>pg_dump -C</c>), or an
    /// archive's database. Null when the dump does not say (a plain <c>pg_dump</c> without <c>-C</c>, a SQL Server script).
    /// </summary>
    public string? Database => _parser.Database;

    /// <summary>Whether string literals in INSERT statements follow <c>standard_conforming_strings</c> at this point of the dump.</summary>
    public bool StandardConformingStrings => _parser.StandardConformingStrings;

    /// <summary>
    /// Sequence positions (<c>setval</c>; a SQLite dump's <c>sqlite_sequence</c> rows, named by their table, with
    /// <see cref="SequenceValue.IsCalled"/> true) read so far; complete once <see cref="NextTableAsync"/> has returned null.
    /// </summary>
    public IReadOnlyList<SequenceValue> Sequences => _parser.Sequences;

    /// <summary>The session settings statements (<c>SET ...</c>) in force at the reader's current point, to replay before loading a table's data.</summary>
    public IEnumerable<string> SessionSettings => _parser.SettingStatements;

    /// <summary>Bytes of the (decompressed) dump consumed so far, for progress reporting.</summary>
    public long BytesRead => _parser.BytesRead;

    /// <summary>
    /// The dump's size in bytes as stored, for progress: a file's (or seekable stream's) length from where reading
    /// started, a directory archive's data files of the selected tables; -1 when unknown (a pipe).
    /// </summary>
    internal long InputLength { get; private set; } = -1;

    /// <summary>
    /// Bytes of the dump read so far as stored, on the scale of <see cref="InputLength"/> (a compressed file's compressed
    /// bytes); <see cref="BytesRead"/> when the input's position cannot be known.
    /// </summary>
    internal long InputPosition => _counted is not null ? _counted.Position - _origin : BytesRead;

    /// <summary>The tables the reader will return, when the dump says before they are read (an archive's TOC); otherwise -1.</summary>
    internal int TablesSelected => _parser is ArchiveDumpParser archive ? archive.TablesSelected : -1;

    /// <summary>Things the dump holds that are reported but not read as table rows, such as large objects in an archive.</summary>
    public IReadOnlyList<string> Notices => _parser.Notices;

    /// <summary>
    /// Whether the dump is known to be whole, decided once <see cref="NextTableAsync"/> has returned null (before that,
    /// <see cref="DumpCompleteness.Unknown"/>). <see cref="DumpCompleteness.Incomplete"/>: a plain dump that starts with
    /// pg_dump's opening comment but lacks its closing <c>-- PostgreSQL database dump complete</c>, i.e. one cut short at a
    /// statement boundary, or a sqlite3 dump that opens its transaction (<c>BEGIN TRANSACTION;</c>) and never commits it; a
    /// notice in <see cref="Notices"/> says so too. Archives cut short are errors instead, and scripts without pg_dump's
    /// opening comment or sqlite3's BEGIN (hand-written, SQL Server) stay <see cref="DumpCompleteness.Unknown"/>.
    /// </summary>
    public DumpCompleteness Completeness => _parser.Completeness;

    /// <summary>Why <see cref="Completeness"/> is <see cref="DumpCompleteness.Incomplete"/> (which opening comment lacks its closing one, and where), or null.</summary>
    internal string? IncompleteReason => _parser.IncompleteReason;

    /// <summary>True when <see cref="Completeness"/> is <see cref="DumpCompleteness.Incomplete"/>: the dump was read to its end and is missing its end.</summary>
    public bool IsIncomplete => _parser.Completeness == DumpCompleteness.Incomplete;

    /// <summary>Tables that the filter left out so far (their data was read past and validated).</summary>
    public long TablesSkipped => _parser.TablesSkipped;

    /// <summary>Opens a dump file. gzip compression is detected and undone on the fly.</summary>
    /// <param name="path">The dump file.</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <exception cref="DumpFormatException">The file is not a dump this reader supports.</exception>
    public static DumpReader Open(string path, DumpReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DumpReaderOptions();
        if (Directory.Exists(path))
        {
            if (!File.Exists(Path.Combine(path, "toc.dat")))
            {
                throw new DumpFormatException($"{path}: is a directory without toc.dat, not a pg_dump directory archive (-Fd)");
            }

            options.Validate();
            var source = options.SourceName ?? path;
            var archive = ArchiveDumpParser.OpenDirectory(path, source, options.Tables, options.MaxBufferedBytes);
            CheckArchiveDatabase(archive, options, source);
            var compression = archive.Toc.Compression == ArchiveCompression.Gzip ? DumpCompression.Gzip : DumpCompression.None;
            return new DumpReader(Stream.Null, archive, DumpFormat.DirectoryArchive, compression, source) { InputLength = archive.SelectedDataLength };
        }

        var named = options.Named(options.SourceName ?? path);
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            BufferSize = 0, // the parser reads in large blocks itself
            Options = FileOptions.SequentialScan,
        });
        try
        {
            return Create(file, named, leaveOpen: false, localFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a dump from a stream (a pipe, a network stream, a decompressor...).</summary>
    /// <param name="stream">The dump bytes, read forward only.</param>
    /// <param name="options">Options; null for defaults.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the reader is disposed.</param>
    /// <exception cref="DumpFormatException">The stream is not a dump this reader supports.</exception>
    public static DumpReader Open(Stream stream, DumpReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new DumpReaderOptions();
        return Create(stream, options, leaveOpen, localFile: false);
    }

    private static DumpReader Create(Stream stream, DumpReaderOptions options, bool leaveOpen, bool localFile)
    {
        var raw = stream;
        var origin = stream.CanSeek ? stream.Position : 0;
        options.Validate(); // before the filter is wrapped: a null one is a usage error, not a NullReferenceException
        var watch = new SkipWatch();
        var reader = CreateReader(new SkipWatch.WatchedStream(stream, watch), options.Deciding(watch.Decided), leaveOpen, localFile);
        reader._watch = watch;
        if (raw.CanSeek)
        {
            // Progress counts the bytes as stored: behind a decompressor, the compressed ones the file's length counts too.
            reader._counted = raw;
            reader._origin = origin;
            reader.InputLength = raw.Length - origin;
        }

        return reader;
    }

    private static DumpReader CreateReader(Stream stream, DumpReaderOptions options, bool leaveOpen, bool localFile)
    {
        options.Validate();
        var source = options.SourceName ?? "<stream>";
        var origin = stream.CanSeek ? stream.Position : 0;
        var peek = new byte[PeekSize];
        var n = Peek(stream, peek);
        var compression = DumpCompression.None;
        if (n >= 2 && peek[0] == 0x1F && peek[1] == 0x8B)
        {
            compression = DumpCompression.Gzip;
            var gzip = new GZipStream(new PrefixedStream(peek, n, stream, leaveOpen), CompressionMode.Decompress, leaveOpen: false);
            stream = gzip;
            leaveOpen = false;
            peek = new byte[PeekSize];
            try
            {
                n = Peek(stream, peek);
            }
            catch (InvalidDataException ex)
            {
                stream.Dispose();
                throw new DumpFormatException($"{source}: {CompressedData.Corrupt("gzip", ex)}", ex);
            }
        }

        var head = peek.AsSpan(0, n);
        var sqlite = SqliteScriptDetector.Detect(head.StartsWith("\uFEFF"u8) ? head[3..] : head);
        string? unsupported = null;
        if (head.StartsWith("PGDMP"u8))
        {
            return OpenCustomArchive(stream, origin, peek, n, compression, source, options, leaveOpen, localFile);
        }

        if (n >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8))
        {
            unsupported = DescribeTar(stream, origin, peek, n, compression, source);
        }
        else if (sqlite is { Strong: true })
        {
            return OpenSqlite(sqlite, stream, peek, n, compression, source, options, leaveOpen, localFile); // PRAGMA, sqlite_ tables: T-SQL has neither
        }
        else if (SqlServer.SqlServerScriptDetector.Detect(head) is { } scriptEncoding)
        {
            // UTF-16 text (SSMS's "Unicode" output) or UTF-8 with T-SQL markers: a SQL Server data script.
            if (options.Database is not null)
            {
                if (!leaveOpen)
                {
                    stream.Dispose();
                }

                throw new DumpFormatException($"{source}: is a SQL Server script; selecting a database (DumpReaderOptions.Database, --database) is for PostgreSQL dumps");
            }

            var (script, scriptParser) = SqlServer.SqlServerScriptParser.Open(scriptEncoding, peek, n, stream, options.SourceName, options.Tables, leaveOpen, localFile, options.MaxBufferedBytes);
            return new DumpReader(script, scriptParser, DumpFormat.SqlServerScript, compression, options.SourceName);
        }
        else if (head.StartsWith(SqliteScriptDetector.DatabaseFileMagic))
        {
            unsupported = SqliteScriptDetector.DatabaseFile;
        }
        else if (head.IndexOf((byte)0) >= 0)
        {
            unsupported = "is binary data, not a SQL dump";
        }
        else if (sqlite is not null)
        {
            return OpenSqlite(sqlite, stream, peek, n, compression, source, options, leaveOpen, localFile);
        }

        if (unsupported is not null)
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            throw new DumpFormatException($"{source} {unsupported}");
        }

        // A UTF-8 byte order mark is not part of the SQL, but offsets still count it (they are file offsets).
        var skip = head.StartsWith("\uFEFF"u8) ? 3 : 0;
        var content = new PrefixedStream(peek[skip..n], n - skip, stream, leaveOpen);
        var parser = new PlainDumpParser(content, options.SourceName, options.Tables, startOffset: skip, synchronousIO: localFile, maxBuffered: options.MaxBufferedBytes, database: options.Database);
        return new DumpReader(content, parser, DumpFormat.PlainSql, compression, options.SourceName);
    }

    /// <summary>A script <see cref="SqliteScriptDetector"/> found SQLite evidence in: read as a sqlite3 .dump, or refused when the evidence does not tell SQLite from SQL Server.</summary>
    private static DumpReader OpenSqlite(SqliteEvidence sqlite, Stream stream, byte[] peek, int n, DumpCompression compression, string source, DumpReaderOptions options, bool leaveOpen, bool localFile)
    {
        var bom = peek.AsSpan(0, n).StartsWith("\uFEFF"u8) ? 3 : 0;
        if (!sqlite.IsSqlite || options.Database is not null)
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            throw sqlite.IsSqlite
                ? new DumpFormatException($"{source}: is a SQLite dump; selecting a database (DumpReaderOptions.Database, --database) is for PostgreSQL dumps")
                : new DumpFormatException(sqlite.Reason, source, null, sqlite.Line, sqlite.Offset + bom);
        }

        // A UTF-8 byte order mark is not part of the script, but offsets still count it (they are file offsets).
        var script = new PrefixedStream(peek[bom..n], n - bom, stream, leaveOpen);
        var parser = new Sqlite.SqliteDumpParser(script, options.SourceName, options.Tables, startOffset: bom, synchronousIO: localFile, maxBuffered: options.MaxBufferedBytes);
        return new DumpReader(script, parser, DumpFormat.SqliteDump, compression, options.SourceName);
    }

    /// <summary>What a tar holds and what to do with it, read from its start (seeking back to it when the stream can).</summary>
    private static string DescribeTar(Stream stream, long origin, byte[] peek, int n, DumpCompression compression, string source)
    {
        if (compression == DumpCompression.None && stream.CanSeek)
        {
            stream.Seek(origin, SeekOrigin.Begin);
            return TarContents.Describe(stream, source);
        }

        using var replay = new PrefixedStream(peek, n, stream, leaveOpen: true);
        return TarContents.Describe(replay, source);
    }

    private static DumpReader OpenCustomArchive(Stream stream, long origin, byte[] peek, int n, DumpCompression compression, string source, DumpReaderOptions options, bool leaveOpen, bool localFile)
    {
        // A seekable archive is read from its start again so the TOC offsets can be used; anything else
        // (a pipe, a gzip-compressed archive) is read forward with the peeked bytes put back.
        var input = compression == DumpCompression.None && stream.CanSeek ? stream : new PrefixedStream(peek, n, stream, leaveOpen);
        try
        {
            if (ReferenceEquals(input, stream))
            {
                stream.Seek(origin, SeekOrigin.Begin);
            }

            var archive = ArchiveDumpParser.OpenCustom(input, ReferenceEquals(input, stream) ? origin : 0, source, options.Tables, localFile, options.MaxBufferedBytes);
            CheckArchiveDatabase(archive, options, source);
            if (archive.Toc.Compression == ArchiveCompression.Gzip && compression == DumpCompression.None)
            {
                compression = DumpCompression.Zlib;
            }

            return new DumpReader(leaveOpen && ReferenceEquals(input, stream) ? Stream.Null : input, archive, DumpFormat.CustomArchive, compression, source);
        }
        catch
        {
            if (!leaveOpen || !ReferenceEquals(input, stream))
            {
                input.Dispose();
            }

            throw;
        }
    }

    /// <summary>An archive holds one database: a selected database must be the one its header names.</summary>
    private static void CheckArchiveDatabase(ArchiveDumpParser archive, DumpReaderOptions options, string source)
    {
        if (options.Database is { } wanted && !string.Equals(archive.Toc.DatabaseName, wanted, StringComparison.Ordinal))
        {
            archive.Dispose();
            throw new DumpFormatException($"{source}: the archive holds database '{archive.Toc.DatabaseName}', not '{wanted}' (DumpReaderOptions.Database, --database)");
        }
    }

    private static int Peek(Stream stream, byte[] buffer)
    {
        var n = 0;
        while (n < buffer.Length)
        {
            var read = stream.Read(buffer, n, buffer.Length - n);
            if (read == 0)
            {
                break;
            }

            n += read;
        }

        return n;
    }

    /// <summary>Moves to the next selected table, skipping the rest of the current one.</summary>
    /// <returns>The table, or null at the end of the dump.</returns>
    /// <exception cref="DumpFormatException">The dump is malformed; the message says where.</exception>
    public async ValueTask<DumpTable?> NextTableAsync(CancellationToken cancellationToken = default)
    {
        var table = await _parser.NextTableAsync(async: true, cancellationToken).ConfigureAwait(false);
        _watch?.Returned();
        return table;
    }

    /// <inheritdoc cref="NextTableAsync"/>
    public DumpTable? NextTable()
    {
        var table = SyncPath.Complete(_parser.NextTableAsync(async: false, CancellationToken.None));
        _watch?.Returned();
        return table;
    }

    /// <summary>
    /// Called, at most once per block read from the input, while the reader reads past a table the filter left out
    /// (inside <see cref="NextTableAsync"/>), with that table: for progress between the tables returned.
    /// </summary>
    internal Action<TableName>? WhileSkipping
    {
        set
        {
            if (_watch is not null)
            {
                _watch.WhileSkipping = value;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _parser.Dispose();
        _stream.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _parser.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
