namespace Selective.Restore.Dump.Archive;

/// <summary>How an archive's data is compressed (header field; an algorithm byte from archive version 1.15 on).</summary>
internal enum ArchiveCompression
{
    None = 0,
    Gzip = 1,
    Lz4 = 2,
    Zstd = 3,
}

/// <summary>One table-of-contents entry of a pg_dump archive.</summary>
internal sealed record TocEntry(
    int DumpId,
    bool HadDumper,
    string Tag,
    string Desc,
    string? Definition,
    string? CopyStatement,
    string? Namespace,
    IReadOnlyList<int> Dependencies)
{
    /// <summary>Custom format: 1 offset not written (archive went to a pipe), 2 offset set, 3 no data.</summary>
    public int OffsetFlag { get; init; }

    /// <summary>Custom format: archive offset of the entry's data block when <see cref="OffsetFlag"/> is 2.</summary>
    public long DataOffset { get; init; }

    /// <summary>Directory format: the data file's name (without the compression suffix), or null.</summary>
    public string? FileName { get; init; }

    public TableName TableName => new(Namespace ?? "public", Tag);
}

/// <summary>
/// The header and table of contents of a pg_dump custom (<c>-Fc</c>) archive or of a directory archive's
/// <c>toc.dat</c>. Read whole at open: it grows with the schema, not with the data.
/// </summary>
internal sealed class ArchiveToc
{
    public const int FormatCustom = 1;
    public const int FormatTar = 5;
    public const int FormatDirectory = 3;

    // Archive versions as pg_dump numbers them: (major * 256 + minor) * 256 + revision.
    private const int V1_12 = (1 * 256 + 12) * 256;
    private const int V1_14 = (1 * 256 + 14) * 256;
    private const int V1_15 = (1 * 256 + 15) * 256;
    private const int V1_16 = (1 * 256 + 16) * 256;

    private ArchiveToc()
    {
    }

    public int Major { get; private set; }

    public int Minor { get; private set; }

    public int Version { get; private set; }

    public int Format { get; private set; }

    public ArchiveCompression Compression { get; private set; }

    public string? DatabaseName { get; private set; }

    public string? ServerVersion { get; private set; }

    public string? DumpVersion { get; private set; }

    public IReadOnlyList<TocEntry> Entries { get; private set; } = [];

    /// <summary>Archive offset just past the TOC, where a custom archive's data blocks begin.</summary>
    public long DataStart { get; private set; }

    /// <summary>From archive version 1.16 (pg_dump 17) on, COPY data might not end with <c>\.</c>; earlier it always does.</summary>
    public bool TerminatorOptional => Version >= V1_16;

    public static ArchiveToc Read(ArchiveInput input)
    {
        var toc = new ArchiveToc();
        Span<byte> magic = stackalloc byte[5];
        for (var i = 0; i < 5; i++)
        {
            magic[i] = input.ReadByte("the archive header");
        }

        if (!magic.SequenceEqual("PGDMP"u8))
        {
            throw input.Corrupt("not a pg_dump archive (no PGDMP magic)", 0);
        }

        toc.Major = input.ReadByte("the archive header");
        toc.Minor = input.ReadByte("the archive header");
        var revision = toc.Major > 1 || (toc.Major == 1 && toc.Minor > 0) ? input.ReadByte("the archive header") : 0;
        toc.Version = (toc.Major * 256 + toc.Minor) * 256 + revision;
        if (toc.Version < V1_12 || toc.Version > V1_16 + 255)
        {
            throw input.Corrupt(
                $"archive format version {toc.Major}.{toc.Minor} is not supported (supported: 1.12 to 1.16, written by pg_dump 9.5 to 17 and later)",
                5);
        }

        var intSize = input.ReadByte("the archive header");
        var offSize = input.ReadByte("the archive header");
        if (intSize is < 1 or > 16 || offSize is not (4 or 8))
        {
            throw input.Corrupt($"implausible integer size {intSize} / offset size {offSize} in the archive header", 8);
        }

        input.IntSize = intSize;
        input.OffSize = offSize;
        toc.Format = input.ReadByte("the archive header");
        if (toc.Format is not (FormatCustom or FormatDirectory or FormatTar))
        {
            throw input.Corrupt($"unknown archive format code {toc.Format} in the header", input.Position - 1);
        }

        if (toc.Version >= V1_15)
        {
            int algorithm = input.ReadByte("the archive header");
            toc.Compression = algorithm switch
            {
                0 => ArchiveCompression.None,
                1 => ArchiveCompression.Gzip,
                2 => ArchiveCompression.Lz4,
                3 => ArchiveCompression.Zstd,
                _ => throw input.Corrupt($"unknown compression algorithm {algorithm} in the archive header", input.Position - 1),
            };
        }
        else
        {
            // Before 1.15 the header holds a zlib level; anything but 0 means zlib (-1 is zlib's default level).
            toc.Compression = input.ReadInt("the compression level") == 0 ? ArchiveCompression.None : ArchiveCompression.Gzip;
        }

        for (var i = 0; i < 7; i++)
        {
            input.ReadInt("the archive's creation time");
        }

        toc.DatabaseName = input.ReadString("the database name");
        toc.ServerVersion = input.ReadString("the server version");
        toc.DumpVersion = input.ReadString("the pg_dump version");

        var countAt = input.Position;
        var count = input.ReadInt("the TOC entry count");
        if (count < 0 || count > 100_000_000)
        {
            throw input.Corrupt($"implausible TOC entry count {count}", countAt);
        }

        var entries = new List<TocEntry>((int)Math.Min(count, 100_000));
        for (var i = 0; i < count; i++)
        {
            entries.Add(ReadEntry(input, toc, i));
        }

        toc.Entries = entries;
        toc.DataStart = input.Position;
        return toc;
    }

    private static TocEntry ReadEntry(ArchiveInput input, ArchiveToc toc, int index)
    {
        var at = input.Position;
        var what = $"TOC entry #{index + 1}";
        var dumpId = input.ReadInt(what);
        if (dumpId <= 0 || dumpId > int.MaxValue)
        {
            throw input.Corrupt($"{what} has an impossible dump id {dumpId} (corrupt TOC?)", at);
        }

        var hadDumper = input.ReadInt(what) != 0;
        input.ReadString(what); // catalog table oid
        input.ReadString(what); // object oid
        var tag = input.ReadString(what) ?? string.Empty;
        var desc = input.ReadString(what) ?? string.Empty;
        input.ReadInt(what); // section
        var definition = input.ReadString(what);
        if (string.Equals(desc, "ENCODING", StringComparison.Ordinal))
        {
            // pg_dump writes it first: the TOC strings after it are in the archive's encoding.
            input.TextEncoding = Plain.ClientEncoding.FromEncodingEntry(definition);
        }

        input.ReadString(what); // drop statement
        var copyStatement = input.ReadString(what);
        var nameSpace = input.ReadString(what);
        input.ReadString(what); // tablespace
        if (toc.Version >= V1_14)
        {
            input.ReadString(what); // table access method
        }

        if (toc.Version >= V1_16)
        {
            input.ReadInt(what); // relkind
        }

        input.ReadString(what); // owner
        if (string.Equals(input.ReadString(what), "true", StringComparison.Ordinal))
        {
            throw input.Corrupt($"{what} ({desc} {tag}) is a table WITH OIDS, which PostgreSQL 12 and later cannot restore", at);
        }

        var dependencies = new List<int>();
        while (input.ReadString(what) is { } dependency)
        {
            if (int.TryParse(dependency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                dependencies.Add(id);
            }
        }

        var entry = new TocEntry((int)dumpId, hadDumper, tag, desc, definition, copyStatement, nameSpace, dependencies);
        if (toc.Format == FormatCustom)
        {
            var (flag, offset) = input.ReadOffset(what);
            return entry with { OffsetFlag = flag, DataOffset = offset };
        }

        if (toc.Format == FormatDirectory)
        {
            return entry with { FileName = input.ReadString(what) };
        }

        // Tar archives keep a file name per entry too.
        input.ReadString(what);
        return entry;
    }
}
