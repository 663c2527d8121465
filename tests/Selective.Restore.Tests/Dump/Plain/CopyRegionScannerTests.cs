using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>The vectorized block scan must agree with the obvious byte-by-byte definition, at every length and alignment.</summary>
public sealed class CopyRegionScannerTests
{
    private static readonly byte[] Alphabet = [(byte)'a', (byte)'1', (byte)'\t', (byte)'\n', (byte)'\r', (byte)'\\', 0xC3, 0xA9, (byte)' '];

    [Test]
    public void Agrees_with_a_byte_by_byte_scan_on_random_blocks()
    {
        var random = new Random(20261122);
        for (var run = 0; run < 3000; run++)
        {
            var length = run < 300 ? run : random.Next(0, 20_000);
            var bytes = new byte[length + 7];
            var rare = random.Next(4); // some blocks have no CR/backslash/non-ASCII at all
            for (var i = 0; i < bytes.Length; i++)
            {
                var b = Alphabet[random.Next(Alphabet.Length)];
                bytes[i] = rare == 0 && b is (byte)'\r' or (byte)'\\' or >= 0x80 ? (byte)'x' : b;
            }

            var offset = random.Next(0, 7);
            var region = bytes.AsSpan(offset, length);
            CopyRegionScanner.Scan(region).ShouldBe(Reference(region), $"run {run}, length {length}, offset {offset}");
        }
    }

    [TestCase(31)]
    [TestCase(32)]
    [TestCase(33)]
    [TestCase(64)]
    [TestCase(65)]
    [TestCase(255 * 32 + 40)]
    public void Finds_a_backslash_pair_and_counts_across_block_and_flush_boundaries(int length)
    {
        for (var at = 0; at < length - 1; at += Math.Max(1, length / 97))
        {
            var bytes = Enumerable.Repeat((byte)'\n', length).ToArray();
            bytes[at] = (byte)'\\';
            bytes[at + 1] = (byte)'\t';
            var stats = CopyRegionScanner.Scan(bytes);
            stats.ShouldBe(Reference(bytes), $"pair at {at}");
            stats.HasOddBytes.ShouldBeTrue();
            stats.Newlines.ShouldBe(length - 2);
        }
    }

    private static CopyRegionStats Reference(ReadOnlySpan<byte> region)
    {
        int newlines = 0, tabs = 0;
        bool odd = false, high = false;
        for (var i = 0; i < region.Length; i++)
        {
            newlines += region[i] == '\n' ? 1 : 0;
            tabs += region[i] == '\t' ? 1 : 0;
            odd |= region[i] == '\r' || (region[i] == '\\' && i + 1 < region.Length && region[i + 1] is (byte)'\t' or (byte)'\n');
            high |= region[i] >= 0x80;
        }

        return new CopyRegionStats(newlines, tabs, odd, high);
    }
}
