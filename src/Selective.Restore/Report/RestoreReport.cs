using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Selective.Restore;

/// <summary>
/// What a restore (or a plan) did, per table and in total. Expected outcomes — conflicts, a table failed by
/// its policy, a constraint violation — are reported here, not thrown.
/// </summary>
public sealed class RestoreReport
{
    internal RestoreReport(string? source, string target, string policy, bool dryRun, DateTimeOffset startedAt)
    {
        Source = source;
        Target = target;
        Policy = policy;
        DryRun = dryRun;
        StartedAt = startedAt;
    }

    /// <summary>The dump.</summary>
    public string? Source { get; }

    /// <summary>The target database, described without credentials.</summary>
    public string Target { get; }

    /// <summary>The default merge policy's name.</summary>
    public string Policy { get; }

    /// <summary>
    /// True for a plan: nothing was written. The policies ran in a transaction that was rolled back, and each table's
    /// <see cref="TableReport.Inserted"/>, <see cref="TableReport.Updated"/> and <see cref="TableReport.Skipped"/> say
    /// what an apply would insert, update and leave out (with the first keys of each in <see cref="TableReport.InsertedKeys"/>
    /// and <see cref="TableReport.UpdatedKeys"/>).
    /// </summary>
    public bool DryRun { get; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Total wall time.</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>Per-table reports, in the order tables were applied.</summary>
    public IReadOnlyList<TableReport> Tables => TablesList;

    internal List<TableReport> TablesList { get; } = [];

    /// <summary>Problems not tied to one table (e.g. a foreign-key cycle).</summary>
    public IReadOnlyList<string> Errors => ErrorsList;

    internal List<string> ErrorsList { get; } = [];

    /// <summary>Things worth knowing that are not tied to one table and did not stop the run (e.g. large objects in an archive, which are not restored).</summary>
    public IReadOnlyList<string> Warnings => WarningsList;

    internal List<string> WarningsList { get; } = [];

    /// <summary>The undo script written for this run (with the earlier runs of the same journal), or null.</summary>
    public string? UndoScript { get; internal set; }

    /// <summary>The journal this run resumed from and recorded to, or null.</summary>
    public string? Journal { get; internal set; }

    /// <summary>
    /// True when the run stopped before applying anything because an option does not fit the dump: a table pattern, a
    /// policy's pattern or an identity key that matches no table (a typo, most likely). <see cref="Errors"/> names it.
    /// </summary>
    public bool InvalidOptions { get; internal set; }

    /// <summary>True when the run was cancelled: tables committed before stay applied (outcome <see cref="TableOutcome.Applied"/>), the others are <see cref="TableOutcome.Cancelled"/>.</summary>
    public bool Cancelled { get; internal set; }

    /// <summary>True when no table failed and there were no run-level errors.</summary>
    public bool Succeeded => Errors.Count == 0 && !Cancelled && Tables.All(t => t.Outcome is not (TableOutcome.Failed or TableOutcome.Cancelled));

    /// <summary>
    /// Writes the report as JSON: <c>{"source", "target", "policy", "dryRun", "succeeded", "startedAt", "duration", "errors", "warnings", "undoScript", "journal",
    /// "tables": [{"schema", "table", "dumpRows", "missing", "identical", "conflicting", "liveOnly", "inserted", "updated",
    /// "skipped", "collisions", "remapped", "undetermined", "relocated", "heldBack", "keyColumns", "collisionKeys", "undeterminedKeys", "heldBackKeys", "insertedKeys", "updatedKeys",
    /// "remaps": [{"from", "to", "kind"}], "duration", "outcome", "policy", "attempts", "errors", "warnings", "notes"}]}</c>; durations are seconds, keys are arrays of text values in key column order.
    /// For a plan (<c>"dryRun": true</c>) "inserted", "updated" and "skipped" are what an apply would do, and
    /// "insertedKeys"/"updatedKeys" list the first (up to 10) rows it would insert and overwrite.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("source", Source);
        writer.WriteString("target", Target);
        writer.WriteString("policy", Policy);
        writer.WriteBoolean("dryRun", DryRun);
        writer.WriteBoolean("succeeded", Succeeded);
        writer.WriteBoolean("invalidOptions", InvalidOptions);
        writer.WriteBoolean("cancelled", Cancelled);
        writer.WriteString("startedAt", StartedAt);
        writer.WriteNumber("duration", Math.Round(Duration.TotalSeconds, 3));
        JsonText.WriteStrings(writer, "errors", Errors);
        JsonText.WriteStrings(writer, "warnings", Warnings);
        writer.WriteString("undoScript", UndoScript);
        writer.WriteString("journal", Journal);
        writer.WriteStartArray("tables");
        foreach (var t in Tables)
        {
            t.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The report as indented JSON text.</summary>
    public string ToJson() => JsonText.Render(WriteJson);

    // The summary names the first few keys; the JSON has them all (up to the key limit).
    private const int SummaryKeys = 10;

    private static void AppendKeys(StringBuilder b, string label, long count, IReadOnlyList<IReadOnlyList<string>> keys)
    {
        if (keys.Count == 0 || label.Length == 0)
        {
            return;
        }

        var shown = Math.Min(keys.Count, SummaryKeys);
        b.Append(CultureInfo.InvariantCulture, $"    {label} keys: {string.Join(" ", keys.Take(shown).Select(k => "(" + DisplayText.Escape(string.Join(", ", k)) + ")"))}");
        if (count > shown)
        {
            b.Append(CultureInfo.InvariantCulture, $" and {count - shown} more");
        }

        b.Append('\n');
    }

    private static string Count(long value, int width) => value.ToString(CultureInfo.InvariantCulture).PadLeft(width);

    /// <summary>A human summary: one line per table and a total. Names, values and messages have their control characters escaped (<see cref="DisplayText"/>).</summary>
    public string ToSummary()
    {
        var b = new StringBuilder();
        // The policies the tables were applied with: the default, and each table that had its own.
        var own = Tables.Where(t => t.Policy is not null && !string.Equals(t.Policy, Policy, StringComparison.Ordinal)).ToList();
        var policies = own.Count == 0
            ? $"policy {DisplayText.Escape(Policy)}"
            : $"policy {DisplayText.Escape(Policy)}; per table: {string.Join(", ", own.Select(t => $"{DisplayText.Name(t.Name)} {DisplayText.Escape(t.Policy)}"))}";
        b.Append(CultureInfo.InvariantCulture, $"{(DryRun ? "Plan" : "Restore")} from {DisplayText.Escape(Source)} into {DisplayText.Escape(Target)}, {policies}\n");
        if (DryRun)
        {
            b.Append("Nothing was written: the policies ran in a transaction that was rolled back, and the counts are what an apply would do.\n");
        }

        // A plan's columns say "would": its counts are an apply's, not writes.
        var (inserted, updated, skipped) = DryRun ? ("would insert", "would update", "would skip") : ("inserted", "updated", "skipped");
        var width = Math.Max(5, Tables.Count == 0 ? 0 : Tables.Max(t => DisplayText.Name(t.Name).Length));
        var (wi, wu, ws) = (Math.Max(9, inserted.Length), Math.Max(8, updated.Length), Math.Max(8, skipped.Length));
        b.Append(CultureInfo.InvariantCulture, $"{"table".PadRight(width)}  {"dump",10} {"missing",9} {"identical",10} {"conflict",9} {"live-only",10} {inserted.PadLeft(wi)} {updated.PadLeft(wu)} {skipped.PadLeft(ws)}  outcome\n");
        foreach (var t in Tables)
        {
            b.Append(CultureInfo.InvariantCulture, $"{DisplayText.Name(t.Name).PadRight(width)}  {t.DumpRows,10} {t.Missing,9} {t.Identical,10} {t.Conflicting,9} {t.LiveOnly,10} {Count(t.Inserted, wi)} {Count(t.Updated, wu)} {Count(t.Skipped, ws)}  {t.Outcome.ToString().ToLowerInvariant()}{(t.AppliedEarlier ? " by an earlier run" : string.Empty)}");
            if (t.Attempts > 1)
            {
                b.Append(CultureInfo.InvariantCulture, $" after {t.Attempts} attempts");
            }

            b.Append('\n');
            if (t.Collisions + t.Undetermined + t.Relocated + t.HeldBack > 0)
            {
                b.Append(CultureInfo.InvariantCulture,
                    $"    identity: {t.Collisions} collisions ({t.Remapped} remapped), {t.Undetermined} undetermined, {t.Relocated} already live under another key, {t.HeldBack} held back\n");
            }

            if (t.MatchedOnWholeRows)
            {
                b.Append("    matched on whole rows (no primary or unique key): copies counted, none conflicting\n");
            }

            foreach (var remap in t.Remaps.Take(SummaryKeys))
            {
                b.Append(CultureInfo.InvariantCulture, $"    {(remap.Kind == RemapKind.NewKey ? "remapped" : "relocated")} ({DisplayText.Escape(string.Join(", ", remap.From))}) -> ({DisplayText.Escape(string.Join(", ", remap.To))})\n");
            }

            AppendKeys(b, "collision", t.Collisions, t.CollisionKeys);
            AppendKeys(b, "undetermined", t.Undetermined, t.UndeterminedKeys);
            AppendKeys(b, "held back", t.HeldBack, t.HeldBackKeys);
            AppendKeys(b, "would insert", t.Inserted, t.InsertedKeys);
            AppendKeys(b, "would update", t.Updated, t.UpdatedKeys);
            foreach (var error in t.Errors)
            {
                b.Append("    error: ").Append(DisplayText.Escape(error)).Append('\n');
            }

            foreach (var warning in t.Warnings)
            {
                b.Append("    warning: ").Append(DisplayText.Escape(warning)).Append('\n');
            }
        }

        foreach (var error in Errors)
        {
            b.Append("error: ").Append(DisplayText.Escape(error)).Append('\n');
        }

        foreach (var warning in Warnings)
        {
            b.Append("warning: ").Append(DisplayText.Escape(warning)).Append('\n');
        }

        if (UndoScript is not null)
        {
            b.Append("undo script: ").Append(DisplayText.Escape(UndoScript)).Append('\n');
        }

        // This run's totals only: tables an earlier run applied (a journal) are summed apart, never mixed in.
        var earlier = Tables.Where(t => t.AppliedEarlier).ToList();
        if (earlier.Count > 0)
        {
            b.Append(CultureInfo.InvariantCulture,
                $"{earlier.Count} tables were applied by an earlier run of this restore ({earlier.Sum(t => t.Inserted)} inserted, {earlier.Sum(t => t.Updated)} updated then; journal {DisplayText.Escape(Journal)}): not counted below\n");
        }

        var current = Tables.Where(t => !t.AppliedEarlier).ToList();
        var failed = Tables.Count(t => t.Outcome == TableOutcome.Failed);
        var skippedTables = Tables.Count(t => t.Outcome == TableOutcome.Skipped);
        var cancelled = Tables.Count(t => t.Outcome == TableOutcome.Cancelled);
        var totals = DryRun
            ? $"would insert {current.Sum(t => t.Inserted)}, would update {current.Sum(t => t.Updated)}, would skip {current.Sum(t => t.Skipped)}"
            : $"{current.Sum(t => t.Inserted)} inserted, {current.Sum(t => t.Updated)} updated, {current.Sum(t => t.Skipped)} skipped";
        b.Append(CultureInfo.InvariantCulture,
            $"{current.Count} tables, {totals}, {failed} failed{(skippedTables > 0 ? $", {skippedTables} tables skipped" : string.Empty)}{(cancelled > 0 ? $", {cancelled} tables not applied (cancelled)" : string.Empty)}, in {Duration.TotalSeconds:F1} s\n");
        return b.ToString();
    }
}
