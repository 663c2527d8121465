using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// One TOC entry for <see cref="ArchiveWriter"/>: every field pg_dump writes, whichever of them the archive's version holds.
/// Null strings are written as pg_dump writes a NULL (length -1).
/// </summary>
internal sealed record WriterEntry(int DumpId, string Tag, string Desc)
{
    public string TableOid { get; init; } = "0";

    public string Oid { get; init; } = "0";

    /// <summary>1 none, 2 pre-data, 3 data, 4 post-data (written from archive version 1.11).</summary>
    public int Section { get; init; } = 2;

    public string? Definition { get; init; } = string.Empty;

    public string? DropStatement { get; init; } = string.Empty;

    public string? CopyStatement { get; init; }

    public string? Namespace { get; init; }

    public string? Tablespace { get; init; }

    public string? TableAccessMethod { get; init; }

    public int RelKind { get; init; }

    public string? Owner { get; init; } = string.Empty;

    public bool WithOids { get; init; }

    public IReadOnlyList<int> Dependencies { get; init; } = [];

    /// <summary>The entry's data as pg_dump's data dumper hands it over, one piece per WriteData call; null: no data dumper.</summary>
    public IReadOnlyList<string>? Data { get; init; }

    /// <summary>Custom format: written as pg_dump writes an offset it could not fill in (to a pipe) even when writing to a file.</summary>
    public bool HideOffset { get; init; }
}

/// <summary>
/// A test-side pg_dump archive writer for archive versions 1.0 to 1.16, custom (<c>-Fc</c>) and directory (<c>-Fd</c>)
/// formats, laid out as pg_dump's pg_backup_archiver.c (WriteHead, WriteToc, WriteInt, WriteStr, WriteOffset),
/// pg_backup_custom.c (_StartData, _EndData, _CloseArchive) and pg_backup_directory.c write them; the sources read
/// were those of pg_dump 8.3 (1.10), 9.3.5 (1.12), 10.20 (1.13), 15.1 (1.14) and 18.3 (1.16). For the versions whose
/// writer was not read (before 1.10, 1.11, 1.15) the layout is the inverse of what pg_restore 15 and 18 read (ReadHead,
/// ReadToc, ReadOffset, _ReadExtraToc, _readBlockHeader). Used to build archives of pg_dump versions not installed here.
/// </summary>
internal sealed class ArchiveWriter
{
    private const int BlockData = 1;

    // pg_dump's zlib output buffer (ZLIB_OUT_SIZE): each full buffer becomes one chunk.
    private const int ZlibChunk = 4096;

    public required int Minor { get; init; }

    public int Revision { get; init; }

    public int IntSize { get; init; } = 4;

    public int OffSize { get; init; } = 8;

    /// <summary>The zlib level written before archive version 1.15: -1 zlib's default, 0 none.</summary>
    public int CompressionLevel { get; init; } = -1;

    /// <summary>The compression algorithm byte of archive versions 1.15 and later: 0 none, 1 gzip.</summary>
    public int CompressionAlgorithm { get; init; } = 1;

    /// <summary>C's struct tm of the dump's start: seconds, minutes, hours, day, month (0-11), year - 1900, DST flag.</summary>
    public IReadOnlyList<int> CreationTime { get; init; } = [5, 4, 3, 2, 0, 114, 0];

    public string? DatabaseName { get; init; } = "northwind";

    public string? ServerVersion { get; init; } = "9.3.5";

    public string? DumpVersion { get; init; } = "9.3.5";

    /// <summary>Custom format: rewrite the TOC with the data offsets after the data, as pg_dump does when it can seek back.</summary>
    public bool WriteOffsets { get; init; } = true;

    public required IReadOnlyList<WriterEntry> Entries { get; init; }

    private int Version => (1 * 256 + Minor) * 256 + Revision;

    private bool Compressed => Minor >= 15 ? CompressionAlgorithm != 0 : Minor < 2 || CompressionLevel != 0;

    private static int V(int minor) => (1 * 256 + minor) * 256;

    /// <summary>A custom archive: header, TOC, data blocks in TOC order, then (file output) the TOC again with offsets.</summary>
    public byte[] WriteCustom()
    {
        using var output = new MemoryStream();
        WriteHead(output, format: 1);
        var tocStart = output.Position;
        var offsets = new Dictionary<int, long>();
        WriteToc(output, format: 1, offsets: null);
        foreach (var entry in Entries.Where(e => e.Data is not null))
        {
            offsets[entry.DumpId] = output.Position;
            if (Version >= V(3))
            {
                output.WriteByte(BlockData);
            }

            WriteInt(output, entry.DumpId);
            foreach (var chunk in Chunks(entry.Data!))
            {
                WriteInt(output, chunk.Length);
                output.Write(chunk);
            }

            WriteInt(output, 0);
        }

        if (WriteOffsets)
        {
            output.Position = tocStart;
            WriteToc(output, format: 1, offsets);
        }

        return output.ToArray();
    }

    /// <summary>A directory archive: toc.dat (the format code is tar's, 3) and one N.dat or N.dat.gz per data entry.</summary>
    public void WriteDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        using (var toc = File.Create(Path.Combine(directory, "toc.dat")))
        {
            WriteHead(toc, format: 3);
            WriteToc(toc, format: 3, offsets: null);
        }

        foreach (var entry in Entries.Where(e => e.Data is not null))
        {
            var data = Encoding.UTF8.GetBytes(string.Concat(entry.Data!));
            var path = Path.Combine(directory, FileName(entry)!);
            if (Compressed)
            {
                using var file = File.Create(path + ".gz");
                using var gzip = new GZipStream(file, ZlibLevel());
                gzip.Write(data);
            }
            else
            {
                File.WriteAllBytes(path, data);
            }
        }
    }

    private static string? FileName(WriterEntry entry) =>
        entry.Data is not null ? $"{entry.DumpId}.dat" : entry.Desc == "BLOBS" ? "blobs.toc" : null;

    private System.IO.Compression.CompressionLevel ZlibLevel() => CompressionLevel switch
    {
        0 => System.IO.Compression.CompressionLevel.NoCompression,
        1 or 2 or 3 => System.IO.Compression.CompressionLevel.Fastest,
        9 => System.IO.Compression.CompressionLevel.SmallestSize,
        _ => System.IO.Compression.CompressionLevel.Optimal,
    };

    /// <summary>The data block's chunks: one per WriteData call uncompressed, else the zlib stream in 4096-byte pieces.</summary>
    private IEnumerable<byte[]> Chunks(IReadOnlyList<string> data)
    {
        if (!Compressed)
        {
            return data.Select(Encoding.UTF8.GetBytes).Where(b => b.Length > 0);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, ZlibLevel(), leaveOpen: true))
        {
            foreach (var piece in data)
            {
                zlib.Write(Encoding.UTF8.GetBytes(piece));
            }
        }

        return compressed.ToArray().Chunk(ZlibChunk);
    }

    private void WriteHead(Stream output, int format)
    {
        output.Write("PGDMP"u8);
        output.WriteByte(1);
        output.WriteByte((byte)Minor);
        if (Minor > 0)
        {
            output.WriteByte((byte)Revision);
        }

        output.WriteByte((byte)IntSize);
        if (Version >= V(7))
        {
            output.WriteByte((byte)OffSize);
        }

        output.WriteByte((byte)format);
        if (Version >= V(15))
        {
            output.WriteByte((byte)CompressionAlgorithm);
        }
        else if (Version >= V(4))
        {
            WriteInt(output, CompressionLevel);
        }
        else if (Version >= V(2))
        {
            output.WriteByte((byte)CompressionLevel);
        }

        if (Version >= V(4))
        {
            foreach (var field in CreationTime)
            {
                WriteInt(output, field);
            }

            WriteStr(output, DatabaseName);
        }

        if (Version >= V(10))
        {
            WriteStr(output, ServerVersion);
            WriteStr(output, DumpVersion);
        }
    }

    private void WriteToc(Stream output, int format, Dictionary<int, long>? offsets)
    {
        WriteInt(output, Entries.Count);
        foreach (var e in Entries)
        {
            WriteInt(output, e.DumpId);
            WriteInt(output, e.Data is not null ? 1 : 0);
            if (Version >= V(8))
            {
                WriteStr(output, e.TableOid);
            }

            WriteStr(output, e.Oid);
            WriteStr(output, e.Tag);
            WriteStr(output, e.Desc);
            if (Version >= V(11))
            {
                WriteInt(output, e.Section);
            }

            WriteStr(output, e.Definition);
            WriteStr(output, e.DropStatement);
            if (Version >= V(3))
            {
                WriteStr(output, e.CopyStatement);
            }

            if (Version >= V(6))
            {
                WriteStr(output, e.Namespace);
            }

            if (Version >= V(10))
            {
                WriteStr(output, e.Tablespace);
            }

            if (Version >= V(14))
            {
                WriteStr(output, e.TableAccessMethod);
            }

            if (Version >= V(16))
            {
                WriteInt(output, e.RelKind);
            }

            WriteStr(output, e.Owner);
            if (Version >= V(9))
            {
                WriteStr(output, e.WithOids ? "true" : "false");
            }

            if (Version >= V(5))
            {
                foreach (var dependency in e.Dependencies)
                {
                    WriteStr(output, dependency.ToString(CultureInfo.InvariantCulture));
                }

                WriteStr(output, null);
            }

            if (format == 1)
            {
                // K_OFFSET_POS_NOT_SET 1, K_OFFSET_POS_SET 2, K_OFFSET_NO_DATA 3
                var (flag, offset) = e.Data is null ? (3, 0L)
                    : offsets is not null && !e.HideOffset ? (2, offsets[e.DumpId])
                    : (1, 0L);
                WriteOffset(output, flag, offset, placeholder: offsets is null && WriteOffsets);
            }
            else
            {
                WriteStr(output, FileName(e) ?? string.Empty);
            }
        }
    }

    private void WriteOffset(Stream output, int flag, long offset, bool placeholder)
    {
        if (Version < V(7))
        {
            // An integer (-1 not set, 0 no data), then the data's size, which pg_restore skips. Version 1.0 has no
            // negative integers: an offset not set is only a placeholder there, rewritten once the data is written.
            WriteInt(output, flag == 1 ? (Version < V(1) && placeholder ? 0 : -1) : flag == 3 ? 0 : checked((int)offset));
            WriteInt(output, 0);
            return;
        }

        output.WriteByte((byte)flag);
        for (var i = 0; i < OffSize; i++)
        {
            output.WriteByte(i < 8 ? (byte)(offset >> (8 * i)) : (byte)0);
        }
    }

    /// <summary>pg_dump's WriteInt: a sign byte (not in version 1.0), then the magnitude's IntSize bytes, least significant first.</summary>
    private void WriteInt(Stream output, long value)
    {
        if (Version >= V(1))
        {
            output.WriteByte(value < 0 ? (byte)1 : (byte)0);
        }
        else if (value < 0)
        {
            throw new InvalidOperationException("archive version 1.0 has no negative integers (nor NULL strings, nor unset offsets)");
        }

        var magnitude = Math.Abs(value);
        for (var i = 0; i < IntSize; i++)
        {
            output.WriteByte(i < 8 ? (byte)(magnitude >> (8 * i)) : (byte)0);
        }
    }

    /// <summary>pg_dump's WriteStr: the length then the bytes, or -1 for NULL.</summary>
    private void WriteStr(Stream output, string? value)
    {
        if (value is null)
        {
            WriteInt(output, -1);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt(output, bytes.Length);
        output.Write(bytes);
    }
}
