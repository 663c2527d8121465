using Selective.Restore.Dump;
using Selective.Restore.Filtering;

namespace Selective.Restore.Apply;

/// <summary>Where in the dump a key's rows are: what a user needs to look at when one key has different rows.</summary>
internal static class DumpKeyLines
{
    /// <summary>The exception's message with the dump lines of its key, when at least two are found.</summary>
    public static async Task<string> DescribeAsync(RepeatedKeyException exception, string dumpPath, string? database, TableMapping mapping, CancellationToken cancellationToken)
    {
        var lines = await FindAsync(dumpPath, database, mapping, exception.Key, cancellationToken).ConfigureAwait(false);
        return lines.Count < 2 ? exception.Message : $"{exception.Message} (dump lines {string.Join(" and ", lines)})";
    }

    /// <summary>
    /// Reads the table's rows again (only on this error path) for up to three lines whose key prints as
    /// <paramref name="key"/> does: exact for keys whose dump text is the server's output (pg_dump writes nothing else).
    /// Lines of an archive count within the table's data.
    /// </summary>
    public static async Task<IReadOnlyList<long>> FindAsync(string dumpPath, string? database, TableMapping mapping, IReadOnlyList<string> key, CancellationToken cancellationToken)
    {
        var targets = mapping.Targets.ToList();
        var positions = mapping.Key.Select(k => targets.FindIndex(t => string.Equals(t?.Name, k, StringComparison.Ordinal))).ToList();
        var lines = new List<long>();
        if (positions.Exists(p => p < 0))
        {
            return lines;
        }

        var name = mapping.Live.Name;
        var only = $"\"{name.Schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".\"{name.Name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        var reader = DumpReader.Open(dumpPath, new DumpReaderOptions { Tables = TableFilter.Create([only]), Database = database });
        await using (reader.ConfigureAwait(false))
        {
            while (lines.Count < 3 && await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } table)
            {
                while (lines.Count < 3 && await table.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var row = table.Current;
                    if (positions.Select((p, i) => string.Equals(row.GetString(p), key[i], StringComparison.Ordinal)).All(same => same))
                    {
                        lines.Add(row.Line);
                    }
                }
            }
        }

        return lines;
    }
}
