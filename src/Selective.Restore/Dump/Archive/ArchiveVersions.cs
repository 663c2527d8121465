namespace Selective.Restore.Dump.Archive;

/// <summary>
/// pg_dump archive format versions, numbered as pg_dump numbers them ((major * 256 + minor) * 256 + revision), and the
/// pg_dump releases that write each one (from pg_dump's source history: <c>K_VERS_MINOR</c> in pg_backup_archiver.h).
/// </summary>
internal static class ArchiveVersions
{
    /// <summary>Integers have no sign byte before this.</summary>
    public const int V1_1 = (1 * 256 + 1) * 256;

    /// <summary>The header's compression level, one byte until 1.4.</summary>
    public const int V1_2 = (1 * 256 + 2) * 256;

    /// <summary>TOC entries' COPY statement; data block headers' type byte.</summary>
    public const int V1_3 = (1 * 256 + 3) * 256;

    /// <summary>Creation date and database name in the header; the compression level becomes an integer.</summary>
    public const int V1_4 = (1 * 256 + 4) * 256;

    /// <summary>TOC entries' dependencies.</summary>
    public const int V1_5 = (1 * 256 + 5) * 256;

    /// <summary>TOC entries' namespace (schema).</summary>
    public const int V1_6 = (1 * 256 + 6) * 256;

    /// <summary>Offset size in the header; offsets as a flag byte and bytes, no longer integers followed by a data size.</summary>
    public const int V1_7 = (1 * 256 + 7) * 256;

    /// <summary>TOC entries' catalog table OID.</summary>
    public const int V1_8 = (1 * 256 + 8) * 256;

    /// <summary>TOC entries' WITH OIDS flag.</summary>
    public const int V1_9 = (1 * 256 + 9) * 256;

    /// <summary>TOC entries' tablespace; server and pg_dump versions in the header.</summary>
    public const int V1_10 = (1 * 256 + 10) * 256;

    /// <summary>TOC entries' section.</summary>
    public const int V1_11 = (1 * 256 + 11) * 256;

    /// <summary>Separate BLOB entries.</summary>
    public const int V1_12 = (1 * 256 + 12) * 256;

    /// <summary>A SEARCHPATH entry and schema-qualified statements instead of a search_path per entry.</summary>
    public const int V1_13 = (1 * 256 + 13) * 256;

    /// <summary>TOC entries' table access method.</summary>
    public const int V1_14 = (1 * 256 + 14) * 256;

    /// <summary>A compression algorithm byte in the header instead of a zlib level.</summary>
    public const int V1_15 = (1 * 256 + 15) * 256;

    /// <summary>TOC entries' relkind; COPY data may lack its <c>\.</c> terminator.</summary>
    public const int V1_16 = (1 * 256 + 16) * 256;

    /// <summary>The newest version read (any revision of it), as pg_restore 17 and 18 read up to it.</summary>
    public const int Newest = V1_16 + 255;

    /// <summary>The versions read, with the pg_dump releases that write them, for messages.</summary>
    public const string Supported = "1.0 to 1.16, written by pg_dump 7.1 to 18";

    /// <summary>The pg_dump releases that write archive version 1.<paramref name="minor"/>.</summary>
    public static string WrittenBy(int minor) => minor switch
    {
        <= 6 => "pg_dump 7.1 and 7.2 and development versions of 7.3",
        7 => "pg_dump 7.3 and 7.4",
        8 or 9 => "development versions of pg_dump 8.0",
        10 => "pg_dump 8.0 to 8.3",
        11 => "pg_dump 8.4",
        12 => "pg_dump 9.0 to 10.2 (9.3 to 10 before their 2018-03-01 releases 9.3.22, 9.4.17, 9.5.12, 9.6.8 and 10.3)",
        13 => "pg_dump 9.3.22, 9.4.17, 9.5.12, 9.6.8, 10.3 and their later releases, and pg_dump 11",
        14 => "pg_dump 12 to 15",
        15 => "pg_dump 16",
        16 => "pg_dump 17 and 18",
        _ => "a pg_dump newer than 18",
    };
}
