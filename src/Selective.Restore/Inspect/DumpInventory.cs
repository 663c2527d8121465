using System.Text.Json;
using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>What a dump holds: its format and, per table, the row count and where its data lies.</summary>
public sealed class DumpInventory
{
    internal DumpInventory(string? source, DumpFormat format, DumpCompression compression, string? encoding, IReadOnlyList<TableInventory> tables, IReadOnlyList<SequenceValue> sequences, IReadOnlyList<string>? notices = null)
    {
        Notices = notices ?? [];
        Source = source;
        Format = format;
        Compression = compression;
        Encoding = encoding;
        Tables = tables;
        Sequences = sequences;
    }

    /// <summary>The input's name.</summary>
    public string? Source { get; }

    /// <summary>The detected format.</summary>
    public DumpFormat Format { get; }

    /// <summary>The detected whole-file compression.</summary>
    public DumpCompression Compression { get; }

    /// <summary>The dump's encoding (<c>SET client_encoding</c>), or null if it did not say.</summary>
    public string? Encoding { get; }

    /// <summary>The database the tables come from when the dump names it (<see cref="DumpReader.Database"/>), or null.</summary>
    public string? Database { get; internal init; }

    /// <summary>The tables in dump order.</summary>
    public IReadOnlyList<TableInventory> Tables { get; }

    /// <summary>The sequence positions recorded by the dump.</summary>
    public IReadOnlyList<SequenceValue> Sequences { get; }

    /// <summary>What the dump holds besides table rows and does not restore (large objects...), as sentences.</summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>Total rows over all tables.</summary>
    public long TotalRows => Tables.Sum(t => t.Rows);

    /// <summary>
    /// Writes the inventory as JSON: <c>{"source", "format", "compression", "encoding", "database", "tables": [{"schema", "table",
    /// "rows", "form", "columns", "startOffset", "endOffset", "startLine"}], "sequences": [{"schema", "sequence", "value", "isCalled"}], "notices": [...]}</c>.
    /// For archives, offsets and lines count within each table's (decompressed) data entry, and a table also has
    /// <c>"tocEntry"</c> (its data's TOC entry) and <c>"archiveOffset"</c> (custom: the data block's offset in the archive,
    /// when known) or <c>"dataFile"</c> (directory: the file read).
    /// This shape is a contract scripts rely on: fields may be added, never renamed.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("source", Source);
        writer.WriteString("format", FormatName(Format));
        writer.WriteString("compression", CompressionName(Compression));
        writer.WriteString("encoding", Encoding);
        writer.WriteString("database", Database);
        writer.WriteStartArray("tables");
        foreach (var table in Tables)
        {
            writer.WriteStartObject();
            JsonText.WriteTableName(writer, table.Name);
            writer.WriteNumber("rows", table.Rows);
            writer.WriteString("form", JsonText.FormName(table.Form));
            JsonText.WriteStrings(writer, "columns", table.Columns.Select(c => c.Name));
            writer.WriteNumber("startOffset", table.StartOffset);
            writer.WriteNumber("endOffset", table.EndOffset);
            writer.WriteNumber("startLine", table.StartLine);
            if (table.ArchiveEntryId is { } entry)
            {
                writer.WriteNumber("tocEntry", entry);
            }

            if (table.ArchiveDataOffset is { } dataOffset)
            {
                writer.WriteNumber("archiveOffset", dataOffset);
            }

            if (table.ArchiveDataFile is { } dataFile)
            {
                writer.WriteString("dataFile", dataFile);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteSequences(writer, Sequences);
        JsonText.WriteStrings(writer, "notices", Notices);
        writer.WriteEndObject();
    }

    /// <summary>The compression name used in JSON and summaries: none, gzip or zlib.</summary>
    public static string CompressionName(DumpCompression compression) => compression switch
    {
        DumpCompression.Gzip => "gzip",
        DumpCompression.Zlib => "zlib",
        _ => "none",
    };

    /// <summary>The inventory as indented JSON text (see <see cref="WriteJson"/>).</summary>
    public string ToJson() => JsonText.Render(WriteJson);

    internal static void WriteSequences(Utf8JsonWriter writer, IReadOnlyList<SequenceValue> sequences)
    {
        writer.WriteStartArray("sequences");
        foreach (var sequence in sequences)
        {
            writer.WriteStartObject();
            writer.WriteString("schema", sequence.Sequence.Schema);
            writer.WriteString("sequence", sequence.Sequence.Name);
            writer.WriteNumber("value", sequence.Value);
            writer.WriteBoolean("isCalled", sequence.IsCalled);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>The lower-case format name used in JSON and summaries (plain, custom, directory, sqlserver, sqlite, tar).</summary>
    public static string FormatNameOf(DumpFormat format) => FormatName(format);

    internal static string FormatName(DumpFormat format) => format switch
    {
        DumpFormat.PlainSql => "plain",
        DumpFormat.CustomArchive => "custom",
        DumpFormat.DirectoryArchive => "directory",
        DumpFormat.SqlServerScript => "sqlserver",
        DumpFormat.SqliteDump => "sqlite",
        _ => "tar",
    };
}

/// <summary>One table's entry in a <see cref="DumpInventory"/>.</summary>
/// <param name="Name">The table.</param>
/// <param name="Rows">Rows in the dump.</param>
/// <param name="Form">COPY or INSERT.</param>
/// <param name="Columns">The data columns.</param>
/// <param name="StartOffset">Byte offset of the first statement of the table's data.</param>
/// <param name="EndOffset">Byte offset just past the table's data.</param>
/// <param name="StartLine">1-based line of the first statement.</param>
public sealed record TableInventory(TableName Name, long Rows, DumpDataForm Form, IReadOnlyList<DumpColumn> Columns, long StartOffset, long EndOffset, long StartLine)
{
    /// <summary>Archives: the TOC entry (dump id) holding the data, as <c>pg_restore -l</c> lists it; null for scripts.</summary>
    public int? ArchiveEntryId { get; init; }

    /// <summary>Custom archives: byte offset of the entry's data block in the archive; otherwise null.</summary>
    public long? ArchiveDataOffset { get; init; }

    /// <summary>Directory archives: the data file read (<c>N.dat</c> or <c>N.dat.gz</c>); otherwise null.</summary>
    public string? ArchiveDataFile { get; init; }
}
