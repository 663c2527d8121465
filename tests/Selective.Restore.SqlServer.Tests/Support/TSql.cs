using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Selective.Restore.SqlServer.Tests.Support;

/// <summary>T-SQL checked by SQL Server's own parser (ScriptDom), offline: what the provider generates must parse with no error.</summary>
internal static class TSql
{
    /// <summary>Parses <paramref name="sql"/> (batches split at GO, as sqlcmd does) and fails listing every error.</summary>
    public static TSqlScript ShouldParse(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var errors);
        errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}").ShouldBeEmpty($"T-SQL that must parse:\n{sql}");
        return (TSqlScript)fragment;
    }

    /// <summary>The tables (and views) the script reads or writes, each name part as the server reads it (brackets removed, <c>]]</c> undoubled).</summary>
    public static List<IReadOnlyList<string>> Names(TSqlScript script)
    {
        var visitor = new NameVisitor();
        script.Accept(visitor);
        return visitor.Names;
    }

    private sealed class NameVisitor : TSqlFragmentVisitor
    {
        public List<IReadOnlyList<string>> Names { get; } = [];

        public override void ExplicitVisit(NamedTableReference node)
        {
            Names.Add([.. node.SchemaObject.Identifiers.Select(i => i.Value)]);
            base.ExplicitVisit(node);
        }
    }
}
