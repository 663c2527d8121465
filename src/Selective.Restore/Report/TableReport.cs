using System.Text.Json;

namespace Selective.Restore;

/// <summary>How a table's restore ended.</summary>
public enum TableOutcome
{
    /// <summary>Changes were written and committed (possibly none were needed).</summary>
    Applied,

    /// <summary>
    /// Dry run: classified, and the policy's decisions taken, in a transaction that is rolled back; nothing written. The
    /// counts (<see cref="TableReport.Inserted"/>, <see cref="TableReport.Updated"/>, <see cref="TableReport.Skipped"/>)
    /// are what an apply would write.
    /// </summary>
    Planned,

    /// <summary>Nothing was applied to the table; <see cref="TableReport.Errors"/> says why.</summary>
    Failed,

    /// <summary>The live table cannot take the dump's rows and the restore was told to skip such tables; <see cref="TableReport.Warnings"/> says why.</summary>
    Skipped,

    /// <summary>The run was cancelled before this table was committed: nothing was applied to it.</summary>
    Cancelled,
}

/// <summary>What happened to one table. Counts are rows.</summary>
public sealed class TableReport
{
    internal TableReport(TableName name) => Name = name;

    /// <summary>The table.</summary>
    public TableName Name { get; }

    /// <summary>Rows of this table in the dump.</summary>
    public long DumpRows { get; internal set; }

    /// <summary>Dump rows whose key is not in the live table.</summary>
    public long Missing { get; internal set; }

    /// <summary>Dump rows equal, column for column, to the live row with the same key.</summary>
    public long Identical { get; internal set; }

    /// <summary>Dump rows whose key is live but some column differs (compared NULL-safely).</summary>
    public long Conflicting { get; internal set; }

    /// <summary>Live rows whose key is not in the dump (reported, never deleted).</summary>
    public long LiveOnly { get; internal set; }

    /// <summary>Rows inserted; for a plan (<see cref="TableOutcome.Planned"/>), rows the apply would insert.</summary>
    public long Inserted { get; internal set; }

    /// <summary>Live rows overwritten (take-dump or merged); for a plan, rows the apply would overwrite.</summary>
    public long Updated { get; internal set; }

    /// <summary>Rows left out: missing rows the filter excluded and conflicts a policy skipped (for a plan: would leave out).</summary>
    public long Skipped { get; internal set; }

    /// <summary>
    /// Dump rows whose key is live but whose identity key differs: a different entity with the same ID. Never merged or
    /// overwritten; skipped, failed or remapped as <see cref="CollisionHandling"/> says.
    /// </summary>
    public long Collisions { get; internal set; }

    /// <summary>Rows inserted under a new key (collisions remapped, or rows a policy decided to remap); included in <see cref="Inserted"/>.</summary>
    public long Remapped { get; internal set; }

    /// <summary>
    /// Dump rows whose identity cannot be told: an identity column is NULL in the dump or live row with the same key
    /// (NULL never proves identity), or the identity matches more than one live row. Never written.
    /// </summary>
    public long Undetermined { get; internal set; }

    /// <summary>Dump rows whose entity (by identity key) is live under another key: not inserted again; their children follow the live key.</summary>
    public long Relocated { get; internal set; }

    /// <summary>Dump rows not written because a row they reference in this restore (through a foreign key, at any depth) is a collision left in place or undetermined.</summary>
    public long HeldBack { get; internal set; }

    /// <summary>The key columns rows are matched on, naming the values in the key lists.</summary>
    public IReadOnlyList<string> KeyColumns { get; internal set; } = [];

    /// <summary>
    /// True when the table has no primary key (nor a unique key on NOT NULL columns): its rows were matched on the whole
    /// row, as a multiset. A row the dump has 3 times and live once counts 1 identical and 2 missing; nothing conflicts.
    /// </summary>
    public bool MatchedOnWholeRows { get; internal set; }

    /// <summary>Keys of the collisions (up to the report's key limit), as text in <see cref="KeyColumns"/> order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> CollisionKeys { get; private set; } = [];

    /// <summary>Keys of the undetermined rows (up to the report's key limit).</summary>
    public IReadOnlyList<IReadOnlyList<string>> UndeterminedKeys { get; private set; } = [];

    /// <summary>Keys of the held-back rows (up to the report's key limit).</summary>
    public IReadOnlyList<IReadOnlyList<string>> HeldBackKeys { get; private set; } = [];

    /// <summary>
    /// A plan's first keys (up to 10, in the order the diff met the rows) of the rows it would insert, as text in <see cref="KeyColumns"/>
    /// order; <see cref="Inserted"/> counts them all. Empty after an apply (its undo script lists every row written) and
    /// for a table matched on whole rows.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> InsertedKeys { get; private set; } = [];

    /// <summary>A plan's first keys (up to 10) of the live rows it would overwrite; <see cref="Updated"/> counts them all. Empty after an apply.</summary>
    public IReadOnlyList<IReadOnlyList<string>> UpdatedKeys { get; private set; } = [];

    /// <summary>Every dump key that was replaced (up to the report's key limit): remapped rows (old → new key) and relocated ones (dump key → live key).</summary>
    public IReadOnlyList<KeyRemap> Remaps { get; private set; } = [];

    /// <summary>Wall time spent on the table (staging, classification, apply).</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>The outcome.</summary>
    public TableOutcome Outcome { get; internal set; }

    /// <summary>
    /// True when an earlier run of the same restore applied this table (its journal says so): the counts are that run's,
    /// and this run's totals leave them out.
    /// </summary>
    public bool AppliedEarlier { get; internal set; }

    /// <summary>Transaction attempts (more than 1 when a transient failure was retried).</summary>
    public int Attempts { get; internal set; }

    /// <summary>Why the table failed, or problems met on the way.</summary>
    public IReadOnlyList<string> Errors => ErrorsList;

    internal List<string> ErrorsList { get; } = [];

    /// <summary>Things worth knowing that did not stop the table (skipped columns, reseeded sequences...).</summary>
    public IReadOnlyList<string> Warnings => WarningsList;

    internal List<string> WarningsList { get; } = [];

    /// <summary>What was done besides rows (e.g. sequences moved past restored IDs).</summary>
    public IReadOnlyList<string> Notes => NotesList;

    internal List<string> NotesList { get; } = [];

    internal void ResetCounts()
    {
        Missing = Identical = Conflicting = LiveOnly = Inserted = Updated = Skipped = 0;
        Collisions = Remapped = Undetermined = Relocated = HeldBack = 0;
        CollisionKeys = UndeterminedKeys = HeldBackKeys = InsertedKeys = UpdatedKeys = [];
        Remaps = [];
        NotesList.Clear();
    }

    internal void SetKeys(KeyClass keyClass, IReadOnlyList<IReadOnlyList<string>> keys)
    {
        switch (keyClass)
        {
            case KeyClass.Collision:
                CollisionKeys = keys;
                break;
            case KeyClass.Undetermined:
                UndeterminedKeys = keys;
                break;
            case KeyClass.Inserted:
                InsertedKeys = keys;
                break;
            case KeyClass.Updated:
                UpdatedKeys = keys;
                break;
            default:
                HeldBackKeys = keys;
                break;
        }
    }

    internal void SetRemaps(IReadOnlyList<KeyRemap> remaps) => Remaps = remaps;

    /// <summary>The merge policy this table was applied with (a per-table one, or the restore's default); null until it is classified.</summary>
    public string? Policy { get; internal set; }

    /// <summary>Writes the table as one JSON object (the shape of <see cref="RestoreReport.WriteJson"/>'s <c>tables</c> items).</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        JsonText.WriteTableName(writer, Name);
        writer.WriteNumber("dumpRows", DumpRows);
        writer.WriteNumber("missing", Missing);
        writer.WriteNumber("identical", Identical);
        writer.WriteNumber("conflicting", Conflicting);
        writer.WriteNumber("liveOnly", LiveOnly);
        writer.WriteNumber("inserted", Inserted);
        writer.WriteNumber("updated", Updated);
        writer.WriteNumber("skipped", Skipped);
        writer.WriteNumber("collisions", Collisions);
        writer.WriteNumber("remapped", Remapped);
        writer.WriteNumber("undetermined", Undetermined);
        writer.WriteNumber("relocated", Relocated);
        writer.WriteNumber("heldBack", HeldBack);
        JsonText.WriteStrings(writer, "keyColumns", KeyColumns);
        writer.WriteBoolean("matchedOnWholeRows", MatchedOnWholeRows);
        WriteKeys(writer, "collisionKeys", CollisionKeys);
        WriteKeys(writer, "undeterminedKeys", UndeterminedKeys);
        WriteKeys(writer, "heldBackKeys", HeldBackKeys);
        WriteKeys(writer, "insertedKeys", InsertedKeys);
        WriteKeys(writer, "updatedKeys", UpdatedKeys);
        writer.WriteStartArray("remaps");
        foreach (var remap in Remaps)
        {
            writer.WriteStartObject();
            JsonText.WriteStrings(writer, "from", remap.From);
            JsonText.WriteStrings(writer, "to", remap.To);
            writer.WriteString("kind", remap.Kind == RemapKind.NewKey ? "new-key" : "live-entity");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("duration", Math.Round(Duration.TotalSeconds, 3));
        writer.WriteString("outcome", Outcome.ToString().ToLowerInvariant());
        writer.WriteString("policy", Policy);
        writer.WriteBoolean("appliedEarlier", AppliedEarlier);
        writer.WriteNumber("attempts", Attempts);
        JsonText.WriteStrings(writer, "errors", Errors);
        JsonText.WriteStrings(writer, "warnings", Warnings);
        JsonText.WriteStrings(writer, "notes", Notes);
        writer.WriteEndObject();
    }

    /// <summary>Reads a table written by <see cref="WriteJson"/> (a journal's checkpoint).</summary>
    internal static TableReport FromJson(JsonElement json)
    {
        var report = new TableReport(new TableName(json.GetProperty("schema").GetString()!, json.GetProperty("table").GetString()!))
        {
            DumpRows = json.GetProperty("dumpRows").GetInt64(),
            Missing = json.GetProperty("missing").GetInt64(),
            Identical = json.GetProperty("identical").GetInt64(),
            Conflicting = json.GetProperty("conflicting").GetInt64(),
            LiveOnly = json.GetProperty("liveOnly").GetInt64(),
            Inserted = json.GetProperty("inserted").GetInt64(),
            Updated = json.GetProperty("updated").GetInt64(),
            Skipped = json.GetProperty("skipped").GetInt64(),
            Collisions = json.GetProperty("collisions").GetInt64(),
            Remapped = json.GetProperty("remapped").GetInt64(),
            Undetermined = json.GetProperty("undetermined").GetInt64(),
            Relocated = json.GetProperty("relocated").GetInt64(),
            HeldBack = json.GetProperty("heldBack").GetInt64(),
            KeyColumns = Strings(json.GetProperty("keyColumns")),
            MatchedOnWholeRows = json.TryGetProperty("matchedOnWholeRows", out var wholeRows) && wholeRows.GetBoolean(), // absent in journals of earlier versions
            Policy = json.TryGetProperty("policy", out var policy) ? policy.GetString() : null,
            CollisionKeys = Keys(json.GetProperty("collisionKeys")),
            UndeterminedKeys = Keys(json.GetProperty("undeterminedKeys")),
            HeldBackKeys = Keys(json.GetProperty("heldBackKeys")),
            InsertedKeys = json.TryGetProperty("insertedKeys", out var inserted) ? Keys(inserted) : [], // absent in journals of earlier versions
            UpdatedKeys = json.TryGetProperty("updatedKeys", out var updated) ? Keys(updated) : [],
            Remaps = [.. json.GetProperty("remaps").EnumerateArray().Select(r => new KeyRemap(
                Strings(r.GetProperty("from")), Strings(r.GetProperty("to")), string.Equals(r.GetProperty("kind").GetString(), "new-key", StringComparison.Ordinal) ? RemapKind.NewKey : RemapKind.LiveEntity))],
            Duration = TimeSpan.FromSeconds(json.GetProperty("duration").GetDouble()),
            Outcome = Enum.Parse<TableOutcome>(json.GetProperty("outcome").GetString()!, ignoreCase: true),
            Attempts = json.GetProperty("attempts").GetInt32(),
        };
        foreach (var (name, list) in new[] { ("errors", report.ErrorsList), ("warnings", report.WarningsList), ("notes", report.NotesList) })
        {
            foreach (var value in Strings(json.GetProperty(name)))
            {
                list.Add(value);
            }
        }

        return report;
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString() ?? string.Empty)];

    private static List<IReadOnlyList<string>> Keys(JsonElement array) => [.. array.EnumerateArray().Select(k => (IReadOnlyList<string>)Strings(k))];

    private static void WriteKeys(Utf8JsonWriter writer, string name, IReadOnlyList<IReadOnlyList<string>> keys)
    {
        writer.WriteStartArray(name);
        foreach (var key in keys)
        {
            writer.WriteStartArray();
            foreach (var value in key)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
    }
}
