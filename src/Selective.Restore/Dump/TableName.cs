namespace Selective.Restore;

/// <summary>A schema-qualified table name exactly as the database spells it (case and quotes resolved).</summary>
/// <param name="Schema">The schema (namespace); <c>public</c> when the dump did not qualify the name.</param>
/// <param name="Name">The table name.</param>
public readonly record struct TableName(string Schema, string Name)
{
    /// <summary>The name quoted for PostgreSQL when needed, e.g. <c>public."Order Lines"</c>.</summary>
    public override string ToString() => $"{QuoteIfNeeded(Schema)}.{QuoteIfNeeded(Name)}";

    /// <summary>Quotes an identifier the way PostgreSQL's <c>quote_ident</c> does (without the keyword check).</summary>
    internal static string QuoteIfNeeded(string identifier)
    {
        var plain = identifier.Length > 0 && (char.IsAsciiLetterLower(identifier[0]) || identifier[0] == '_');
        foreach (var c in identifier)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                plain = false;
                break;
            }
        }

        return plain ? identifier : "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
