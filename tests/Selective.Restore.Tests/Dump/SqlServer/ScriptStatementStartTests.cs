using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// A SQL Server script is not skipped past where it is not understood (issue 10, point 2): a statement starts with a
/// T-SQL statement word, an INSERT is never inside a skipped statement's parentheses, and sqlcmd commands that bring in
/// or cut off statements are refused. Statements that change rows are reported.
/// </summary>
public sealed class ScriptStatementStartTests
{
    private const string P = "USE [db]\nGO\n";

    private const string Rows = "INSERT [dbo].[T] ([A]) VALUES (1)\nINSERT [dbo].[T] ([A]) VALUES (2)\nGO\n";

    [TestCase("not sql\n")]
    [TestCase("Hello, this is a README.\n")]
    [TestCase("'a stray string'\n")]
    public async Task A_line_that_starts_no_statement_is_an_error_naming_it(string stray)
    {
        var script = P + stray + Rows;
        var error = await ScriptHarness.FailAsync(script);

        error.Line.ShouldBe(3);
        error.ByteOffset.ShouldBe(12);
        error.Reason.ShouldNotBeNull().ShouldEndWith("does not start a T-SQL statement (a stray line, or a statement whose start is missing); the reader stops here rather than skip what it cannot read");
    }

    [Test]
    public async Task Text_after_an_insert_section_is_checked_like_any_statement_start()
    {
        var script = P + Rows + "INSERT [dbo].[T] ([A]) VALUES (3)\nOOPS\nINSERT [dbo].[U] ([A]) VALUES (4)\nGO\n";
        var error = await ScriptHarness.FailAsync(script);

        error.Line.ShouldBe(7);
        error.Reason.ShouldNotBeNull().ShouldStartWith("'OOPS' does not start a T-SQL statement");
    }

    [Test]
    public async Task An_insert_inside_unbalanced_parentheses_is_an_error_not_skipped_rows()
    {
        var script = P + "PRINT ('loading'\n" + Rows;
        var error = await ScriptHarness.FailAsync(script);

        error.Line.ShouldBe(4);
        error.Reason.ShouldBe("an INSERT statement (line 4) is inside parentheses of the statement that starts at line 3: a ')' is missing before it, and its rows would be skipped");
    }

    [Test]
    public async Task Sqlcmd_commands_that_include_files_or_stop_the_script_are_refused()
    {
        (await ScriptHarness.FailAsync(P + ":r more.sql\n" + Rows)).Reason
            .ShouldBe("the sqlcmd command :r runs the statements of another file, which the reader cannot see");
        (await ScriptHarness.FailAsync(P + ":EXIT\n" + Rows)).Reason
            .ShouldBe("the sqlcmd command :exit stops the script, so what follows would never run");

        var read = await ScriptHarness.ReadAsync(P + ":setvar Db shop\n:on error exit\nGO\n" + Rows);
        read.Single().RowsRead.ShouldBe(2);
    }

    [Test]
    public async Task Statements_that_change_rows_are_reported()
    {
        var script = P + Rows + "UPDATE [dbo].[T] SET [A] = 3 WHERE [A] = 2\nGO\nDELETE FROM [dbo].[T]\nGO\nUPDATE [dbo].[T] SET [A] = 4\nGO\n";
        await using var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(script, ScriptEncoding.Utf8)));
        var result = await DumpHarness.ReadAsync(reader);

        result.Single().RowsRead.ShouldBe(2);
        reader.Notices.ShouldBe([
            "the script runs UPDATE statements (the first at line 6); they are not replayed: the rows read are those of its INSERT ... VALUES statements",
            "the script runs DELETE statements (the first at line 8); they are not replayed: the rows read are those of its INSERT ... VALUES statements",
        ]);
    }

    [Test]
    public async Task Bulk_insert_is_skipped_and_reported_not_read_as_an_insert_statement()
    {
        // Microsoft's AdventureWorks install script loads every table this way, from CSV files beside it.
        var script = P +
            "PRINT 'Loading [Person].[Address]';\n\n" +
            "BULK INSERT [Person].[Address] FROM '$(SqlSamplesSourceDataPath)Address.csv'\nWITH (\n    CHECK_CONSTRAINTS,\n    CODEPAGE = '65001',\n" +
            "    FIELDTERMINATOR= '\\t',\n    KEEPIDENTITY,\n    TABLOCK\n);\n\n" +
            "BULK INSERT [Person].[AddressType] FROM 'AddressType.csv' WITH (DATAFILETYPE = 'widechar')\nGO\n" + Rows;
        await using var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(script, ScriptEncoding.Utf8)));
        var result = await DumpHarness.ReadAsync(reader);

        result.Single().RowsRead.ShouldBe(2);
        reader.Notices.ShouldBe([
            "the script runs BULK INSERT statements (the first at line 5); their rows come from files outside the script, which the reader cannot see, and are not read",
        ]);
    }

    [Test]
    public async Task More_values_than_a_postgresql_table_has_columns_is_refused()
    {
        var values = string.Join(", ", Enumerable.Range(1, 1601));
        var error = await ScriptHarness.FailAsync(P + $"INSERT [dbo].[Wide] VALUES ({values})\nGO\n");

        error.Reason.ShouldBe("the first VALUES tuple has 1601 values; a PostgreSQL table has at most 1600 columns");
        error.Line.ShouldBe(3);
    }
}
