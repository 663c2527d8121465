using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>
/// Progress of a pass that reads a dump's tables one by one as they come and needs no database (a split, an
/// inspection), reported as staging reports its own: tables numbered as the dump brings them (a table in several
/// blocks keeps its number), an event when one starts and ends, at most one per interval in between, and a last one
/// once the dump has been read, which knows how many tables there were and how far the reader got.
/// </summary>
internal sealed class DumpPassProgress(DumpReader reader, RestorePhase phase, ProgressThrottle throttle)
{
    private readonly ProgressThrottle _throttle = throttle;
    private readonly Dictionary<TableName, int> _numbers = [];
    private readonly HashSet<TableName> _finished = [];
    private int _tablesTotal = reader.TablesSelected; // an archive's TOC says; a script only once it is read
    private DumpTable? _last;

    /// <summary>Progress for <paramref name="progress"/>, or null when nobody asked for it.</summary>
    public static DumpPassProgress? For(DumpReader reader, RestorePhase phase, IProgress<RestoreProgress>? progress, TimeSpan interval)
    {
        if (progress is null)
        {
            return null;
        }

        var pass = new DumpPassProgress(reader, phase, new ProgressThrottle(progress, interval));
        ReportSkips(reader, phase, pass._throttle, () => (pass._finished.Count, pass._tablesTotal));
        return pass;
    }

    /// <summary>
    /// While <paramref name="reader"/> reads past a table the pass leaves out, reports that table (with
    /// <see cref="RestoreProgress.TableNumber"/> 0) and the bytes read, at most once per interval: a long skip is not silent.
    /// </summary>
    public static void ReportSkips(DumpReader reader, RestorePhase phase, ProgressThrottle? throttle, Func<(int Done, int Total)> tables)
    {
        if (throttle is null)
        {
            return;
        }

        reader.WhileSkipping = skipped =>
        {
            var (done, total) = tables();
            throttle.Report(new RestoreProgress(phase, skipped, 0, done, total, 0, -1, reader.InputPosition, reader.InputLength), force: false);
        };
    }

    /// <summary>The reader returned <paramref name="table"/>; none of its rows is read yet.</summary>
    public void Started(DumpTable table)
    {
        _last = table;
        _numbers.TryAdd(table.Name, _numbers.Count + 1);
        Report(table, force: true);
    }

    /// <summary>Rows of <paramref name="table"/> were read: reported when the interval has passed.</summary>
    public void Reading(DumpTable table) => Report(table, force: false);

    /// <summary>Every row of <paramref name="table"/> was read.</summary>
    public void Finished(DumpTable table)
    {
        _finished.Add(table.Name);
        Report(table, force: true);
    }

    /// <summary>The reader has no more tables: the last event, with the number of tables and the bytes read to the end.</summary>
    public void Ended()
    {
        if (_last is { } last)
        {
            _tablesTotal = _numbers.Count;
            Report(last, force: true);
        }
    }

    private void Report(DumpTable table, bool force) =>
        _throttle.Report(
            new RestoreProgress(phase, table.Name, _numbers[table.Name], _finished.Count, _tablesTotal, table.RowsRead, -1, reader.InputPosition, reader.InputLength),
            force);
}
