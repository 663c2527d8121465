using Selective.Restore.Providers;
using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Undo;

/// <summary>The undo script's frame for sqlcmd: one transaction any error rolls back, and it parses as T-SQL.</summary>
public sealed class UndoDialectTests
{
    [Test]
    public void The_frame_is_one_transaction_that_any_error_rolls_back()
    {
        var dialect = SqlServerUndoDialect.Instance;
        var script = dialect.Begin("-- undo for a restore\n-- second line\n") +
            $"DELETE FROM {ScriptText.TSqlName(new TableName("dbo", "Orders"))} WHERE [Id] = 1;\n" +
            dialect.End;

        var parsed = TSql.ShouldParse(script);
        var statements = parsed.Batches.SelectMany(b => b.Statements).Select(s => s.GetType().Name).ToList();
        statements.ShouldBe(["PredicateSetStatement", "PredicateSetStatement", "BeginTransactionStatement", "DeleteStatement", "CommitTransactionStatement"]);
        script.ShouldContain("SET XACT_ABORT ON;");
    }

    [Test]
    public void The_run_command_stops_at_the_first_error_and_reads_UTF8()
    {
        var command = SqlServerUndoDialect.Instance.RunCommand("undo.sql");
        command.ShouldStartWith("sqlcmd ");
        command.ShouldContain(" -b ");
        command.ShouldContain(" -x "); // values holding "$(name)" reach the server as written
        command.ShouldContain("-f 65001");
        command.ShouldEndWith("-i undo.sql");
    }
}
