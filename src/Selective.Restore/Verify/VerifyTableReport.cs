using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>One dump table compared with its live table. Counts are rows; they are meaningful when <see cref="Compared"/>.</summary>
public sealed class VerifyTableReport
{
    internal VerifyTableReport(TableName name) => Name = name;

    /// <summary>The table.</summary>
    public TableName Name { get; }

    /// <summary>False when the live database has no such table.</summary>
    public bool InLive { get; internal set; } = true;

    /// <summary>True when the rows were compared; false when the table is only in the dump or <see cref="Errors"/> says why not.</summary>
    public bool Compared { get; internal set; }

    /// <summary>The key columns rows were matched on (the primary key, or a unique key on NOT NULL columns).</summary>
    public IReadOnlyList<string> Key { get; internal set; } = [];

    /// <summary>Rows of this table in the dump.</summary>
    public long DumpRows { get; internal set; }

    /// <summary>Rows in the live table.</summary>
    public long LiveRows { get; internal set; }

    /// <summary>Dump rows whose key is not in the live table.</summary>
    public long Missing { get; internal set; }

    /// <summary>Live rows whose key is not in the dump.</summary>
    public long LiveOnly { get; internal set; }

    /// <summary>Of <see cref="LiveOnly"/>, the rows whose key lies between <see cref="DumpMinKey"/> and <see cref="DumpMaxKey"/>.</summary>
    public long LiveOnlyInDumpRange { get; internal set; }

    /// <summary>Dump rows equal, column for column, to the live row with the same key.</summary>
    public long Identical { get; internal set; }

    /// <summary>Dump rows whose key is live but some column differs (compared NULL-safely, by what values print as).</summary>
    public long Conflicting { get; internal set; }

    /// <summary>Dump rows with NULL in a key column; they match nothing and are not counted as missing.</summary>
    public long NullKeys { get; internal set; }

    /// <summary>The dump's smallest key as text (a composite key as a row, e.g. <c>(1,2)</c>), or null when there is none.</summary>
    public string? DumpMinKey { get; internal set; }

    /// <summary>The dump's largest key as text, or null.</summary>
    public string? DumpMaxKey { get; internal set; }

    /// <summary>The live table's smallest key as text, or null when it is empty.</summary>
    public string? LiveMinKey { get; internal set; }

    /// <summary>The live table's largest key as text, or null.</summary>
    public string? LiveMaxKey { get; internal set; }

    /// <summary>Wall time spent on the table (staging and comparing).</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>Why the table could not be compared (the check is then incomplete).</summary>
    public IReadOnlyList<string> Errors => ErrorsList;

    internal List<string> ErrorsList { get; } = [];

    /// <summary>Things worth knowing that did not stop the comparison (ignored columns, key choice...).</summary>
    public IReadOnlyList<string> Warnings => WarningsList;

    internal List<string> WarningsList { get; } = [];
}

/// <summary>A sequence the dump sets, compared with the live sequence.</summary>
public sealed class VerifySequenceReport
{
    internal VerifySequenceReport(SequenceValue dump)
    {
        Name = dump.Sequence;
        DumpValue = dump.Value;
        DumpIsCalled = dump.IsCalled;
    }

    /// <summary>The sequence.</summary>
    public TableName Name { get; }

    /// <summary>The value the dump passes to <c>setval</c>.</summary>
    public long DumpValue { get; }

    /// <summary>The dump's <c>is_called</c>: whether <see cref="DumpValue"/> had been handed out.</summary>
    public bool DumpIsCalled { get; }

    /// <summary>False when the live database has no such sequence.</summary>
    public bool InLive { get; internal set; }

    /// <summary>The live <c>last_value</c>, or null when the sequence is absent or could not be read.</summary>
    public long? LiveValue { get; internal set; }

    /// <summary>The live <c>is_called</c>, or null.</summary>
    public bool? LiveIsCalled { get; internal set; }

    /// <summary>True when the live sequence is behind the dump's value or behind a value already in a column it feeds.</summary>
    public bool Behind { get; internal set; }

    /// <summary>The live columns the sequence feeds, with their largest value (null when empty or unreadable).</summary>
    public IReadOnlyList<VerifySequenceColumn> Columns => ColumnsList;

    internal List<VerifySequenceColumn> ColumnsList { get; } = [];
}

/// <summary>A live column fed by a sequence and its largest value.</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column.</param>
/// <param name="LiveMax">The column's largest live value, or null when the table is empty or the column could not be read.</param>
public sealed record VerifySequenceColumn(TableName Table, string Column, long? LiveMax);

/// <summary>A problem the check found.</summary>
/// <param name="Kind">What kind of problem.</param>
/// <param name="Object">The table or sequence it concerns.</param>
/// <param name="Message">One sentence for people.</param>
/// <param name="Gated">True when <paramref name="Kind"/> was named in <see cref="VerifyBuilder.FailOn"/>.</param>
public sealed record VerifyFinding(VerifyProblem Kind, TableName Object, string Message, bool Gated);
