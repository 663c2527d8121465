using System.Globalization;
using System.Text;

namespace Selective.Restore.Providers;

/// <summary>
/// The only ways a name or value gets into a SQL script this tool writes (split files, sequences.sql, undo scripts),
/// so that whatever a dump or a database holds stays inert when psql runs the script: in a comment it cannot end the
/// comment, as an identifier or literal it cannot end the quotes. psql runs a backslash command wherever its lexer is
/// outside quotes and comments, so nothing from the input may ever land there. The <c>TSql</c> members are the same
/// for T-SQL scripts run by sqlcmd (see <see cref="TSqlIdentifier"/>).
/// </summary>
public static class ScriptText
{
    /// <summary>
    /// Text safe inside a <c>--</c> comment: LF and CR (which end the comment for psql and the server) and every other
    /// control or line-breaking character are escaped (<see cref="DisplayText.Escape"/>), so the comment stays one line.
    /// </summary>
    public static string Comment(string? text) => DisplayText.Escape(text);

    /// <summary>
    /// A PostgreSQL identifier, always double-quoted (<c>"</c> doubled), so no name can become SQL and no keyword list
    /// is needed. A name with an ASCII control character (LF, CR, ESC...) is written with Unicode escapes
    /// (<c>U&amp;"a\000Ab"</c>, backslashes doubled), so even such a name never spreads over lines of a script: psql and
    /// the server read the same name, and every line a script has is one the tool wrote. Other characters (U+2028,
    /// U+0085...) stay as they are inside the quotes: psql does not break lines there, and escaping them would fail in
    /// a SQL_ASCII database ("conversion between UTF8 and SQL_ASCII is not supported").
    /// </summary>
    /// <exception cref="ArgumentException">The identifier contains NUL, which PostgreSQL names cannot (and psql would cut the line there).</exception>
    public static string QuoteIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        RejectNul(identifier, nameof(identifier));

        // U&"..." is valid whatever standard_conforming_strings says (only U&'...' strings depend on it).
        return Quote(identifier, '"', "U&", "\\");
    }

    /// <summary>A schema-qualified name, both parts quoted: <c>"schema"."table"</c>.</summary>
    /// <exception cref="ArgumentException">A part contains NUL.</exception>
    public static string QuoteName(TableName name) => QuoteIdentifier(name.Schema) + "." + QuoteIdentifier(name.Name);

    /// <summary>
    /// A string literal (<c>'</c> doubled). Valid only where <c>standard_conforming_strings</c> is on, which a script
    /// using it must set first: then a backslash is an ordinary character for psql and the server. A value with an
    /// ASCII control character is written as an escape string instead (<c>E'a\u000Ab'</c>, valid whatever the setting),
    /// so it stays on one line.
    /// </summary>
    /// <exception cref="ArgumentException">The value contains NUL.</exception>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        RejectNul(value, nameof(value));
        return Quote(value, '\'', "E", "\\u");
    }

    /// <summary>
    /// <paramref name="text"/> between <paramref name="quote"/>s (doubled inside); with an ASCII control character,
    /// the escaping form instead: <paramref name="prefix"/>, backslashes doubled, controls as <paramref name="escape"/>
    /// and four hex digits.
    /// </summary>
    private static string Quote(string text, char quote, string prefix, string escape)
    {
        var doubled = text.Replace(quote.ToString(), new string(quote, 2), StringComparison.Ordinal);
        if (!text.Any(IsAsciiControl))
        {
            return quote + doubled + quote;
        }

        var builder = new StringBuilder(prefix, doubled.Length + 16).Append(quote);
        foreach (var c in doubled)
        {
            _ = c switch
            {
                '\\' => builder.Append("\\\\"),
                _ when IsAsciiControl(c) => builder.Append(escape).Append(CultureInfo.InvariantCulture, $"{(int)c:X4}"),
                _ => builder.Append(c),
            };
        }

        return builder.Append(quote).ToString();
    }

    /// <summary>LF, CR and the other C0 controls, and DEL: the characters that end psql's lines and comments or drive a terminal.</summary>
    private static bool IsAsciiControl(char c) => c < ' ' || c == '\u007F';

    private static void RejectNul(string text, string parameter)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{Comment(text)}: a name or value with a NUL character cannot be written into a SQL script", parameter);
        }
    }

    // ---------------------------------------------------------------- T-SQL, for sqlcmd

    /// <summary>
    /// A T-SQL identifier, always bracketed (<c>]</c> doubled), so no name can become SQL and no keyword list is needed.
    /// sqlcmd reads a script line by line: a line starting with <c>:</c>, <c>!!</c> or <c>GO</c> is one of its commands, and
    /// it replaces <c>$(name)</c> anywhere, inside quotes too. T-SQL has no escapes inside brackets, so a name that holds a
    /// control character (a line break) or <c>$(</c> cannot be written inert, and is refused.
    /// </summary>
    /// <exception cref="ArgumentException">The name holds a control character or <c>$(</c>.</exception>
    public static string TSqlIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (TSqlUnwritable(identifier) is { } problem)
        {
            throw new ArgumentException($"the name {Comment(identifier)} has {problem}, which a sqlcmd script cannot hold inert", nameof(identifier));
        }

        return "[" + identifier.Replace("]", "]]", StringComparison.Ordinal) + "]";
    }

    /// <summary>A schema-qualified T-SQL name, both parts bracketed: <c>[schema].[table]</c>.</summary>
    /// <exception cref="ArgumentException">A part holds a control character or <c>$(</c>.</exception>
    public static string TSqlName(TableName name) => TSqlIdentifier(name.Schema) + "." + TSqlIdentifier(name.Name);

    /// <summary>Why <paramref name="name"/> cannot be a T-SQL identifier in a sqlcmd script, or null when it can.</summary>
    public static string? TSqlUnwritable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Any(IsAsciiControl))
        {
            return "a control character (a line break, tab or escape)";
        }

        return name.Contains("$(", StringComparison.Ordinal) ? "'$(' (a sqlcmd variable reference)" : null;
    }

    /// <summary>
    /// A Unicode string literal (<c>N'...'</c>, <c>'</c> doubled) that stays on one line and never holds <c>$(</c> or
    /// <c>/*</c>: ASCII control characters become <c>NCHAR(n)</c>, and a <c>$</c> before <c>(</c> or a <c>/</c> before
    /// <c>*</c> ends a literal; the parts are joined with <c>+</c>. The
    /// first part of a joined value is <c>CONVERT(nvarchar(max), ...)</c>, so the join is never cut at 4,000 characters.
    /// </summary>
    public static string TSqlLiteral(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Any(IsAsciiControl) && !value.Contains("$(", StringComparison.Ordinal) && !value.Contains("/*", StringComparison.Ordinal))
        {
            return "N'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        var parts = new List<string>();
        var run = new StringBuilder();
        void EndRun()
        {
            if (run.Length > 0)
            {
                parts.Add("N'" + run.ToString().Replace("'", "''", StringComparison.Ordinal) + "'");
                run.Clear();
            }
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (IsAsciiControl(c))
            {
                EndRun();
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"NCHAR({(int)c})"));
                continue;
            }

            run.Append(c);
            if (i + 1 < value.Length && ((c == '$' && value[i + 1] == '(') || (c == '/' && value[i + 1] == '*')))
            {
                EndRun(); // N'...$' + N'(...': sqlcmd sees no variable (nor, if it looks for comments in strings, a comment)
            }
        }

        EndRun();
        parts[0] = $"CONVERT(nvarchar(max), {parts[0]})";
        return string.Join(" + ", parts);
    }

    /// <summary>
    /// Text for a T-SQL <c>--</c> comment that every sqlcmd reads the same way: ASCII letters, digits, blanks and
    /// <c>_ . , : - + = ( ) #</c> stay; every other character (quotes, brackets, <c>$</c>, <c>*</c>, <c>/</c>, controls,
    /// non-ASCII) is written as <c>\uXXXX</c>. So a comment holds no raw name, no quote a line-based reader could
    /// take as opening a string, and no <c>$(</c>.
    /// </summary>
    public static string TSqlComment(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is ' ' or '_' or '.' or ',' or ':' or '-' or '+' or '=' or '(' or ')' or '#')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }

        return builder.ToString();
    }
}
