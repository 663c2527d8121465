using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Selective.Restore;

/// <summary>
/// What the backup check found: per table dump vs live rows and key ranges, sequences, tables on one side only,
/// and the problems. Expected outcomes — problems, a table that cannot be compared, a malformed dump — are
/// reported here, not thrown.
/// </summary>
public sealed class VerifyReport
{
    internal VerifyReport(string source, string target, IReadOnlyList<VerifyProblem> failOn, DateTimeOffset startedAt)
    {
        Source = source;
        Target = target;
        FailOn = failOn;
        StartedAt = startedAt;
    }

    /// <summary>The dump.</summary>
    public string Source { get; }

    /// <summary>The live database, described without credentials.</summary>
    public string Target { get; }

    /// <summary>The problem kinds that trip the gate.</summary>
    public IReadOnlyList<VerifyProblem> FailOn { get; }

    /// <summary>When the check started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Total wall time.</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>Per dump table, in dump order (including tables the live database lacks).</summary>
    public IReadOnlyList<VerifyTableReport> Tables => TablesList;

    internal List<VerifyTableReport> TablesList { get; } = [];

    /// <summary>Live tables matching the filter that the dump has no data for.</summary>
    public IReadOnlyList<TableName> TablesOnlyInLive => TablesOnlyInLiveList;

    internal List<TableName> TablesOnlyInLiveList { get; } = [];

    /// <summary>The sequences the dump sets (those of the checked tables when a table filter is given).</summary>
    public IReadOnlyList<VerifySequenceReport> Sequences => SequencesList;

    internal List<VerifySequenceReport> SequencesList { get; } = [];

    /// <summary>Every problem found, gated or not.</summary>
    public IReadOnlyList<VerifyFinding> Problems => ProblemsList;

    internal List<VerifyFinding> ProblemsList { get; } = [];

    /// <summary>Why the check could not be completed (e.g. a malformed dump), not tied to one table.</summary>
    public IReadOnlyList<string> Errors => ErrorsList;

    internal List<string> ErrorsList { get; } = [];

    /// <summary>True when a table pattern matched no table in the dump or the live database (a typo, most likely); <see cref="Errors"/> names it.</summary>
    public bool InvalidOptions { get; internal set; }

    /// <summary>Things worth knowing not tied to one table (large objects in an archive, an unreadable sequence...).</summary>
    public IReadOnlyList<string> Warnings => WarningsList;

    internal List<string> WarningsList { get; } = [];

    /// <summary>True when everything selected was compared: no run-level errors and no table errors.</summary>
    public bool Completed => Errors.Count == 0 && Tables.All(t => t.Errors.Count == 0);

    /// <summary>True when a problem of a kind in <see cref="FailOn"/> was found.</summary>
    public bool GateTripped => Problems.Any(p => p.Gated);

    /// <summary>True when the check completed and no gated problem was found.</summary>
    public bool Succeeded => Completed && !GateTripped;

    /// <summary>
    /// Writes the report as JSON: <c>{"source", "target", "startedAt", "duration", "completed", "gateTripped", "succeeded",
    /// "failOn": [kind], "errors", "warnings", "problems": [{"kind", "schema", "name", "gated", "message"}],
    /// "tables": [{"schema", "table", "inLive", "compared", "key", "dumpRows", "liveRows", "missing", "liveOnly",
    /// "liveOnlyInDumpRange", "identical", "conflicting", "nullKeys", "dumpMinKey", "dumpMaxKey", "liveMinKey", "liveMaxKey",
    /// "duration", "errors", "warnings"}], "tablesOnlyInLive": [{"schema", "table"}], "sequences": [{"schema", "sequence",
    /// "dumpValue", "dumpIsCalled", "inLive", "liveValue", "liveIsCalled", "behind", "columns": [{"schema", "table", "column",
    /// "liveMax"}]}]}</c>. Kinds are kebab-case (<see cref="VerifyProblems.Name"/>); durations are seconds; the counts
    /// of a table that was not compared are null. Fields may be added, never renamed.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("source", Source);
        writer.WriteString("target", Target);
        writer.WriteString("startedAt", StartedAt);
        writer.WriteNumber("duration", Math.Round(Duration.TotalSeconds, 3));
        writer.WriteBoolean("completed", Completed);
        writer.WriteBoolean("gateTripped", GateTripped);
        writer.WriteBoolean("succeeded", Succeeded);
        JsonText.WriteStrings(writer, "failOn", FailOn.Select(VerifyProblems.Name));
        JsonText.WriteStrings(writer, "errors", Errors);
        JsonText.WriteStrings(writer, "warnings", Warnings);
        writer.WriteStartArray("problems");
        foreach (var p in Problems)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", VerifyProblems.Name(p.Kind));
            writer.WriteString("schema", p.Object.Schema);
            writer.WriteString("name", p.Object.Name);
            writer.WriteBoolean("gated", p.Gated);
            writer.WriteString("message", p.Message);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("tables");
        foreach (var t in Tables)
        {
            writer.WriteStartObject();
            JsonText.WriteTableName(writer, t.Name);
            writer.WriteBoolean("inLive", t.InLive);
            writer.WriteBoolean("compared", t.Compared);
            JsonText.WriteStrings(writer, "key", t.Key);
            writer.WriteNumber("dumpRows", t.DumpRows);
            WriteCount(writer, "liveRows", t.LiveRows, t.Compared);
            WriteCount(writer, "missing", t.Missing, t.Compared);
            WriteCount(writer, "liveOnly", t.LiveOnly, t.Compared);
            WriteCount(writer, "liveOnlyInDumpRange", t.LiveOnlyInDumpRange, t.Compared);
            WriteCount(writer, "identical", t.Identical, t.Compared);
            WriteCount(writer, "conflicting", t.Conflicting, t.Compared);
            WriteCount(writer, "nullKeys", t.NullKeys, t.Compared);
            writer.WriteString("dumpMinKey", t.DumpMinKey);
            writer.WriteString("dumpMaxKey", t.DumpMaxKey);
            writer.WriteString("liveMinKey", t.LiveMinKey);
            writer.WriteString("liveMaxKey", t.LiveMaxKey);
            writer.WriteNumber("duration", Math.Round(t.Duration.TotalSeconds, 3));
            JsonText.WriteStrings(writer, "errors", t.Errors);
            JsonText.WriteStrings(writer, "warnings", t.Warnings);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("tablesOnlyInLive");
        foreach (var name in TablesOnlyInLive)
        {
            writer.WriteStartObject();
            JsonText.WriteTableName(writer, name);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("sequences");
        foreach (var s in Sequences)
        {
            writer.WriteStartObject();
            writer.WriteString("schema", s.Name.Schema);
            writer.WriteString("sequence", s.Name.Name);
            writer.WriteNumber("dumpValue", s.DumpValue);
            writer.WriteBoolean("dumpIsCalled", s.DumpIsCalled);
            writer.WriteBoolean("inLive", s.InLive);
            WriteNullable(writer, "liveValue", s.LiveValue);
            if (s.LiveIsCalled is { } called)
            {
                writer.WriteBoolean("liveIsCalled", called);
            }
            else
            {
                writer.WriteNull("liveIsCalled");
            }

            writer.WriteBoolean("behind", s.Behind);
            writer.WriteStartArray("columns");
            foreach (var c in s.Columns)
            {
                writer.WriteStartObject();
                JsonText.WriteTableName(writer, c.Table);
                writer.WriteString("column", c.Column);
                WriteNullable(writer, "liveMax", c.LiveMax);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The report as indented JSON text.</summary>
    public string ToJson() => JsonText.Render(WriteJson);

    /// <summary>A human summary: one line per table, then sequences, tables on one side only, problems and a verdict.</summary>
    public string ToSummary()
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Verify {DisplayText.Escape(Source)} against {DisplayText.Escape(Target)}\n");
        var width = Math.Max(5, Tables.Count == 0 ? 0 : Tables.Max(t => DisplayText.Name(t.Name).Length));
        b.Append(CultureInfo.InvariantCulture, $"{"table".PadRight(width)}  {"dump",10} {"live",10} {"missing",9} {"live-only",10} {"in-range",9} {"conflict",9}  dump keys / live keys\n");
        foreach (var t in Tables)
        {
            b.Append(DisplayText.Name(t.Name).PadRight(width)).Append("  ");
            if (t.Compared)
            {
                b.Append(CultureInfo.InvariantCulture, $"{t.DumpRows,10} {t.LiveRows,10} {t.Missing,9} {t.LiveOnly,10} {t.LiveOnlyInDumpRange,9} {t.Conflicting,9}  {Range(t.DumpMinKey, t.DumpMaxKey)} / {Range(t.LiveMinKey, t.LiveMaxKey)}\n");
            }
            else
            {
                b.Append(CultureInfo.InvariantCulture, $"{t.DumpRows,10}  {(t.InLive ? "not compared" : "no live table")}\n");
            }

            if (t.NullKeys > 0)
            {
                b.Append(CultureInfo.InvariantCulture, $"    {t.NullKeys} dump rows with a NULL key\n");
            }

            foreach (var error in t.Errors)
            {
                b.Append("    error: ").Append(DisplayText.Escape(error)).Append('\n');
            }

            foreach (var warning in t.Warnings)
            {
                b.Append("    warning: ").Append(DisplayText.Escape(warning)).Append('\n');
            }
        }

        foreach (var name in TablesOnlyInLive)
        {
            b.Append(CultureInfo.InvariantCulture, $"{DisplayText.Name(name).PadRight(width)}  {"-",10}  only in live\n");
        }

        foreach (var s in Sequences)
        {
            b.Append(CultureInfo.InvariantCulture, $"sequence {DisplayText.Name(s.Name)}: dump {s.DumpValue}{(s.DumpIsCalled ? string.Empty : " (not called)")}, live ");
            b.Append(s.InLive
                ? s.LiveValue is { } live ? string.Create(CultureInfo.InvariantCulture, $"{live}{(s.LiveIsCalled == true ? string.Empty : " (not called)")}") : "unreadable"
                : "absent");
            foreach (var c in s.Columns)
            {
                b.Append(CultureInfo.InvariantCulture, $", max {DisplayText.Name(c.Table)}.{DisplayText.Escape(c.Column)} {(c.LiveMax is { } m ? m.ToString(CultureInfo.InvariantCulture) : "-")}");
            }

            b.Append(s.Behind ? "  BEHIND\n" : "\n");
        }

        foreach (var error in Errors)
        {
            b.Append("error: ").Append(DisplayText.Escape(error)).Append('\n');
        }

        foreach (var warning in Warnings)
        {
            b.Append("warning: ").Append(DisplayText.Escape(warning)).Append('\n');
        }

        foreach (var p in Problems)
        {
            b.Append(p.Gated ? "FAIL " : "note ").Append(VerifyProblems.Name(p.Kind)).Append(": ").Append(DisplayText.Escape(p.Message)).Append('\n');
        }

        var gated = Problems.Count(p => p.Gated);
        var verdict = !Completed ? "INCOMPLETE (see errors)" : GateTripped ? "FAILED" : "OK";
        b.Append(CultureInfo.InvariantCulture,
            $"{Tables.Count} tables, {Sequences.Count} sequences: {Problems.Count} problems ({gated} gated), {verdict}, in {Duration.TotalSeconds:F1} s\n");
        return b.ToString();
    }

    private static string Range(string? min, string? max) => min is null ? "-" : $"{DisplayText.Escape(min)}..{DisplayText.Escape(max)}";

    private static void WriteCount(Utf8JsonWriter writer, string name, long value, bool known)
    {
        if (known)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
