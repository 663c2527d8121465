using Selective.Restore.Providers;
using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Schema;

/// <summary>The catalog's statements parse as T-SQL, and their rows become the engine's table shape.</summary>
public sealed class CatalogTests
{
    private static readonly TableName Orders = new("sales", "Orders");

    private static SqlServerColumnRow Column(string name, string type, short maxLength = 4, byte precision = 10, byte scale = 0, bool nullable = true) =>
        new(name, type, maxLength, precision, scale, nullable, HasDefault: false, Computed: false, Identity: false, GeneratedAlways: false, Sequence: null);

    [TestCase(SqlServerCatalog.TableSql)]
    [TestCase(SqlServerCatalog.ColumnsSql)]
    [TestCase(SqlServerCatalog.KeysSql)]
    [TestCase(SqlServerCatalog.ForeignKeysSql)]
    [TestCase(SqlServerCatalog.TriggersSql)]
    [TestCase(SqlServerCatalog.TableSql + "\n" + SqlServerCatalog.ColumnsSql + "\n" + SqlServerCatalog.KeysSql + "\n" + SqlServerCatalog.ForeignKeysSql + "\n" + SqlServerCatalog.TriggersSql)]
    public void Every_catalog_statement_parses_and_reads_only_system_views(string sql)
    {
        var script = TSql.ShouldParse(sql);
        script.Batches.ShouldHaveSingleItem().Statements.ShouldNotBeEmpty();
        TSql.Names(script).ShouldAllBe(name => name.Count == 2 && name[0] == "sys");
    }

    [Test]
    public void Rows_become_the_table_shape_with_keys_in_key_order()
    {
        var columns = new[]
        {
            Column("Id", "int", nullable: false) with { Identity = true },
            Column("CustomerId", "bigint", 8),
            Column("Region", "char", 2, nullable: false),
            Column("Code", "nvarchar", 100, nullable: false),
            Column("Total", "decimal", 9, 18, 2),
            Column("Note", "nvarchar", -1),
            Column("Photo", "varbinary", -1),
            Column("At", "datetime2", 8, 27, 3),
            Column("Seen", "datetimeoffset", 10, 34, 7),
            Column("Number", "bigint", 8) with { HasDefault = true, Sequence = new TableName("sales", "OrderNumbers") },
            Column("TotalWithTax", "decimal", 9, 18, 2) with { Computed = true },
            Column("Version", "timestamp", 8, nullable: false),
            Column("ValidFrom", "datetime2", 8, 27, 7, nullable: false) with { GeneratedAlways = true },
        };
        var keys = new[]
        {
            new SqlServerKeyRow("PK_Orders", true, "Id"),
            new SqlServerKeyRow("UQ_Orders_Code", false, "Region"),
            new SqlServerKeyRow("UQ_Orders_Code", false, "Code"),
            new SqlServerKeyRow("UX_Orders_Number", false, "Number"),
        };
        var customers = new TableName("sales", "Customers");
        var foreignKeys = new[]
        {
            new SqlServerForeignKeyRow("FK_Orders_Customers", false, "CustomerId", customers, "Id"),
            new SqlServerForeignKeyRow("FK_Orders_Regions", false, "Region", new TableName("ref", "Codes"), "Region"),
            new SqlServerForeignKeyRow("FK_Orders_Regions", false, "Code", new TableName("ref", "Codes"), "Code"),
        };

        var table = SqlServerCatalog.Build(Orders, columns, keys, foreignKeys);

        table.Columns.Select(c => c.Position).ShouldBe(Enumerable.Range(1, columns.Length));
        table.Columns.Select(c => c.DataType).ShouldBe(
        [
            "int", "bigint", "char(2)", "nvarchar(50)", "decimal(18, 2)", "nvarchar(max)", "varbinary(max)", "datetime2(3)",
            "datetimeoffset(7)", "bigint", "decimal(18, 2)", "timestamp", "datetime2(7)",
        ]);
        table.Find("Id")!.Identity.ShouldBe(IdentityColumn.Always);
        table.Find("Id")!.HasDefault.ShouldBeTrue();
        table.Find("Region")!.NotNull.ShouldBeTrue();
        table.Find("Number")!.Sequence.ShouldBe(new TableName("sales", "OrderNumbers"));
        table.Columns.Where(c => c.IsGenerated).Select(c => c.Name).ShouldBe(["TotalWithTax", "Version", "ValidFrom"]);
        table.PrimaryKey.ShouldBe(["Id"]);
        table.UniqueKeys.Select(k => string.Join(",", k)).ShouldBe(["Region,Code", "Number"]);
        table.ForeignKeys.Count.ShouldBe(2);
        table.ForeignKeys[1].Columns.ShouldBe(["Region", "Code"]);
        table.ForeignKeys[1].ReferencedColumns.ShouldBe(["Region", "Code"]);
        table.ForeignKeys[0].ReferencedTable.ShouldBe(customers);
    }

    [TestCase("geography")]
    [TestCase("hierarchyid")]
    [TestCase("sql_variant")]
    public void A_column_of_an_unsupported_type_fails_the_table_naming_it(string type)
    {
        var error = Should.Throw<RestoreTableException>(() => SqlServerCatalog.Build(Orders, [Column("Id", "int"), Column("Shape", type, 8000)], [], []));
        error.Message.ShouldContain("Shape");
        error.Message.ShouldContain(type);
        error.IsIncompatibility.ShouldBeTrue();
    }

    [Test]
    public void A_computed_column_of_an_unsupported_type_is_never_read_so_it_is_no_obstacle()
    {
        var table = SqlServerCatalog.Build(Orders, [Column("Id", "int"), Column("Area", "geography", -1) with { Computed = true }], [], []);
        table.Find("Area")!.IsGenerated.ShouldBeTrue();
    }

    [Test]
    public void Disabled_foreign_keys_and_triggers_are_reported_as_the_table_s_notes()
    {
        var customers = new TableName("dbo", "Customers");
        var table = SqlServerCatalog.Build(
            Orders,
            [Column("Id", "int"), Column("CustomerId", "int")],
            [new SqlServerKeyRow("PK_Orders", true, "Id")],
            [new SqlServerForeignKeyRow("FK_Orders_Customers", true, "CustomerId", customers, "Id"), new SqlServerForeignKeyRow("FK_ok", false, "CustomerId", customers, "Id")],
            [new SqlServerTriggerRow("trg_audit", false, false), new SqlServerTriggerRow("trg_old", true, false), new SqlServerTriggerRow("trg_route", false, true)]);

        table.Notes.ShouldBe([
            "foreign key FK_Orders_Customers is disabled (NOCHECK): the rows restored are not checked against it",
            "trigger trg_audit fires for the rows written (it may change or add rows)",
            "trigger trg_old is disabled",
            "INSTEAD OF trigger trg_route replaces the restore's writes: what it does is what gets written",
        ]);

        // A disabled foreign key still orders the tables, but a missing parent row is no failure for it.
        table.ForeignKeys.Select(k => (k.Name, k.Enforced)).ShouldBe([("FK_Orders_Customers", false), ("FK_ok", true)]);
        SqlServerCatalog.Build(Orders, [Column("Id", "int")], [], []).Notes.ShouldBeEmpty();
    }
}
