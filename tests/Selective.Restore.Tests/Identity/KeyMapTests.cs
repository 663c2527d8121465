using System.Globalization;
using Selective.Restore.Diff;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Identity;

/// <summary>A key map past the memory budget: sorted runs on disk, looked up newest first, exact either way.</summary>
public sealed class KeyMapTests
{
    [Test]
    public void Entries_past_the_budget_go_to_disk_and_every_lookup_still_finds_the_newest()
    {
        using var dir = new TempDirectory();
        using var map = new KeyMap(new DiffOptions { MemoryBudget = DiffOptions.MinimumBudget, TempDirectory = dir.Path });
        const int Count = 30_000;
        for (var i = 0; i < Count; i++)
        {
            var key = Key(i);
            if (i % 3 == 0)
            {
                map.Hold(key, MapKind.Collision);
            }
            else
            {
                map.Move(key, Key(i + 100_000), i % 3 == 1 ? MapKind.Remapped : MapKind.Relocated);
            }
        }

        // Later decisions about keys already on disk win: a remap after a collision, a hold after a remap.
        map.Move(Key(0), Key(99), MapKind.Remapped);
        map.Hold(Key(1), MapKind.HeldBack);

        map.Runs.ShouldBeGreaterThan(1);
        map.ResidentBytes.ShouldBeLessThanOrEqualTo(DiffOptions.MinimumBudget);
        for (var i = 2; i < Count; i++)
        {
            map.TryGet(Key(i), out var to).ShouldBeTrue();
            to.ShouldBe(i % 3 == 0 ? null : Key(i + 100_000));
        }

        map.TryGet(Key(0), out var first).ShouldBeTrue();
        first.ShouldBe(Key(99));
        map.TryGet(Key(1), out var second).ShouldBeTrue();
        second.ShouldBeNull();
        map.TryGet(Key(Count), out _).ShouldBeFalse();

        // Keys outside every run's range (before its first key, after its last) find nothing, without a block read.
        map.TryGet("a", out _).ShouldBeFalse();
        map.TryGet("a\\tb\t", out _).ShouldBeFalse();
        map.TryGet("z", out _).ShouldBeFalse();
        map.TryGet(Key(Count - 1) + "0", out _).ShouldBeFalse();
        map.TryGet(Key(5).AsSpan(), out var bySpan).ShouldBeTrue(); // a child's lookup, from a char buffer
        bySpan.ShouldBe(Key(100_005));
        map.TryGet(Key(Count).AsSpan(), out _).ShouldBeFalse();
        map.TryGet("2\tb", out _).ShouldBeFalse();

        // The report's first remaps, in numeric key order, newest entries only (key 1 is held now).
        map.Remaps(4).Select(r => (r.From[1], r.To[1], r.Kind)).ShouldBe(
            [("0", "99", RemapKind.NewKey), ("2", "100002", RemapKind.LiveEntity), ("4", "100004", RemapKind.NewKey), ("5", "100005", RemapKind.LiveEntity)]);

        map.Clear();
        map.HasEntries.ShouldBeFalse();
        Directory.GetFiles(dir.Path).ShouldBeEmpty();
    }

    // A two-column key whose first field has a tab escaped, so raw COPY text (not decoded values) is what is compared.
    private static string Key(int i) => $"a\\tb\t{i.ToString(CultureInfo.InvariantCulture)}";
}
