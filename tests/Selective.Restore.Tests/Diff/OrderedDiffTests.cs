using System.Text;
using Selective.Restore.Diff;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Diff;

/// <summary>
/// The ordered diff (dump rows in dump order walked in step with the live rows) and its dump sequence (NULL keys,
/// repeats and duplicate keys found after staging): the same answers as a reference in every order, from the same
/// order to none, in memory and past the budget (where the rest goes through the hash join).
/// </summary>
public sealed class OrderedDiffTests
{
    private static readonly DiffOptions InMemory = new();

    // 64 KiB: a few thousand rows out of step overflow it.
    private static readonly DiffOptions Tiny = new() { MemoryBudget = 64 * 1024, Partitions = 2 };

    private static DumpSequence Sequence(IReadOnlyList<string> dump, DiffOptions options, RowLayout? layout = null)
    {
        var sequence = new DumpSequence((layout ?? new RowLayout([0], [0])).DumpKey, options);
        for (var i = 0; i < dump.Count; i++)
        {
            sequence.Add(Encoding.UTF8.GetBytes(dump[i]), i + 1, sequence.RowsAdded + 1);
        }

        sequence.Complete();
        return sequence;
    }

    private static async Task<(DiffCounts Counts, RecordingSink Sink)> DiffAsync(DumpSequence sequence, IReadOnlyList<string> live, RowLayout? layout = null)
    {
        var reader = new CopyLineReader(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(live.Select(l => l + "\n")))));
        var sink = new RecordingSink();
        var counts = await OrderedDiff.RunAsync(sequence, reader, layout ?? new RowLayout([0], [0]), sink, async: true, CancellationToken.None);
        return (counts with { LiveTime = default, JoinTime = default }, sink);
    }

    [Test]
    public async Task Rows_out_of_step_wait_for_their_partner_on_either_side()
    {
        // A deleted row (2), an edited row moved to the end live (3), a new live row (9), the rest in step.
        using var sequence = Sequence(["1\ta", "2\tb", "3\tc", "4\td", "5\te"], InMemory);
        var (counts, sink) = await DiffAsync(sequence, ["1\ta", "4\td", "9\tz", "5\te", "3\tC"]);

        counts.ShouldBe(new DiffCounts(DumpRows: 5, Identical: 3, Candidates: 1, Missing: 1, LiveRows: 5, LiveOnly: 1, Spilled: false, SpillBytes: 0));
        sink.MissingLines.ShouldBe(["2\tb"]);
        sink.CandidatePairs.ShouldBe(["3\tc|3\tC"]);
    }

    [TestCase(0.0, 0)]
    [TestCase(0.01, 1)]
    [TestCase(0.2, 2)]
    [TestCase(1.0, 3)]
    public async Task Agrees_with_a_reference_from_the_same_order_to_none(double shuffled, int seed)
    {
        // A fraction of each side moved to random places (1.0: no order in common at all).
        var random = new Random(seed);
        var dump = new List<string>();
        var live = new List<string>();
        for (var i = 0; i < 20_000; i++)
        {
            var line = $"{i}\tname {i} {new string('x', random.Next(0, 40))}";
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

        dump = Shuffle(dump, shuffled, random);
        live = Shuffle(live, shuffled, random);
        var expected = DiffReference.Keyed(dump, live);
        foreach (var options in new[] { InMemory, Tiny })
        {
            using var sequence = Sequence(dump, options);
            for (var run = 0; run < 2; run++)
            {
                // Run twice: a retried transaction diffs the same sequence again.
                var (counts, sink) = await DiffAsync(sequence, live);
                (counts with { Spilled = false, SpillBytes = 0 }).ShouldBe(expected.Counts);
                sink.MissingLines.Order(StringComparer.Ordinal).ShouldBe(expected.Missing);
                sink.CandidatePairs.Order(StringComparer.Ordinal).ShouldBe(expected.Candidates);
                sink.LiveOnly.ShouldBeEmpty("keyed tables send no live-only rows to the sink");
                if (shuffled >= 0.2)
                {
                    counts.Spilled.ShouldBe(options == Tiny, "far out of step past the budget: the rest goes through the hash join");
                }
            }
        }
    }

    [Test]
    public async Task Many_deleted_rows_leave_the_waiting_table_and_still_meet_live_rows_that_come_late()
    {
        // One row in five deleted live (they wait to the end: far more than the tiny budget holds), and one in 200
        // edited and moved to the end of the live table, after its dump row left the waiting table.
        var dump = Enumerable.Range(0, 20_000).Select(i => $"{i}\tname {i}").ToList();
        var live = dump.Where((_, i) => i % 5 != 0 && i % 200 != 1).ToList();
        live.AddRange(Enumerable.Range(0, 100).Select(i => $"{(i * 200) + 1}\tedited"));
        live.Add("99999\tnew");
        var expected = DiffReference.Keyed(dump, live);

        using var sequence = Sequence(dump, Tiny);
        var (counts, sink) = await DiffAsync(sequence, live);

        counts.Spilled.ShouldBeTrue("the deleted rows outgrow the waiting table and go to the hash-partitioned rest");
        (counts with { Spilled = false, SpillBytes = 0 }).ShouldBe(expected.Counts);
        (counts.Missing, counts.Candidates, counts.LiveOnly).ShouldBe((4000L, 100L, 1L));
        sink.MissingLines.Order(StringComparer.Ordinal).ShouldBe(expected.Missing);
        sink.CandidatePairs.Order(StringComparer.Ordinal).ShouldBe(expected.Candidates);
    }

    [Test]
    public async Task Many_tables_share_one_budget_and_still_diff_exactly()
    {
        // 300 tables of 40 KiB each (12 MiB) under a 1 MiB budget: their buffers and key hashes go to disk as needed.
        var options = new DiffOptions { MemoryBudget = 1 << 20 };
        var sequences = new List<DumpSequence>();
        try
        {
            for (var t = 0; t < 300; t++)
            {
                var sequence = new DumpSequence([0], options);
                sequences.Add(sequence);
                for (var i = 0; i < 400; i++)
                {
                    sequence.Add(Encoding.UTF8.GetBytes($"{i}\t{new string((char)('a' + (t % 26)), 90)}"), i + 1, i + 1);
                }

                options.Gauge.Bytes.ShouldBeLessThanOrEqualTo(options.MemoryBudget + (64 * 1024), "one table's growth may pass the budget before the largest is evicted");
            }

            foreach (var sequence in sequences)
            {
                sequence.Complete();
            }

            var (counts, _) = await DiffAsync(sequences[7], [.. Enumerable.Range(1, 399).Select(i => $"{i}\t{new string('h', 90)}")]);
            (counts.Identical, counts.Missing, counts.LiveRows).ShouldBe((399L, 1L, 399L));
        }
        finally
        {
            foreach (var sequence in sequences)
            {
                sequence.Dispose();
            }
        }

        options.Gauge.Bytes.ShouldBe(0);
    }

    [Test]
    public async Task Compares_only_the_columns_both_sides_have()
    {
        var layout = new RowLayout([0], [1], DumpCompared: [0, 1], LiveCompared: [1, 0]);
        using var sequence = Sequence(["1\tann\tx", "2\tbo\ty"], InMemory, layout);
        var (counts, _) = await DiffAsync(sequence, ["ann\t1\t2026-01-01", "BO\t2\t2026-01-01"], layout);

        (counts.Identical, counts.Candidates).ShouldBe((1L, 1L));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void The_sequence_keeps_a_repeated_row_once_and_names_a_duplicate_key_with_both_lines(bool tiny)
    {
        // With the tiny budget the key hashes go to disk first (64 KiB of them: thousands of rows).
        var dump = new List<string> { "1\ta", "2\tb", "\\N\tnull key", "1\ta", "2\tB" };
        dump.AddRange(Enumerable.Range(10, 20_000).Select(i => $"{i}\tfiller {i}"));
        using var sequence = Sequence(dump, tiny ? Tiny : InMemory);

        sequence.Fallback.ShouldBeNull();
        sequence.Problems.NullKeyRows.ShouldBe(1);
        sequence.Problems.NullKeyLines.ShouldBe([3L]);
        sequence.Problems.Repeats.ShouldBe(1);
        sequence.Problems.DuplicateCount.ShouldBe(1);
        sequence.Problems.Duplicates.ShouldBe([new DuplicateKey("2", 2, 5)]);
    }

    [Test]
    public async Task A_repeat_is_diffed_once()
    {
        using var sequence = Sequence(["1\ta", "2\tb", "1\ta", "3\tc"], InMemory);
        var (counts, sink) = await DiffAsync(sequence, ["2\tb"]);

        sequence.Problems.Repeats.ShouldBe(1);
        (counts.DumpRows, counts.Identical, counts.Missing).ShouldBe((3L, 1L, 2L));
        sink.MissingLines.Order(StringComparer.Ordinal).ShouldBe(["1\ta", "3\tc"]);
    }

    [Test]
    public void A_table_with_every_key_twice_goes_to_the_hash_partitioned_store()
    {
        // Two dumps of one table concatenated: too many keys twice to check one by one. A NULL key row (never kept
        // by the sequence, so never in the store) still counts.
        var rows = Enumerable.Range(0, 70_000).Select(i => $"{i}\tv{i}").ToList();
        using var sequence = Sequence([.. rows, "\\N\tnull key", .. rows], InMemory);

        var store = sequence.Fallback.ShouldNotBeNull();
        store.RowsAdded.ShouldBe(140_000);
        store.Problems.Repeats.ShouldBe(70_000);
        store.Problems.ShouldBeSameAs(sequence.Problems);
        sequence.Problems.NullKeyRows.ShouldBe(1);
    }

    private static List<string> Shuffle(List<string> lines, double fraction, Random random)
    {
        var result = new List<string>(lines);
        var moves = (int)(result.Count * fraction);
        for (var i = 0; i < moves; i++)
        {
            var from = random.Next(result.Count);
            var line = result[from];
            result.RemoveAt(from);
            result.Insert(random.Next(result.Count + 1), line);
        }

        return result;
    }
}
