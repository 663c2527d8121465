using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Sqlite;

/// <summary>SQLite's quoting and literals: names in double quotes (quotes doubled), values in the row-text form (<see cref="SqliteText"/>).</summary>
internal static class SqliteSql
{
    /// <summary>An identifier in double quotes, <c>"</c> doubled: whatever the name holds, SQLite reads that name.</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>The database a table lives in: its schema, <c>main</c> when the dump gave none.</summary>
    public static string Database(TableName table) => string.IsNullOrEmpty(table.Schema) ? "main" : table.Schema;

    /// <summary>A table's qualified name: <c>"main"."t"</c>.</summary>
    public static string Quote(TableName table) => Quote(Database(table)) + "." + Quote(table.Name);

    /// <summary>
    /// A value as a literal on one line of a script for the sqlite3 shell: its row-text form, with control characters
    /// (line breaks, NUL) as <c>char(n)</c> concatenations, so no line of a value can be read as a dot command.
    /// </summary>
    public static string Literal(object? value)
    {
        var text = SqliteText.Format(value);
        if (text is null)
        {
            return "NULL";
        }

        if (value is not string s || !s.Any(c => c < ' '))
        {
            return text;
        }

        // 'a'||char(10)||'b': || binds tighter than any other operator, so no parentheses are needed in a VALUES list.
        var literal = new StringBuilder();
        var open = false;
        foreach (var c in s)
        {
            if (c < ' ')
            {
                literal.Append(open ? "'||" : literal.Length > 0 ? "||" : string.Empty).Append(CultureInfo.InvariantCulture, $"char({(int)c})");
                open = false;
                continue;
            }

            if (!open)
            {
                literal.Append(literal.Length > 0 ? "||'" : "'");
                open = true;
            }

            literal.Append(c == '\'' ? "''" : c.ToString());
        }

        return literal.Append(open ? "'" : string.Empty).ToString();
    }
}
