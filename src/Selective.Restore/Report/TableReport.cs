using Selective.Restore.Apply;
using Selective.Restore.Dump;
using Selective.Restore.Identity;

namespace Selective.Restore.Report;

/// <summary>How a table's restore ended.</summary>
public enum TableOutcome
{
    /// <summary>Changes were written and committed (possibly none were needed).</summary>
    Applied,

    /// <summary>Dry run: classified only, nothing written.</summary>
    Planned,

    /// <summary>Nothing was applied to the table; <see cref="TableReport.Errors"/> says why.</summary>
    Failed,

    /// <summary>The live table cannot take the dump's rows and the restore was told to skip such tables; <see cref="TableReport.Warnings"/> says why.</summary>
    Skipped,
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

    /// <summary>Rows inserted.</summary>
    public long Inserted { get; internal set; }

    /// <summary>Live rows overwritten (take-dump or merged).</summary>
    public long Updated { get; internal set; }

    /// <summary>Rows left out: missing rows the filter excluded and conflicts a policy skipped.</summary>
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

    /// <summary>Keys of the collisions (up to the report's key limit), as text in <see cref="KeyColumns"/> order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> CollisionKeys { get; private set; } = [];

    /// <summary>Keys of the undetermined rows (up to the report's key limit).</summary>
    public IReadOnlyList<IReadOnlyList<string>> UndeterminedKeys { get; private set; } = [];

    /// <summary>Keys of the held-back rows (up to the report's key limit).</summary>
    public IReadOnlyList<IReadOnlyList<string>> HeldBackKeys { get; private set; } = [];

    /// <summary>Every dump key that was replaced (up to the report's key limit): remapped rows (old → new key) and relocated ones (dump key → live key).</summary>
    public IReadOnlyList<KeyRemap> Remaps { get; private set; } = [];

    /// <summary>Wall time spent on the table (staging, classification, apply).</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>The outcome.</summary>
    public TableOutcome Outcome { get; internal set; }

    /// <summary>Transaction attempts (more than 1 when a transient failure was retried).</summary>
    public int Attempts { get; internal set; }

    /// <summary>Why the table failed, or problems met on the way.</summary>
    public IList<string> Errors { get; } = [];

    /// <summary>Things worth knowing that did not stop the table (skipped columns, reseeded sequences...).</summary>
    public IList<string> Warnings { get; } = [];

    /// <summary>What was done besides rows (e.g. sequences moved past restored IDs).</summary>
    public IList<string> Notes { get; } = [];

    internal void ResetCounts()
    {
        Missing = Identical = Conflicting = LiveOnly = Inserted = Updated = Skipped = 0;
        Collisions = Remapped = Undetermined = Relocated = HeldBack = 0;
        CollisionKeys = UndeterminedKeys = HeldBackKeys = [];
        Remaps = [];
        Notes.Clear();
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
            default:
                HeldBackKeys = keys;
                break;
        }
    }

    internal void SetRemaps(IReadOnlyList<KeyRemap> remaps) => Remaps = remaps;
}
