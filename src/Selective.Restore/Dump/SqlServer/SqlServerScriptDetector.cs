using System.Text;

namespace Selective.Restore.Dump.SqlServer;

/// <summary>How a SQL Server script's bytes are encoded, as told by its first bytes.</summary>
internal enum SqlServerScriptEncoding
{
    /// <summary>UTF-8, with or without a byte order mark.</summary>
    Utf8,

    /// <summary>UTF-16 little endian with the byte order mark FF FE (SSMS's "Unicode" output).</summary>
    Utf16LittleEndian,

    /// <summary>UTF-16 big endian with the byte order mark FE FF.</summary>
    Utf16BigEndian,
}

/// <summary>Tells a SQL Server data script from a pg_dump plain script by its first few KB.</summary>
internal static class SqlServerScriptDetector
{
    /// <summary>How much of the head is looked at.</summary>
    public const int HeadSize = 4096;

    /// <summary>The script's encoding when the head is a SQL Server script (any UTF-16 text, or UTF-8 with T-SQL markers); otherwise null.</summary>
    public static SqlServerScriptEncoding? Detect(ReadOnlySpan<byte> head)
    {
        // FF FE 00 00 is UTF-32 LE's byte order mark, not UTF-16's: leave it to the binary-data check.
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) && !head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]))
        {
            return SqlServerScriptEncoding.Utf16LittleEndian;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return SqlServerScriptEncoding.Utf16BigEndian;
        }

        var content = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        return LooksLikeSqlServerScript(content) ? SqlServerScriptEncoding.Utf8 : null;
    }

    /// <summary>
    /// True when the UTF-8 head (up to <see cref="HeadSize"/> bytes) shows T-SQL: a <c>GO</c> line, <c>SET IDENTITY_INSERT</c>,
    /// <c>SET ANSI_NULLS</c>, <c>SET QUOTED_IDENTIFIER</c>, <c>USE [</c>, <c>INSERT [</c>, <c>INSERT INTO [</c>, or an SSMS
    /// <c>/****** Object:</c> banner; false when it shows pg_dump (its header, <c>COPY ... FROM stdin</c>, <c>SET client_encoding</c>).
    /// </summary>
    public static bool LooksLikeSqlServerScript(ReadOnlySpan<byte> utf8Head)
    {
        var head = utf8Head[..Math.Min(utf8Head.Length, HeadSize)];
        if (head.StartsWith("\uFEFF"u8))
        {
            head = head[3..];
        }

        if (head.IndexOf((byte)0) >= 0)
        {
            return false;
        }

        // PostgreSQL markers win: a COPY row could read "GO", a comment could mention SSMS.
        foreach (var marker in PostgresMarkers)
        {
            if (IndexOfIgnoreCase(head, marker) >= 0)
            {
                return false;
            }
        }

        if (head.IndexOf("/****** Object:"u8) >= 0)
        {
            return true;
        }

        var rest = head;
        while (!rest.IsEmpty)
        {
            var nl = rest.IndexOf((byte)'\n');
            var line = nl >= 0 ? rest[..nl] : rest;
            rest = nl >= 0 ? rest[(nl + 1)..] : [];
            line = line.Trim(" \t\r"u8);
            if (IsGoLine(line))
            {
                return true;
            }

            foreach (var marker in LineMarkers)
            {
                if (line.Length >= marker.Length && Ascii.EqualsIgnoreCase(line[..marker.Length], marker))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsGoLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 2 || !Ascii.EqualsIgnoreCase(line[..2], "GO"u8))
        {
            return false;
        }

        var rest = line[2..].TrimStart(" \t"u8);
        return rest.IsEmpty || rest.StartsWith("--"u8) || (rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 && line[2] is (byte)' ' or (byte)'\t');
    }

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            var hit = haystack[i..].IndexOfAny(needle[0], (byte)(needle[0] ^ 0x20));
            if (hit < 0 || i + hit + needle.Length > haystack.Length)
            {
                return -1;
            }

            i += hit;
            if (Ascii.EqualsIgnoreCase(haystack.Slice(i, needle.Length), needle))
            {
                return i;
            }
        }

        return -1;
    }

    private static readonly byte[][] PostgresMarkers =
    [
        "PostgreSQL database dump"u8.ToArray(),
        "FROM stdin;"u8.ToArray(),
        "SET client_encoding"u8.ToArray(),
        "pg_catalog."u8.ToArray(),
    ];

    private static readonly byte[][] LineMarkers =
    [
        "SET IDENTITY_INSERT "u8.ToArray(),
        "SET ANSI_NULLS "u8.ToArray(),
        "SET QUOTED_IDENTIFIER "u8.ToArray(),
        "USE ["u8.ToArray(),
        "INSERT ["u8.ToArray(),
        "INSERT INTO ["u8.ToArray(),
    ];
}
