using Microsoft.Data.SqlClient;
using Selective.Restore.Dump;
using Selective.Restore.Providers;
using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Apply;

/// <summary>
/// Every statement the target can build for a staged table parses as T-SQL (ScriptDom, SQL Server 2022's grammar) for
/// tables with hostile names and every supported type, composite and single keys, and says what the comparison rules need.
/// </summary>
public sealed class StatementTests
{
    internal static readonly string[] TypeNames =
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

    /// <summary>A staged table of every supported type (the first column an IDENTITY key), plus a dump column the table lacks.</summary>
    internal static SqlServerStaging Staging(TableName table, int keyColumns = 1, bool extraDumpColumn = true, string prefix = "")
    {
        var rows = TypeNames.Select((type, i) => new SqlServerColumnRow(
            i == 0 ? prefix + "Id" : $"{prefix}{type} ]col[ {i}", type, type.Contains("var", StringComparison.Ordinal) ? (short)-1 : (short)20, 18, (byte)(type is "decimal" or "numeric" or "time" or "datetime2" or "datetimeoffset" ? 3 : 0),
            Nullable: i >= keyColumns, HasDefault: false, Computed: false, Identity: i == 0, GeneratedAlways: false, Sequence: null,
            Collation: type.Contains("char", StringComparison.Ordinal) || type.EndsWith("text", StringComparison.Ordinal) ? "SQL_Latin1_General_CP1_CI_AS" : null)).ToList();
        var keyRows = rows.Take(keyColumns).Select(r => new SqlServerKeyRow("pk", true, r.Name)).ToList();
        var live = SqlServerCatalog.Build(table, rows, keyRows, []);
        List<DumpColumn> dump = [.. live.Columns.Select((c, i) => new DumpColumn(c.Name, i + 1))];
        List<LiveColumn?> targets = [.. live.Columns];
        if (extraDumpColumn)
        {
            dump.Add(new DumpColumn("gone", dump.Count + 1));
            targets.Add(null);
        }

        var mapping = new TableMapping(live, dump, targets, live.PrimaryKey);
        return new SqlServerStaging(mapping, 1, 3, new SqlServerTableShape(live, rows));
    }

    private static IEnumerable<TestCaseData> Statements()
    {
        foreach (var table in Tables)
        {
            var prefix = table.Name.Length > 10 ? "ü " : string.Empty;
            foreach (var keys in new[] { 1, 2 })
            {
                var s = Staging(table, keys, prefix: prefix);
                var name = $"{table} ({keys} key columns)";
                yield return new TestCaseData(SqlServerStatements.CreateStaging(s)).SetName($"CreateStaging {name}");
                yield return new TestCaseData(SqlServerStatements.TruncateText(s)).SetName($"TruncateText {name}");
                yield return new TestCaseData(SqlServerStatements.FillDelta(s, held: true)).SetName($"FillDelta held {name}");
                yield return new TestCaseData(SqlServerStatements.FillDelta(s, held: false, s.LiveOnly)).SetName($"FillDelta live {name}");
                yield return new TestCaseData(SqlServerStatements.CheckText(s)).SetName($"CheckText {name}");
                yield return new TestCaseData(SqlServerStatements.Classify(s, countLive: true)).SetName($"Classify {name}");
                yield return new TestCaseData(SqlServerStatements.Classify(s, countLive: false)).SetName($"Classify counted {name}");
                yield return new TestCaseData(SqlServerStatements.DuplicateKey(s)).SetName($"DuplicateKey {name}");
                yield return new TestCaseData(SqlServerStatements.ReadRows(s, withLive: true)).SetName($"ReadRows live {name}");
                yield return new TestCaseData(SqlServerStatements.ReadRows(s, withLive: false)).SetName($"ReadRows {name}");
                yield return new TestCaseData(SqlServerStatements.CreateOutput(s.Output, SqlServerStatements.Inserted(s))).SetName($"CreateOutput {name}");
                yield return new TestCaseData(SqlServerStatements.Insert(s, "'m', 'r'", s.Output)).SetName($"Insert {name}");
                yield return new TestCaseData(SqlServerStatements.Insert(s, "'m'", output: null, keyed: false)).SetName($"Insert whole rows {name}");
                yield return new TestCaseData(SqlServerStatements.Update(s, chosenOnly: false, s.Output)).SetName($"Update {name}");
                yield return new TestCaseData(SqlServerStatements.Update(s, chosenOnly: true, output: null)).SetName($"Update chosen {name}");
                yield return new TestCaseData(SqlServerStatements.ReadDelta(s, s.Written)).SetName($"ReadDelta {name}");
                yield return new TestCaseData(SqlServerStatements.DropIdenticalConflicts(s)).SetName($"DropIdenticalConflicts {name}");
                yield return new TestCaseData(SqlServerStatements.CreateEdit(s, s.Written)).SetName($"CreateEdit {name}");
                yield return new TestCaseData(SqlServerStatements.Reclassify(s)).SetName($"Reclassify {name}");
                yield return new TestCaseData(SqlServerStatements.Rewrite(s, s.Written.Skip(keys).ToList())).SetName($"Rewrite {name}");
                yield return new TestCaseData(SqlServerStatements.IdentityFacts(s, s.Compared.Take(2).ToList())).SetName($"IdentityFacts {name}");
                yield return new TestCaseData(SqlServerStatements.PairWholeRows(s)).SetName($"PairWholeRows {name}");
                yield return new TestCaseData(SqlServerStatements.MissingParents(s, [s.Compared[0], s.Compared[1]], Tables[1], ["Id", "x]y"], "'m', 'r', 'c', 't'")).SetName($"MissingParents {name}");
                yield return new TestCaseData(SqlServerStatements.MissingParents(s, [s.Compared[0], s.Compared[1]], Tables[1], ["Id", "x]y"], "'m', 'r', 'c', 't'", every: true)).SetName($"MissingParents every {name}");
                yield return new TestCaseData(SqlServerStatements.CreateKeys("#k_text", "#k", s.Key)).SetName($"CreateKeys {name}");
                yield return new TestCaseData(SqlServerStatements.FillKeys("#k_text", "#k", s.Key)).SetName($"FillKeys {name}");
                yield return new TestCaseData(SqlServerStatements.KeyRanges(s, "#k")).SetName($"KeyRanges {name}");
                yield return new TestCaseData(SqlServerStatements.ReserveIdentity(s, s.Key[0])).SetName($"ReserveIdentity {name}");
                yield return new TestCaseData(SqlServerStatements.ReserveSequence(s, s.Key[0])).SetName($"ReserveSequence {name}");
                yield return new TestCaseData(SqlServerStatements.ReserveIdentity(s, s.Key[0], preview: true)).SetName($"ReserveIdentity preview {name}");
                yield return new TestCaseData(SqlServerStatements.ReserveSequence(s, s.Key[0], preview: true)).SetName($"ReserveSequence preview {name}");
                yield return new TestCaseData(SqlServerStatements.ReseedIdentity(table, s.Key[0].Live)).SetName($"ReseedIdentity {name}");
                yield return new TestCaseData(SqlServerStatements.ReseedColumnSequence(table, s.Key[0].Live)).SetName($"ReseedColumnSequence {name}");
                yield return new TestCaseData(SqlServerTarget.MergeStatement(s, Key(s), new Dictionary<string, object?> { [s.Compared[0].Live] = 5, [s.Compared[3].Live] = "x" }, new SqlCommand(), s.Output)).SetName($"Merge {name}");
            }
        }

        yield return new TestCaseData(SqlServerTarget.LockHoldersSql).SetName("LockHolders");
        yield return new TestCaseData(SqlServerTarget.ListTablesSql).SetName("ListTables");
        yield return new TestCaseData(SqlServerTarget.SequenceSql).SetName("Sequence");
    }

    private static RowValues Key(SqlServerStaging staging) =>
        new([.. staging.Key.Select(k => k.Live)], [.. staging.Key.Select(_ => (object?)1)], [.. staging.Key.Select(_ => (string?)"1")]);

    [TestCaseSource(nameof(Statements))]
    public void Parses_with_no_error(string sql)
    {
        TSql.ShouldParse(sql).Batches.ShouldHaveSingleItem();
    }

    [Test]
    public void Missing_parents_are_looked_up_only_where_the_session_may_read_the_parent_and_NULL_references_check_nothing()
    {
        var staging = Staging(Tables[0], keyColumns: 2);
        var sql = SqlServerStatements.MissingParents(staging, [staging.Compared[0]], new TableName("dbo", "Customers"), ["Id"], "'m', 'r'");
        sql.ShouldStartWith("IF HAS_PERMS_BY_NAME(@parent, 'OBJECT', 'SELECT') = 1");
        sql.ShouldContain("SELECT TOP (1) COUNT_BIG(*) OVER (), d.c1, d.c2, d.c3");
        sql.ShouldContain("WHERE d.sr_class IN ('m', 'r') AND d.c3 IS NOT NULL");
        sql.ShouldContain("NOT EXISTS (SELECT 1 FROM [dbo].[Customers] AS p WHERE p.[Id] = d.c3)");
        sql.ShouldContain("ORDER BY d.sr_n;");

        // Every such row, for the engine to pick those whose parent row the restore leaves out: no count, no TOP.
        var every = SqlServerStatements.MissingParents(staging, [staging.Compared[0]], new TableName("dbo", "Customers"), ["Id"], "'m', 'r'", every: true);
        every.ShouldContain("SELECT CONVERT(bigint, 1), d.c1, d.c2, d.c3");
        every.ShouldNotContain("TOP");
        every.ShouldContain("NOT EXISTS (SELECT 1 FROM [dbo].[Customers] AS p WHERE p.[Id] = d.c3)");
    }

    [Test]
    public void A_plans_key_preview_reads_where_the_reservation_would_start_and_moves_nothing()
    {
        var staging = Staging(Tables[0]);
        foreach (var (reserve, preview) in new[]
        {
            (SqlServerStatements.ReserveIdentity(staging, staging.Key[0]), SqlServerStatements.ReserveIdentity(staging, staging.Key[0], preview: true)),
            (SqlServerStatements.ReserveSequence(staging, staging.Key[0]), SqlServerStatements.ReserveSequence(staging, staging.Key[0], preview: true)),
        })
        {
            reserve.ShouldContain("EXEC sys.sp_executesql");
            preview.ShouldNotContain("sp_executesql");
            preview.ShouldNotContain("sp_sequence_get_range");
            preview.ShouldNotContain("DBCC");
            preview.ShouldNotContain("ALTER SEQUENCE");
            preview.ShouldContain($"CONVERT(bigint, MAX({staging.Key[0].Stage})) FROM {staging.Delta}"); // above the keys staged and already remapped
            TSql.ShouldParse(preview).Batches.ShouldHaveSingleItem();
        }

        // Where ReseedSequence would restart the sequence (above every key), or the range would start otherwise.
        SqlServerStatements.ReserveSequence(staging, staging.Key[0], preview: true)
            .ShouldContain("SELECT CASE WHEN @max IS NOT NULL AND @step > 0 AND @current <= @max THEN @max + 1 WHEN @used = 0 THEN @current ELSE @current + @step END, @step;");
    }

    [Test]
    public void Names_reach_the_server_as_written()
    {
        var table = Tables[1];
        var sql = SqlServerStatements.Insert(Staging(table), "'m'", output: null);
        TSql.Names(TSql.ShouldParse(sql)).ShouldContain(name => name.Count == 2 && name[0] == table.Schema && name[1] == table.Name);
    }

    [Test]
    public void Strings_compare_exactly_and_offsets_count()
    {
        var columns = Staging(Tables[0]).Columns;
        var name = columns.First(c => c.Type.Name == "nvarchar");
        SqlServerStatements.Comparable("d", name.Stage, name).ShouldBe([$"d.{name.Stage} COLLATE {SqlServerStatements.BinaryCollation}", $"DATALENGTH(d.{name.Stage})"]);
        var offset = columns.Single(c => c.Type.Kind == SqlServerTypeKind.DateTimeOffset);
        SqlServerStatements.Comparable("l", "[x]", offset).ShouldBe(["l.[x]", "DATEPART(TZOFFSET, l.[x])"]);
        var ntext = columns.Single(c => c.Type.Name == "ntext");
        SqlServerStatements.Comparable("d", "c", ntext).First().ShouldStartWith("CONVERT(nvarchar(max), d.c)");
    }

    [Test]
    public void Key_columns_keep_the_live_collation_and_the_classification_is_NULL_safe_and_marks_held_and_NULL_keys()
    {
        var staging = Staging(Tables[0], keyColumns: 2);
        SqlServerStatements.CreateStaging(staging).ShouldContain("COLLATE SQL_Latin1_General_CP1_CI_AS");
        var classify = SqlServerStatements.Classify(staging, countLive: true);
        classify.ShouldContain("EXISTS (SELECT d.c3");
        classify.ShouldContain(" EXCEPT SELECT l.[smallint ]]col[ 2]");
        classify.ShouldContain("WHEN d.c1 IS NULL OR d.c2 IS NULL THEN 'n' WHEN d.sr_hold = 1 THEN 'h'");
        classify.ShouldContain("LEFT JOIN [dbo].[Orders] AS l ON l.[Id] = d.c1 AND l.[bigint ]]col[ 1] = d.c2");
    }

    [Test]
    public void Values_are_cut_by_no_conversion_and_checked_before_they_are_staged()
    {
        var staging = Staging(Tables[0]);
        var fill = SqlServerStatements.FillDelta(staging, held: false);
        var varchar = staging.Columns.First(c => c.Type.Name == "varchar");
        fill.ShouldContain($", t.{varchar.Stage},"); // inserted as is: too long fails, never cut
        fill.ShouldNotContain($"CONVERT(varchar(max), t.{varchar.Stage})");
        var date = staging.Columns.First(c => c.Type.Name == "datetime2");
        fill.ShouldContain($"CONVERT(datetime2(3), t.{date.Stage}, 121)");
        var check = SqlServerStatements.CheckText(staging)!;
        check.ShouldContain($"CONVERT(nvarchar(max), CONVERT(varchar(max), t.{varchar.Stage} COLLATE SQL_Latin1_General_CP1_CI_AS)) COLLATE {SqlServerStatements.BinaryCollation} <> t.{varchar.Stage} COLLATE {SqlServerStatements.BinaryCollation}");
        check.ShouldContain($"TRY_CONVERT(datetime2(3), t.{date.Stage}, 121) IS NULL");
        var binary = staging.Columns.First(c => c.Type.Name == "binary");
        check.ShouldContain($"DATALENGTH(t.{binary.Stage}) > 20");
    }

    [Test]
    public void Inserts_switch_identity_insert_off_whatever_happens_and_skip_keys_inserted_since()
    {
        var insert = SqlServerStatements.Insert(Staging(Tables[0]), "'m', 'r'", output: null);
        insert.ShouldContain("SET IDENTITY_INSERT [dbo].[Orders] ON;");
        insert.Split("SET IDENTITY_INSERT [dbo].[Orders] OFF;").Length.ShouldBe(3); // after the insert, and in the CATCH
        insert.ShouldContain("NOT EXISTS (SELECT 1 FROM [dbo].[Orders] AS l WITH (UPDLOCK, HOLDLOCK) WHERE l.[Id] = d.c1)");
        insert.ShouldNotContain("[gone]"); // a dump column the table lacks is staged, never written
    }

    [Test]
    public void A_table_of_key_columns_only_has_nothing_to_overwrite()
    {
        var staging = Staging(Tables[0], keyColumns: TypeNames.Length, extraDumpColumn: false);
        Should.Throw<ArgumentException>(() => SqlServerStatements.Update(staging, chosenOnly: false, output: null));
    }

    [Test]
    public void A_collation_name_is_never_spliced_unless_it_is_one()
    {
        var column = new SqlServerStageColumn("a", "c1", "nvarchar(10)", new SqlServerType("nvarchar", SqlServerTypeKind.String, 0), "Latin1; DROP TABLE t");
        Should.Throw<ArgumentException>(() => SqlServerStatements.Declare("c1", column));
    }
}
