using System.Text;
using System.Text.Json;
using Selective.Restore.Providers;

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

    /// <summary>Undo parts whose table's commit cannot be told any more (an unconfirmed checkpoint the database has forgotten).</summary>
    public IReadOnlyCollection<string> UncertainUndoParts { get; protected init; } = [];

    /// <summary>Records a table's checkpoint inside its transaction, just before the commit.</summary>
    public abstract Task RecordAsync(TableReport report, bool hasKeyMap, string? undoPart, IReadOnlyList<RowWitness> witnesses, long transactionId, CancellationToken cancellationToken);

    /// <summary>After the commit (a journal outside the database confirms the checkpoint).</summary>
    public virtual Task ConfirmAsync(long transactionId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One checkpoint as a JSON object.</summary>
    protected static string Entry(TableReport report, bool hasKeyMap, string? undoPart, IReadOnlyList<RowWitness> witnesses)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("report");
            report.WriteJson(writer);
            writer.WriteBoolean("hasKeyMap", hasKeyMap);
            writer.WriteString("undoPart", undoPart);

            // A few rows as written: on resume, none of them left as written means the restore was undone since.
            writer.WriteStartArray("witnesses");
            foreach (var witness in witnesses)
            {
                writer.WriteStartObject();
                JsonText.WriteStrings(writer, "key", witness.Key);
                writer.WriteString("row", witness.Row);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
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
            json.TryGetProperty("undoPart", out var part) && part.ValueKind == JsonValueKind.String ? part.GetString() : null,
            json.TryGetProperty("witnesses", out var witnesses)
                ? [.. witnesses.EnumerateArray().Select(w => new RowWitness([.. w.GetProperty("key").EnumerateArray().Select(k => k.GetString()!)], w.GetProperty("row").GetString()!))]
                : []);
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
/// A local journal file (JSON lines): a header naming the run it belongs to, then per table a checkpoint written (and
/// flushed to disk) just before the commit, carrying the transaction's ID, and a confirmation after it. A checkpoint a
/// kill left unconfirmed is settled by asking the database whether that transaction committed, so the journal is exact
/// whenever the run is killed.
/// </summary>
internal sealed class FileJournal : RestoreJournal
{
    private const string Magic = "selective-restore journal";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _path;

    private FileJournal(string path, Dictionary<TableName, JournalEntry> completed)
        : base(completed) => _path = path;

    public override string Location => _path;


    /// <summary>Opens the journal, creating it; one written for a different run (dump, target or options) is refused.</summary>
    /// <exception cref="InvalidOperationException">The journal belongs to another run, or is not a journal.</exception>
    public static async Task<FileJournal> OpenAsync(string path, string fingerprint, Func<long, CancellationToken, Task<bool?>> committed, CancellationToken cancellationToken)
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

        var pending = new Dictionary<long, JournalEntry>();
        var confirmed = new HashSet<long>();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            // A kill while appending leaves a cut last line: ignored (for a checkpoint, its commit never happened).
            if (TryParse(line, out var json) && json.TryGetProperty("transaction", out var id))
            {
                if (json.TryGetProperty("confirmed", out _))
                {
                    confirmed.Add(id.GetInt64());
                }
                else if (TryReadEntry(line, out var entry))
                {
                    pending[id.GetInt64()] = entry;
                }
            }
        }

        var uncertain = new List<string>();
        foreach (var (id, entry) in pending)
        {
            var done = confirmed.Contains(id) ? true : await committed(id, cancellationToken).ConfigureAwait(false);
            if (done == true)
            {
                completed[entry.Report.Name] = entry;
            }
            else if (done is null && entry.UndoPart is { } part)
            {
                uncertain.Add(part);
            }
        }

        return new FileJournal(full, completed) { UncertainUndoParts = uncertain };
    }

    /// <summary>Records a table's checkpoint (flushed to disk before returning), before its commit.</summary>
    public override Task RecordAsync(TableReport report, bool hasKeyMap, string? undoPart, IReadOnlyList<RowWitness> witnesses, long transactionId, CancellationToken cancellationToken)
    {
        var entry = Entry(report, hasKeyMap, undoPart, witnesses);
        return AppendAsync(_path, writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("transaction", transactionId);
            foreach (var property in JsonDocument.Parse(entry).RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }, cancellationToken);
    }

    public override Task ConfirmAsync(long transactionId, CancellationToken cancellationToken) =>
        AppendAsync(_path, writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("transaction", transactionId);
            writer.WriteBoolean("confirmed", true);
            writer.WriteEndObject();
        }, cancellationToken);

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
/// <param name="Witnesses">A few rows it wrote, as written.</param>
internal sealed record JournalEntry(TableReport Report, bool HasKeyMap, string? UndoPart, IReadOnlyList<RowWitness> Witnesses);
