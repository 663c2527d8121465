namespace Selective.Restore.Diff;

/// <summary>Dump rows with a NULL key field: counted, with the lines of the first few (they never match, so they are not kept).</summary>
internal sealed class NullKeys
{
    private const int LinesKept = 10;

    public long Rows { get; private set; }

    /// <summary>Lines of the first rows (up to 10).</summary>
    public List<long> Lines { get; } = [];

    public void Add(long lineNumber)
    {
        Rows++;
        if (Lines.Count < LinesKept)
        {
            Lines.Add(lineNumber);
        }
    }
}
