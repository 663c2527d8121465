using System.Text;

namespace Selective.Restore.Dump.Plain;

/// <summary>
/// Writes the session settings a dump makes (<c>SET name = value</c>, <c>SELECT pg_catalog.set_config(...)</c>)
/// afresh from their parsed names and values, for replay in generated scripts. The dump's own text is never
/// copied: psql runs any backslash outside quotes as a meta-command (<c>\! shell command</c>), so a statement
/// is rebuilt from words, numbers and quoted strings only, and one that does not fit is not kept.
/// </summary>
internal static class SettingStatement
{
    /// <summary>Decodes a string token of <paramref name="span"/> into its value.</summary>
    public delegate string? StringDecoder(ReadOnlySpan<byte> span, Token token);

    /// <summary>
    /// Renders <c>SET [SESSION|LOCAL] name {=|TO} value [, ...]</c> or <c>SET [SESSION|LOCAL] TIME ZONE value</c>
    /// (tokens of one statement, ';' optional).
    /// </summary>
    /// <returns>The statement, or null with <paramref name="reason"/> when it has another shape or unsafe characters.</returns>
    public static string? RenderSet(ReadOnlySpan<byte> span, List<Token> tokens, StringDecoder decode, out string? reason)
    {
        var builder = new StringBuilder("SET ");
        var i = 1;
        if (i < tokens.Count && tokens[i].IsWord(span, "LOCAL"u8))
        {
            builder.Append("LOCAL ");
            i++;
        }
        else if (i < tokens.Count && tokens[i].IsWord(span, "SESSION"u8))
        {
            i++;
        }

        if (i + 1 < tokens.Count && tokens[i].IsWord(span, "TIME"u8) && tokens[i + 1].IsWord(span, "ZONE"u8))
        {
            builder.Append("TIME ZONE ");
            i += 2;
            return AppendValues(span, tokens, ref i, builder, decode, out reason) ? Finish(span, tokens, i, builder, out reason) : null;
        }

        // name or name.name (a custom setting)
        if (!AppendName(span, tokens, ref i, builder, out reason))
        {
            return null;
        }

        if (i < tokens.Count && tokens[i].IsPunct(span, (byte)'.'))
        {
            builder.Append('.');
            i++;
            if (!AppendName(span, tokens, ref i, builder, out reason))
            {
                return null;
            }
        }

        if (i >= tokens.Count || !(tokens[i].IsPunct(span, (byte)'=') || tokens[i].IsWord(span, "TO"u8)))
        {
            reason = "it is not of the form SET name = value";
            return null;
        }

        builder.Append(" = ");
        i++;
        if (!AppendValues(span, tokens, ref i, builder, decode, out reason))
        {
            return null;
        }

        return Finish(span, tokens, i, builder, out reason);
    }

    /// <summary>Renders <c>SELECT [pg_catalog.]set_config('name', 'value', true|false)</c> from its decoded arguments.</summary>
    public static string? RenderSetConfig(string name, string? value, bool isLocal, out string? reason)
    {
        if (value is null)
        {
            reason = "its value is not a string literal";
            return null;
        }

        var builder = new StringBuilder("SELECT pg_catalog.set_config(");
        if (!AppendString(name, builder, out reason))
        {
            return null;
        }

        builder.Append(", ");
        if (!AppendString(value, builder, out reason))
        {
            return null;
        }

        builder.Append(isLocal ? ", true);" : ", false);");
        return builder.ToString();
    }

    private static bool AppendName(ReadOnlySpan<byte> span, List<Token> tokens, ref int i, StringBuilder builder, out string? reason)
    {
        reason = null;
        if (i >= tokens.Count)
        {
            reason = "it names no setting";
            return false;
        }

        var token = tokens[i];
        if (token.Kind == TokenKind.Word)
        {
            // A lexed word holds letters, digits, '_' and '$' only (and UTF-8 letters): nothing psql reads specially.
            builder.Append(Encoding.UTF8.GetString(token.Text(span)));
        }
        else if (token.Kind == TokenKind.QuotedIdentifier)
        {
            var name = SqlLiteral.Identifier(token.Text(span), token.Kind);
            if (HasControl(name))
            {
                reason = "its name holds a control character";
                return false;
            }

            builder.Append('"').Append(name.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        else
        {
            reason = "it names no setting";
            return false;
        }

        i++;
        return true;
    }

    private static bool AppendValues(ReadOnlySpan<byte> span, List<Token> tokens, ref int i, StringBuilder builder, StringDecoder decode, out string? reason)
    {
        reason = null;
        var first = true;
        while (true)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            if (i >= tokens.Count)
            {
                reason = "a value is missing";
                return false;
            }

            var token = tokens[i];
            if (token.Kind == TokenKind.Punct && token.Length == 1 && span[token.Start] is (byte)'-' or (byte)'+' &&
                i + 1 < tokens.Count && tokens[i + 1].Kind == TokenKind.Number)
            {
                builder.Append((char)span[token.Start]);
                i++;
                token = tokens[i];
            }

            switch (token.Kind)
            {
                case TokenKind.Word:
                case TokenKind.Number:
                    builder.Append(Encoding.UTF8.GetString(token.Text(span)));
                    break;
                case TokenKind.QuotedIdentifier:
                    var identifier = SqlLiteral.Identifier(token.Text(span), token.Kind);
                    if (HasControl(identifier))
                    {
                        reason = "a value holds a control character";
                        return false;
                    }

                    builder.Append('"').Append(identifier.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
                    break;
                case TokenKind.String when token.Prefix is 0 or (byte)'E' or (byte)'e' or (byte)'N':
                    if (decode(span, token) is not { } text || !AppendString(text, builder, out reason))
                    {
                        reason ??= "a value is not a plain string";
                        return false;
                    }

                    break;
                default:
                    reason = "a value is not a word, number or string";
                    return false;
            }

            i++;
            if (i < tokens.Count && tokens[i].IsPunct(span, (byte)','))
            {
                i++;
                continue;
            }

            return true;
        }
    }

    private static string? Finish(ReadOnlySpan<byte> span, List<Token> tokens, int i, StringBuilder builder, out string? reason)
    {
        if (i < tokens.Count && tokens[i].IsPunct(span, (byte)';'))
        {
            i++;
        }

        if (i < tokens.Count)
        {
            reason = "it has more than a name and values";
            return null;
        }

        reason = null;
        return builder.Append(';').ToString();
    }

    /// <summary>A string literal that reads the same whatever <c>standard_conforming_strings</c> says: E'' when it holds a backslash.</summary>
    private static bool AppendString(string value, StringBuilder builder, out string? reason)
    {
        if (HasControl(value))
        {
            reason = "a value holds a control character";
            return false;
        }

        reason = null;
        var quoted = value.Replace("'", "''", StringComparison.Ordinal);
        if (value.Contains('\\', StringComparison.Ordinal))
        {
            builder.Append("E'").Append(quoted.Replace("\\", "\\\\", StringComparison.Ordinal)).Append('\'');
        }
        else
        {
            builder.Append('\'').Append(quoted).Append('\'');
        }

        return true;
    }

    private static bool HasControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
