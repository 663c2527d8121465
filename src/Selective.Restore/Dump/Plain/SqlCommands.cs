using System.Collections.Frozen;
using System.Text;

namespace Selective.Restore.Dump.Plain;

/// <summary>What psql would do with a meta-command line (<c>\name args</c>) in a dump.</summary>
internal enum MetaCommandKind
{
    /// <summary>Harmless for the data: psql settings, messages, <c>\connect</c>, <c>\restrict</c>.</summary>
    Harmless,

    /// <summary><c>\encoding NAME</c>: sets the client encoding, like <c>SET client_encoding</c>.</summary>
    Encoding,

    /// <summary>Anything else: it could bring in, repeat, skip or change data the reader does not see.</summary>
    Refused,
}

/// <summary>
/// The words that may start a statement in a PostgreSQL script, and the psql meta-commands a dump may hold.
/// A statement that starts with anything else is not skipped but reported: skipping it would also skip
/// whatever it swallows up to the next <c>;</c>, such as a COPY header.
/// </summary>
internal static class SqlCommands
{
    // PostgreSQL's SQL command list (the reference's "SQL Commands" chapter), by first word; ANALYSE is ANALYZE's other spelling.
    private static readonly FrozenSet<string> Commands = new[]
    {
        "ABORT", "ALTER", "ANALYZE", "ANALYSE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT", "COMMIT",
        "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DISCARD", "DO", "DROP", "END", "EXECUTE", "EXPLAIN", "FETCH",
        "GRANT", "IMPORT", "INSERT", "LISTEN", "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "PREPARE", "REASSIGN", "REFRESH",
        "REINDEX", "RELEASE", "RESET", "REVOKE", "ROLLBACK", "SAVEPOINT", "SECURITY", "SELECT", "SET", "SHOW", "START",
        "TABLE", "TRUNCATE", "UNLISTEN", "UPDATE", "VACUUM", "VALUES", "WITH",
    }.ToFrozenSet(StringComparer.Ordinal);

    // Longer than any command word: a word this long is not one, whatever follows.
    public const int LongestCommand = 10;

    // psql meta-commands that neither read data from elsewhere nor change which statements run.
    private static readonly FrozenSet<string> HarmlessMeta = new[]
    {
        "connect", "c", "restrict", "unrestrict", "set", "unset", "pset", "echo", "qecho", "warn", "timing",
        "x", "a", "t", "f", "C", "H", "T", "conninfo",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="word"/> (a Word token's bytes) is a command word, in any case.</summary>
    public static bool IsCommand(ReadOnlySpan<byte> word) => word.Length <= LongestCommand && Commands.Contains(Upper(word));

    /// <summary>The word in upper case (ASCII letters only).</summary>
    public static string Upper(ReadOnlySpan<byte> word)
    {
        Span<char> chars = stackalloc char[Math.Min(word.Length, 64)];
        var n = 0;
        foreach (var b in word[..chars.Length])
        {
            chars[n++] = b is >= (byte)'a' and <= (byte)'z' ? (char)(b & 0xDF) : (char)b;
        }

        return new string(chars[..n]);
    }

    /// <summary>
    /// Classifies a meta-command line (starting with its backslash, without the line end).
    /// <paramref name="name"/> is the command's name, <paramref name="argument"/> the text after it;
    /// <paramref name="reason"/> says why a refused command is refused.
    /// </summary>
    public static MetaCommandKind ClassifyMeta(ReadOnlySpan<byte> line, out string name, out string argument, out string? reason)
    {
        var rest = line[1..];
        var end = 0;
        while (end < rest.Length && !SqlLexer.IsSpace(rest[end]) && rest[end] != '\\')
        {
            end++;
        }

        name = Encoding.UTF8.GetString(rest[..end]);
        argument = Encoding.UTF8.GetString(rest[end..]).Trim();
        reason = null;
        switch (name)
        {
            case "encoding":
                return MetaCommandKind.Encoding;
            case "i" or "ir" or "include" or "include_relative":
                reason = "runs the statements of another file, which the reader cannot see";
                return MetaCommandKind.Refused;
            case "copy" when HasWord(argument, "from"):
                reason = "loads rows from a file or program the reader cannot see";
                return MetaCommandKind.Refused;
            case "copy":
                return MetaCommandKind.Harmless; // \copy ... to: writes out, brings nothing in
            case "q" or "quit":
                reason = "makes psql stop reading, so what follows would never be loaded";
                return MetaCommandKind.Refused;
            case "if" or "elif" or "else" or "endif":
                reason = "decides while loading which statements run";
                return MetaCommandKind.Refused;
            case "!":
                reason = "runs a shell command";
                return MetaCommandKind.Refused;
            case "g" or "gx" or "gexec" or "gset" or "gdesc" or "bind" or "crosstabview" or "watch" or "p" or "r" or "e" or "ef" or "ev" or "w":
                reason = "runs, repeats, edits or discards statements";
                return MetaCommandKind.Refused;
        }

        if (HarmlessMeta.Contains(name))
        {
            return MetaCommandKind.Harmless;
        }

        reason = "is not one pg_dump writes, and the reader cannot tell what it would do to the data";
        return MetaCommandKind.Refused;
    }

    private static bool HasWord(string text, string word)
    {
        foreach (var part in text.Split([' ', '\t', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(part, word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Text for an error message: at most <paramref name="max"/> bytes, control characters and invalid UTF-8 shown as <c>\xNN</c>.</summary>
    public static string Excerpt(ReadOnlySpan<byte> bytes, int max = 40)
    {
        var cut = bytes.Length > max;
        var shown = cut ? bytes[..max] : bytes;
        var builder = new StringBuilder(shown.Length + 8);
        var text = Encoding.UTF8.GetString(shown);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value < 0x20 || rune.Value == 0x7F || rune == Rune.ReplacementChar || (rune.Value is >= 0x80 and < 0xA0))
            {
                builder.Append(rune.Value == 0xFFFD ? "\\x??" : $"\\x{rune.Value:X2}");
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return cut ? builder.Append("...").ToString() : builder.ToString();
    }
}
