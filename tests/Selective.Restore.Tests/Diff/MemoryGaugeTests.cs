using Selective.Restore.Diff;

namespace Selective.Restore.Tests.Diff;

/// <summary>The shared memory budget under parallel jobs (issue 15): a job never sends to disk what another job is using.</summary>
public sealed class MemoryGaugeTests
{
    private const long Budget = 1000;

    [Test]
    public void Without_jobs_the_largest_store_is_evicted()
    {
        var gauge = new MemoryGauge();
        var big = new Holder(gauge, 600);
        var small = new Holder(gauge, 300);

        var evict = small.Grow(200);

        evict.ShouldBeSameAs(big);
        gauge.Evict(evict!);
        big.Evictions.ShouldBe(1);
        gauge.Bytes.ShouldBe(500);
    }

    [Test]
    public async Task A_job_evicts_its_own_or_idle_stores_never_those_another_job_uses()
    {
        var gauge = new MemoryGauge();
        var othersBig = new Holder(gauge, 600);
        var idle = new Holder(gauge, 300);
        var mine = new Holder(gauge, 50);
        using var othersRunning = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);

        // Another job uses the largest store until told to end.
        var other = Task.Run(async () =>
        {
            using var job = gauge.BeginJob([othersBig]);
            othersRunning.Release();
            await done.WaitAsync();
        });
        await othersRunning.WaitAsync();

        var evicted = await Task.Run(() =>
        {
            using var job = gauge.BeginJob([mine]);
            var first = mine.Grow(100); // 1050 > 1000: not the other job's 600, the idle 300 (more than this job's 150)
            gauge.Evict(first!);
            var second = mine.Grow(400); // 1150: the other job's store is still theirs; this job's own goes
            gauge.Evict(second!);
            return (first, second);
        });

        evicted.first.ShouldBeSameAs(idle);
        evicted.second.ShouldBeSameAs(mine);
        othersBig.Evictions.ShouldBe(0);
        done.Release();
        await other;

        // The job ended: its store is anybody's again.
        new Holder(gauge, 0).Grow(500).ShouldBeSameAs(othersBig);
    }

    [Test]
    public async Task A_job_that_starts_waits_for_the_eviction_of_a_store_it_uses()
    {
        var gauge = new MemoryGauge();
        using var evicting = new SemaphoreSlim(0);
        using var finish = new ManualResetEventSlim();
        var store = new Holder(gauge, 900) { OnEvict = () => { evicting.Release(); finish.Wait(); } };

        // A job grows its own store over the budget: the idle one goes to disk, slowly.
        var eviction = Task.Run(() =>
        {
            using var job = gauge.BeginJob([]);
            var grower = new Holder(gauge, 0);
            gauge.Evict(grower.Grow(200)!);
        });
        await evicting.WaitAsync();

        var started = Task.Run(() => gauge.BeginJob([store]).Dispose());
        started.Wait(TimeSpan.FromMilliseconds(200)).ShouldBeFalse("the job must not use a store while it goes to disk");
        finish.Set();
        await eviction;
        await started;
        store.Evictions.ShouldBe(1);
    }

    private sealed class Holder : IMemoryHolder
    {
        private readonly MemoryGauge _gauge;

        public Holder(MemoryGauge gauge, long bytes)
        {
            _gauge = gauge;
            if (bytes > 0)
            {
                _gauge.Change(this, bytes, long.MaxValue);
                ResidentBytes = bytes;
            }
        }

        public long ResidentBytes { get; private set; }

        public int Evictions { get; private set; }

        public Action? OnEvict { get; init; }

        public IMemoryHolder? Grow(long bytes)
        {
            ResidentBytes += bytes;
            return _gauge.Change(this, bytes, Budget);
        }

        public void Evict()
        {
            OnEvict?.Invoke();
            Evictions++;
            _gauge.Release(this, ResidentBytes);
            ResidentBytes = 0;
        }
    }
}
