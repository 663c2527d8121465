using System.Text;

namespace Selective.Restore.Tests.Support;

/// <summary>Locations in test dumps, computed the way the reader reports them (UTF-8 bytes, 1-based lines).</summary>
internal static class Sql
{
    /// <summary>0-based byte offset of the <paramref name="occurrence"/>-th <paramref name="marker"/> in the UTF-8 encoding of <paramref name="sql"/>.</summary>
    public static long OffsetOf(string sql, string marker, int occurrence = 1)
    {
        var index = IndexOf(sql, marker, occurrence);
        return Encoding.UTF8.GetByteCount(sql.AsSpan(0, index));
    }

    /// <summary>1-based line of the <paramref name="occurrence"/>-th <paramref name="marker"/>.</summary>
    public static long LineOf(string sql, string marker, int occurrence = 1)
    {
        var index = IndexOf(sql, marker, occurrence);
        return sql.AsSpan(0, index).Count('\n') + 1;
    }

    public static long Length(string sql) => Encoding.UTF8.GetByteCount(sql);

    private static int IndexOf(string sql, string marker, int occurrence)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++)
        {
            index = sql.IndexOf(marker, index + 1, StringComparison.Ordinal);
            if (index < 0)
            {
                throw new ArgumentException($"'{marker}' occurs fewer than {occurrence} times", nameof(marker));
            }
        }

        return index;
    }
}
