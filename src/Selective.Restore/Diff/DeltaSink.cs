namespace Selective.Restore.Diff;

/// <summary>The rows that differ, spilled: dump rows for the delta, and (a table without a key) the live rows left unpaired.</summary>
internal sealed class DeltaSink(SpillFile delta, string directory) : IDiffSink, IDisposable
{
    /// <summary>Live rows of a table without a key that no dump row matched by text; null when there are none.</summary>
    public SpillFile? LiveOnlyRows { get; private set; }

    public void Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset) => delta.Write(dumpLine, lineNumber, byteOffset);

    public void Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) => delta.Write(dumpLine, lineNumber, byteOffset);

    public void LiveOnly(ReadOnlySpan<byte> liveLine) => (LiveOnlyRows ??= new SpillFile(directory, positions: false)).Write(liveLine, 0, 0);

    public void Dispose() => LiveOnlyRows?.Dispose();
}
