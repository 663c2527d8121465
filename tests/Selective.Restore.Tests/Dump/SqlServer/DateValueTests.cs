namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// Dates and times in T-SQL scripts (docs/sqlserver-scripts.md, "Dates and times"): SSMS 2005/2008's binary constants
/// and strings read under the script's SET DATEFORMAT / SET LANGUAGE, all written in one neutral ISO form. The expected
/// values were computed apart from the reader (days since 1900-01-01 or 0001-01-01, ticks of 1/300 s or 10^-n s).
/// </summary>
public sealed class DateValueTests
{
    private static async Task<string?> ConvertAsync(string literal)
    {
        var script = $"USE [db]\nGO\nINSERT [dbo].[t] ([id], [v]) VALUES (1, {literal})\nGO\n";
        var result = await ScriptHarness.ReadAsync(script);
        return result.Single().Rows.ShouldHaveSingleItem().Values[1];
    }

    [TestCase("CAST(0x0000A5B100000000 AS DateTime)", "2016-02-19 00:00:00.000")]
    [TestCase("CAST(0x0000A5B101301A3F AS DateTime)", "2016-02-19 18:27:12.210")]
    [TestCase("CAST(0x0000A5B100000001 AS DateTime)", "2016-02-19 00:00:00.003", Description = "1/300 s shows as .003")]
    [TestCase("CAST(0x0000A5B100000002 AS DateTime)", "2016-02-19 00:00:00.007", Description = "2/300 s shows as .007")]
    [TestCase("CAST(0xFFFF2E4600000000 AS DateTime)", "1753-01-01 00:00:00.000", Description = "negative days: before 1900")]
    [TestCase("CAST(0x9F2D03C0 AS SmallDateTime)", "2011-07-27 16:00:00")]
    [TestCase("CAST(0x5B950A00 AS Date)", "1900-01-01", Description = "SSMS 2008 pads date to 4 bytes")]
    [TestCase("CAST(0x62380B AS Date)", "2014-04-08")]
    [TestCase("CAST(0x07000000000062380B AS DateTime2)", "2014-04-08 00:00:00.0000000")]
    [TestCase("CAST(0x0780F8C5DE8E62380B AS DateTime2)", "2014-04-08 17:02:42.2872192")]
    [TestCase("CAST(N'20260102' AS Date)", "2026-01-02")]
    [TestCase("CAST(N'15 April 1996' AS Date)", "1996-04-15")]
    [TestCase("CAST(N'1-2-26' AS Date)", "2026-01-02")]
    [TestCase("CAST(N'2026-07-20T18:30:28.335' AS DateTime)", "2026-07-20 18:30:28.337", Description = "datetime rounds to .000, .003, .007")]
    [TestCase("CAST(N'1998-01-01 23:59:59.999' AS DateTime)", "1998-01-02 00:00:00.000")]
    [TestCase("CAST(N'1998-01-01 23:59:59.991' AS DateTime)", "1998-01-01 23:59:59.990")]
    [TestCase("CAST(N'2026-07-20 23:59:59.9999999' AS DateTime2(0))", "2026-07-21 00:00:00")]
    [TestCase("CAST(N'2026-07-20 18:30:29' AS SmallDateTime)", "2026-07-20 18:30:00")]
    [TestCase("CAST(N'2026-07-20 18:30:30' AS SmallDateTime)", "2026-07-20 18:31:00")]
    [TestCase("TRY_CAST(N'02/30/2026' AS Date)", null)]
    public async Task Reads_binary_date_constants_and_strings(string literal, string? expected) =>
        (await ConvertAsync(literal)).ShouldBe(expected);

    [TestCase("CAST(0x0000A5B1 AS DateTime)", "8 bytes")]
    [TestCase("CAST(0x0000A5B100000000 AS SmallDateTime)", "4 bytes")]
    public async Task Refuses_a_binary_constant_of_the_wrong_size(string literal, string expected)
    {
        var script = $"USE [db]\nGO\nINSERT [dbo].[t] ([id], [v]) VALUES (1, {literal})\nGO\n";
        var error = await ScriptHarness.FailAsync(script);
        error.Message.ShouldContain(expected);
        error.Message.ShouldContain("line 3");
    }

    private const string Table = "CREATE TABLE [dbo].[t]([id] int NOT NULL, [d] date NULL, [dt] datetime NULL)\nGO\n";

    [Test]
    public async Task Reads_strings_under_the_scripts_date_format()
    {
        var script = Table + "SET DATEFORMAT dmy\nGO\nINSERT [dbo].[t] ([id], [d], [dt]) VALUES (1, '01/02/2026', '13/02/2026 10:00')\nGO\n";
        var row = (await ScriptHarness.ReadAsync(script)).Single().Rows.ShouldHaveSingleItem();

        row.Values[1].ShouldBe("2026-02-01");
        row.Values[2].ShouldBe("2026-02-13 10:00:00.000");
    }

    [Test]
    public async Task Reads_strings_as_month_first_by_default()
    {
        var script = Table + "INSERT [dbo].[t] ([id], [d], [dt]) VALUES (1, '01/02/2026', 'Apr 15 1996 3:04PM')\nGO\n";
        var row = (await ScriptHarness.ReadAsync(script)).Single().Rows.ShouldHaveSingleItem();

        row.Values[1].ShouldBe("2026-01-02");
        row.Values[2].ShouldBe("1996-04-15 15:04:00.000");
    }

    [Test]
    public async Task Refuses_a_date_the_session_format_makes_invalid()
    {
        var script = Table + "INSERT [dbo].[t] ([id], [d], [dt]) VALUES (1, '13/02/2026', NULL)\nGO\n";
        var error = await ScriptHarness.FailAsync(script);

        error.Message.ShouldContain("13/02/2026");
        error.Message.ShouldContain("line 3");
    }

    [Test]
    public async Task Refuses_a_date_string_under_a_language_it_does_not_know()
    {
        var script = Table + "SET LANGUAGE Klingon\nGO\nINSERT [dbo].[t] ([id], [d], [dt]) VALUES (1, '01/02/2026', NULL)\nGO\n";
        var error = await ScriptHarness.FailAsync(script);

        error.Message.ShouldContain("Klingon");
    }

    [Test]
    public async Task Reads_an_iso_date_under_dmy_as_sql_server_does_for_each_type()
    {
        // datetime reads 'yyyy-mm-dd' under DATEFORMAT dmy as year-day-month; the 2008 types always as year-month-day.
        var script = Table + "SET DATEFORMAT dmy\nGO\nINSERT [dbo].[t] ([id], [d], [dt]) VALUES (1, '2026-02-01', '2026-02-01')\nGO\n";
        var row = (await ScriptHarness.ReadAsync(script)).Single().Rows.ShouldHaveSingleItem();

        row.Values[1].ShouldBe("2026-02-01");
        row.Values[2].ShouldBe("2026-01-02 00:00:00.000");
    }
}
