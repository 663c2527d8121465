using System.Buffers;
namespace Selective.Restore.Diff;

/// <summary>
/// Fields of a COPY text line by position. A raw field never holds an unescaped tab, so the raw key fields joined by
/// tabs are an unambiguous key: two keys are equal exactly when every field's text is.
/// </summary>
internal static class CopyFields
{
    /// <summary>Finds field <paramref name="ordinal"/>'s start and length, or false when the line has fewer fields.</summary>
    public static bool TryFind(ReadOnlySpan<byte> line, int ordinal, out int start, out int length)
    {
        start = 0;
        for (var i = 0; i < ordinal; i++)
        {
            var tab = line[start..].IndexOf((byte)'\t');
            if (tab < 0)
            {
                length = 0;
                return false;
            }

            start += tab + 1;
        }

        var end = line[start..].IndexOf((byte)'\t');
        length = end < 0 ? line.Length - start : end;
        return true;
    }

    /// <summary>
    /// Writes the key (the raw fields at <paramref name="ordinals"/>, tab-separated) into <paramref name="destination"/>;
    /// returns its length, -1 when a key field is NULL (<c>\N</c>: never matches anything), or -2 when the line has too
    /// few fields. <paramref name="destination"/> must be at least as long as the line.
    /// </summary>
    public static int Key(ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < ordinals.Length; i++)
        {
            if (!TryFind(line, ordinals[i], out var start, out var length))
            {
                return -2;
            }

            var field = line.Slice(start, length);
            if (field.Length == 2 && field[0] == (byte)'\\' && field[1] == (byte)'N')
            {
                return -1;
            }

            if (i > 0)
            {
                destination[written++] = (byte)'\t';
            }

            field.CopyTo(destination[written..]);
            written += field.Length;
        }

        return written;
    }

    /// <summary>Whether fields <paramref name="aOrdinals"/> of <paramref name="a"/> have the same text as fields <paramref name="bOrdinals"/> of <paramref name="b"/>, pairwise.</summary>
    public static bool SameFields(ReadOnlySpan<byte> a, ReadOnlySpan<int> aOrdinals, ReadOnlySpan<byte> b, ReadOnlySpan<int> bOrdinals)
    {
        for (var i = 0; i < aOrdinals.Length; i++)
        {
            if (!TryFind(a, aOrdinals[i], out var aStart, out var aLength) || !TryFind(b, bOrdinals[i], out var bStart, out var bLength) ||
                !a.Slice(aStart, aLength).SequenceEqual(b.Slice(bStart, bLength)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The line with the fields at <paramref name="ordinals"/> replaced, pairwise, by the tab-separated raw fields of
    /// <paramref name="values"/> (a key map's target key).
    /// </summary>
    public static byte[] Replace(ReadOnlySpan<byte> line, ReadOnlySpan<int> ordinals, string values)
    {
        var replacements = values.Split('\t');
        var result = new ArrayBufferWriter<byte>(line.Length + values.Length);
        var field = 0;
        while (true)
        {
            var tab = line.IndexOf((byte)'\t');
            var index = ordinals.IndexOf(field);
            if (index >= 0)
            {
                System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, replacements[index].AsSpan(), result);
            }
            else
            {
                result.Write(tab < 0 ? line : line[..tab]);
            }

            if (tab < 0)
            {
                return result.WrittenSpan.ToArray();
            }

            result.Write("\t"u8);
            line = line[(tab + 1)..];
            field++;
        }
    }
}
