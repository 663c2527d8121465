using System.Diagnostics;
using System.Globalization;

namespace Selective.Restore.Cli.Display;

/// <summary>
/// The latest <see cref="RestoreProgress"/> and what a person wants from it: how far the pass is, how fast it goes,
/// how long it may take, in words. Not thread-safe: the displays lock around it.
/// </summary>
internal sealed class ProgressState(string waiting)
{
    /// <summary>What a run that compares with a database does before its first report.</summary>
    public const string Connecting = "connecting, opening the dump";

    private readonly long _started = Stopwatch.GetTimestamp();
    private long _passStarted = Stopwatch.GetTimestamp();
    private long _passStartBytes;
    private long _tableStarted = Stopwatch.GetTimestamp();

    // The apply pass is weighed by the tables' dump rows, which staging counted: one big table is most of the work.
    private readonly Dictionary<TableName, long> _dumpRows = [];
    private readonly HashSet<TableName> _applied = [];
    private long _appliedWeight;

    /// <summary>The latest report, or null before the first.</summary>
    public RestoreProgress? Latest { get; private set; }

    /// <summary>Whether the latest report is of the apply pass (diffing and applying), not of a pass that reads the dump.</summary>
    public bool InApplyPass => Latest is { Phase: RestorePhase.Diffing or RestorePhase.Applying };

    /// <summary>Whether <paramref name="phase"/> reads the dump (staging, splitting, inspecting): weighed by its bytes.</summary>
    private static bool ReadsDump(RestorePhase phase) => phase is RestorePhase.Staging or RestorePhase.Splitting or RestorePhase.Inspecting;

    public void Update(RestoreProgress value)
    {
        var now = Stopwatch.GetTimestamp();
        if (Latest is not { } last || ReadsDump(last.Phase) != ReadsDump(value.Phase))
        {
            _passStarted = now;
            _passStartBytes = value.Bytes;
        }

        if (Latest is not { } previous || previous.Phase != value.Phase || previous.Table != value.Table)
        {
            _tableStarted = now;
        }

        if (value.Phase == RestorePhase.Staging && value.TableNumber > 0)
        {
            _dumpRows[value.Table] = value.Rows;
        }
        else if (value.TablesDone >= value.TableNumber && _applied.Add(value.Table))
        {
            _appliedWeight += Weight(value.TableRows);
        }

        Latest = value;
    }

    /// <summary>A table's share of the apply pass: its rows, and a little for the statements any table costs.</summary>
    private static long Weight(long rows) => Math.Max(rows, 0) + 100;

    /// <summary>
    /// How far the pass is, from 0 to 1, or null when nothing says: staging by the dump's bytes (or its tables, when an
    /// archive's TOC counts them and the size is unknown); the apply pass by the dump rows of its tables (as staging
    /// counted them), the table being diffed for the part of its rows compared.
    /// </summary>
    public double? Fraction
    {
        get
        {
            if (Latest is not { } p)
            {
                return null;
            }

            if (ReadsDump(p.Phase))
            {
                return p.BytesTotal > 0 ? Math.Clamp((double)p.Bytes / p.BytesTotal, 0, 1)
                    : p.TablesTotal > 0 ? (double)p.TablesDone / p.TablesTotal
                    : null;
            }

            if (p.TablesTotal <= 0)
            {
                return null;
            }

            // Diffing is most of a table's time; writing is one statement.
            var within = p.TablesDone >= p.TableNumber ? 0
                : p.Phase == RestorePhase.Diffing && p.TableRows > 0 ? 0.8 * Math.Min(1, (double)p.Rows / p.TableRows)
                : p.Phase == RestorePhase.Applying ? 0.9
                : 0;
            var total = _dumpRows.Values.Sum(Weight);
            if (total <= _appliedWeight)
            {
                // Staging counted nothing this display saw: by tables.
                return Math.Min(1, (p.TablesDone + within) / p.TablesTotal);
            }

            var done = _appliedWeight + (p.TablesDone >= p.TableNumber ? 0 : within * Weight(p.TableRows));
            return Math.Min(1, done / total);
        }
    }

    /// <summary>Time since the display began.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>About how long the pass has left, from its pace so far; null while too little is done to tell.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            var fraction = Fraction;
            var elapsed = Stopwatch.GetElapsedTime(_passStarted);
            return fraction is > 0.01 and < 1 && elapsed > TimeSpan.FromSeconds(1)
                ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction.Value) / fraction.Value)
                : null;
        }
    }

    /// <summary>What the phase is doing, as a verb: "staging", "diffing", "applying", "splitting", "inspecting".</summary>
    public static string Verb(RestorePhase phase) => phase switch
    {
        RestorePhase.Staging => "staging",
        RestorePhase.Diffing => "diffing",
        RestorePhase.Splitting => "splitting",
        RestorePhase.Inspecting => "inspecting",
        _ => "applying",
    };

    /// <summary>
    /// The phase and table, e.g. <c>staging public.orders</c> (<c>staging: skipping public.audit</c> while reading past a
    /// table left out), or <c>starting</c> before the first report (connecting, opening or reading the dump).
    /// </summary>
    public string Title => Latest switch
    {
        null => "starting",
        { TableNumber: 0 } p => $"{Verb(p.Phase)}: skipping {DisplayText.Escape(p.Table.ToString())}",
        { } p => $"{Verb(p.Phase)} {DisplayText.Escape(p.Table.ToString())}",
    };

    /// <summary>The counts and the rate, e.g. <c>table 3/12, 1,234,567 rows, 120.0 of 800.0 MB read, 45.2 MB/s</c>.</summary>
    public string Detail
    {
        get
        {
            if (Latest is not { } p)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{waiting} ({Duration(Elapsed)})");
            }

            var total = p.TablesTotal >= 0 ? p.TablesTotal.ToString(CultureInfo.InvariantCulture) : "?";
            var table = p.TableNumber > 0
                ? string.Create(CultureInfo.InvariantCulture, $"table {p.TableNumber}/{total}")
                : string.Create(CultureInfo.InvariantCulture, $"not selected, {p.TablesDone}/{total} tables done");
            if (ReadsDump(p.Phase))
            {
                var seconds = Stopwatch.GetElapsedTime(_passStarted).TotalSeconds;
                var rate = seconds > 0.5 ? string.Create(CultureInfo.InvariantCulture, $", {(p.Bytes - _passStartBytes) / seconds / 1e6:0.0} MB/s") : string.Empty;
                var read = p.BytesTotal >= 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{p.Bytes / 1e6:0.0} of {p.BytesTotal / 1e6:0.0} MB read")
                    : string.Create(CultureInfo.InvariantCulture, $"{p.Bytes / 1e6:0.0} MB read");
                return p.TableNumber > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{table}, {p.Rows:N0} rows, {read}{rate}")
                    : string.Create(CultureInfo.InvariantCulture, $"{table}, {read}{rate}");
            }

            var tableSeconds = Stopwatch.GetElapsedTime(_tableStarted).TotalSeconds;
            var rowRate = tableSeconds > 0.5 && p.Rows > 0 ? string.Create(CultureInfo.InvariantCulture, $", {p.Rows / tableSeconds:N0} rows/s") : string.Empty;
            return p.Phase == RestorePhase.Diffing
                ? string.Create(CultureInfo.InvariantCulture, $"{table}, {p.Rows:N0} live rows read (the dump has {Math.Max(p.TableRows, 0):N0}){rowRate}")
                : string.Create(CultureInfo.InvariantCulture, $"{table}, {p.Rows:N0} rows written");
        }
    }

    /// <summary>One plain line: title, detail, how far, time left.</summary>
    public string Line()
    {
        var percent = Fraction is { } fraction ? string.Create(CultureInfo.InvariantCulture, $", {fraction * 100:0}%") : string.Empty;
        var left = Remaining is { } remaining ? $", about {Duration(remaining)} left" : string.Empty;
        return $"{Title}: {Detail}{percent}{left} ({Duration(Elapsed)} elapsed)";
    }

    /// <summary>A duration for people: <c>42s</c>, <c>3m05s</c>, <c>1h02m</c>.</summary>
    public static string Duration(TimeSpan time) =>
        time.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}h{time.Minutes:00}m")
        : time.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}m{time.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalSeconds}s");
}
