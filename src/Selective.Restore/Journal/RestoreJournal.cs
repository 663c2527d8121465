using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;
using Selective.Restore.Report;

namespace Selective.Restore.Journal;

/// <summary>
/// A local journal of per-table checkpoints (JSON lines): a header naming the run it belongs to, then one line per
/// committed table with its report. A re-run with the same journal skips the tables it lists and reports them as
/// applied earlier; a line cut short by a kill is ignored (its table is simply applied again, which is idempotent).
/// </summary>
internal sealed class RestoreJournal
{
    private const string Magic = "selective-restore journal";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _path;

    private RestoreJournal(string path, Dictionary<TableName, JournalEntry> completed)
    {
        _path = path;
        Completed = completed;
    }

    /// <summary>Tables an earlier run committed, by name.</summary>
    public IReadOnlyDictionary<TableName, JournalEntry> Completed { get; }

    public string Path => _path;

    /// <summary>Opens the journal, creating it; one written for a different run (dump, target or options) is refused.</summary>
    /// <exception cref="InvalidOperationException">The journal belongs to another run, or is not a journal.</exception>
    public static async Task<RestoreJournal> OpenAsync(string path, string fingerprint, CancellationToken cancellationToken)
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
            return new RestoreJournal(full, completed);
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
            // A kill while appending leaves a cut last line: that table was committed but is applied again (idempotently).
            if (TryParse(line, out var entry))
            {
                var report = TableReport.FromJson(entry.GetProperty("report"));
                completed[report.Name] = new JournalEntry(report, entry.GetProperty("hasKeyMap").GetBoolean());
            }
        }

        return new RestoreJournal(full, completed);
    }

    /// <summary>Records a committed table (flushed to disk before returning).</summary>
    public Task RecordAsync(TableReport report, bool hasKeyMap, CancellationToken cancellationToken) =>
        AppendAsync(_path, writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("report");
            report.WriteJson(writer);
            writer.WriteBoolean("hasKeyMap", hasKeyMap);
            writer.WriteEndObject();
        }, cancellationToken);

    private static bool TryParse(string? line, out JsonElement element)
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
internal sealed record JournalEntry(TableReport Report, bool HasKeyMap);
