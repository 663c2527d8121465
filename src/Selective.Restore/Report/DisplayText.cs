using System.Globalization;
using System.Text;

namespace Selective.Restore;

/// <summary>
/// Text from a dump or a database (names, values, paths, messages) made safe to show a person: every character that
/// could start a new line, move the cursor, recolour the terminal or reorder what is shown is written as a visible
/// escape (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\x1B</c>, <c>\u2028</c>, ...). The result is one line, so it is also
/// safe inside a SQL <c>--</c> comment (psql ends a comment at LF or CR, and nothing else).
/// </summary>
/// <remarks>
/// Backslashes are kept as they are, so Windows paths stay readable; the escaped form is for people, the JSON
/// outputs carry the exact text.
/// </remarks>
internal static class DisplayText
{
    /// <summary>The text with every control, line-breaking and bidirectional-override character escaped.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var first = FirstUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            if (!IsUnsafe(c))
            {
                builder.Append(c);
                continue;
            }

            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                < '\u0080' => builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"),
                _ => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
            };
        }

        return builder.ToString();
    }

    /// <summary>A table name as a person reads it (quoted where PostgreSQL needs it, control characters escaped).</summary>
    public static string Name(TableName name) => Escape(name.ToString());

    private static int FirstUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// C0 and C1 controls and DEL (NEL U+0085 among them), the Unicode line and paragraph separators, the bidirectional
    /// embedding/override/isolate marks ("Trojan Source"), and a surrogate without its pair.
    /// </summary>
    internal static bool IsUnsafe(char c) =>
        c < ' ' || c is >= '\u007F' and <= '\u009F'
        || c is '\u2028' or '\u2029' or '\u061C' or '\u200E' or '\u200F'
        || c is >= '\u202A' and <= '\u202E'
        || c is >= '\u2066' and <= '\u2069'
        || char.IsSurrogate(c);
}
