using Selective.Restore.Dump;
using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Apply;

/// <summary>
/// Every statement the provider builds for a staged table parses as T-SQL (ScriptDom, SQL Server 2022's grammar) for
/// tables with hostile names and every supported type, and says what the comparison rules need.
/// </summary>
public sealed class StatementTests
{
    private static readonly string[] TypeNames =
    [
        "int", "bigint", "smallint", "tinyint", "bit", "decimal", "numeric", "money", "smallmoney", "float", "real",
        "char", "varchar", "nchar", "nvarchar", "text", "ntext", "xml", "binary", "varbinary", "image",
        "date", "time", "datetime", "smalldatetime", "datetime2", "datetimeoffset", "uniqueidentifier",
    ];

    private static readonly TableName[] Tables =
    [
        new("dbo", "Orders"),
        new("we]ird", "x]; DROP TABLE t; --"),
        new("sales", "Zoë Дмитрий 美咲"),
        new("s", "select"),
    ];

    private static IReadOnlyList<SqlServerStageColumn> Columns(string prefix)
    {
        var rows = TypeNames.Select((type, i) => new SqlServerColumnRow(
            i == 0 ? prefix + "Id" : $"{prefix}{type} ]col[ {i}", type, type.Contains("var", StringComparison.Ordinal) ? (short)-1 : (short)20, 18, (byte)(type is "decimal" or "numeric" or "time" or "datetime2" or "datetimeoffset" ? 3 : 0),
            Nullable: i != 0, HasDefault: false, Computed: false, Identity: i == 0, GeneratedAlways: false, Sequence: null)).ToList();
        var live = SqlServerCatalog.Build(new TableName("dbo", "t"), rows, [], []);
        return SqlServerStatements.StageColumns([.. live.Columns.Select((c, i) => (c, SqlServerType.From(rows[i].SystemType, rows[i].Scale)!.Value, rows[i].SystemType.Contains("char", StringComparison.Ordinal) || rows[i].SystemType.EndsWith("text", StringComparison.Ordinal) ? "SQL_Latin1_General_CP1_CI_AS" : null))]);
    }

    private static IEnumerable<TestCaseData> Statements()
    {
        foreach (var table in Tables)
        {
            var columns = Columns(table.Name.Length > 10 ? "ü " : string.Empty);
            var key = columns.Take(1).ToList();
            var (delta, text) = SqlServerStatements.TempNames(3);
            yield return new TestCaseData(SqlServerStatements.CreateDelta(delta, columns)).SetName($"CreateDelta {table}");
            yield return new TestCaseData(SqlServerStatements.CreateText(text, columns)).SetName($"CreateText {table}");
            yield return new TestCaseData(SqlServerStatements.FillDelta(delta, text, columns)).SetName($"FillDelta {table}");
            yield return new TestCaseData(SqlServerStatements.Classify(delta, table, key, columns)).SetName($"Classify {table}");
            yield return new TestCaseData(SqlServerStatements.InsertMissing(delta, table, columns, key, identityInsert: true, undo: "#sr_undo_3")).SetName($"InsertMissing {table}");
            yield return new TestCaseData(SqlServerStatements.InsertMissing(delta, table, columns, key, identityInsert: false, undo: null)).SetName($"InsertMissing plain {table}");
            yield return new TestCaseData(SqlServerStatements.UpdateConflicting(delta, table, columns, key, chosenOnly: false, undo: "#sr_old_3")).SetName($"UpdateConflicting {table}");
            yield return new TestCaseData(SqlServerStatements.UpdateConflicting(delta, table, columns, key, chosenOnly: true, undo: null)).SetName($"UpdateChosen {table}");
            yield return new TestCaseData(SqlServerStatements.ReseedIdentity(table, columns[0].Live)).SetName($"ReseedIdentity {table}");
            yield return new TestCaseData(SqlServerStatements.CountClasses(delta)).SetName($"CountClasses {table}");
        }

        yield return new TestCaseData(SqlServerStatements.ReseedSequence).SetName("ReseedSequence");
    }

    [TestCaseSource(nameof(Statements))]
    public void Parses_with_no_error(string sql)
    {
        TSql.ShouldParse(sql).Batches.ShouldHaveSingleItem();
    }

    [Test]
    public void Names_reach_the_server_as_written()
    {
        var table = Tables[1];
        var columns = Columns(string.Empty);
        var sql = SqlServerStatements.InsertMissing("#sr_delta_1", table, columns, columns.Take(1).ToList(), identityInsert: false, undo: null);
        TSql.Names(TSql.ShouldParse(sql)).ShouldContain(name => name.Count == 2 && name[0] == table.Schema && name[1] == table.Name);
    }

    [Test]
    public void Strings_compare_exactly_and_offsets_count()
    {
        var columns = Columns(string.Empty);
        var name = columns.Single(c => c.Type.Name == "nvarchar");
        SqlServerStatements.Comparable("d", name.Stage, name).ShouldBe([$"d.{name.Stage} COLLATE {SqlServerStatements.BinaryCollation}", $"DATALENGTH(d.{name.Stage})"]);
        var offset = columns.Single(c => c.Type.Kind == SqlServerTypeKind.DateTimeOffset);
        SqlServerStatements.Comparable("l", "[x]", offset).ShouldBe(["l.[x]", "DATEPART(TZOFFSET, l.[x])"]);
        var ntext = columns.Single(c => c.Type.Name == "ntext");
        SqlServerStatements.Comparable("d", "c", ntext).First().ShouldStartWith("CONVERT(nvarchar(max), d.c)");
    }

    [Test]
    public void Key_columns_keep_the_live_collation_and_the_classification_is_NULL_safe()
    {
        var columns = Columns(string.Empty);
        SqlServerStatements.CreateDelta("#d", columns).ShouldContain("COLLATE SQL_Latin1_General_CP1_CI_AS");
        var classify = SqlServerStatements.Classify("#d", Tables[0], columns.Take(1).ToList(), columns);
        classify.ShouldContain("EXISTS (SELECT d.c1");
        classify.ShouldContain(" EXCEPT SELECT l.[Id]");
    }

    [Test]
    public void A_table_of_key_columns_only_has_nothing_to_overwrite()
    {
        var key = Columns(string.Empty).Take(1).ToList();
        Should.Throw<ArgumentException>(() => SqlServerStatements.UpdateConflicting("#d", Tables[0], key, key, chosenOnly: false, undo: null));
    }
}
