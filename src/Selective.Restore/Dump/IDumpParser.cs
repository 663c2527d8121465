namespace Selective.Restore.Dump;

/// <summary>
/// One dump format's reader behind <see cref="DumpReader"/>: yields the selected tables in dump order, each a
/// <see cref="DumpTable"/> whose rows are COPY text lines (the neutral form every target stages).
/// </summary>
internal interface IDumpParser : IDisposable
{
    /// <summary>The dump's character encoding as the dump states it, or null when not (yet) known.</summary>
    string? Encoding { get; }

    /// <summary>Whether string literals follow <c>standard_conforming_strings</c> (PostgreSQL sources only).</summary>
    bool StandardConformingStrings { get; }

    /// <summary>The database the tables come from, when the dump names it (a pg_dumpall's or <c>pg_dump -C</c>'s <c>\connect</c>, an archive's header); otherwise null.</summary>
    string? Database => null;

    /// <summary>Sequence positions read so far.</summary>
    IReadOnlyList<SequenceValue> Sequences { get; }

    /// <summary>Session settings statements to replay before loading a table's data (may be empty).</summary>
    IEnumerable<string> SettingStatements { get; }

    /// <summary>Things in the dump that are reported but not read as table rows (large objects...).</summary>
    IReadOnlyList<string> Notices { get; }

    /// <summary>Whether the dump is known to be whole; <see cref="DumpCompleteness.Unknown"/> until the end has been reached.</summary>
    DumpCompleteness Completeness { get; }

    /// <summary>Why <see cref="Completeness"/> is <see cref="DumpCompleteness.Incomplete"/>, as a sentence; null otherwise.</summary>
    string? IncompleteReason => null;

    /// <summary>Bytes of input consumed so far, for progress.</summary>
    long BytesRead { get; }

    /// <summary>Tables the filter left out so far.</summary>
    long TablesSkipped { get; }

    /// <summary>Moves to the next selected table, skipping what is left of the current one; null at the end.</summary>
    ValueTask<DumpTable?> NextTableAsync(bool async, CancellationToken cancellationToken);
}
