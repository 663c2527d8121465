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
/// many small ones follow). With parallel jobs, a job never sends to disk a store another job is using (it may be
/// reading it): each job names the stores it uses (<see cref="BeginJob"/>), and the stores it makes are its own.
/// </summary>
internal sealed class MemoryGauge
{
    // A plain monitor, not a Lock: a job starting waits (Monitor.Wait) for an eviction of its stores to end.
#pragma warning disable MA0158 // Monitor.Wait needs an object
    private readonly object _lock = new();
#pragma warning restore MA0158
    private readonly HashSet<IMemoryHolder> _stores = [];
    private readonly Dictionary<IMemoryHolder, Job> _users = [];
    private readonly HashSet<IMemoryHolder> _evicting = [];
    private readonly AsyncLocal<Job?> _job = new();
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

    /// <summary>
    /// Records that <paramref name="store"/> now holds <paramref name="delta"/> bytes more (or fewer); returns the store to
    /// evict, if the sum is over <paramref name="budget"/>: pass it to <see cref="Evict"/>.
    /// </summary>
    public IMemoryHolder? Change(IMemoryHolder store, long delta, long budget)
    {
        lock (_lock)
        {
            _bytes += delta;
            var job = _job.Value;
            if (delta > 0)
            {
                _stores.Add(store);
                if (job is not null)
                {
                    // A store a job grows is its own until the job ends (one it named already stays so).
                    _users.TryAdd(store, job);
                }
            }

            if (_bytes <= budget)
            {
                return null;
            }

            IMemoryHolder? largest = null;
            foreach (var candidate in _stores)
            {
                if (_evicting.Contains(candidate) || (_users.TryGetValue(candidate, out var user) && user != job))
                {
                    continue;
                }

                if (largest is null || candidate.ResidentBytes > largest.ResidentBytes)
                {
                    largest = candidate;
                }
            }

            if (largest is not null)
            {
                _evicting.Add(largest);
            }

            return largest;
        }
    }

    /// <summary>Moves <paramref name="holder"/> (returned by <see cref="Change"/>) to disk; jobs waiting to use it go on after.</summary>
    public void Evict(IMemoryHolder holder)
    {
        try
        {
            holder.Evict();
        }
        finally
        {
            lock (_lock)
            {
                _evicting.Remove(holder);
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>
    /// A parallel job starts in this flow, using <paramref name="holders"/> (its tables' stores and key maps, and those
    /// of the tables it reads): no other job evicts them, nor the stores this flow makes, until the job is disposed.
    /// Waits while another job is moving one of them to disk.
    /// </summary>
    public IDisposable BeginJob(IEnumerable<IMemoryHolder> holders)
    {
        var job = new Job(this);
        var used = holders.Distinct().ToList();
        lock (_lock)
        {
            while (used.Exists(_evicting.Contains))
            {
                Monitor.Wait(_lock);
            }

            foreach (var holder in used)
            {
                // One another job uses stays theirs: this job only reads it (a parent's key map, which nobody writes now).
                _users.TryAdd(holder, job);
            }
        }

        _job.Value = job;
        return job;
    }

    private void EndJob(Job job)
    {
        lock (_lock)
        {
            foreach (var holder in _users.Where(u => u.Value == job).Select(u => u.Key).ToList())
            {
                _users.Remove(holder);
            }
        }

        _job.Value = null;
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

    /// <summary>A parallel job's claim on the stores it uses.</summary>
    private sealed class Job(MemoryGauge gauge) : IDisposable
    {
        public void Dispose() => gauge.EndJob(this);
    }
}
