using Selective.Restore.Dump;
using Selective.Restore.Scripts;

namespace Selective.Restore.PostgreSql;

/// <summary>PostgreSQL spelling of identifiers: always quoted, so names from a dump can never become SQL (one rule with the scripts: <see cref="ScriptText"/>).</summary>
internal static class PgSql
{
    public static string Quote(string identifier) => ScriptText.QuoteIdentifier(identifier);

    public static string Quote(TableName name) => Quote(name.Schema) + "." + Quote(name.Name);

    /// <summary>The regclass text for a name, for passing as a parameter to <c>$1::regclass</c>.</summary>
    public static string RegClass(TableName name) => Quote(name);
}
