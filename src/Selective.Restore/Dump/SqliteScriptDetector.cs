using System.Text;
using System.Text.RegularExpressions;

namespace Selective.Restore.Dump;

/// <summary>What in a script's head shows it is SQLite's, and where.</summary>
/// <param name="Reason">What the evidence is, as a sentence (for <see cref="DumpFormatException.Reason"/> when the script is refused).</param>
/// <param name="Line">1-based line of the evidence.</param>
/// <param name="Offset">Byte offset of that line in the head.</param>
/// <param name="IsSqlite">
/// True when the script is SQLite's (read as <see cref="DumpFormat.SqliteDump"/>); false when the evidence only shows it is
/// not PostgreSQL's, SQLite's or SQL Server's alike (a [bracketed] name and nothing else), and the script is refused.
/// </param>
/// <param name="Strong">
/// True for syntax neither PostgreSQL nor SQL Server reads (a PRAGMA, a write to a <c>sqlite_</c> table, AUTOINCREMENT): it
/// outweighs a SQL Server script's markers. A [bracketed] name in a script that mentions SQLite does not.
/// </param>
internal sealed record SqliteEvidence(string Reason, int Line, int Offset, bool IsSqlite = true, bool Strong = true);

/// <summary>
/// Tells a SQLite script (a <c>sqlite3 .dump</c>, or a script written for SQLite) from a PostgreSQL one by its first few
/// KB, so it is read as one instead of failing on its first PRAGMA or [bracketed] name. Only syntax PostgreSQL itself
/// refuses counts as evidence, so no script psql would load is taken for a SQLite one.
/// </summary>
internal static partial class SqliteScriptDetector
{
    /// <summary>Why a SQLite database file is refused, after its name.</summary>
    public const string DatabaseFile = "is a SQLite database file, not a dump: read its sqlite3 .dump script instead (sqlite3 FILE .dump > dump.sql)";

    /// <summary>A SQLite database file (not a script) starts with this.</summary>
    public static ReadOnlySpan<byte> DatabaseFileMagic => "SQLite format 3\0"u8;

    /// <summary>The evidence that the UTF-8 head is a SQLite script (the first strong evidence, else the first of any), or null.</summary>
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

        SqliteEvidence? weak = null;
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
                return new SqliteEvidence($"'{Excerpt(content)}' is a SQLite command", line, at);
            }

            if (SqliteTable().Match(content) is { Success: true } table)
            {
                return new SqliteEvidence($"it writes to {table.Groups["table"].Value}, SQLite's own table", line, at);
            }

            // Outside string literals: a row may hold any text.
            if (AutoIncrement().IsMatch(StringLiteral().Replace(content, "''")))
            {
                return new SqliteEvidence($"'{Excerpt(content)}' uses SQLite's AUTOINCREMENT", line, at);
            }

            if (weak is null && BracketedTable().IsMatch(content))
            {
                // [names] are SQLite's or SQL Server's: a SQL Server script's own markers outweigh them (DumpReader), stronger evidence may follow.
                weak = text.Contains("sqlite", StringComparison.OrdinalIgnoreCase)
                    ? new SqliteEvidence($"'{Excerpt(content)}' quotes a name in [brackets] and the script mentions SQLite", line, at, Strong: false)
                    : new SqliteEvidence(
                        $"not a PostgreSQL dump: '{Excerpt(content)}' quotes a name in [brackets], which PostgreSQL does not read (SQLite or SQL Server syntax), " +
                        "and nothing else tells which: a SQL Server script is recognised by its GO lines, SET IDENTITY_INSERT or INSERT [...] statements near its start, " +
                        "a SQLite script by a PRAGMA, a write to SQLite's own tables (sqlite_sequence...), AUTOINCREMENT, or a mention of SQLite",
                        line,
                        at,
                        IsSqlite: false,
                        Strong: false);
            }
        }

        return weak;
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
