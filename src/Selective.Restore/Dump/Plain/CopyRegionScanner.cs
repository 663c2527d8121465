using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Selective.Restore.Dump.Plain;

/// <summary>What one pass over a block of COPY lines found.</summary>
/// <param name="Newlines">Number of '\n' bytes (rows, when <paramref name="HasOddBytes"/> is false).</param>
/// <param name="Tabs">Number of '\t' bytes (field separators, when <paramref name="HasOddBytes"/> is false).</param>
/// <param name="HasOddBytes">A CR, or a backslash right before a tab or newline: counting is not enough, go line by line.</param>
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
        uint odd = 0;
        uint high = 0;
        uint previousBackslash = 0;

        if (Vector256.IsHardwareAccelerated && length >= Vector256<byte>.Count)
        {
            var nl = Vector256.Create((byte)'\n');
            var tab = Vector256.Create((byte)'\t');
            var cr = Vector256.Create((byte)'\r');
            var bs = Vector256.Create((byte)'\\');
            for (; i <= length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var nlBits = Vector256.Equals(v, nl).ExtractMostSignificantBits();
                var tabBits = Vector256.Equals(v, tab).ExtractMostSignificantBits();
                var crBits = Vector256.Equals(v, cr).ExtractMostSignificantBits();
                var bsBits = Vector256.Equals(v, bs).ExtractMostSignificantBits();
                high |= v.ExtractMostSignificantBits();
                newlines += BitOperations.PopCount(nlBits);
                tabs += BitOperations.PopCount(tabBits);
                var afterBackslash = (bsBits << 1) | previousBackslash;
                previousBackslash = bsBits >> 31;
                odd |= (afterBackslash & (tabBits | nlBits)) | crBits;
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= Vector128<byte>.Count)
        {
            var nl = Vector128.Create((byte)'\n');
            var tab = Vector128.Create((byte)'\t');
            var cr = Vector128.Create((byte)'\r');
            var bs = Vector128.Create((byte)'\\');
            for (; i <= length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var nlBits = Vector128.Equals(v, nl).ExtractMostSignificantBits();
                var tabBits = Vector128.Equals(v, tab).ExtractMostSignificantBits();
                var crBits = Vector128.Equals(v, cr).ExtractMostSignificantBits();
                var bsBits = Vector128.Equals(v, bs).ExtractMostSignificantBits();
                high |= v.ExtractMostSignificantBits();
                newlines += BitOperations.PopCount(nlBits);
                tabs += BitOperations.PopCount(tabBits);
                var afterBackslash = (bsBits << 1) | previousBackslash;
                previousBackslash = (bsBits >> 15) & 1;
                odd |= (afterBackslash & (tabBits | nlBits)) | crBits;
            }
        }

        var oddTail = false;
        var backslash = previousBackslash != 0;
        for (; i < length; i++)
        {
            var b = Unsafe.Add(ref start, i);
            switch (b)
            {
                case (byte)'\n':
                    newlines++;
                    oddTail |= backslash;
                    break;
                case (byte)'\t':
                    tabs++;
                    oddTail |= backslash;
                    break;
                case (byte)'\r':
                    oddTail = true;
                    break;
            }

            high |= (uint)(b & 0x80);
            backslash = b == '\\';
        }

        return new CopyRegionStats((int)newlines, tabs, odd != 0 || oddTail, high != 0);
    }
}
