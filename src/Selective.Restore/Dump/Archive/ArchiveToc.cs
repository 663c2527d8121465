namespace Selective.Restore.Dump.Archive;

/// <summary>How an archive's data is compressed (header field; an algorithm byte from archive version 1.15 on).</summary>
internal enum ArchiveCompression
{
    None = 0,
    Gzip = 1,
    Lz4 = 2,
    Zstd = 3,
}

/// <summary>One table-of-contents entry of a pg_dump archive, with every field pg_restore reads (null where the archive's version has none).</summary>
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
    /// <summary>The catalog table's OID, as text (from archive version 1.8).</summary>
    public string? TableOid { get; init; }

    /// <summary>The object's OID, as text.</summary>
    public string? Oid { get; init; }

    /// <summary>1 none, 2 pre-data, 3 data, 4 post-data (from archive version 1.11; 0 before).</summary>
    public int Section { get; init; }

    public string? DropStatement { get; init; }

    /// <summary>From archive version 1.10.</summary>
    public string? Tablespace { get; init; }

    /// <summary>From archive version 1.14.</summary>
    public string? TableAccessMethod { get; init; }

    /// <summary>From archive version 1.16 (0 before).</summary>
    public int RelKind { get; init; }

    public string? Owner { get; init; }

    /// <summary>A table created WITH OIDS (the flag exists from archive version 1.9).</summary>
    public bool WithOids { get; init; }

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
/// <c>toc.dat</c>, read field by field as pg_restore reads each archive version (1.0 to 1.16). Read whole at open:
/// it grows with the schema, not with the data.
/// </summary>
internal sealed class ArchiveToc
{
    public const int FormatCustom = 1;
    public const int FormatTar = 5;
    public const int FormatDirectory = 3;

    private ArchiveToc()
    {
    }

    public int Major { get; private set; }

    public int Minor { get; private set; }

    public int Revision { get; private set; }

    /// <summary>(major * 256 + minor) * 256 + revision, comparable with <see cref="ArchiveVersions"/>.</summary>
    public int Version { get; private set; }

    public int IntSize { get; private set; }

    public int OffSize { get; private set; }

    public int Format { get; private set; }

    public ArchiveCompression Compression { get; private set; }

    /// <summary>The zlib level the header holds before archive version 1.15 (-1: zlib's default), else null.</summary>
    public int? CompressionLevel { get; private set; }

    /// <summary>pg_dump's local time as C's struct tm: seconds, minutes, hours, day, month (0-11), year - 1900, DST flag (from archive version 1.4).</summary>
    public IReadOnlyList<int> CreationTime { get; private set; } = [];

    public string? DatabaseName { get; private set; }

    public string? ServerVersion { get; private set; }

    public string? DumpVersion { get; private set; }

    public IReadOnlyList<TocEntry> Entries { get; private set; } = [];

    /// <summary>Archive offset just past the TOC, where a custom archive's data blocks begin.</summary>
    public long DataStart { get; private set; }

    /// <summary>From archive version 1.16 (pg_dump 17) on, COPY data might not end with <c>\.</c>; earlier it always does.</summary>
    public bool TerminatorOptional => Version >= ArchiveVersions.V1_16;

    /// <summary>Data blocks start with a type byte from archive version 1.3 on.</summary>
    public bool BlockTypes => Version >= ArchiveVersions.V1_3;

    /// <summary>"1.12", for messages.</summary>
    public string VersionText => $"{Major}.{Minor}";

    public static ArchiveToc Read(ArchiveInput input)
    {
        var toc = new ArchiveToc();
        ReadHeader(input, toc);

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

    /// <summary>The header, as pg_restore's ReadHead reads each version.</summary>
    private static void ReadHeader(ArchiveInput input, ArchiveToc toc)
    {
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
        toc.Revision = toc.Major > 1 || (toc.Major == 1 && toc.Minor > 0) ? input.ReadByte("the archive header") : 0;
        toc.Version = (toc.Major * 256 + toc.Minor) * 256 + toc.Revision;
        if (toc.Major != 1 || toc.Version > ArchiveVersions.Newest)
        {
            throw input.Corrupt(
                $"archive format version {toc.VersionText} is not supported (supported: {ArchiveVersions.Supported}); " +
                "it is newer than this reader: convert it with the pg_restore of the pg_dump that wrote it: pg_restore -f dump.sql ARCHIVE",
                5);
        }

        var intSize = input.ReadByte("the archive header");
        if (intSize is < 1 or > 32)
        {
            throw input.Corrupt($"implausible integer size {intSize} in the archive header", input.Position - 1);
        }

        input.IntSize = toc.IntSize = intSize;
        input.SignedIntegers = toc.Version >= ArchiveVersions.V1_1;
        if (toc.Version >= ArchiveVersions.V1_7)
        {
            var offSize = input.ReadByte("the archive header");
            if (offSize is < 1 or > 32)
            {
                throw input.Corrupt($"implausible offset size {offSize} in the archive header", input.Position - 1);
            }

            input.OffSize = toc.OffSize = offSize;
        }
        else
        {
            // Before 1.7 offsets are integers, followed in a custom archive by the data's size.
            input.OffSize = toc.OffSize = intSize;
            input.OffsetsAsIntegers = true;
        }

        toc.Format = input.ReadByte("the archive header");
        if (toc.Format is not (FormatCustom or FormatDirectory or FormatTar))
        {
            throw input.Corrupt($"unknown archive format code {toc.Format} in the header", input.Position - 1);
        }

        ReadCompression(input, toc);
        if (toc.Version >= ArchiveVersions.V1_4)
        {
            var time = new int[7];
            for (var i = 0; i < time.Length; i++)
            {
                time[i] = (int)input.ReadInt("the archive's creation time");
            }

            toc.CreationTime = time;
            toc.DatabaseName = input.ReadString("the database name");
        }

        if (toc.Version >= ArchiveVersions.V1_10)
        {
            toc.ServerVersion = input.ReadString("the server version");
            toc.DumpVersion = input.ReadString("the pg_dump version");
        }
    }

    private static void ReadCompression(ArchiveInput input, ArchiveToc toc)
    {
        var at = input.Position;
        if (toc.Version >= ArchiveVersions.V1_15)
        {
            int algorithm = input.ReadByte("the archive header");
            toc.Compression = algorithm switch
            {
                0 => ArchiveCompression.None,
                1 => ArchiveCompression.Gzip,
                2 => ArchiveCompression.Lz4,
                3 => ArchiveCompression.Zstd,
                _ => throw input.Corrupt($"unknown compression algorithm {algorithm} in the archive header", at),
            };
            return;
        }

        if (toc.Version < ArchiveVersions.V1_2)
        {
            // 1.0 and 1.1 have no compression field: their data is always zlib.
            toc.Compression = ArchiveCompression.Gzip;
            return;
        }

        // A zlib level: one byte before 1.4, then an integer. pg_dump writes -1 (zlib's default) or 0 to 9;
        // pg_restore 15 refuses other values, 16 and later take any but 0 as zlib.
        var level = toc.Version < ArchiveVersions.V1_4 ? input.ReadByte("the archive header") : input.ReadInt("the compression level");
        if (level is < -1 or > 9)
        {
            throw input.Corrupt($"compression level {level} in the archive header is not one pg_dump writes (-1 to 9); the archive is corrupt", at);
        }

        toc.CompressionLevel = (int)level;
        toc.Compression = level == 0 ? ArchiveCompression.None : ArchiveCompression.Gzip;
    }

    /// <summary>One TOC entry, as pg_restore's ReadToc and the format's ReadExtraToc read each version.</summary>
    private static TocEntry ReadEntry(ArchiveInput input, ArchiveToc toc, int index)
    {
        var version = toc.Version;
        var at = input.Position;
        var what = $"TOC entry #{index + 1}";
        var dumpId = input.ReadInt(what);
        if (dumpId <= 0 || dumpId > int.MaxValue)
        {
            throw input.Corrupt($"{what} has an impossible dump id {dumpId} (corrupt TOC?)", at);
        }

        var hadDumper = input.ReadInt(what) != 0;
        var tableOid = version >= ArchiveVersions.V1_8 ? input.ReadString(what) : null;
        var oid = input.ReadString(what);
        var tag = input.ReadString(what) ?? string.Empty;
        var desc = input.ReadString(what) ?? string.Empty;
        var section = version >= ArchiveVersions.V1_11 ? (int)input.ReadInt(what) : 0;
        var definition = input.ReadString(what);
        if (string.Equals(desc, "ENCODING", StringComparison.Ordinal))
        {
            // pg_dump writes it first: the TOC strings after it are in the archive's encoding.
            input.TextEncoding = Plain.ClientEncoding.FromEncodingEntry(definition);
        }

        var dropStatement = input.ReadString(what);
        var copyStatement = version >= ArchiveVersions.V1_3 ? input.ReadString(what) : null;
        var nameSpace = version >= ArchiveVersions.V1_6 ? input.ReadString(what) : null;
        var tablespace = version >= ArchiveVersions.V1_10 ? input.ReadString(what) : null;
        var tableAccessMethod = version >= ArchiveVersions.V1_14 ? input.ReadString(what) : null;
        var relKind = version >= ArchiveVersions.V1_16 ? (int)input.ReadInt(what) : 0;
        var owner = input.ReadString(what);
        var withOids = version >= ArchiveVersions.V1_9 && string.Equals(input.ReadString(what), "true", StringComparison.Ordinal);

        var dependencies = new List<int>();
        if (version >= ArchiveVersions.V1_5)
        {
            while (input.ReadString(what) is { } dependency)
            {
                if (int.TryParse(dependency, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                {
                    dependencies.Add(id);
                }
            }
        }

        var entry = new TocEntry((int)dumpId, hadDumper, tag, desc, definition, copyStatement, nameSpace, dependencies)
        {
            TableOid = tableOid,
            Oid = oid,
            Section = section,
            DropStatement = dropStatement,
            Tablespace = tablespace,
            TableAccessMethod = tableAccessMethod,
            RelKind = relKind,
            Owner = owner,
            WithOids = withOids,
        };

        if (toc.Format == FormatCustom)
        {
            var (flag, offset) = input.ReadOffset(what);
            if (version < ArchiveVersions.V1_7)
            {
                input.ReadInt(what); // the data's size, written before 1.7 and never used
            }

            return entry with { OffsetFlag = flag, DataOffset = offset };
        }

        // Directory (and tar) archives keep a file name per entry.
        return entry with { FileName = input.ReadString(what) };
    }
}
