using System.Text;
using System.Text.RegularExpressions;

namespace Selective.Restore.Dump;

/// <summary>What in a script's head shows it is SQLite's, and where.</summary>
/// <param name="Reason">The sentence for <see cref="DumpFormatException.Reason"/>.</param>
/// <param name="Line">1-based line of the evidence.</param>
/// <param name="Offset">Byte offset of that line in the head.</param>
internal sealed record SqliteEvidence(string Reason, int Line, int Offset);

/// <summary>
/// Tells a SQLite script (a <c>sqlite3 .dump</c>, or a script written for SQLite) from a PostgreSQL one by its first few
/// KB, so it is refused saying so instead of with a parse error on its first PRAGMA or [bracketed] name. Only syntax
/// PostgreSQL itself refuses counts as evidence, so no script psql would load is turned away.
/// </summary>
internal static partial class SqliteScriptDetector
{
    /// <summary>The message after the evidence.</summary>
    public const string NotSupported = "SQLite sources are not supported yet";

    /// <summary>A SQLite database file (not a script) starts with this.</summary>
    public static ReadOnlySpan<byte> DatabaseFileMagic => "SQLite format 3\0"u8;

    /// <summary>The evidence that the UTF-8 head is a SQLite script, or null.</summary>
    public static SqliteEvidence? Detect(ReadOnlySpan<byte> utf8Head)
    {
        if (utf8Head.IndexOf((byte)0) >= 0)
        {
            return null;
        }

        // pg_dump's own marks win: a dump may hold a table whose rows mention SQLite.
        var text = Encoding.Latin1.GetString(utf8Head); // one char per byte: indexes are byte offsets
        if (PostgresMarker().IsMatch(text))
        {
            return null;
        }

        var inBlockComment = false;
        var lineStart = 0;
        for (var line = 1; lineStart < text.Length; line++)
        {
            var nl = text.IndexOf('\n', lineStart);
            var end = nl < 0 ? text.Length : nl;
            var content = text[lineStart..end].Trim();
            var at = lineStart;
            lineStart = end + 1;
            if (inBlockComment)
            {
                inBlockComment = !content.Contains("*/", StringComparison.Ordinal);
                continue;
            }

            if (content.StartsWith("/*", StringComparison.Ordinal))
            {
                inBlockComment = !content.Contains("*/", StringComparison.Ordinal);
                continue;
            }

            if (content.Length == 0 || content.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            if (Pragma().IsMatch(content))
            {
                return new SqliteEvidence($"not a PostgreSQL dump: '{Excerpt(content)}' is a SQLite command, so this looks like a sqlite3 .dump; {NotSupported}", line, at);
            }

            if (SqliteTable().Match(content) is { Success: true } table)
            {
                return new SqliteEvidence($"not a PostgreSQL dump: it writes to {table.Groups["table"].Value}, SQLite's own table, so this looks like a sqlite3 .dump; {NotSupported}", line, at);
            }

            // Outside string literals: a row may hold any text.
            if (AutoIncrement().IsMatch(StringLiteral().Replace(content, "''")))
            {
                return new SqliteEvidence($"not a PostgreSQL dump: '{Excerpt(content)}' uses SQLite's AUTOINCREMENT, so this looks like a SQLite script; {NotSupported}", line, at);
            }

            if (BracketedTable().IsMatch(content))
            {
                // [names] are SQLite's or SQL Server's; a SQL Server script with its usual markers never gets here.
                return text.Contains("sqlite", StringComparison.OrdinalIgnoreCase)
                    ? new SqliteEvidence($"not a PostgreSQL dump: '{Excerpt(content)}' quotes a name in [brackets] and the script mentions SQLite, so this looks like a SQLite script; {NotSupported}", line, at)
                    : new SqliteEvidence(
                        $"not a PostgreSQL dump: '{Excerpt(content)}' quotes a name in [brackets], which PostgreSQL does not read (SQLite or SQL Server syntax); " +
                        $"{NotSupported}, and a SQL Server script is recognised by its GO lines, SET IDENTITY_INSERT or INSERT [...] statements near its start",
                        line,
                        at);
            }
        }

        return null;
    }

    /// <summary>The start of a line (held as one char per byte) as the UTF-8 text it is.</summary>
    private static string Excerpt(string line)
    {
        var text = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(line));
        return text.Length <= 40 ? text : text[..40] + "...";
    }

    [GeneratedRegex(@"PostgreSQL database (cluster )?dump|FROM stdin;|SET client_encoding|pg_catalog\.", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PostgresMarker();

    [GeneratedRegex(@"^PRAGMA\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Pragma();

    [GeneratedRegex(@"^(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE|ANALYZE)\s+[""\[`]?(?<table>sqlite_(?:sequence|master|schema|stat\d))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SqliteTable();

    [GeneratedRegex("'[^']*'", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\bINTEGER\s+PRIMARY\s+KEY(?:\s+(?:ASC|DESC))?\s+AUTOINCREMENT\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AutoIncrement();

    [GeneratedRegex(@"^(?:CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE|DROP\s+TABLE|INSERT\s+INTO)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?\[", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BracketedTable();
}
