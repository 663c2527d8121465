using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// INSERTs without a column list are mapped as SQL Server maps them: onto the table's insertable columns in order,
/// leaving out IDENTITY, computed, rowversion/timestamp and hidden period columns (issue 11, points 2 and 3). Every
/// case runs in every read mode.
/// </summary>
public sealed class ScriptColumnlessInsertTests
{
    private static readonly TableName Jobs = new("dbo", "jobs");

    /// <summary>The shape of Microsoft's pubs install script: a bare name, IDENTITY first, constraints over several lines, lower-case insert.</summary>
    internal const string Pubs =
        "CREATE TABLE jobs\n(\n" +
        "   job_id         smallint          IDENTITY(1,1)\n\n         PRIMARY KEY CLUSTERED,\n\n" +
        "   job_desc       varchar(50)       NOT NULL\n\n         DEFAULT 'New Position - title not formalized yet',\n\n" +
        "   min_lvl        tinyint           NOT NULL\n\n         CHECK (min_lvl >= 10),\n\n" +
        "   max_lvl        tinyint           NOT NULL\n\n         CHECK (max_lvl <= 250)\n)\n\n\nGO\n\n" +
        "raiserror('Now at the inserts to jobs ....',0,1)\n\nGO\n\n" +
        "insert jobs values ('New Hire - Job not specified', 10, 10)\n" +
        "insert jobs values ('Chief Executive Officer', 200, 250)\n" +
        "insert jobs values ('Business Operations Manager', 175, 225)\n\nGO\n\n" +
        "CREATE TABLE publishers (pub_id char(4) NOT NULL, pub_name varchar(40) NULL)\nGO\n" +
        "insert publishers values('0736', 'New Moon Books')\n" +
        "insert publishers values('0877', 'Binnet & Hardley')\nGO\n";

    [Test]
    public async Task A_columnless_insert_leaves_out_the_identity_column_as_sql_server_does()
    {
        var result = await ScriptHarness.ReadAsync(Pubs);

        var jobs = result.Tables[0];
        jobs.Name.ShouldBe(Jobs);
        jobs.ColumnNames.ShouldBe(["job_desc", "min_lvl", "max_lvl"]);
        jobs.Columns.Select(c => c.Position).ShouldBe([1, 2, 3]);
        jobs.Values.ShouldBe([["New Hire - Job not specified", "10", "10"], ["Chief Executive Officer", "200", "250"], ["Business Operations Manager", "175", "225"]]);
        result.Tables[1].ColumnNames.ShouldBe(["pub_id", "pub_name"]);
        result.Tables[1].Values.ShouldBe([["0736", "New Moon Books"], ["0877", "Binnet & Hardley"]]);

        // The rows lack the IDENTITY key, and the table says so.
        var shapes = await ShapesAsync(Pubs);
        shapes[0].ShouldBe(new Shape(Jobs, [new DumpOmittedColumn("job_id", DumpOmittedColumnKind.Identity)], "job_id", InsertableOnly: true));
        shapes[1].ShouldBe(new Shape(new TableName("dbo", "publishers"), [], null, InsertableOnly: true));
    }

    [Test]
    public async Task Identity_rowversion_timestamp_and_computed_columns_are_left_out_wherever_they_are()
    {
        const string Script =
            "SET ANSI_NULLS ON\nGO\n" +
            "CREATE TABLE [dbo].[Parts](\n" +
            "\t[Code] [nchar](3) NOT NULL,\n" +
            "\t[Id] [int] IDENTITY(100,5) NOT FOR REPLICATION NOT NULL,\n" +
            "\t[Name] [nvarchar](50) NULL,\n" +
            "\t[Stamp] [timestamp] NOT NULL,\n" +
            "\t[Label]  AS (concat([Code],N'-',[Name])),\n" +
            "\t[Price] [money] NULL,\n" +
            "\t[Version] rowversion NULL\n" +
            ") ON [PRIMARY]\nGO\n" +
            "CREATE TABLE [dbo].[Log](\n\t[Msg] [varchar](20) NULL,\n\ttimestamp\n)\nGO\n" +
            "INSERT [dbo].[Parts] VALUES (N'abc', N'bolt', $1.25)\n" +
            "INSERT [dbo].[Parts] VALUES (N'xyz', NULL, NULL)\nGO\n" +
            "INSERT INTO [dbo].[Log] VALUES ('hello')\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables[0].ColumnNames.ShouldBe(["Code", "Name", "Price"]);
        result.Tables[0].Values.ShouldBe([["abc", "bolt", "1.25"], ["xyz", null, null]]);
        result.Tables[1].ColumnNames.ShouldBe(["Msg"], "a column named timestamp without a type is a rowversion column");
        result.Tables[1].Values.ShouldBe([["hello"]]);

        var shapes = await ShapesAsync(Script);
        shapes[0].Omitted.ShouldBe(
        [
            new DumpOmittedColumn("Id", DumpOmittedColumnKind.Identity),
            new DumpOmittedColumn("Stamp", DumpOmittedColumnKind.RowVersion),
            new DumpOmittedColumn("Label", DumpOmittedColumnKind.Computed),
            new DumpOmittedColumn("Version", DumpOmittedColumnKind.RowVersion),
        ]);
        shapes[0].Identity.ShouldBe("Id");
        shapes[1].Omitted.ShouldBe([new DumpOmittedColumn("timestamp", DumpOmittedColumnKind.RowVersion)]);
        shapes[1].Identity.ShouldBeNull();
    }

    [Test]
    public async Task Hidden_period_columns_are_left_out_and_visible_ones_are_not()
    {
        const string Script =
            "CREATE TABLE [dbo].[H]([Id] [int] NOT NULL, [From] [datetime2](7) GENERATED ALWAYS AS ROW START HIDDEN NOT NULL,\n" +
            " [To] [datetime2](7) GENERATED ALWAYS AS ROW END NOT NULL, PERIOD FOR SYSTEM_TIME ([From], [To]))\nGO\n" +
            "INSERT [dbo].[H] VALUES (1, CAST(N'9999-12-31T23:59:59.9999999' AS DateTime2))\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Single().ColumnNames.ShouldBe(["Id", "To"]);
        (await ShapesAsync(Script)).Single().Omitted.ShouldBe([new DumpOmittedColumn("From", DumpOmittedColumnKind.HiddenPeriod)]);
    }

    [Test]
    public async Task Without_a_create_table_the_columns_have_no_names_and_may_lack_generated_columns()
    {
        const string Script = "GO\ninsert jobs values ('New Hire', 10, 10)\n";

        (await ScriptHarness.ReadAsync(Script)).Single().Columns.ShouldBe([new DumpColumn(null, 1), new DumpColumn(null, 2), new DumpColumn(null, 3)]);
        (await ShapesAsync(Script)).Single().ShouldBe(new Shape(Jobs, [], null, InsertableOnly: true));
    }

    [Test]
    public async Task Identity_insert_with_explicit_columns_still_gives_the_identity_values()
    {
        const string Script =
            "CREATE TABLE [dbo].[jobs]([job_id] [smallint] IDENTITY(1,1) NOT NULL, [job_desc] [varchar](50) NOT NULL)\nGO\n" +
            "SET IDENTITY_INSERT [dbo].[jobs] ON\nGO\n" +
            "INSERT [dbo].[jobs] ([job_id], [job_desc]) VALUES (1, N'New Hire')\n" +
            "INSERT [dbo].[jobs] ([job_id], [job_desc]) VALUES (2, N'CEO')\n" +
            "SET IDENTITY_INSERT [dbo].[jobs] OFF\nGO\n" +
            "INSERT [dbo].[jobs] VALUES (N'Publisher')\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables.Count.ShouldBe(2);
        result.Tables[0].ColumnNames.ShouldBe(["job_id", "job_desc"]);
        result.Tables[0].Values.ShouldBe([["1", "New Hire"], ["2", "CEO"]]);
        result.Tables[1].ColumnNames.ShouldBe(["job_desc"]);
        result.Tables[1].Values.ShouldBe([["Publisher"]]);

        var shapes = await ShapesAsync(Script);
        shapes[0].ShouldBe(new Shape(Jobs, [], null, InsertableOnly: false), "explicit columns: the IDENTITY values are in the rows");
        shapes[1].ShouldBe(new Shape(Jobs, [new DumpOmittedColumn("job_id", DumpOmittedColumnKind.Identity)], "job_id", InsertableOnly: true));
    }

    [Test]
    public async Task A_table_the_filter_leaves_out_needs_no_column_mapping()
    {
        var result = await ScriptHarness.ReadAsync(Pubs, filter: TableFilter.Create(null, ["jobs"]));

        result.Single().Name.ShouldBe(new TableName("dbo", "publishers"));
        result.TablesSkipped.ShouldBe(1);

        // Values the CREATE TABLE cannot account for (here: one too many) do not matter for a table that is left out...
        const string Mismatch =
            "CREATE TABLE [dbo].[Odd]([A] [int] NULL)\nGO\nINSERT [dbo].[Odd] VALUES (1, 2)\nINSERT [dbo].[Odd] VALUES (3, 4)\nGO\n" +
            "INSERT [dbo].[Kept] ([x]) VALUES (1)\n";
        var kept = await ScriptHarness.ReadAsync(Mismatch, filter: TableFilter.Create(["*.\"Kept\""]));
        kept.Single().Values.ShouldBe([["1"]]);
        kept.TablesSkipped.ShouldBe(1);

        // ...but its rows are still read and validated (tuples of one statement run agree with each other),
        var error = await ScriptHarness.FailAsync(Mismatch.Replace("(3, 4)", "(3)", StringComparison.Ordinal), filter: TableFilter.Create(["*.\"Kept\""]));
        error.Table.ShouldBe(new TableName("dbo", "Odd"));
        error.Reason.ShouldBe("row 2: the VALUES tuple has 1 values but 2 were expected: the table's first VALUES tuple (line 3) has 2 values");

        // and a table that is read still needs them to match.
        error = await ScriptHarness.FailAsync(Mismatch);
        error.Table.ShouldBe(new TableName("dbo", "Odd"));
        error.Line.ShouldBe(3);
    }

    [Test]
    public async Task A_table_the_filter_leaves_out_may_hold_values_the_reader_does_not_read()
    {
        // Microsoft's AdventureWorks install scripts record their build with SERVERPROPERTY(...): a table nobody asked for.
        const string Script =
            "GO\nINSERT INTO [dbo].[AWBuildVersion]\nVALUES\n( CONVERT(nvarchar(50), SERVERPROPERTY('ProductVersion')), CONVERT(datetime, SERVERPROPERTY('ResourceLastUpdateDateTime')));\n" +
            "INSERT [dbo].[Log] VALUES (DEFAULT, GETDATE(), N'a '')'' b', (SELECT 1))\nGO\n" +
            "INSERT [dbo].[Kept] ([x]) VALUES (1)\n";
        var kept = TableFilter.Create(["*.\"Kept\""]);

        var result = await ScriptHarness.ReadAsync(Script, filter: kept);

        result.Single().Values.ShouldBe([["1"]]);
        result.TablesSkipped.ShouldBe(2);
        (await ScriptHarness.FailAsync(Script)).Reason.ShouldBe("unsupported function SERVERPROPERTY(...) in a VALUES tuple (only literals, NULL, CAST and CONVERT are read)");
        (await ScriptHarness.FailAsync(Script.Replace("GETDATE(), N", "GETDATE(, N", StringComparison.Ordinal), filter: kept)).Reason
            .ShouldBe("a GO line inside a VALUES tuple: the INSERT statement is incomplete", "the tuples' structure is still checked");
    }

    [Test]
    public async Task A_trailing_comma_before_the_closing_parenthesis_of_create_table_is_accepted()
    {
        // Microsoft's AdventureWorks install script ends a CREATE TABLE's list with "...,\n) ON [PRIMARY];", which SQL Server accepts.
        const string Script =
            "CREATE TABLE [HumanResources].[EmployeeDepartmentHistory](\n" +
            "    [BusinessEntityID] [int] NOT NULL,\n" +
            "    [StartDate] [date] NOT NULL,\n" +
            "    [ModifiedDate] [datetime] NOT NULL CONSTRAINT [DF_EDH_ModifiedDate] DEFAULT (GETDATE()),\n" +
            "    CONSTRAINT [CK_EDH_EndDate] CHECK (([StartDate] >= '2000-01-01')),\n" +
            ") ON [PRIMARY];\nGO\n" +
            "CREATE TABLE [dbo].[T2]([a] [int] NULL, [b] [int] NULL,)\nGO\n" +
            "INSERT INTO [HumanResources].[EmployeeDepartmentHistory] VALUES (1, '2009-01-14', '2014-06-30T00:00:00');\n" +
            "INSERT [dbo].[T2] VALUES (1, 2)\n";

        var result = await ScriptHarness.ReadAsync(Script);

        result.Tables[0].ColumnNames.ShouldBe(["BusinessEntityID", "StartDate", "ModifiedDate"]);
        // The strings are converted to the CREATE TABLE's date and datetime columns (docs/sqlserver-scripts.md, "Dates and times").
        result.Tables[0].Values.ShouldBe([["1", "2009-01-14", "2014-06-30 00:00:00.000"]]);
        result.Tables[1].ColumnNames.ShouldBe(["a", "b"]);
    }

    [Test]
    public async Task A_create_table_with_no_column_between_commas_is_still_rejected()
    {
        var error = await ScriptHarness.FailAsync("CREATE TABLE [dbo].[T]([a] [int] NULL,,)\nGO\n");
        error.Reason.ShouldBe("expected a column name in CREATE TABLE dbo.\"T\", found ','");

        error = await ScriptHarness.FailAsync("CREATE TABLE [dbo].[T]()\nGO\n");
        error.Reason.ShouldBe("expected a column name in CREATE TABLE dbo.\"T\", found ')'");
    }

    private sealed record Shape(TableName Name, DumpOmittedColumn[] Omitted, string? Identity, bool InsertableOnly)
    {
        public bool Equals(Shape? other) =>
            other is not null && Name == other.Name && Omitted.SequenceEqual(other.Omitted) && Identity == other.Identity && InsertableOnly == other.InsertableOnly;

        public override int GetHashCode() => HashCode.Combine(Name, Identity, InsertableOnly);

        public override string ToString() => $"{Name} omitted [{string.Join(", ", Omitted)}] identity {Identity ?? "-"} insertableOnly {InsertableOnly}";
    }

    /// <summary>What each table says about the columns its rows lack (the read-mode harness covers rows and columns).</summary>
    private static async Task<List<Shape>> ShapesAsync(string script)
    {
        await using var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(script, ScriptEncoding.Utf16LE)));
        var shapes = new List<Shape>();
        while (await reader.NextTableAsync() is { } table)
        {
            shapes.Add(new Shape(table.Name, [.. table.OmittedColumns], table.OmittedIdentityColumn, table.InsertableColumnsOnly));
        }

        return shapes;
    }
}
