using System.Text;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// Which database a psql <c>\connect</c> (<c>\c</c>) line switches to, read as psql reads its arguments: what pg_dump and
/// pg_dumpall write (<c>\connect name</c>, <c>\connect "Name"</c>, <c>\connect -reuse-previous=on "dbname='a b'"</c>,
/// pg_dump 7/8's <c>\connect - owner</c>) and the other spellings psql accepts.
/// </summary>
internal static class ConnectCommand
{
    /// <summary>What a <c>\connect</c> line does to the current database.</summary>
    internal enum Outcome
    {
        /// <summary>It reconnects to the same database (no name, <c>-</c>, or a connection string without <c>dbname</c> that reuses the previous one).</summary>
        Same,

        /// <summary>It connects to the database in the out parameter.</summary>
        Database,

        /// <summary>The reader cannot tell which database it connects to; the out parameter says why.</summary>
        Unknown,
    }

    /// <summary>Reads the arguments of a <c>\connect</c> line (everything after the command name).</summary>
    /// <param name="arguments">The text after <c>\connect</c>, without the line end.</param>
    /// <param name="result">The database name for <see cref="Outcome.Database"/>, the reason for <see cref="Outcome.Unknown"/>.</param>
    public static Outcome Read(string arguments, out string result)
    {
        result = string.Empty;
        var words = Split(arguments);
        bool? reusePrevious = null; // psql reuses the previous parameters for positional arguments, not for a connection string
        var i = 0;
        if (i < words.Count && words[i].StartsWith("-reuse-previous", StringComparison.Ordinal))
        {
            var value = words[i].Contains('=', StringComparison.Ordinal) ? words[i][(words[i].IndexOf('=', StringComparison.Ordinal) + 1)..] : words.Count > i + 1 ? words[++i] : "on";
            reusePrevious = value.ToLowerInvariant() is "on" or "true" or "yes" or "1";
            i++;
        }

        if (i >= words.Count || words[i].Length == 0 || string.Equals(words[i], "-", StringComparison.Ordinal))
        {
            return Outcome.Same; // \connect, \connect - user: the same database (pg_dump 7 and 8 change the owner so)
        }

        var first = words[i];
        if (first.StartsWith("postgresql://", StringComparison.Ordinal) || first.StartsWith("postgres://", StringComparison.Ordinal))
        {
            result = "it connects with a URI, which the reader does not read";
            return Outcome.Unknown;
        }

        if (!first.Contains('=', StringComparison.Ordinal))
        {
            result = first;
            return Outcome.Database;
        }

        // A connection string: key=value pairs, values unquoted or in single quotes with backslash escapes (libpq's conninfo_parse).
        string? database = null;
        var text = first;
        var at = 0;
        while (at < text.Length)
        {
            while (at < text.Length && char.IsWhiteSpace(text[at]))
            {
                at++;
            }

            var equals = text.IndexOf('=', at);
            if (at >= text.Length)
            {
                break;
            }

            if (equals < 0)
            {
                result = "its connection string is malformed";
                return Outcome.Unknown;
            }

            var key = text[at..equals].Trim();
            at = equals + 1;
            while (at < text.Length && char.IsWhiteSpace(text[at]))
            {
                at++;
            }

            var value = new StringBuilder();
            if (at < text.Length && text[at] == '\'')
            {
                at++;
                while (at < text.Length && text[at] != '\'')
                {
                    if (text[at] == '\\' && at + 1 < text.Length)
                    {
                        at++;
                    }

                    value.Append(text[at++]);
                }

                if (at >= text.Length)
                {
                    result = "its connection string has an unterminated quoted value";
                    return Outcome.Unknown;
                }

                at++;
            }
            else
            {
                while (at < text.Length && !char.IsWhiteSpace(text[at]))
                {
                    if (text[at] == '\\' && at + 1 < text.Length)
                    {
                        at++;
                    }

                    value.Append(text[at++]);
                }
            }

            if (string.Equals(key, "dbname", StringComparison.Ordinal))
            {
                database = value.ToString();
            }
        }

        if (database is not null)
        {
            result = database;
            return Outcome.Database;
        }

        if (reusePrevious == true)
        {
            return Outcome.Same;
        }

        result = "its connection string names no database and does not reuse the previous one";
        return Outcome.Unknown;
    }

    /// <summary>Splits psql meta-command arguments: white space between them, "double quotes" (<c>""</c> for a quote; case kept) and 'single quotes' (<c>''</c> or a backslash escape).</summary>
    private static List<string> Split(string text)
    {
        var words = new List<string>();
        var at = 0;
        while (true)
        {
            while (at < text.Length && char.IsWhiteSpace(text[at]))
            {
                at++;
            }

            if (at >= text.Length)
            {
                return words;
            }

            var word = new StringBuilder();
            while (at < text.Length && !char.IsWhiteSpace(text[at]))
            {
                var c = text[at];
                if (c is '"' or '\'')
                {
                    at++;
                    while (at < text.Length)
                    {
                        if (text[at] == c)
                        {
                            if (at + 1 < text.Length && text[at + 1] == c)
                            {
                                word.Append(c);
                                at += 2;
                                continue;
                            }

                            break;
                        }

                        if (c == '\'' && text[at] == '\\' && at + 1 < text.Length)
                        {
                            at++;
                            word.Append(text[at] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', var other => other });
                            at++;
                            continue;
                        }

                        word.Append(text[at++]);
                    }

                    at++; // the closing quote
                    continue;
                }

                word.Append(c);
                at++;
            }

            words.Add(word.ToString());
        }
    }
}
