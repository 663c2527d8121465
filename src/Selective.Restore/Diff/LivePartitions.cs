namespace Selective.Restore.Diff;

/// <summary>
/// Live rows routed to the hash partitions of a <see cref="DumpRowStore"/> ahead of the join. Routing needs only the
/// store's hash seed and partition count, not its rows, so the live table can stream out while the dump is still being
/// read: the two longest steps of a restore overlap.
/// </summary>
internal sealed class LivePartitions : IDisposable
{
    private LivePartitions(SpillFile[] parts, int salt)
    {
        Parts = parts;
        Salt = salt;
    }

    internal SpillFile[] Parts { get; }

    internal int Salt { get; }

    /// <summary>Live rows read.</summary>
    public long Rows { get; private set; }

    /// <summary>Live rows with a NULL key field (they match nothing; not routed).</summary>
    public long NullKeys { get; private set; }

    public long SpillBytes => Parts.Sum(p => p.Length);

    /// <summary>Reads every live row and writes it to its partition.</summary>
    public static async ValueTask<LivePartitions> RouteAsync(CopyLineReader live, IReadOnlyList<int> liveKey, int salt, DiffOptions options, bool async, CancellationToken cancellationToken)
    {
        var parts = KeyedDiff.Create(options.Partitions, options.TempDirectory ?? Path.GetTempPath(), positions: false);
        var routed = new LivePartitions(parts, salt);
        try
        {
            var keys = new KeyBuffer();
            var ordinals = liveKey.ToArray();
            while (await live.ReadAsync(async, cancellationToken).ConfigureAwait(false))
            {
                routed.Rows++;
                var key = keys.Of(live.Line, ordinals, live.LineNumber, out var isNull);
                if (isNull)
                {
                    routed.NullKeys++;
                    continue;
                }

                parts[DumpRowStore.Partition(RowArena.Hash(key, salt), parts.Length)].Write(live.Line, 0, 0);
            }

            return routed;
        }
        catch
        {
            routed.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var part in Parts)
        {
            part.Dispose();
        }
    }
}
