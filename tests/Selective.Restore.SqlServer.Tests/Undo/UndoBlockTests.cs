using Microsoft.SqlServer.TransactSql.ScriptDom;
using Selective.Restore.SqlServer.Tests.Apply;
using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Undo;

/// <summary>
/// The undo script's blocks for sqlcmd, checked offline: every block parses (a batch each, GO after it), values are
/// literals that read back as the text they came from whatever they hold (quotes, line breaks, a line reading GO,
/// $(variables), NUL), and each block reverts only rows still as the restore left them.
/// </summary>
public sealed class UndoBlockTests
{
    private static readonly string[] Awkward =
    [
        "", "it's", "two\nlines", "GO", "x\r\nGO\r\ny", "$(SQLCMDUSER)", ":r evil.sql", "nul\0byte", "tab\there", "Zoë 😀 中文", new string('a', 5000) + "\n" + new string('b', 5000),
    ];

    [Test]
    public void Literals_read_back_as_the_text_they_came_from()
    {
        foreach (var text in Awkward)
        {
            var script = TSql.ShouldParse("SELECT " + SqlServerUndo.Literal(text) + ";");
            var select = (SelectStatement)script.Batches.Single().Statements.Single();
            var expression = ((SelectScalarExpression)((QuerySpecification)select.QueryExpression).SelectElements.Single()).Expression;
            Evaluate(expression).ShouldBe(text);
            SqlServerUndo.Literal(text).ShouldNotContain("\n");
        }
    }

    [Test]
    public void A_long_value_with_line_breaks_is_never_cut_at_4000_characters()
    {
        // N'..' + NCHAR(10) + N'..' is nvarchar(4000) unless an operand is max.
        SqlServerUndo.Literal(Awkward[^1]).ShouldStartWith("CONVERT(nvarchar(max), N'') + ");
        SqlServerUndo.Literal("plain").ShouldBe("N'plain'");
    }

    /// <summary>What the server makes of a literal: strings concatenated, NCHAR(n) as its character, CONVERT as its operand.</summary>
    private static string Evaluate(ScalarExpression expression) => expression switch
    {
        StringLiteral literal => literal.Value,
        BinaryExpression { BinaryExpressionType: BinaryExpressionType.Add } add => Evaluate(add.FirstExpression) + Evaluate(add.SecondExpression),
        FunctionCall { FunctionName.Value: "NCHAR" } call => ((char)int.Parse(((IntegerLiteral)call.Parameters.Single()).Value, System.Globalization.CultureInfo.InvariantCulture)).ToString(),
        ConvertCall convert => Evaluate(convert.Parameter),
        ParenthesisExpression parenthesis => Evaluate(parenthesis.Expression),
        _ => throw new InvalidOperationException($"unexpected {expression.GetType().Name}"),
    };

    [TestCase(1)]
    [TestCase(2)]
    public void Every_block_parses_inside_the_script_frame(int keyColumns)
    {
        var staging = StatementTests.Staging(new TableName("we]ird", "x]; DROP TABLE t; --"), keyColumns);
        var inserted = SqlServerStatements.Inserted(staging);
        var updated = SqlServerStatements.UpdateOutput(staging);
        var script = SqlServerUndoDialect.Instance.Begin("-- undo\n")
            + Block(inserted, SqlServerUndo.DeleteInserted(staging), staging)
            + Block(updated, SqlServerUndo.RestoreValues(staging), staging)
            + Block(staging.Written, SqlServerUndo.DeleteInsertedCopies(staging), staging)
            + SqlServerUndoDialect.Instance.End;

        var parsed = TSql.ShouldParse(script);
        parsed.Batches.Count.ShouldBe(4); // the frame and each block up to its GO; the COMMIT after the last
        script.ShouldContain("THROW 50000, @message, 1;");
        script.ShouldContain("EXCEPT SELECT");
    }

    private static string Block(IReadOnlyList<SqlServerStageColumn> columns, SqlServerUndo.Block block, SqlServerStaging staging)
    {
        var rows = Enumerable.Range(0, 3).Select(r => SqlServerUndo.Row([.. columns.Select((c, i) => Value(c, r + i))]));
        return SqlServerUndo.Open(columns) + SqlServerUndo.Values(rows) + SqlServerUndo.Close(columns, block, staging.Mapping.Live);
    }

    private static object? Value(SqlServerStageColumn column, int n) => column.Type.Kind switch
    {
        SqlServerTypeKind.Binary => new byte[] { 0, 0xFF, (byte)n },
        _ when n % 4 == 3 => null,
        SqlServerTypeKind.String or SqlServerTypeKind.Xml => Awkward[n % Awkward.Length],
        _ => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Test]
    public void The_block_checks_every_row_was_reverted_and_names_the_table_in_its_error_on_one_line()
    {
        var staging = StatementTests.Staging(new TableName("s", "two\nlines"));
        var close = SqlServerUndo.Close(SqlServerStatements.Inserted(staging), SqlServerUndo.DeleteInserted(staging), staging.Mapping.Live);
        close.ShouldContain("SET @done = @@ROWCOUNT;");
        close.ShouldContain("IF @done <> @expected");
        close.Split('\n').Single(line => line.Contains("CONCAT(", StringComparison.Ordinal)).ShouldContain("two\\nlines");
        TSql.ShouldParse(close).Batches.Count.ShouldBe(1);
    }

    [TestCase("x\nGO\ny")]
    [TestCase("x\r\n go \r\ny")]
    [TestCase("x\n:r other.sql")]
    public void A_table_whose_name_sqlcmd_would_cut_gets_no_undo_block(string name)
    {
        // A name is bracketed as it is, line breaks included: a line of it reading GO (or a : command) would cut the batch.
        var staging = StatementTests.Staging(new TableName("s", name));
        var error = Should.Throw<Providers.RestoreTableException>(() => SqlServerUndo.Close(SqlServerStatements.Inserted(staging), SqlServerUndo.DeleteInserted(staging), staging.Mapping.Live));
        error.Message.ShouldContain("sqlcmd");
    }
}
