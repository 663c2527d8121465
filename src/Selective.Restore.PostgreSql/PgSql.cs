using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>PostgreSQL spelling of identifiers: always quoted, so names from a dump can never become SQL (one rule with the scripts: <see cref="ScriptText"/>).</summary>
internal static class PgSql
{
    public static string Quote(string identifier) => ScriptText.QuoteIdentifier(identifier);

    public static string Quote(TableName name) => Quote(name.Schema) + "." + Quote(name.Name);

    /// <summary>
    /// The regclass text for a name, for passing as a parameter to <c>$1::regclass</c>: plain double quotes, since
    /// regclass input does not read the <c>U&amp;"..."</c> form SQL text uses for names with control characters (and a
    /// parameter value is never lexed, so it needs no such form).
    /// </summary>
    public static string RegClass(TableName name) => Plain(name.Schema) + "." + Plain(name.Name);

    private static string Plain(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
