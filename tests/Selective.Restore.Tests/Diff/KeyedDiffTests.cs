using System.Text;
using Selective.Restore.Diff;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Diff;

/// <summary>
/// The engine-side diff against a plain dictionary reference, in memory and through spill partitions (a budget small
/// enough to force them, and partitions that must split again): same classes, same rows, whatever the path.
/// </summary>
public sealed class KeyedDiffTests
{
    private static readonly DiffOptions InMemory = new();

    // 64 KiB (the least) and 2 partitions: a few thousand rows spill, and each partition still exceeds the budget.
    private static readonly DiffOptions Tiny = new() { MemoryBudget = 64 * 1024, Partitions = 2 };

    private sealed record Outcome(DiffCounts Counts, RecordingSink Sink, DumpRowStore Store);

    private static async Task<Outcome> RunAsync(IReadOnlyList<string> dump, IReadOnlyList<string> live, DiffOptions options, RowLayout? layout = null, bool async = true)
    {
        layout ??= new RowLayout([0], [0]);
        var store = new DumpRowStore(layout.DumpKey, options);
        var liveText = string.Concat(live.Select(l => l + "\n"));
        var reader = new CopyLineReader(new MemoryStream(Encoding.UTF8.GetBytes(liveText)));

        for (var i = 0; i < dump.Count; i++)
        {
            store.Add(Encoding.UTF8.GetBytes(dump[i]), i + 1, i * 100);
        }

        var sink = new RecordingSink();
        var counts = async
            ? await KeyedDiff.RunAsync(store, reader, layout, sink, async: true, CancellationToken.None)
            : SyncPath.Complete(KeyedDiff.RunAsync(store, reader, layout, sink, async: false, CancellationToken.None));
        // Timings are not part of the result being checked.
        return new Outcome(counts with { LiveTime = default, JoinTime = default }, sink, store);
    }

    [Test]
    public async Task Classifies_missing_identical_candidate_and_live_only()
    {
        var outcome = await RunAsync(
            ["1\talice", "2\tbob", "3\tcarol", "4\t\\N"],
            ["2\tbob", "3\tCAROL", "4\t", "5\teve"],
            InMemory);

        outcome.Counts.ShouldBe(new DiffCounts(DumpRows: 4, Identical: 1, Candidates: 2, Missing: 1, LiveRows: 4, LiveOnly: 1, Spilled: false, SpillBytes: 0));
        outcome.Sink.Missing.ShouldBe([("1\talice", 1L)]);
        outcome.Sink.Candidates.ShouldBe([("3\tcarol", "3\tCAROL", 3L), ("4\t\\N", "4\t", 4L)], ignoreOrder: true);
    }

    [Test]
    public async Task A_null_key_matches_nothing_on_either_side()
    {
        var layout = new RowLayout([0, 1], [0, 1]);
        var outcome = await RunAsync(["\\N\tx\tdump", "1\ty\tdump"], ["\\N\tx\tlive", "1\ty\tdump"], InMemory, layout);

        outcome.Store.Problems.NullKeyRows.ShouldBe(1);
        outcome.Store.Problems.NullKeyLines.ShouldBe([1L]);
        outcome.Counts.Identical.ShouldBe(1);
        outcome.Counts.LiveOnly.ShouldBe(1, "the live row with a NULL key field is not the dump row's counterpart");
        outcome.Counts.Missing.ShouldBe(0);
    }

    [Test]
    public async Task Composite_keys_match_field_by_field()
    {
        // ("ab","c") and ("a","bc") would be one key if fields were joined without a separator.
        var layout = new RowLayout([0, 1], [0, 1]);
        var outcome = await RunAsync(["ab\tc\t1", "a\tbc\t2"], ["a\tbc\t2", "ab\tc\t9"], InMemory, layout);

        outcome.Counts.Identical.ShouldBe(1);
        outcome.Counts.Candidates.ShouldBe(1);
        outcome.Sink.Candidates.ShouldHaveSingleItem().Dump.ShouldBe("ab\tc\t1");
    }

    [Test]
    public async Task Keys_compare_as_raw_text_escapes_included()
    {
        var outcome = await RunAsync(["a\\tb\t1", "a\\\\tb\t2"], ["a\\tb\t1", "a\tb\t2"], InMemory);

        outcome.Counts.Identical.ShouldBe(1);
        outcome.Counts.Missing.ShouldBe(1);
        outcome.Sink.Missing.ShouldHaveSingleItem().Line.ShouldBe("a\\\\tb\t2");
    }

    [Test]
    public async Task Compares_only_the_columns_both_sides_have()
    {
        // Dump: id, name, extra (not live). Live: name, id, created (not in the dump).
        var layout = new RowLayout([0], [1], DumpCompared: [0, 1], LiveCompared: [1, 0]);
        var outcome = await RunAsync(["1\tann\tx", "2\tbo\ty"], ["ann\t1\t2026-01-01", "BO\t2\t2026-01-01"], InMemory, layout);

        outcome.Counts.Identical.ShouldBe(1);
        outcome.Counts.Candidates.ShouldBe(1);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_repeated_row_is_kept_once_and_a_different_one_is_a_duplicate_key(bool spill)
    {
        var dump = new List<string> { "1\ta", "2\tb", "1\ta", "2\tB" };
        dump.AddRange(Enumerable.Range(10, spill ? 5000 : 0).Select(i => $"{i}\tfiller {i}"));
        var outcome = await RunAsync(dump, ["1\ta"], spill ? Tiny : InMemory);

        outcome.Counts.Spilled.ShouldBe(spill);
        outcome.Store.Problems.Repeats.ShouldBe(1);
        outcome.Store.Problems.DuplicateCount.ShouldBe(1);
        outcome.Store.Problems.Duplicates.ShouldBe([new DuplicateKey("2", 2, 4)]);
    }

    [TestCase(500, 0)]
    [TestCase(20_000, 1)]
    [TestCase(20_000, 2)]
    [TestCase(60_000, 3)]
    public async Task Spilled_and_in_memory_diffs_agree_with_a_reference(int rows, int seed)
    {
        var random = new Random(seed);
        var dump = new List<string>();
        var live = new List<string>();
        for (var i = 0; i < rows; i++)
        {
            var line = $"{i}\tname {i} {new string('x', random.Next(0, 40))}\t{(random.Next(10) == 0 ? "\\N" : "v")}";
            var roll = random.Next(100);
            if (roll < 90)
            {
                dump.Add(line);
            }

            if (roll is < 80 or >= 95)
            {
                live.Add(roll < 5 ? line + "edited" : line);
            }
        }

        // Neither side is ordered.
        dump = [.. dump.OrderBy(_ => random.Next())];
        live = [.. live.OrderBy(_ => random.Next())];

        var expected = DiffReference.Keyed(dump, live);
        foreach (var (options, async) in new[] { (InMemory, true), (Tiny, true), (Tiny, false) })
        {
            var outcome = await RunAsync(dump, live, options, async: async);
            if (rows >= 20_000)
            {
                outcome.Counts.Spilled.ShouldBe(options == Tiny);
            }

            (outcome.Counts with { Spilled = false, SpillBytes = 0 }).ShouldBe(expected.Counts);
            outcome.Sink.Missing.Select(m => m.Line).Order(StringComparer.Ordinal).ShouldBe(expected.Missing);
            outcome.Sink.Candidates.Select(c => c.Dump + "|" + c.Live).Order(StringComparer.Ordinal).ShouldBe(expected.Candidates);
        }
    }


    private static readonly RowLayout Multiset = new([], []);

    [Test]
    public async Task A_table_without_a_key_is_diffed_as_a_multiset_of_whole_rows()
    {
        var outcome = await RunAsync(["a\t1", "a\t1", "a\t1", "b\t\\N"], ["a\t1", "b\t\\N", "b\t\\N", "c\t2"], InMemory, Multiset);

        // "this row occurs 3 times in the dump and once live: 2 missing"; a NULL field is a value like any other here.
        outcome.Counts.ShouldBe(new DiffCounts(DumpRows: 4, Identical: 2, Candidates: 0, Missing: 2, LiveRows: 4, LiveOnly: 2, Spilled: false, SpillBytes: 0));
        outcome.Sink.Missing.ShouldBe([("a\t1", 1L), ("a\t1", 1L)]);
        outcome.Sink.LiveOnly.Order(StringComparer.Ordinal).ToList().ShouldBe(["b\t\\N", "c\t2"], customMessage: "unmatched live copies go to the sink, for the typed pairing");
        outcome.Store.Problems.Repeats.ShouldBe(0, "copies are the multiset's content, not repeats");
    }

    [TestCase(30_000, 7)]
    [TestCase(60_000, 8)]
    public async Task Multiset_diffs_agree_with_a_reference_in_memory_and_spilled(int rows, int seed)
    {
        var random = new Random(seed);
        var dump = new List<string>();
        var live = new List<string>();
        for (var i = 0; i < rows; i++)
        {
            // Few distinct rows, many copies: every copy count from 0 to 3 on each side.
            var line = $"log {random.Next(rows / 4)}\t{(random.Next(5) == 0 ? "\\N" : "x")}";
            if (random.Next(3) > 0)
            {
                dump.Add(line);
            }

            if (random.Next(3) > 0)
            {
                live.Add(line);
            }
        }

        var dumpCounts = dump.CountBy(l => l, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var liveCounts = live.CountBy(l => l, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        long identical = 0, missing = 0, liveOnly = 0;
        var expectedMissing = new List<string>();
        foreach (var (line, count) in dumpCounts)
        {
            var matched = Math.Min(count, liveCounts.GetValueOrDefault(line));
            identical += matched;
            missing += count - matched;
            expectedMissing.AddRange(Enumerable.Repeat(line, count - matched));
        }

        liveOnly = live.Count - identical;
        var expectedLiveOnly = liveCounts.SelectMany(l => Enumerable.Repeat(l.Key, l.Value - Math.Min(l.Value, dumpCounts.GetValueOrDefault(l.Key)))).Order(StringComparer.Ordinal).ToList();
        foreach (var options in new[] { InMemory, Tiny })
        {
            var outcome = await RunAsync(dump, live, options, Multiset);
            (outcome.Counts with { Spilled = false, SpillBytes = 0 }).ShouldBe(new DiffCounts(dump.Count, identical, 0, missing, live.Count, liveOnly, false, 0));
            outcome.Sink.Missing.Select(m => m.Line).Order(StringComparer.Ordinal).ShouldBe(expectedMissing.Order(StringComparer.Ordinal));
            outcome.Sink.LiveOnly.Order(StringComparer.Ordinal).ShouldBe(expectedLiveOnly);
            outcome.Counts.Spilled.ShouldBe(options == Tiny);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_store_can_be_diffed_again_with_the_same_result(bool spill)
    {
        // A retried transaction diffs the same dump rows again: matches are forgotten, repeats not counted twice.
        var dump = Enumerable.Range(0, 20_000).Select(i => $"{i}\tv{i}").Append("7\tv7").ToList();
        var live = Enumerable.Range(100, 20_000).Select(i => $"{i}\tv{(i % 10 == 0 ? "x" : i)}").ToList();
        using var store = new DumpRowStore([0], spill ? Tiny : InMemory);
        for (var i = 0; i < dump.Count; i++)
        {
            store.Add(Encoding.UTF8.GetBytes(dump[i]), i + 1, 0);
        }

        var results = new List<DiffCounts>();
        for (var run = 0; run < 3; run++)
        {
            var reader = new CopyLineReader(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(live.Select(l => l + "\n")))));
            var counts = await KeyedDiff.RunAsync(store, reader, new RowLayout([0], [0]), new RecordingSink(), async: true, CancellationToken.None);
            results.Add(counts with { LiveTime = default, JoinTime = default, SpillBytes = 0 });
        }

        results.Distinct().ShouldHaveSingleItem().ShouldBe(new DiffCounts(20_000, 17_910, 1_990, 100, 20_000, 100, spill, 0));
        store.Problems.Repeats.ShouldBe(1);
    }

    [Test]
    public async Task The_memory_budget_is_shared_by_every_table_of_a_restore()
    {
        // One options instance per restore: the second table pushes the sum over the budget, and the store holding
        // the most (the first) goes to disk; both still diff exactly.
        var options = new DiffOptions { MemoryBudget = 256 * 1024, Partitions = 4 };
        using var first = new DumpRowStore([0], options);
        using var second = new DumpRowStore([0], options);
        var rows = Enumerable.Range(0, 1_500).Select(i => $"{i}\t{new string('a', 60)}").ToList();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            first.Add(Encoding.UTF8.GetBytes(row), i + 1, 0);
        }

        first.Spilled.ShouldBeFalse("one table alone fits");
        foreach (var (row, i) in rows.Take(800).Select((r, i) => (r, i)))
        {
            second.Add(Encoding.UTF8.GetBytes(row), i + 1, 0);
        }

        first.Spilled.ShouldBeTrue("the two together do not fit, and the first holds the most");
        second.Spilled.ShouldBeFalse();
        options.Gauge.Bytes.ShouldBeLessThanOrEqualTo(options.MemoryBudget);

        var live = string.Concat(rows.Take(1_200).Select(r => r + "\n"));
        foreach (var (store, expected) in new[] { (first, new DiffCounts(1_500, 1_200, 0, 300, 1_200, 0, true, 0)), (second, new DiffCounts(800, 800, 0, 0, 1_200, 400, false, 0)) })
        {
            var counts = await KeyedDiff.RunAsync(store, new CopyLineReader(new MemoryStream(Encoding.UTF8.GetBytes(live))), new RowLayout([0], [0]), new RecordingSink(), async: true, CancellationToken.None);
            (counts with { LiveTime = default, JoinTime = default, SpillBytes = 0, Spilled = store.Spilled }).ShouldBe(expected);
        }

        first.Dispose();
        second.Dispose();
        options.Gauge.Bytes.ShouldBe(0);
    }

    [Test]
    public async Task An_evicted_small_table_opens_a_file_per_partition_it_has_rows_in_only()
    {
        // Many small tables may be moved to disk when together they pass the budget: each must not hold 64 open files.
        using var store = new DumpRowStore([0], new DiffOptions());
        foreach (var i in Enumerable.Range(1, 3))
        {
            store.Add(Encoding.UTF8.GetBytes($"{i}\tx"), i, 0);
        }

        store.Evict();
        store.Add(Encoding.UTF8.GetBytes("4\tx"), 4, 0);

        store.Files.Count(f => f is not null).ShouldBeLessThanOrEqualTo(4);
        var counts = await KeyedDiff.RunAsync(store, new CopyLineReader(new MemoryStream("1\tx\n2\ty\n9\tz\n"u8.ToArray())), new RowLayout([0], [0]), new RecordingSink(), async: true, CancellationToken.None);
        (counts.Identical, counts.Candidates, counts.Missing, counts.LiveOnly).ShouldBe((1L, 1L, 2L, 1L));
    }
}
