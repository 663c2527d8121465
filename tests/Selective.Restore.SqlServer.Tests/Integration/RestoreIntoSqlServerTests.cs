using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.SqlClient;

namespace Selective.Restore.SqlServer.Tests.Integration;

/// <summary>
/// Whole restores into a real SQL Server (see <see cref="SqlServerServer"/>; not run where there is none), mirroring the
/// PostgreSQL integration tests: an SSMS UTF-16 script end to end with awkward values, a re-run that applies nothing,
/// the undo script's round trip, policies, remapped collisions, and a pg_dump dump refused with a clear error.
/// </summary>
[NonParallelizable]
public sealed partial class RestoreIntoSqlServerTests
{
    private const string Schema = """
        CREATE TABLE [dbo].[Customers] ([Id] int IDENTITY(1,1) NOT NULL PRIMARY KEY, [Name] nvarchar(50) NOT NULL,
            [Email] nvarchar(100) NULL, [Balance] decimal(18, 2) NULL, [Created] datetime2(7) NOT NULL, [Photo] varbinary(max) NULL,
            [Active] bit NOT NULL, [Twice] AS ([Id] * 2));
        CREATE TABLE [sales].[Order]]Lines] ([OrderId] int NOT NULL, [Line] smallint NOT NULL, [CustomerId] int NOT NULL REFERENCES [dbo].[Customers] ([Id]),
            [Note] nvarchar(max) NULL, [Price] money NOT NULL, [At] datetimeoffset(7) NULL, PRIMARY KEY ([OrderId], [Line]));
        """;

    private static readonly string[] Customers =
    [
        "(1, N'Zoë', N'zoe@example.com', CAST(1.50 AS Decimal(18, 2)), CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), 0x0AFF, 1)",
        "(2, N'Дмитрий', N'd@example.com', NULL, CAST(N'2026-01-02T03:04:05.0000000' AS DateTime2), NULL, 0)",
        "(3, N'美咲 🐘', NULL, CAST(-12.25 AS Decimal(18, 2)), CAST(N'2026-07-20T00:00:00.0000000' AS DateTime2), 0x, 1)",
        "(4, N'O''Brien', N'ob@example.com', CAST(0.00 AS Decimal(18, 2)), CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), NULL, 1)",
        "(5, N'multi\r\nline	tab', N'', CAST(9.99 AS Decimal(18, 2)), CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), NULL, 1)",
    ];

    private static readonly string[] Lines =
    [
        "(1, 1, 1, N'first', 12.5000, CAST(N'2026-07-20T18:30:28.3330000+02:00' AS DateTimeOffset))",
        "(1, 2, 1, NULL, 0.0001, NULL)",
        "(2, 1, 5, N'tab\there', -3.0000, CAST(N'2026-07-20T18:30:28.0000000-05:30' AS DateTimeOffset))",
    ];

    private string _database = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _database = await SqlServerServer.CreateDatabaseAsync();
        await ExecuteAsync("CREATE SCHEMA [sales]");
        await ExecuteAsync(Schema);
    }

    [TearDown]
    public async Task DropDatabase()
    {
        if (_database is not null)
        {
            await SqlServerServer.DropDatabaseAsync(_database);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqlConnection(_database);
        await connection.OpenAsync();

        // Batches split at GO lines, as sqlcmd splits them.
        foreach (var batch in GoLine().Split(sql).Where(b => !string.IsNullOrWhiteSpace(b)))
        {
            await using var command = new SqlCommand(batch, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    [GeneratedRegex(@"^\s*GO\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex GoLine();

    /// <summary>A table's rows as the server prints them (JSON: every type's exact text, NULL kept), in key order.</summary>
    private async Task<string> ContentAsync(string table, string order, string where = "1 = 1")
    {
        await using var connection = new SqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new SqlCommand($"SELECT * FROM {table} WHERE {where} ORDER BY {order} FOR JSON PATH, INCLUDE_NULL_VALUES", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var json = new StringBuilder();
        while (await reader.ReadAsync())
        {
            json.Append(reader.GetString(0));
        }

        return json.ToString();
    }

    /// <summary>An SSMS data script (UTF-16 with a BOM, GO after each statement, IDENTITY_INSERT around the keyed rows).</summary>
    private static string Script(string path, IEnumerable<string> customers, IEnumerable<string> lines)
    {
        var script = new StringBuilder("USE [Shop]\r\nGO\r\nSET IDENTITY_INSERT [dbo].[Customers] ON \r\nGO\r\n");
        foreach (var row in customers)
        {
            script.Append("INSERT [dbo].[Customers] ([Id], [Name], [Email], [Balance], [Created], [Photo], [Active]) VALUES ").Append(row).Append("\r\nGO\r\n");
        }

        script.Append("SET IDENTITY_INSERT [dbo].[Customers] OFF\r\nGO\r\n");
        foreach (var row in lines)
        {
            script.Append("INSERT [sales].[Order]]Lines] ([OrderId], [Line], [CustomerId], [Note], [Price], [At]) VALUES ").Append(row).Append("\r\nGO\r\n");
        }

        File.WriteAllText(path, script.ToString(), new UnicodeEncoding(bigEndian: false, byteOrderMark: true));
        return path;
    }

    private static string Insert(string table, string columns, IEnumerable<string> rows) =>
        $"SET IDENTITY_INSERT {table} ON;\nINSERT {table} ({columns}) VALUES {string.Join(",\n", rows)};\nSET IDENTITY_INSERT {table} OFF;";

    [Test]
    public async Task An_SSMS_script_restores_only_what_is_missing_byte_for_byte_and_a_rerun_applies_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("sr-mssql-");
        try
        {
            var script = Script(Path.Combine(dir.FullName, "shop.sql"), Customers, Lines);
            var restored = await ExpectedAsync(script, "[Id] IN (1, 3, 4, 5)");

            // Live lost customers 3 and 5 and every order line; customer 2 was edited since.
            await ExecuteAsync(Insert("[dbo].[Customers]", "[Id], [Name], [Email], [Balance], [Created], [Photo], [Active]", [Customers[0], Customers[1].Replace("N'Дмитрий'", "N'Dmitri'", StringComparison.Ordinal), Customers[3]]));
            var before = await ContentAsync("[dbo].[Customers]", "[Id]");
            var undo = Path.Combine(dir.FullName, "undo.sql");

            var report = await SelectiveRestore.FromDump(script).ToSqlServer(_database).WithUndoScript(undo).Build().RunAsync();

            report.Succeeded.ShouldBeTrue(report.ToSummary());
            var customers = report.Tables.Single(t => t.Name.Name == "Customers");
            (customers.Missing, customers.Identical, customers.Conflicting, customers.Inserted, customers.Updated).ShouldBe((2, 2, 1, 2, 0));
            var lines = report.Tables.Single(t => t.Name.Name == "Order]Lines");
            (lines.Missing, lines.Inserted).ShouldBe((3, 3));
            (await ContentAsync("[dbo].[Customers]", "[Id]", "[Id] IN (1, 3, 4, 5)")).ShouldBe(restored);

            var again = await SelectiveRestore.FromDump(script).ToSqlServer(_database).Build().RunAsync();
            again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());

            // The undo script puts live back as it was before the restore.
            await ExecuteAsync(await File.ReadAllTextAsync(undo));
            (await ContentAsync("[dbo].[Customers]", "[Id]")).ShouldBe(before);
            (await ContentAsync("[sales].[Order]]Lines]", "[OrderId], [Line]")).ShouldBe(string.Empty);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The script's rows as the server holds them after running it into an empty copy of the schema (the oracle for byte-identical restores).</summary>
    private async Task<string> ExpectedAsync(string script, string where = "1 = 1")
    {
        var text = await File.ReadAllTextAsync(script);
        await ExecuteAsync(text.Replace("USE [Shop]", string.Empty, StringComparison.Ordinal));
        var expected = await ContentAsync("[dbo].[Customers]", "[Id]", where);
        await ExecuteAsync("DELETE FROM [sales].[Order]]Lines]; DELETE FROM [dbo].[Customers];");
        return expected;
    }

    [Test]
    public async Task Prefer_dump_overwrites_conflicts_and_restores_them_exactly()
    {
        var dir = Directory.CreateTempSubdirectory("sr-mssql-");
        try
        {
            var script = Script(Path.Combine(dir.FullName, "shop.sql"), Customers, []);
            var expected = await ExpectedAsync(script);
            await ExecuteAsync(Insert("[dbo].[Customers]", "[Id], [Name], [Email], [Balance], [Created], [Photo], [Active]", [.. Customers.Select(c => c.Replace("1)", "0)", StringComparison.Ordinal))]));

            var report = await SelectiveRestore.FromDump(script).ToSqlServer(_database).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

            report.Succeeded.ShouldBeTrue(report.ToSummary());
            (await ContentAsync("[dbo].[Customers]", "[Id]")).ShouldBe(expected);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_reused_id_with_another_email_is_remapped_to_a_new_identity_value_and_its_children_follow()
    {
        var dir = Directory.CreateTempSubdirectory("sr-mssql-");
        try
        {
            var script = Script(Path.Combine(dir.FullName, "shop.sql"), Customers[..1], Lines[..2]);

            // After an incomplete restore, id 1 went to someone else (another email): the dump's customer 1 is a different person.
            await ExecuteAsync(Insert("[dbo].[Customers]", "[Id], [Name], [Email], [Balance], [Created], [Photo], [Active]", ["(1, N'Someone', N'someone@example.com', NULL, CAST(N'2026-08-01T00:00:00' AS DateTime2), NULL, 1)"]));

            var report = await SelectiveRestore.FromDump(script).ToSqlServer(_database)
                .WithIdentityKey("dbo.Customers", "Email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

            report.Succeeded.ShouldBeTrue(report.ToSummary());
            report.Tables.Single(t => t.Name.Name == "Customers").Remapped.ShouldBe(1);
            await using var connection = new SqlConnection(_database);
            await connection.OpenAsync();
            await using var command = new SqlCommand("SELECT COUNT(*) FROM [sales].[Order]]Lines] AS l JOIN [dbo].[Customers] AS c ON c.[Id] = l.[CustomerId] WHERE c.[Email] = N'zoe@example.com'", connection);
            ((int)(await command.ExecuteScalarAsync())!).ShouldBe(2);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_pg_dump_dump_is_refused_saying_why()
    {
        var dir = Directory.CreateTempSubdirectory("sr-mssql-");
        try
        {
            var dump = Path.Combine(dir.FullName, "pg.sql");
            await File.WriteAllTextAsync(dump, "--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n");

            var report = await SelectiveRestore.FromDump(dump).ToSqlServer(_database).Build().RunAsync();

            report.Succeeded.ShouldBeFalse();
            report.ToSummary().ShouldContain("cannot be restored into SQL Server");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
