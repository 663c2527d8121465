using System.Text;
using Selective.Restore.PostgreSql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>A UTF-16 SSMS data script restored into PostgreSQL through the same apply path as pg_dump sources.</summary>
public sealed class SqlServerScriptRestoreTests
{
    [Test]
    public async Task A_utf16_ssms_script_restores_the_missing_rows_with_exact_values()
    {
        await using var db = await Scenario.CreateAsync(
            "CREATE SCHEMA dbo; CREATE TABLE dbo.\"Customers\" (\"Id\" int PRIMARY KEY, \"Name\" text, \"Joined\" timestamp, \"Balance\" numeric(18,2), \"Photo\" bytea);" +
            "INSERT INTO dbo.\"Customers\" VALUES (1, 'live', NULL, NULL, NULL);");
        using var dir = new TempDirectory();
        var script = "USE [shop]\r\nGO\r\nSET IDENTITY_INSERT [dbo].[Customers] ON\r\n" +
                     "INSERT [dbo].[Customers] ([Id], [Name], [Joined], [Balance], [Photo]) VALUES (1, N'from backup', NULL, NULL, NULL)\r\n" +
                     "INSERT [dbo].[Customers] ([Id], [Name], [Joined], [Balance], [Photo]) VALUES (2, N'Zoë O''Brien 美咲\ttab', CAST(N'2026-07-20T18:30:28.333' AS DateTime2), CAST(1.50 AS Decimal(18, 2)), 0x0AFF)\r\n" +
                     "INSERT [dbo].[Customers] ([Id], [Name], [Joined], [Balance], [Photo]) VALUES (3, NULL, NULL, NULL, 0x)\r\n" +
                     "SET IDENTITY_INSERT [dbo].[Customers] OFF\r\nGO\r\n";
        var path = dir.File("customers.sql");
        await File.WriteAllBytesAsync(path, [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(script)]);

        var report = await SelectiveRestore.FromDump(path).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(string.Join("; ", report.Errors));
        var table = report.Tables.ShouldHaveSingleItem();
        (table.DumpRows, table.Missing, table.Conflicting, table.Inserted).ShouldBe((3L, 2L, 1L, 2L));
        (await db.ContentAsync("dbo.\"Customers\"")).ShouldBe(
            "1\tlive\t\\N\t\\N\t\\N\n2\tZoë O'Brien 美咲\\ttab\t2026-07-20 18:30:28.333\t1.50\t\\\\x0aff\n3\t\\N\t\\N\t\\N\t\\\\x\n");
    }
}
