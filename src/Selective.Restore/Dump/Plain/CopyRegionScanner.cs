using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Selective.Restore.Dump.Plain;

/// <summary>What one pass over a block of COPY lines found.</summary>
/// <param name="Newlines">Number of '\n' bytes (rows, when <paramref name="HasOddBytes"/> is false).</param>
/// <param name="Tabs">Number of '\t' bytes (field separators, when <paramref name="HasOddBytes"/> is false).</param>
/// <param name="HasOddBytes">A CR, or a backslash right before a tab, newline or dot: counting is not enough (or a row may hold an end-of-data marker), go line by line.</param>
/// <param name="HasNonAscii">Some byte is ≥ 0x80, so the block needs UTF-8 validation.</param>
internal readonly record struct CopyRegionStats(int Newlines, long Tabs, bool HasOddBytes, bool HasNonAscii);

/// <summary>
/// Validates a block of COPY text in one vectorized pass instead of five (newline count, tab count,
/// escaped separators, CR, non-ASCII). This is the split/inspect hot loop: it runs over every byte of the dump.
/// </summary>
internal static class CopyRegionScanner
{
    public static CopyRegionStats Scan(ReadOnlySpan<byte> region)
    {
        ref var start = ref MemoryMarshal.GetReference(region);
        var length = region.Length;
        var i = 0;
        long newlines = 0;
        long tabs = 0;
        var odd = false;
        var high = false;

        var width = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated && length > width)
        {
            var nl = new Vector<byte>((byte)'\n');
            var tab = new Vector<byte>((byte)'\t');
            var cr = new Vector<byte>((byte)'\r');
            var bs = new Vector<byte>((byte)'\\');
            var dot = new Vector<byte>((byte)'.');
            var oddBytes = Vector<byte>.Zero;
            var highBytes = Vector<byte>.Zero;

            // Counts accumulate in byte lanes (a match is 0xFF, so subtracting adds one) and are widened
            // and summed every 255 blocks, before a lane can overflow: no per-block mask extraction.
            while (i <= length - width - 1)
            {
                var nlLanes = Vector<byte>.Zero;
                var tabLanes = Vector<byte>.Zero;
                for (var block = 0; block < 255 && i <= length - width - 1; block++, i += width)
                {
                    var v = Vector.LoadUnsafe(ref start, (nuint)i);
                    var next = Vector.LoadUnsafe(ref start, (nuint)(i + 1));
                    nlLanes -= Vector.Equals(v, nl);
                    tabLanes -= Vector.Equals(v, tab);
                    oddBytes |= Vector.Equals(v, cr) | (Vector.Equals(v, bs) & (Vector.Equals(next, tab) | Vector.Equals(next, nl) | Vector.Equals(next, dot)));
                    highBytes |= v;
                }

                newlines += Sum(nlLanes);
                tabs += Sum(tabLanes);
            }

            odd = oddBytes != Vector<byte>.Zero;
            high = (highBytes & new Vector<byte>(0x80)) != Vector<byte>.Zero;
        }

        // The tail (and short regions); a pair's second byte may be the region's last.
        for (; i < length; i++)
        {
            var b = Unsafe.Add(ref start, i);
            switch (b)
            {
                case (byte)'\n':
                    newlines++;
                    break;
                case (byte)'\t':
                    tabs++;
                    break;
                case (byte)'\r':
                    odd = true;
                    break;
                case (byte)'\\' when i + 1 < length && Unsafe.Add(ref start, i + 1) is (byte)'\t' or (byte)'\n' or (byte)'.':
                    odd = true;
                    break;
            }

            high |= b >= 0x80;
        }

        return new CopyRegionStats((int)newlines, tabs, odd, high);
    }

    private static long Sum(Vector<byte> lanes)
    {
        Vector.Widen(lanes, out var lower, out var upper);
        return Vector.Sum(lower + upper);
    }
}
