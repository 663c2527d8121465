namespace Selective.Restore.Diff;

/// <summary>
/// What a table's dump rows got wrong about their key, as a store found it: rows with a NULL key field (never matched,
/// not kept), rows that repeat an earlier row exactly (kept once), and different rows under one key (the first few
/// with both lines). Repeats and duplicates may be found by several join threads at once.
/// </summary>
internal sealed class KeyProblems
{
    private const int Kept = 10;

    private readonly Lock _lock = new();
    private readonly List<DuplicateKey> _duplicates = [];

    public long NullKeyRows { get; private set; }

    /// <summary>Lines of the first rows with a NULL key field (up to 10).</summary>
    public List<long> NullKeyLines { get; } = [];

    /// <summary>Rows that repeated an earlier row exactly.</summary>
    public long Repeats { get; private set; }

    /// <summary>Different rows under one key (up to 10 examples; <see cref="DuplicateCount"/> counts all).</summary>
    public IReadOnlyList<DuplicateKey> Duplicates => _duplicates;

    public long DuplicateCount { get; private set; }

    public void NullKey(long lineNumber)
    {
        NullKeyRows++;
        if (NullKeyLines.Count < Kept)
        {
            NullKeyLines.Add(lineNumber);
        }
    }

    public void Repeat()
    {
        // Repeats and duplicates are rare: a lock costs nothing.
        lock (_lock)
        {
            Repeats++;
        }
    }

    /// <summary>Two different rows under <paramref name="key"/> (raw key text), at two dump lines in either order.</summary>
    public void Duplicate(ReadOnlySpan<byte> key, long oneLine, long otherLine)
    {
        var duplicate = new DuplicateKey(System.Text.Encoding.UTF8.GetString(key), Math.Min(oneLine, otherLine), Math.Max(oneLine, otherLine));
        lock (_lock)
        {
            DuplicateCount++;
            if (_duplicates.Count < Kept)
            {
                _duplicates.Add(duplicate);
            }
        }
    }
}
