using System.Text;
using Selective.Restore.Diff;

namespace Selective.Restore.Tests.Diff;

/// <summary>What a keyed diff must find, computed the plain way (the key is the text before the first tab).</summary>
internal static class DiffReference
{
    public static (DiffCounts Counts, List<string> Missing, List<string> Candidates) Keyed(List<string> dump, List<string> live)
    {
        static string Key(string line) => line[..line.IndexOf('\t', StringComparison.Ordinal)];
        var byKey = dump.ToDictionary(Key, StringComparer.Ordinal);
        long identical = 0, liveOnly = 0;
        var candidates = new List<string>();
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in live)
        {
            if (!byKey.TryGetValue(Key(line), out var dumpLine))
            {
                liveOnly++;
                continue;
            }

            matched.Add(Key(line));
            if (string.Equals(dumpLine, line, StringComparison.Ordinal))
            {
                identical++;
            }
            else
            {
                candidates.Add(dumpLine + "|" + line);
            }
        }

        var missing = dump.Where(l => !matched.Contains(Key(l))).Order(StringComparer.Ordinal).ToList();
        return (new DiffCounts(dump.Count, identical, candidates.Count, missing.Count, live.Count, liveOnly, false, 0), missing, [.. candidates.Order(StringComparer.Ordinal)]);
    }
}

/// <summary>A sink that keeps what the diff sent it, as text.</summary>
internal sealed class RecordingSink : IDiffSink
{
    public List<(string Line, long LineNumber)> Missing { get; } = [];

    public List<(string Dump, string Live, long LineNumber)> Candidates { get; } = [];

    public List<string> LiveOnly { get; } = [];

    public IEnumerable<string> MissingLines => Missing.Select(m => m.Line);

    /// <summary>Candidates as "dump line|live line".</summary>
    public IEnumerable<string> CandidatePairs => Candidates.Select(c => c.Dump + "|" + c.Live);

    void IDiffSink.Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset) =>
        Missing.Add((Encoding.UTF8.GetString(dumpLine), lineNumber));

    void IDiffSink.Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) =>
        Candidates.Add((Encoding.UTF8.GetString(dumpLine), Encoding.UTF8.GetString(liveLine), lineNumber));

    void IDiffSink.LiveOnly(ReadOnlySpan<byte> liveLine) => LiveOnly.Add(Encoding.UTF8.GetString(liveLine));
}
