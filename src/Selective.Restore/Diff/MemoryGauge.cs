namespace Selective.Restore.Diff;

/// <summary>What holds dump data in memory under a <see cref="MemoryGauge"/>, and can move it to disk.</summary>
internal interface IMemoryHolder
{
    /// <summary>Bytes held in memory now.</summary>
    long ResidentBytes { get; }

    /// <summary>Moves what it holds to disk (and tells the gauge).</summary>
    void Evict();
}

/// <summary>
/// The memory budget shared by every <see cref="IMemoryHolder"/> made with one <see cref="DiffOptions"/>: a restore holds
/// the dump rows of all its tables until each table's turn, so the budget must bound their sum, not each table. Over
/// the budget, the store holding the most goes to disk (usually the table being read; a big table read earlier when
/// many small ones follow).
/// </summary>
internal sealed class MemoryGauge
{
    private readonly Lock _lock = new();
    private readonly HashSet<IMemoryHolder> _stores = [];
    private long _bytes;

    /// <summary>Bytes held in memory by all stores.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Records that <paramref name="store"/> now holds <paramref name="delta"/> bytes more (or fewer); returns the store to evict, if the sum is over <paramref name="budget"/>.</summary>
    public IMemoryHolder? Change(IMemoryHolder store, long delta, long budget)
    {
        lock (_lock)
        {
            _bytes += delta;
            if (delta > 0)
            {
                _stores.Add(store);
            }

            if (_bytes <= budget)
            {
                return null;
            }

            IMemoryHolder? largest = null;
            foreach (var candidate in _stores)
            {
                if (largest is null || candidate.ResidentBytes > largest.ResidentBytes)
                {
                    largest = candidate;
                }
            }

            return largest;
        }
    }

    /// <summary>
    /// After a holder let go of <paramref name="freedBytes"/> (moved to disk, or done with): a large amount is returned
    /// to the system at once. Chunks that lived long sit in the oldest generation (or the large object heap), which
    /// is only collected when the heap has grown again by as much: without this, the budget's worth of garbage and
    /// the next budget's worth of data would both count in the process's memory.
    /// </summary>
    public static void Collect(long freedBytes)
    {
        if (freedBytes >= 16L << 20)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
    }

    /// <summary>A store that holds nothing in memory any more.</summary>
    public void Release(IMemoryHolder store, long bytes)
    {
        lock (_lock)
        {
            _bytes -= bytes;
            _stores.Remove(store);
        }
    }
}
