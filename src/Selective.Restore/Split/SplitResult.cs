using System.Text.Json;
using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>One file written by <see cref="DumpSplitter"/>.</summary>
/// <param name="Name">The table.</param>
/// <param name="Rows">Rows in the file.</param>
/// <param name="Bytes">The file's size in bytes.</param>
/// <param name="File">The file name, relative to the output directory.</param>
/// <param name="Form">COPY or INSERT statements.</param>
public sealed record SplitTableFile(TableName Name, long Rows, long Bytes, string File, DumpDataForm Form);

/// <summary>The outcome of a split: the files written and the manifest describing them.</summary>
public sealed class SplitResult
{
    internal SplitResult(string outputDirectory, string? source, SplitDialect dialect, IReadOnlyList<SplitTableFile> tables, IReadOnlyList<SequenceValue> sequences, string? sequencesFile)
    {
        OutputDirectory = outputDirectory;
        Source = source;
        Dialect = dialect;
        Tables = tables;
        Sequences = sequences;
        SequencesFile = sequencesFile;
    }

    /// <summary>Where the files are.</summary>
    public string OutputDirectory { get; }

    /// <summary>The dump the files came from.</summary>
    public string? Source { get; }

    /// <summary>The language of the files: PostgreSQL (load with <c>psql -X -f FILE</c>), T-SQL (<c>sqlcmd -i FILE</c>) or SQLite (<c>sqlite3 DATABASE &lt; FILE</c>).</summary>
    public SplitDialect Dialect { get; }

    /// <summary>The language of the files as the manifest names it: <c>postgresql</c>, <c>tsql</c> or <c>sqlite</c>.</summary>
    public string DialectName => Dialect switch
    {
        SplitDialect.TSql => "tsql",
        SplitDialect.Sqlite => "sqlite",
        _ => "postgresql",
    };

    /// <summary>How to load one file: <c>psql -X -f FILE</c>, <c>sqlcmd -i FILE</c> (with connection options added) or <c>sqlite3 DATABASE &lt; FILE</c>.</summary>
    public string LoadCommand => Dialect switch
    {
        SplitDialect.TSql => "sqlcmd -i FILE",
        SplitDialect.Sqlite => "sqlite3 DATABASE < FILE",
        _ => "psql -X -f FILE",
    };

    /// <summary>The files' text encoding: <c>UTF-8</c> (PostgreSQL, SQLite) or <c>UTF-16LE</c> with a byte order mark (T-SQL, as SSMS writes).</summary>
    public string FileEncoding => Dialect == SplitDialect.TSql ? "UTF-16LE" : "UTF-8";

    /// <summary>One entry per table file, in dump order.</summary>
    public IReadOnlyList<SplitTableFile> Tables { get; }

    /// <summary>The sequence positions found in the dump.</summary>
    public IReadOnlyList<SequenceValue> Sequences { get; }

    /// <summary>The file of <c>setval</c> statements (SQLite: <c>sqlite_sequence</c> rows), or null when the dump had none.</summary>
    public string? SequencesFile { get; }

    /// <summary>The manifest's file name inside <see cref="OutputDirectory"/>.</summary>
    public const string ManifestFileName = "manifest.json";

    /// <summary>Writes <c>manifest.json</c>: <c>{"source", "dialect", "load", "fileEncoding", "tables": [{"schema", "table", "rows", "bytes", "file", "form"}], "sequences": [...], "sequencesFile"}</c>.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("source", Source);
        writer.WriteString("dialect", DialectName);
        writer.WriteString("load", LoadCommand);
        writer.WriteString("fileEncoding", FileEncoding);
        writer.WriteStartArray("tables");
        foreach (var table in Tables)
        {
            writer.WriteStartObject();
            JsonText.WriteTableName(writer, table.Name);
            writer.WriteNumber("rows", table.Rows);
            writer.WriteNumber("bytes", table.Bytes);
            writer.WriteString("file", table.File);
            writer.WriteString("form", JsonText.FormName(table.Form));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        DumpInventory.WriteSequences(writer, Sequences);
        writer.WriteString("sequencesFile", SequencesFile);
        writer.WriteEndObject();
    }
}
