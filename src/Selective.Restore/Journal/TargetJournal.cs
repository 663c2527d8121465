using Selective.Restore.Providers;

namespace Selective.Restore.Journal;

/// <summary>
/// A journal kept in a table of the target database (created if absent), one row per committed table and run
/// fingerprint. Each row is written in the table's own transaction, so it exists exactly when that table's changes do:
/// a kill at any point leaves the journal exact, and an undo part written before the commit is adopted on resume only
/// when its checkpoint row exists.
/// </summary>
internal sealed class TargetJournal : RestoreJournal
{
    private readonly IRestoreTarget _target;
    private readonly TableName _table;
    private readonly string _fingerprint;

    private TargetJournal(IRestoreTarget target, TableName table, string fingerprint, Dictionary<TableName, JournalEntry> completed)
        : base(completed)
    {
        _target = target;
        _table = table;
        _fingerprint = fingerprint;
    }

    public override string Location => $"table {_table} in {_target.Description}";

    public static async Task<TargetJournal> OpenAsync(IRestoreTarget target, TableName table, string fingerprint, CancellationToken cancellationToken)
    {
        var completed = new Dictionary<TableName, JournalEntry>();
        foreach (var line in await target.ReadJournalAsync(table, fingerprint, cancellationToken).ConfigureAwait(false))
        {
            if (TryReadEntry(line, out var entry))
            {
                completed[entry.Report.Name] = entry;
            }
        }

        return new TargetJournal(target, table, fingerprint, completed);
    }

    public override Task RecordAsync(TableReport report, bool hasKeyMap, string? undoPart, IReadOnlyList<RowWitness> witnesses, long transactionId, CancellationToken cancellationToken) =>
        _target.RecordJournalAsync(_table, _fingerprint, report.Name, Entry(report, hasKeyMap, undoPart, witnesses), cancellationToken);
}
