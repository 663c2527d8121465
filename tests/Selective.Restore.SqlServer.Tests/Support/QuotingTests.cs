using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer.Tests.Support;

/// <summary>Identifiers from a dump are bracketed with <c>]</c> doubled: whatever a name holds, the server reads that name and nothing else.</summary>
public sealed class QuotingTests
{
    private static readonly string[] HostileNames =
    [
        "plain", "with space", "]", "a]b", "]]", "[x]", "x]; DROP TABLE t; --", "'quote'", "\"double\"", "-- comment", "/* open",
        "Zoë Дмитрий 美咲 🐘", "select", "GO", "N'x'", "a.b", "a].[b",
    ];

    [TestCaseSource(nameof(HostileNames))]
    public void A_hostile_name_is_read_back_exactly(string name)
    {
        var table = new TableName(name, name);
        var sql = $"SELECT {ScriptText.TSqlIdentifier(name)} FROM {ScriptText.TSqlName(table)};";

        var script = TSql.ShouldParse(sql);
        script.Batches.SelectMany(b => b.Statements).Count().ShouldBe(1);
        TSql.Names(script).ShouldHaveSingleItem().ShouldBe([name, name]);
    }

    [TestCase("line\nbreak")]
    [TestCase("carriage\rreturn")]
    [TestCase("tab\there")]
    [TestCase("$(sqlcmd_variable)")]
    public void A_name_sqlcmd_would_act_on_is_refused(string name)
    {
        Should.Throw<ArgumentException>(() => ScriptText.TSqlIdentifier(name)).Message.ShouldContain("sqlcmd");
    }
}
