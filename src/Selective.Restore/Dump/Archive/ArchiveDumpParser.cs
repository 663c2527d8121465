using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump.Archive;

/// <summary>
/// Reads pg_dump custom (<c>-Fc</c>) and directory (<c>-Fd</c>) archives. The TOC says where each table's
/// data is; a selected table's data is decompressed as a stream and read by the plain-format parser, fed
/// the entry's own COPY statement (or, for <c>--inserts</c> archives, the table's CREATE TABLE for the column
/// list), so every format yields the same rows. Unselected tables are never decompressed: with TOC offsets
/// the reader seeks past them, without (an archive written to a pipe) it skips their chunks unread.
/// </summary>
internal sealed class ArchiveDumpParser : IDumpParser
{
    private const int BlockData = 1;
    private const int BlockLargeObjects = 3;
    private const int OffsetSet = 2;
    private const int OffsetNoData = 3;

    private readonly ArchiveToc _toc;
    private readonly ArchiveInput? _input;
    private readonly string? _directory;
    private readonly string _source;
    private readonly TableFilter _filter;
    private readonly bool _synchronousIO;
    private readonly int _maxBuffered;
    private readonly Dictionary<int, TocEntry> _byId = [];
    private readonly List<TocEntry> _dataEntries = [];
    private readonly HashSet<int> _seen = [];
    private readonly List<SequenceValue> _sequences = [];
    private readonly List<string> _settings = [];
    private readonly List<string> _sourceSettings = [];
    private readonly ClientEncoding? _textEncoding;
    private readonly List<string> _notices = [];
    private readonly bool _randomAccess;
    private readonly bool _searchPathEntry;
    private readonly HashSet<int> _drained = [];
    private int _next;
    private Current? _current;
    private long _directoryBytesDone;
    private bool _atEnd;

    private ArchiveDumpParser(ArchiveToc toc, ArchiveInput? input, string? directory, string source, TableFilter filter, bool synchronousIO, int maxBuffered)
    {
        _toc = toc;
        _input = input;
        _directory = directory;
        _source = source;
        _filter = filter;
        _synchronousIO = synchronousIO;
        _maxBuffered = maxBuffered;
        _searchPathEntry = toc.Entries.Any(e => string.Equals(e.Desc, "SEARCHPATH", StringComparison.Ordinal));
        foreach (var entry in toc.Entries)
        {
            _byId.TryAdd(entry.DumpId, entry);
            if (string.Equals(entry.Desc, "TABLE DATA", StringComparison.Ordinal))
            {
                _dataEntries.Add(entry);
            }
            else if (entry.HadDumper && !IsLargeObjectData(entry))
            {
                // pg_restore would load this entry's data (as a table's): never pass over data of a kind not understood.
                throw new DumpFormatException(
                    $"{source}: TOC entry {entry.DumpId} ({entry.Desc} {entry.TableName}) has data of a kind this reader does not read; " +
                    "pg_dump writes data only as TABLE DATA and BLOBS entries");
            }
        }

        CheckCompression();
        _textEncoding = ClientEncoding.FromEncodingEntry(toc.Entries.FirstOrDefault(e => string.Equals(e.Desc, "ENCODING", StringComparison.Ordinal))?.Definition) is { Refusal: null } encoding ? encoding : null;
        ReadSpecialEntries();
        if (input is not null)
        {
            _randomAccess = input.CanSeek && _dataEntries.TrueForAll(e => e.OffsetFlag is OffsetSet or OffsetNoData);
            if (_randomAccess)
            {
                var length = input.Length;
                foreach (var entry in _dataEntries)
                {
                    if (entry.OffsetFlag == OffsetSet && (entry.DataOffset < toc.DataStart || entry.DataOffset >= length))
                    {
                        throw new DumpFormatException(
                            $"{source}: the TOC gives the data of entry {entry.DumpId} ({entry.TableName}) at byte offset {entry.DataOffset}, outside the data area ({toc.DataStart}..{length}); the archive is truncated or corrupt");
                    }
                }
            }
        }
    }

    public ArchiveToc Toc => _toc;

    /// <summary>The database the archive was dumped from, as its header names it.</summary>
    public string? Database => _toc.DatabaseName;

    public string? Encoding { get; private set; }

    public bool StandardConformingStrings { get; private set; } = true;

    public IReadOnlyList<SequenceValue> Sequences => _sequences;

    public IEnumerable<string> SettingStatements => _settings;

    public IReadOnlyList<string> Notices => _notices;

    /// <summary>Complete once every block read ended where the archive says (a block cut short is an error instead).</summary>
    public DumpCompleteness Completeness => _atEnd ? DumpCompleteness.Complete : DumpCompleteness.Unknown;

    public long BytesRead => _input is not null ? _input.Position : _directoryBytesDone + (_current?.File?.Position ?? 0);

    public long TablesSkipped { get; private set; }

    /// <summary>The tables the filter selects among the TOC's table data entries: those the reader returns.</summary>
    public int TablesSelected => _dataEntries.Count(e => _filter.Matches(e.TableName));

    /// <summary>
    /// A directory archive's data files of the selected tables, in bytes as stored (what <see cref="BytesRead"/> reaches
    /// once they are read); -1 for a custom archive, whose input's length says it.
    /// </summary>
    public long SelectedDataLength =>
        _directory is null
            ? -1
            : _dataEntries.Where(e => !string.IsNullOrEmpty(e.FileName) && _filter.Matches(e.TableName))
                .Sum(e => DataFileLength(e));

    private long DataFileLength(TocEntry entry)
    {
        var plain = new FileInfo(Path.Combine(_directory!, entry.FileName!));
        var gzip = new FileInfo(plain.FullName + ".gz");
        return plain.Exists ? plain.Length : gzip.Exists ? gzip.Length : 0;
    }

    /// <summary>Whether tables are found by their TOC offsets (a seekable custom archive with offsets written).</summary>
    public bool RandomAccess => _randomAccess;

    /// <summary>Reads a custom archive whose header (PGDMP) starts at <paramref name="origin"/> of <paramref name="stream"/>.</summary>
    public static ArchiveDumpParser OpenCustom(Stream stream, long origin, string source, TableFilter filter, bool synchronousIO, int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        var input = new ArchiveInput(stream, origin, leaveOpen: true, source) { MaxString = maxBuffered };
        var toc = ArchiveToc.Read(input);
        return toc.Format switch
        {
            ArchiveToc.FormatCustom => new ArchiveDumpParser(toc, input, null, source, filter, synchronousIO, maxBuffered),
            ArchiveToc.FormatDirectory => throw new DumpFormatException($"{source}: is the toc.dat of a directory archive (-Fd); pass the directory instead"),
            _ => throw new DumpFormatException($"{source}: is the TOC of a tar archive (-Ft), which is not supported; convert it with: pg_restore -f dump.sql ARCHIVE"),
        };
    }

    /// <summary>Reads a directory archive (<c>toc.dat</c> plus one data file per table).</summary>
    public static ArchiveDumpParser OpenDirectory(string directory, string source, TableFilter filter, int maxBuffered = DumpReaderOptions.DefaultMaxBufferedBytes)
    {
        var tocPath = Path.Combine(directory, "toc.dat");
        using var file = new FileStream(tocPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        using var input = new ArchiveInput(file, 0, leaveOpen: true, tocPath) { MaxString = maxBuffered };
        var toc = ArchiveToc.Read(input);
        if (toc.Format != ArchiveToc.FormatDirectory)
        {
            throw new DumpFormatException($"{tocPath}: the header says archive format {toc.Format}, not a directory archive (3)");
        }

        var parser = new ArchiveDumpParser(toc, null, directory, source, filter, synchronousIO: true, maxBuffered);
        if (input.Position != file.Length)
        {
            throw input.Corrupt($"{file.Length - input.Position} bytes follow the table of contents; toc.dat is corrupt", input.Position);
        }

        return parser;
    }

    private void CheckCompression()
    {
        if (_toc.Compression is ArchiveCompression.Lz4 or ArchiveCompression.Zstd)
        {
            var name = _toc.Compression == ArchiveCompression.Lz4 ? "lz4" : "zstd";
            throw new DumpFormatException(
                $"{_source}: unsupported compression {name} (archive written with pg_dump --compress={name}); " +
                $"re-dump with --compress=gzip or none, or convert: pg_restore -f dump.sql ARCHIVE");
        }
    }

    /// <summary>
    /// ENCODING, STDSTRINGS and SEARCHPATH become the session settings, SEQUENCE SET entries the sequence values: all read
    /// by the plain parser, so settings are rebuilt from their values (never copied) and a meta-command in one is refused.
    /// Settings come in the order pg_restore sets them; an archive without an ENCODING or STDSTRINGS entry (pg_dump
    /// before 8.1 and 8.2) gets pg_restore's defaults, SQL_ASCII and standard_conforming_strings off.
    /// </summary>
    private void ReadSpecialEntries()
    {
        var encodings = new StringBuilder();
        var standardStrings = new StringBuilder();
        var searchPaths = new StringBuilder();
        var sequenceSql = new StringBuilder();
        var largeObjects = 0;
        var largeObjectGroups = 0;
        var withOids = new List<string>();
        foreach (var entry in _toc.Entries)
        {
            switch (entry.Desc)
            {
                case "ENCODING":
                    encodings.Append(Statement(entry.Definition)).Append('\n');
                    break;
                case "STDSTRINGS":
                    standardStrings.Append(Statement(entry.Definition)).Append('\n');
                    break;
                case "SEARCHPATH":
                    searchPaths.Append(Statement(entry.Definition)).Append('\n');
                    break;
                case "SEQUENCE SET":
                    sequenceSql.Append(SelectSchema(entry)).Append(entry.Definition).Append('\n');
                    break;
                case "BLOB":
                    largeObjects++;
                    break;
                case "BLOB METADATA":
                    largeObjectGroups++;
                    break;
                case "TABLE" when entry.WithOids:
                    withOids.Add(entry.TableName.ToString());
                    break;
            }
        }

        if (largeObjects + largeObjectGroups > 0)
        {
            var count = largeObjects > 0 ? $"{largeObjects} large object(s)" : $"{largeObjectGroups} group(s) of large objects";
            _notices.Add($"the archive holds {count} (pg_largeobject); they are not table rows and are not restored");
        }

        if (withOids.Count > 0)
        {
            // pg_restore 12 and later warn and create the tables without OIDs; their rows restore all the same (data
            // dumped with its OIDs, pg_dump -o, has a COPY ... WITH OIDS, which the plain parser refuses).
            _notices.Add($"the archive has {withOids.Count} table(s) created WITH OIDS ({string.Join(", ", withOids.Take(5))}{(withOids.Count > 5 ? ", ..." : string.Empty)}): PostgreSQL 12 and later have no table OIDs, so pg_restore creates them without (and warns); their rows are read all the same");
        }

        var settingsSql = new StringBuilder()
            .Append(encodings.Length > 0 ? encodings : "SET client_encoding = 'SQL_ASCII';\n")
            .Append(standardStrings.Length > 0 ? standardStrings : "SET standard_conforming_strings = off;\n")
            .Append(searchPaths)
            .ToString();
        var settings = ParseSpecial(settingsSql, "ENCODING, STDSTRINGS and SEARCHPATH entries");
        Encoding = settings.Encoding;
        StandardConformingStrings = settings.StandardConformingStrings;
        _settings.AddRange(settings.SettingStatements);
        _sourceSettings.AddRange(settings.SourceSettingStatements);
        _notices.AddRange(settings.Notices);
        if (sequenceSql.Length == 0)
        {
            return;
        }

        // Sequences are read under the dump's own settings (rebuilt, so they add no notices; its own encoding, as the
        // text is given back in it) and, in archives without a SEARCHPATH entry, each under its entry's search_path,
        // which must not become a session setting.
        var sequences = ParseSpecial(string.Join('\n', _sourceSettings) + "\n" + sequenceSql, "SEQUENCE SET entries");
        _sequences.AddRange(sequences.Sequences);
        _notices.AddRange(sequences.Notices.Except(_notices, StringComparer.Ordinal));
    }

    private SpecialEntries ParseSpecial(string sql, string what)
    {
        using var parser = new PlainDumpParser(
            new MemoryStream(Bytes(sql)), $"{_source} ({what})", TableFilter.All, maxBuffered: _maxBuffered, fragment: true);
        if (SyncPath.Complete(parser.NextTableAsync(async: false, CancellationToken.None)) is { } table)
        {
            throw new DumpFormatException($"{_source}: the TOC's {what} hold data for {table.Name}; the archive is corrupt");
        }

        return new SpecialEntries(parser.Encoding, parser.StandardConformingStrings, [.. parser.SettingStatements], [.. parser.SourceSettingStatements], [.. parser.Sequences], [.. parser.Notices]);
    }

    /// <summary>
    /// What pg_restore runs before an entry of an archive without a SEARCHPATH entry (archive versions before 1.13):
    /// <c>SET search_path = schema, pg_catalog</c>, where the entry's statements name their objects without a schema.
    /// </summary>
    private string SelectSchema(TocEntry entry)
    {
        if (_searchPathEntry || string.IsNullOrEmpty(entry.Namespace))
        {
            return string.Empty;
        }

        var schema = "\"" + entry.Namespace.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return string.Equals(entry.Namespace, "pg_catalog", StringComparison.Ordinal)
            ? $"SET search_path = {schema};\n"
            : $"SET search_path = {schema}, pg_catalog;\n";
    }

    private static string Statement(string? definition) => (definition ?? string.Empty).TrimEnd('\n', ' ');

    /// <summary>TOC text as the archive's bytes (its encoding, which the plain parser decodes after the ENCODING entry's SET).</summary>
    private byte[] Bytes(string text) => _textEncoding?.GetBytes(text) ?? System.Text.Encoding.UTF8.GetBytes(text);

    public async ValueTask<DumpTable?> NextTableAsync(bool async, CancellationToken cancellationToken)
    {
        await FinishCurrentAsync(async, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            TocEntry entry;
            ChunkedDataStream? chunks = null;
            long? blockOffset = null;
            if (_input is not null && !_randomAccess)
            {
                var block = await NextBlockAsync(async, cancellationToken).ConfigureAwait(false);
                if (block is null)
                {
                    _atEnd = true;
                    return null;
                }

                (entry, chunks, blockOffset) = block.Value;
            }
            else
            {
                if (_next == _dataEntries.Count)
                {
                    if (!_atEnd && _input is not null)
                    {
                        await VerifyLastBlockAsync(async, cancellationToken).ConfigureAwait(false);
                    }

                    _atEnd = true;
                    return null;
                }

                entry = _dataEntries[_next++];
                if (!_filter.Matches(entry.TableName))
                {
                    TablesSkipped++;
                    continue;
                }

                if (_input is not null && entry.OffsetFlag == OffsetSet)
                {
                    chunks = await SeekBlockAsync(entry, async, cancellationToken).ConfigureAwait(false);
                    blockOffset = entry.DataOffset;
                }
            }

            return await BeginTableAsync(entry, chunks, blockOffset, async, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Random access: goes to the entry's block and checks its header names the entry.</summary>
    private async ValueTask<ChunkedDataStream> SeekBlockAsync(TocEntry entry, bool async, CancellationToken cancellationToken)
    {
        var input = _input!;
        input.Seek(entry.DataOffset);
        var (type, id) = await ReadBlockHeaderAsync($"the block header of entry {entry.DumpId}", async, cancellationToken).ConfigureAwait(false);
        if (type != BlockData || id != entry.DumpId)
        {
            throw input.Corrupt(
                $"the TOC offset of entry {entry.DumpId} ({entry.TableName}) points to a block of type {type} for entry {id}; the archive is corrupt",
                entry.DataOffset);
        }

        return new ChunkedDataStream(input, Describe(entry));
    }

    /// <summary>
    /// Random access reads only the selected tables' blocks, each through its end marker (a zero-length chunk).
    /// When every table was selected, the archive's last block (large objects, say) is stepped through too, as
    /// pg_restore reads it: an archive cut short at its end is an error, not a silent success.
    /// </summary>
    private async ValueTask VerifyLastBlockAsync(bool async, CancellationToken cancellationToken)
    {
        if (TablesSkipped > 0)
        {
            return;
        }

        var last = _toc.Entries.Where(e => e.OffsetFlag == OffsetSet).MaxBy(e => e.DataOffset);
        if (last is null || _drained.Contains(last.DumpId))
        {
            return;
        }

        var input = _input!;
        input.Seek(last.DataOffset);
        var (type, id) = await ReadBlockHeaderAsync($"the block header of entry {last.DumpId}", async, cancellationToken).ConfigureAwait(false);
        if (id != last.DumpId || type is not (BlockData or BlockLargeObjects))
        {
            throw input.Corrupt($"the TOC offset of entry {last.DumpId} ({last.Desc} {last.TableName}) points to a block of type {type} for entry {id}; the archive is corrupt", last.DataOffset);
        }

        if (type == BlockData)
        {
            await new ChunkedDataStream(input, Describe(last)).SkipRestAsync(async, cancellationToken).ConfigureAwait(false);
            return;
        }

        while (await input.ReadIntAsync("a large object header", async, cancellationToken).ConfigureAwait(false) != 0)
        {
            await new ChunkedDataStream(input, Describe(last)).SkipRestAsync(async, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sequential scan (no offsets): the next block holding a selected table's data; others are skipped unread.</summary>
    private async ValueTask<(TocEntry, ChunkedDataStream, long)?> NextBlockAsync(bool async, CancellationToken cancellationToken)
    {
        var input = _input!;
        while (true)
        {
            var at = input.Position;
            var (type, blockId) = await ReadBlockHeaderAsync("a data block header", async, cancellationToken).ConfigureAwait(false);
            if (type < 0)
            {
                var lost = _toc.Entries.FirstOrDefault(e => (IsTableData(e) || (e.HadDumper && IsLargeObjectData(e))) && e.OffsetFlag != OffsetNoData && !_seen.Contains(e.DumpId));
                if (lost is not null)
                {
                    throw input.Corrupt($"the archive ends before the data of entry {lost.DumpId} ({lost.TableName}); it is truncated", at);
                }

                return null;
            }

            var id = (int)blockId;
            if (!_byId.TryGetValue(id, out var entry))
            {
                throw input.Corrupt($"a data block names entry {id}, which the TOC does not have; the archive is corrupt", at);
            }

            _seen.Add(id);
            if (type == BlockData)
            {
                var chunks = new ChunkedDataStream(input, Describe(entry));
                if (IsTableData(entry) && _filter.Matches(entry.TableName))
                {
                    return (entry, chunks, at);
                }

                if (IsTableData(entry))
                {
                    TablesSkipped++;
                }

                await chunks.SkipRestAsync(async, cancellationToken).ConfigureAwait(false);
            }
            else if (type == BlockLargeObjects)
            {
                while (await input.ReadIntAsync("a large object header", async, cancellationToken).ConfigureAwait(false) != 0)
                {
                    await new ChunkedDataStream(input, Describe(entry)).SkipRestAsync(async, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                throw input.Corrupt($"unknown data block type {type}; the archive is corrupt", at);
            }
        }
    }

    /// <summary>
    /// A data block's type and entry id, or type -1 at the end of the archive. Before archive version 1.3 a block has
    /// no type byte: every block is table data.
    /// </summary>
    private async ValueTask<(int Type, long Id)> ReadBlockHeaderAsync(string what, bool async, CancellationToken cancellationToken)
    {
        var input = _input!;
        int type;
        if (_toc.BlockTypes)
        {
            type = await input.ReadByteOrEndAsync(async, cancellationToken).ConfigureAwait(false);
            if (type < 0)
            {
                return (-1, 0);
            }
        }
        else
        {
            if (await input.AtEndAsync(async, cancellationToken).ConfigureAwait(false))
            {
                return (-1, 0);
            }

            type = BlockData;
        }

        return (type, await input.ReadIntAsync(what, async, cancellationToken).ConfigureAwait(false));
    }

    private static bool IsTableData(TocEntry entry) => string.Equals(entry.Desc, "TABLE DATA", StringComparison.Ordinal);

    private static bool IsLargeObjectData(TocEntry entry) => entry.Desc is "BLOBS" or "BLOB COMMENTS";

    private static string Describe(TocEntry entry) => $"TOC entry {entry.DumpId} ({entry.Desc} {entry.TableName})";

    private async ValueTask<DumpTable?> BeginTableAsync(TocEntry entry, ChunkedDataStream? chunks, long? blockOffset, bool async, CancellationToken cancellationToken)
    {
        var where = $"{_source} (TOC entry {entry.DumpId}, data of {entry.TableName})";
        Stream data;
        FileStream? file = null;
        if (_directory is not null)
        {
            (data, file) = OpenDataFile(entry);
        }
        else if (chunks is not null)
        {
            data = _toc.Compression == ArchiveCompression.Gzip ? new ZLibStream(chunks, CompressionMode.Decompress) : chunks;
        }
        else
        {
            data = Stream.Null; // K_OFFSET_NO_DATA: the entry has no rows
        }

        var isCopy = !string.IsNullOrWhiteSpace(entry.CopyStatement);
        var archivePosition = _input is not null ? () => _input.Position : (Func<long>)(() => file?.Position ?? 0);
        var addTerminator = isCopy && (_toc.TerminatorOptional || data == Stream.Null);
        var body = new EntryDataStream(data, where, archivePosition, addTerminator);

        // Statements the table's data relies on, as a plain dump would have them before it.
        var prefix = new StringBuilder();
        foreach (var setting in _sourceSettings)
        {
            prefix.Append(setting).Append('\n');
        }

        if (!isCopy && FindTable(entry) is { } create)
        {
            AppendDefinitions(create, prefix, []);
        }

        // In archives without a SEARCHPATH entry (pg_dump before 9.3.22, 9.4.17, 9.5.12, 9.6.8 and 10.3) the COPY or
        // INSERT names the table without its schema: pg_restore sets the entry's schema as search_path first.
        prefix.Append(SelectSchema(entry));
        if (isCopy)
        {
            prefix.Append(entry.CopyStatement!.TrimEnd('\n')).Append('\n');
        }

        var prefixBytes = Bytes(prefix.ToString());
        var newlines = prefixBytes.AsSpan().Count((byte)'\n');
        var stream = new PrefixedStream(prefixBytes, prefixBytes.Length, body, leaveOpen: false);

        // Lines and offsets count within the entry's data: its first row is line 1 at offset 0.
        var parser = new PlainDumpParser(stream, where, TableFilter.All, startOffset: -prefixBytes.Length, synchronousIO: _synchronousIO, startLine: 1 - newlines, maxBuffered: _maxBuffered, fragment: true);
        _current = new Current(entry, parser, chunks, file);
        var table = await parser.NextTableAsync(async, cancellationToken).ConfigureAwait(false);
        if (table is null)
        {
            // An INSERT-form entry without rows.
            return new DumpTable(EmptySource.Instance, entry.TableName, [], DumpDataForm.Insert, 0, 0)
            {
                IsCompleted = true,
                EndOffset = 0,
                ArchiveEntryId = entry.DumpId,
                ArchiveDataOffset = blockOffset,
                ArchiveDataFile = file is null ? null : Path.GetFileName(file.Name),
            };
        }

        if (table.Name != entry.TableName)
        {
            throw new DumpFormatException($"{where}: the data is for table {table.Name}, not {entry.TableName}; the archive is corrupt");
        }

        _current.Table = table;
        table.StartOffset = Math.Max(0, table.StartOffset);
        table.ArchiveEntryId = entry.DumpId;
        table.ArchiveDataOffset = blockOffset;
        table.ArchiveDataFile = file is null ? null : Path.GetFileName(file.Name);
        return table;
    }

    private TocEntry? FindTable(TocEntry data)
    {
        foreach (var id in data.Dependencies)
        {
            if (_byId.TryGetValue(id, out var parent) && IsTable(parent) && string.Equals(parent.Tag, data.Tag, StringComparison.Ordinal))
            {
                return parent;
            }
        }

        return _toc.Entries.FirstOrDefault(e => IsTable(e) && string.Equals(e.Tag, data.Tag, StringComparison.Ordinal) && string.Equals(e.Namespace, data.Namespace, StringComparison.Ordinal));
    }

    /// <summary>A table's CREATE TABLE after those of the tables it inherits from, so inherited columns are known.</summary>
    private void AppendDefinitions(TocEntry table, StringBuilder prefix, HashSet<int> done)
    {
        if (!done.Add(table.DumpId))
        {
            return;
        }

        foreach (var id in table.Dependencies)
        {
            if (_byId.TryGetValue(id, out var parent) && IsTable(parent))
            {
                AppendDefinitions(parent, prefix, done);
            }
        }

        if (!string.IsNullOrWhiteSpace(table.Definition))
        {
            prefix.Append(SelectSchema(table)).Append(table.Definition.TrimEnd('\n')).Append('\n');
        }
    }

    private static bool IsTable(TocEntry entry) => string.Equals(entry.Desc, "TABLE", StringComparison.Ordinal);

    /// <summary>
    /// A directory archive's data file, found as pg_restore finds it whatever the header's compression says:
    /// <c>N.dat</c> first, then <c>N.dat.gz</c> (and lz4 or zstd files, which are not supported).
    /// </summary>
    private (Stream Data, FileStream File) OpenDataFile(TocEntry entry)
    {
        if (string.IsNullOrEmpty(entry.FileName) || entry.FileName.Contains('/', StringComparison.Ordinal) || entry.FileName.Contains('\\', StringComparison.Ordinal) || entry.FileName.StartsWith('.'))
        {
            throw new DumpFormatException($"{_source}: TOC entry {entry.DumpId} ({entry.TableName}) names an invalid data file \"{entry.FileName}\"");
        }

        var plain = Path.Combine(_directory!, entry.FileName);
        var gzip = plain + ".gz";
        string path;
        if (File.Exists(plain))
        {
            path = plain;
            if (File.Exists(gzip))
            {
                _notices.Add($"both {entry.FileName} and {entry.FileName}.gz exist for TOC entry {entry.DumpId} ({entry.TableName}); {entry.FileName} was read, as pg_restore reads it");
            }
        }
        else if (File.Exists(gzip))
        {
            path = gzip;
        }
        else if (File.Exists(plain + ".lz4") || File.Exists(plain + ".zst"))
        {
            throw new DumpFormatException(
                $"{_source}: the data file of TOC entry {entry.DumpId} ({entry.TableName}) is compressed with lz4 or zstd, which is not supported; " +
                "convert it: pg_restore -f dump.sql ARCHIVE");
        }
        else
        {
            // Name every missing file of the tables still to read at once: one run per file is no way to learn them.
            var missing = _toc.Entries
                .Where(e => e.DumpId == entry.DumpId || (IsTableData(e) && !_seen.Contains(e.DumpId) && !string.IsNullOrEmpty(e.FileName) && _filter.Matches(e.TableName) && !DataFileExists(e)))
                .DistinctBy(e => e.DumpId)
                .ToList();
            var expected = string.Join(", ", missing.Take(10).Select(e => $"{ExpectedFile(e)} ({e.TableName})"));
            throw new DumpFormatException(missing.Count == 1
                ? $"{_source}: the data file {ExpectedFile(entry)} of TOC entry {entry.DumpId} ({entry.TableName}) is missing"
                : $"{_source}: the data files of {missing.Count} tables are missing: {expected}{(missing.Count > 10 ? ", ..." : string.Empty)}; " +
                  "leave those tables out (--exclude-table) to read the others");
        }

        var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan });
        return (ReferenceEquals(path, gzip) ? new GzipMemberStream(file, $"{_source}: {Path.GetFileName(path)} (TOC entry {entry.DumpId}, data of {entry.TableName})") : file, file);
    }

    private bool DataFileExists(TocEntry entry)
    {
        var plain = Path.Combine(_directory!, entry.FileName!);
        return File.Exists(plain) || File.Exists(plain + ".gz") || File.Exists(plain + ".lz4") || File.Exists(plain + ".zst");
    }

    private string ExpectedFile(TocEntry entry) => _toc.Compression == ArchiveCompression.Gzip ? entry.FileName + ".gz" : entry.FileName!;

    private async ValueTask FinishCurrentAsync(bool async, CancellationToken cancellationToken)
    {
        if (_current is not { } current)
        {
            return;
        }

        _current = null;
        try
        {
            if (current.Table is { IsCompleted: true })
            {
                // Whatever follows the rows must not be another table's data.
                if (await current.Parser.NextTableAsync(async, cancellationToken).ConfigureAwait(false) is { } extra)
                {
                    throw new DumpFormatException($"{_source}: TOC entry {current.Entry.DumpId} ({current.Entry.TableName}) also holds data for {extra.Name}; the archive is corrupt");
                }
            }

            // The block ends with a zero-length chunk, which a zlib stream's own end comes before: read through it
            // (as pg_restore does), so that an archive cut short there is an error. Without seeks, the next block
            // starts where this one ends anyway.
            if (current.Chunks is not null)
            {
                await current.Chunks.SkipRestAsync(async, cancellationToken).ConfigureAwait(false);
                _drained.Add(current.Entry.DumpId);
            }
        }
        finally
        {
            if (current.File is not null)
            {
                _directoryBytesDone += current.File.Length;
            }

            current.Parser.Dispose();
        }
    }

    public void Dispose()
    {
        _current?.Parser.Dispose();
        _current = null;
        _input?.Dispose();
    }

    private sealed class Current(TocEntry entry, PlainDumpParser parser, ChunkedDataStream? chunks, FileStream? file)
    {
        public TocEntry Entry { get; } = entry;

        public PlainDumpParser Parser { get; } = parser;

        public ChunkedDataStream? Chunks { get; } = chunks;

        public FileStream? File { get; } = file;

        public DumpTable? Table { get; set; }
    }

    private sealed record SpecialEntries(string? Encoding, bool StandardConformingStrings, List<string> SettingStatements, List<string> SourceSettingStatements, List<SequenceValue> Sequences, List<string> Notices);

    /// <summary>The source of a table that has no rows.</summary>
    private sealed class EmptySource : ITableSource
    {
        public static readonly EmptySource Instance = new();

        public ValueTask<bool> ReadRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken) => ValueTask.FromResult(0L);
    }
}
