using System.Buffers;
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

    /// <summary>
    /// A TEXT value, given as its UTF-8, written as <see cref="Literal"/> writes a string: quoted, quotes doubled, each
    /// control character (below U+0020, a single byte in UTF-8) as <c>char(n)</c> joined with <c>||</c>.
    /// </summary>
    public static void WriteTextLiteral(ReadOnlySpan<byte> utf8, IBufferWriter<byte> destination)
    {
        if (utf8.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0)
        {
            destination.Write("'"u8);
            WriteQuoted(utf8, destination);
            destination.Write("'"u8);
            return;
        }

        var open = false;
        var any = false;
        while (!utf8.IsEmpty)
        {
            var control = utf8.IndexOfAnyInRange((byte)0, (byte)0x1F);
            if (control != 0)
            {
                var run = control < 0 ? utf8 : utf8[..control];
                destination.Write(any ? "||'"u8 : "'"u8);
                WriteQuoted(run, destination);
                open = true;
                any = true;
                utf8 = utf8[run.Length..];
                continue;
            }

            destination.Write(open ? "'||char("u8 : any ? "||char("u8 : "char("u8);
            SqliteFields.WriteInteger(utf8[0], destination);
            destination.Write(")"u8);
            open = false;
            any = true;
            utf8 = utf8[1..];
        }

        if (open)
        {
            destination.Write("'"u8);
        }
    }

    /// <summary>Text with each quote doubled.</summary>
    private static void WriteQuoted(ReadOnlySpan<byte> utf8, IBufferWriter<byte> destination)
    {
        while (utf8.IndexOf((byte)'\'') is var quote and >= 0)
        {
            destination.Write(utf8[..(quote + 1)]);
            destination.Write("'"u8);
            utf8 = utf8[(quote + 1)..];
        }

        destination.Write(utf8);
    }
}
