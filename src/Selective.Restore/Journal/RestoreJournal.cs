using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;
using Selective.Restore.Report;

namespace Selective.Restore.Journal;

/// <summary>
/// Per-table checkpoints of a run. A re-run of the same restore with the same journal skips the tables it lists and
/// reports them as applied earlier. Two stores: a table in the target (<see cref="TargetJournal"/>, written in each
/// table's own transaction, so a checkpoint exists exactly when the table's changes do) and a local file (this class).
/// </summary>
internal abstract class RestoreJournal
{
    protected RestoreJournal(Dictionary<TableName, JournalEntry> completed) => Completed = completed;

    /// <summary>Tables an earlier run committed, by name.</summary>
    public IReadOnlyDictionary<TableName, JournalEntry> Completed { get; }

    /// <summary>Where the journal is, for reports.</summary>
    public abstract string Location { get; }

    /// <summary>True when <see cref="RecordAsync"/> runs inside the table's transaction (before its commit), false when after it.</summary>
    public abstract bool RecordsInTransaction { get; }

    /// <summary>Records a committed (or, in transaction, committing) table.</summary>
    public abstract Task RecordAsync(TableReport report, bool hasKeyMap, string? undoPart, CancellationToken cancellationToken);

    /// <summary>One checkpoint as a JSON object.</summary>
    protected static string Entry(TableReport report, bool hasKeyMap, string? undoPart)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("report");
            report.WriteJson(writer);
            writer.WriteBoolean("hasKeyMap", hasKeyMap);
            writer.WriteString("undoPart", undoPart);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a checkpoint; false for a line cut short by a kill (its table is then simply applied again).</summary>
    protected static bool TryReadEntry(string? line, out JournalEntry entry)
    {
        entry = null!;
        if (!TryParse(line, out var json) || !json.TryGetProperty("report", out var report))
        {
            return false;
        }

        entry = new JournalEntry(
            TableReport.FromJson(report),
            json.GetProperty("hasKeyMap").GetBoolean(),
            json.TryGetProperty("undoPart", out var part) && part.ValueKind == JsonValueKind.String ? part.GetString() : null);
        return true;
    }

    protected static bool TryParse(string? line, out JsonElement element)
    {
        element = default;
        if (string.IsNullOrWhiteSpace(line))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            element = document.RootElement.Clone();
            return element.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// A local journal file (JSON lines): a header naming the run it belongs to, then one line per committed table. The line
/// is written just after the commit: a kill between the two leaves the table unlisted, and the re-run applies it again
/// (which changes nothing, as the restore is idempotent).
/// </summary>
internal sealed class FileJournal : RestoreJournal
{
    private const string Magic = "selective-restore journal";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _path;

    private FileJournal(string path, Dictionary<TableName, JournalEntry> completed)
        : base(completed) => _path = path;

    public override string Location => _path;

    public override bool RecordsInTransaction => false;

    /// <summary>Opens the journal, creating it; one written for a different run (dump, target or options) is refused.</summary>
    /// <exception cref="InvalidOperationException">The journal belongs to another run, or is not a journal.</exception>
    public static async Task<FileJournal> OpenAsync(string path, string fingerprint, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(path);
        var completed = new Dictionary<TableName, JournalEntry>();
        if (!File.Exists(full) || new FileInfo(full).Length == 0)
        {
            await AppendAsync(full, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("journal", Magic);
                writer.WriteNumber("version", 1);
                writer.WriteString("fingerprint", fingerprint);
                writer.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            return new FileJournal(full, completed);
        }

        using var reader = new StreamReader(full, Utf8);
        var header = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (!TryParse(header, out var head) || !head.TryGetProperty("journal", out var magic) || !string.Equals(magic.GetString(), Magic, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{full} is not a selective-restore journal; give the journal a new file name");
        }

        if (!string.Equals(head.GetProperty("fingerprint").GetString(), fingerprint, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"the journal {full} was written by a different restore (another dump, target, table selection, policy or identity keys); resume with the same options, or use a new journal file");
        }

        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (TryReadEntry(line, out var entry))
            {
                completed[entry.Report.Name] = entry;
            }
        }

        return new FileJournal(full, completed);
    }

    /// <summary>Records a committed table (flushed to disk before returning).</summary>
    public override Task RecordAsync(TableReport report, bool hasKeyMap, string? undoPart, CancellationToken cancellationToken)
    {
        var entry = Entry(report, hasKeyMap, undoPart);
        return AppendAsync(_path, writer => writer.WriteRawValue(entry, skipInputValidation: true), cancellationToken);
    }

    private static async Task AppendAsync(string path, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        buffer.WriteByte((byte)'\n');
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
    }
}

/// <summary>A table an earlier run committed.</summary>
/// <param name="Report">Its report from that run.</param>
/// <param name="HasKeyMap">Its rows had a key map (remaps, relocations, held-back keys) that its children must follow.</param>
/// <param name="UndoPart">The file name of its undo part, or null.</param>
internal sealed record JournalEntry(TableReport Report, bool HasKeyMap, string? UndoPart);
