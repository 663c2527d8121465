using System.Text;

namespace Selective.Restore.Tests.Support;

/// <summary>
/// Reads a SQL script the way psql 15 does (with standard_conforming_strings on), to see what psql would run as
/// backslash commands and which lines it would send as COPY data. Follows psqlscan.l: <c>--</c> comments end at LF or
/// CR, <c>/* */</c> nest, quotes ('..', E'..', "..", $tag$..$tag$) hide backslashes, a backslash anywhere else starts a
/// meta-command that runs to the end of the line, and after <c>COPY ... FROM stdin;</c> the following lines are data up
/// to a line that is exactly <c>\.</c>.
/// </summary>
internal static class PsqlScript
{
    /// <summary>What psql would do with the script.</summary>
    /// <param name="MetaCommands">Each backslash command psql would run, from the backslash to the end of its line.</param>
    /// <param name="LinesOutsideCopyData">The script's lines as psql and terminals break them (LF, CR), except COPY data lines (psql sends those to the server). U+2028 or U+0085 inside a quoted name are not line breaks for psql.</param>
    /// <param name="CopyDataLines">The COPY data lines.</param>
    public sealed record Reading(List<string> MetaCommands, List<string> LinesOutsideCopyData, List<string> CopyDataLines);

    public static Reading Read(string script)
    {
        var meta = new List<string>();
        var copyLines = new List<string>();
        var outside = new StringBuilder();
        var statement = new StringBuilder();
        var i = 0;
        while (i < script.Length)
        {
            var c = script[i];
            if (c == '-' && At(script, i, "--"))
            {
                var end = script.IndexOfAny(['\n', '\r'], i);
                end = end < 0 ? script.Length : end;
                outside.Append(script, i, end - i);
                i = end;
                continue;
            }

            if (c == '/' && At(script, i, "/*"))
            {
                var depth = 0;
                var j = i;
                while (j < script.Length)
                {
                    if (At(script, j, "/*"))
                    {
                        depth++;
                        j += 2;
                    }
                    else if (At(script, j, "*/"))
                    {
                        depth--;
                        j += 2;
                        if (depth == 0)
                        {
                            break;
                        }
                    }
                    else
                    {
                        j++;
                    }
                }

                outside.Append(script, i, j - i);
                statement.Append(' ');
                i = j;
                continue;
            }

            if (c is '\'' or '"')
            {
                var escapes = c == '\'' && i > 0 && script[i - 1] is 'E' or 'e' && (i < 2 || !char.IsLetterOrDigit(script[i - 2]));
                var j = i + 1;
                while (j < script.Length)
                {
                    if (escapes && script[j] == '\\')
                    {
                        j += 2;
                        continue;
                    }

                    if (script[j] == c)
                    {
                        if (j + 1 < script.Length && script[j + 1] == c)
                        {
                            j += 2;
                            continue;
                        }

                        break;
                    }

                    j++;
                }

                j = Math.Min(j + 1, script.Length);
                outside.Append(script, i, j - i);
                statement.Append(script, i, j - i);
                i = j;
                continue;
            }

            if (c == '$' && DollarTag(script, i) is { } tag && (i == 0 || !IsIdentifierChar(script[i - 1])))
            {
                var close = script.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                var j = close < 0 ? script.Length : close + tag.Length;
                outside.Append(script, i, j - i);
                statement.Append(' ');
                i = j;
                continue;
            }

            if (c == '\\')
            {
                var end = script.IndexOf('\n', i);
                end = end < 0 ? script.Length : end;
                meta.Add(script[i..end].TrimEnd('\r'));
                outside.Append(script, i, end - i);
                i = end;
                continue;
            }

            outside.Append(c);
            statement.Append(c);
            i++;
            if (c == ';')
            {
                var text = string.Join(' ', statement.ToString().Split((char[])[' ', '\t', '\n', '\r', '\f'], StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();
                statement.Clear();
                if (text.StartsWith("COPY ", StringComparison.Ordinal) && text.EndsWith("FROM STDIN;", StringComparison.Ordinal))
                {
                    // psql sends the data from the next line on, then lexes the rest of this line.
                    var lineEnd = script.IndexOf('\n', i);
                    var rest = lineEnd < 0 ? script[i..] : script[i..(lineEnd + 1)];
                    var j = lineEnd < 0 ? script.Length : lineEnd + 1;
                    while (j < script.Length)
                    {
                        var next = script.IndexOf('\n', j);
                        var line = next < 0 ? script[j..] : script[j..next];
                        j = next < 0 ? script.Length : next + 1;
                        if (line is "\\." or "\\.\r")
                        {
                            outside.Append("\n\\.\n");
                            break;
                        }

                        copyLines.Add(line);
                    }

                    var inner = Read(rest);
                    meta.AddRange(inner.MetaCommands);
                    outside.Append(rest);
                    script = script[..i] + script[j..];
                }
            }
        }

        var lines = outside.ToString().Split(["\r\n", "\n", "\r"], StringSplitOptions.None).ToList();
        return new Reading(meta, lines, copyLines);
    }

    private static bool At(string s, int i, string what) => string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > '\u007F';

    private static string? DollarTag(string s, int i)
    {
        var j = i + 1;
        while (j < s.Length && (char.IsLetter(s[j]) || s[j] == '_' || s[j] > '\u007F' || (j > i + 1 && char.IsAsciiDigit(s[j]))))
        {
            j++;
        }

        return j < s.Length && s[j] == '$' ? s[i..(j + 1)] : null;
    }
}
