using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;
using Selective.Restore.Providers;
using Selective.Restore.Tests.Dump.SqlServer;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>
/// A SQL Server script splits into T-SQL parts for sqlcmd by default (issue 11, point 4): every batch parses with
/// ScriptDom, the values SQL Server would compute are the rows the reader read, and hostile names and values stay
/// inert for sqlcmd (no command line, no $(variable), no line break inside a literal). The PostgreSQL form stays
/// available on request and says so.
/// </summary>
public sealed class TSqlSplitTests
{
    private const string Pwn = ":!! touch PWNED";

    /// <summary>Values that would run something in a careless sqlcmd script: line breaks, GO lines, commands, variables, comments.</summary>
    private static readonly string[] HostileValues =
    [
        $"line\r\nGO\r\n{Pwn}\r\nGO",
        $"lf\nGO\n{Pwn}\n!! touch PWNED\nEXIT\n",
        "$(PWNED) and $(",
        "comment /* open, -- dash, */ close",
        "quote ' and '' and [bracket]] and \"double\"",
        "tab\there, cr\ronly, escape \u001b[2J, bell \u0007",
        "\\x0aff",
        "line separator \u2028 next line \u0085 ünï 😀 美咲",
        new string('a', 4500) + "\n" + new string('b', 4500),
        string.Empty,
    ];

    /// <summary>Names a table can have in SQL Server, hostile to a script that pastes them: quotes, brackets, comments, commands.</summary>
    private static readonly (string Schema, string Table, string[] Columns)[] HostileNames =
    [
        ("s]'\"[--", "GO ;DROP TABLE x; --", [":!! touch PWNED", "a]]b", "ünï 😀"]),
        ("dbo", "/* t */", ["N'x'", "--", "]"]),
        ("GO", "!! touch PWNED", ["[x]", "$", "("]),
    ];

    private static string Bracket(string name) => "[" + name.Replace("]", "]]", StringComparison.Ordinal) + "]";

    /// <summary>An SSMS-shaped script (multi-line N'' strings, IDENTITY_INSERT, 0x constants) for a table with the given names.</summary>
    private static string HostileScript((string Schema, string Table, string[] Columns) names, bool withIdentityInsert)
    {
        var table = $"{Bracket(names.Schema)}.{Bracket(names.Table)}";
        var columns = string.Join(", ", names.Columns.Select(Bracket));
        var b = new StringBuilder("USE [db]\r\nGO\r\n");
        if (withIdentityInsert)
        {
            b.Append("SET IDENTITY_INSERT ").Append(table).Append(" ON\r\nGO\r\n");
        }

        for (var i = 0; i < HostileValues.Length; i++)
        {
            b.Append("INSERT ").Append(table).Append(" (").Append(columns).Append(") VALUES (")
                .Append(i).Append(", N'").Append(HostileValues[i].Replace("'", "''", StringComparison.Ordinal)).Append("', 0x0AFF)\r\nGO\r\n");
        }

        b.Append("INSERT ").Append(table).Append(" (").Append(columns).Append(") VALUES (NULL, NULL, 0x), (-1, N'/*', CAST(0x00 AS varbinary(1)))\r\nGO\r\n");
        return b.ToString();
    }

    /// <summary>Every row of every table the script has, as a part must give them back.</summary>
    private static async Task<List<PartValue[]>> ExpectedRowsAsync(string path)
    {
        var rows = new List<PartValue[]>();
        await using var reader = DumpReader.Open(path);
        while (await reader.NextTableAsync() is { } table)
        {
            while (await table.ReadAsync())
            {
                rows.Add(TSqlPartChecker.Expected(table.Current));
            }
        }

        return rows;
    }

    [Test]
    public async Task A_sql_server_script_splits_into_tsql_parts_for_sqlcmd_by_default()
    {
        using var dir = new TempDirectory();
        var path = dir.File("shop.sql");
        await File.WriteAllBytesAsync(path, ScriptHarness.Encode(SsmsScripts.Shop, ScriptEncoding.Utf16LE));

        var result = await TSqlPartChecker.SplitAsync(path, dir.File("out"));

        result.Dialect.ShouldBe(SplitDialect.TSql);
        result.Tables.Select(t => t.Rows).ShouldBe([5L, 2L]);
        using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.File("out"), "manifest.json"))))
        {
            manifest.RootElement.GetProperty("dialect").GetString().ShouldBe("tsql");
            manifest.RootElement.GetProperty("load").GetString().ShouldBe("sqlcmd -i FILE");
            manifest.RootElement.GetProperty("fileEncoding").GetString().ShouldBe("UTF-16LE");
        }

        var rows = new List<PartValue[]>();
        foreach (var file in result.Tables)
        {
            var text = TSqlPartChecker.Read(Path.Combine(dir.File("out"), file.File));
            text.ShouldStartWith("-- Data for one table (named in the INSERT statements below), split by selective-restore from\r\n-- shop.sql, line ");
            text.ShouldContain("-- T-SQL for sqlcmd: sqlcmd -i FILE -d DATABASE, into a database that has the table.");
            text.ShouldContain("\r\nBEGIN TRANSACTION;\r\n");
            text.ShouldEndWith("COMMIT TRANSACTION;\r\nGO\r\n");
            rows.AddRange(TSqlPartChecker.Check(text, file.File));
        }

        rows.ShouldBe(await ExpectedRowsAsync(path));
        rows[0].ShouldBe([new("1", false), new("Zoë", false), new("1.50", false), new("2026-07-20 18:30:28.3330000", false), new("0AFF", true), new("1", false)]);

        var customers = TSqlPartChecker.Read(Path.Combine(dir.File("out"), result.Tables[0].File));
        customers.ShouldContain(
            "IF EXISTS (SELECT 1 FROM sys.identity_columns WHERE [object_id] = OBJECT_ID(N'[dbo].[Customers]') AND [name] IN " +
            "(N'Id', N'Name', N'Balance', N'Created', N'Photo', N'Active')) SET IDENTITY_INSERT [dbo].[Customers] ON;\r\n");
        customers.ShouldContain("INSERT INTO [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES\r\n(N'1', N'Zoë', N'1.50', ");
        TSqlPartChecker.Read(Path.Combine(dir.File("out"), result.Tables[1].File)).ShouldContain("INSERT INTO [sales].[Order]]Lines] ([OrderId]");
    }

    [Test]
    public async Task Rows_without_their_identity_column_are_written_without_it()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("pubs.sql", ScriptColumnlessInsertTests.Pubs);

        var result = await TSqlPartChecker.SplitAsync(path, dir.File("out"));

        var jobs = TSqlPartChecker.Read(Path.Combine(dir.File("out"), result.Tables[0].File));
        jobs.ShouldContain("INSERT INTO [dbo].[jobs] ([job_desc], [min_lvl], [max_lvl]) VALUES\r\n(N'New Hire - Job not specified', N'10', N'10'),\r\n");
        jobs.ShouldContain("AND [name] IN (N'job_desc', N'min_lvl', N'max_lvl')) SET IDENTITY_INSERT [dbo].[jobs] ON;", customMessage: "decided by the target: none of these is its IDENTITY column");
        TSqlPartChecker.Check(jobs, "jobs").Count.ShouldBe(3);
    }

    [Test]
    public async Task Batches_and_inserts_are_cut_by_row_count()
    {
        using var dir = new TempDirectory();
        var script = new StringBuilder("GO\n");
        for (var i = 0; i < 2345; i++)
        {
            script.Append("INSERT [dbo].[T] VALUES (").Append(i).Append(", 0x").Append(i.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)).Append(")\n");
        }

        var path = dir.Write("big.sql", script.ToString());
        var result = await TSqlPartChecker.SplitAsync(path, dir.File("out"));

        var text = TSqlPartChecker.Read(Path.Combine(dir.File("out"), result.Tables.ShouldHaveSingleItem().File));
        var rows = TSqlPartChecker.Check(text, "big");
        rows.ShouldBe(await ExpectedRowsAsync(path));
        rows.Count.ShouldBe(2345);
        text.Split("\r\n").Count(l => l == "GO").ShouldBe(1 + 3 + 1, "after the settings, after each 1,000 rows and the rest, after the commit");
        text.Split("\r\n").Count(l => l == "INSERT INTO [dbo].[T] VALUES").ShouldBe(24, "at most 100 rows per INSERT; unnamed columns keep the source's column-less form");
        text.ShouldNotContain("IDENTITY_INSERT", customMessage: "a column-less INSERT never gives IDENTITY values");
    }

    [Test]
    public async Task Hostile_names_and_values_stay_inert_for_sqlcmd_and_parse_with_scriptdom()
    {
        using var dir = new TempDirectory();
        for (var n = 0; n < HostileNames.Length; n++)
        {
            var path = dir.Write($"hostile{n}.sql", HostileScript(HostileNames[n], withIdentityInsert: n == 0));
            var output = dir.File($"out{n}");

            var result = await TSqlPartChecker.SplitAsync(path, output);

            var file = result.Tables.ShouldHaveSingleItem();
            file.Name.ShouldBe(new TableName(HostileNames[n].Schema, HostileNames[n].Table));
            var text = TSqlPartChecker.Read(Path.Combine(output, file.File));
            var rows = TSqlPartChecker.Check(text, $"names {n}");
            rows.ShouldBe(await ExpectedRowsAsync(path));
            rows.Count.ShouldBe(HostileValues.Length + 2);
            rows.Take(HostileValues.Length).Select(r => r[1].Text).ShouldBe(HostileValues, "every value comes back exactly");
            rows.Select(r => r[2]).Distinct().ShouldBe([new PartValue("0AFF", true), new PartValue(string.Empty, true), new PartValue("00", true)]);
            rows[6][1].ShouldBe(new PartValue("\\x0aff", false), "a string that looks like bytea hex stays a string");
            text.ShouldContain($"INSERT INTO {Bracket(HostileNames[n].Schema)}.{Bracket(HostileNames[n].Table)} ({string.Join(", ", HostileNames[n].Columns.Select(Bracket))}) VALUES");
            text.Split("\r\n").Where(l => l.StartsWith("--", StringComparison.Ordinal)).ShouldAllBe(l => !l.Contains(HostileNames[n].Table, StringComparison.Ordinal));
        }
    }

    [Test]
    public void Literals_break_out_line_breaks_variables_and_comment_starts_and_keep_long_values_whole()
    {
        ScriptText.TSqlLiteral("it's").ShouldBe("N'it''s'");
        ScriptText.TSqlLiteral("a\r\nb").ShouldBe("CONVERT(nvarchar(max), N'a') + NCHAR(13) + NCHAR(10) + N'b'");
        ScriptText.TSqlLiteral("$(x)").ShouldBe("CONVERT(nvarchar(max), N'$') + N'(x)'");
        ScriptText.TSqlLiteral("a/*b").ShouldBe("CONVERT(nvarchar(max), N'a/') + N'*b'");
        ScriptText.TSqlLiteral("\n").ShouldBe("CONVERT(nvarchar(max), NCHAR(10))");
        ScriptText.TSqlIdentifier("a]b").ShouldBe("[a]]b]");
        ScriptText.TSqlComment("dbo.[x] 'y' $(z) /* é").ShouldBe("dbo.\\u005Bx\\u005D \\u0027y\\u0027 \\u0024(z) \\u002F\\u002A \\u00E9");
        Should.Throw<ArgumentException>(() => ScriptText.TSqlIdentifier("a\nb")).Message.ShouldContain("a\\nb");
        Should.Throw<ArgumentException>(() => ScriptText.TSqlIdentifier("a$(b)"));

        // 9,001 characters joined around a line break: CONVERT(nvarchar(max), ...) keeps the join from being cut at 4,000.
        var rows = TSqlPartChecker.ParseBatch(
            $"INSERT INTO [t] VALUES ({ScriptText.TSqlLiteral(new string('a', 4500) + "\n" + new string('b', 4500))});", "long");
        rows.ShouldHaveSingleItem()[0].Text!.Length.ShouldBe(9001);
    }

    [TestCase("line\nbreak", "a control character (a line break, tab or escape)")]
    [TestCase("tab\there", "a control character (a line break, tab or escape)")]
    [TestCase("var$(PWNED)", "'$(' (a sqlcmd variable reference)")]
    public async Task Names_a_sqlcmd_script_cannot_hold_are_refused_and_leave_no_file(string column, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.sql", $"GO\nINSERT [dbo].[ok] ([a]) VALUES (1)\nINSERT [dbo].[T] ({Bracket(column)}) VALUES (1)\n");

        var error = await Should.ThrowAsync<DumpFormatException>(() => TSqlPartChecker.SplitAsync(path, dir.File("out")));

        error.Table.ShouldBe(new TableName("dbo", "T"));
        error.Line.ShouldBe(3);
        error.Reason.ShouldNotBeNull().ShouldContain($"has {problem}, which a sqlcmd script cannot hold inert; refusing to write it into a T-SQL part (split with the PostgreSQL dialect instead)");
        Directory.GetFiles(dir.File("out")).Select(Path.GetFileName).ShouldBe(["0001-dbo.ok.sql"], "the table before it is kept; nothing of this one is left");

        // The PostgreSQL form quotes any name.
        var result = await TSqlPartChecker.SplitAsync(path, dir.File("pg"), SplitDialect.PostgreSql);
        result.Tables.Count.ShouldBe(2);
    }

    [Test]
    public async Task The_postgresql_form_of_a_sql_server_script_says_so_and_loads_with_psql()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("pubs.sql", ScriptColumnlessInsertTests.Pubs);

        var result = await TSqlPartChecker.SplitAsync(path, dir.File("out"), SplitDialect.PostgreSql);

        result.Dialect.ShouldBe(SplitDialect.PostgreSql);
        using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.File("out"), "manifest.json"))))
        {
            manifest.RootElement.GetProperty("dialect").GetString().ShouldBe("postgresql");
            manifest.RootElement.GetProperty("load").GetString().ShouldBe("psql -X -f FILE");
        }

        var jobs = Path.Combine(dir.File("out"), result.Tables[0].File);
        var text = await File.ReadAllTextAsync(jobs);
        text.ShouldContain("\n-- PostgreSQL: load with psql -X -f FILE into a database that has the table; it stops at its first error\n");
        text.ShouldContain("COPY \"dbo\".\"jobs\" (\"job_desc\", \"min_lvl\", \"max_lvl\") FROM stdin;\n");

        await using var db = await Scenario.CreateAsync(
            "CREATE SCHEMA dbo; CREATE TABLE dbo.jobs (job_id smallint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, job_desc varchar(50) NOT NULL, min_lvl smallint, max_lvl smallint);");
        await db.PsqlAsync(jobs);
        (await db.ContentAsync("dbo.jobs")).ShouldBe("1\tNew Hire - Job not specified\t10\t10\n2\tChief Executive Officer\t200\t250\n3\tBusiness Operations Manager\t175\t225\n");
    }

    [Test]
    public async Task Tsql_parts_are_refused_for_a_pg_dump()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("dump.sql", "--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (a) FROM stdin;\n1\n\\.\n\n");

        await using (var reader = DumpReader.Open(path))
        {
            var error = await Should.ThrowAsync<ArgumentException>(() => DumpSplitter.SplitAsync(reader, dir.File("out"), new SplitOptions { Dialect = SplitDialect.TSql }));
            error.Message.ShouldStartWith("T-SQL split files are written only for SQL Server scripts");
        }

        var (exit, _, stderr) = await CliRunner.RunAsync("split", path, "--out", dir.File("cli"), "--dialect", "tsql");
        exit.ShouldBe(2);
        stderr.ShouldContain("--dialect tsql: T-SQL files are written only for SQL Server scripts");

        (exit, var stdout, _) = await CliRunner.RunAsync("split", path, "--out", dir.File("pg"));
        exit.ShouldBe(0);
        stdout.ShouldContain("The files are PostgreSQL: load each with psql -X -f FILE");
    }

    [Test]
    public async Task The_cli_says_which_language_the_files_are_and_how_to_load_them()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("pubs.sql", ScriptColumnlessInsertTests.Pubs);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("split", path, "--out", dir.File("out"));

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("The files are T-SQL (UTF-16, as SSMS writes): load each with sqlcmd -i FILE -d DATABASE");
        TSqlPartChecker.Check(TSqlPartChecker.Read(Path.Combine(dir.File("out"), "0002-dbo.publishers.sql")), "publishers").Count.ShouldBe(2);

        (exit, stdout, _) = await CliRunner.RunAsync("split", path, "--out", dir.File("pg"), "--dialect", "postgresql");
        exit.ShouldBe(0);
        stdout.ShouldContain("The files are PostgreSQL");
        (await File.ReadAllTextAsync(Path.Combine(dir.File("pg"), "0002-dbo.publishers.sql"))).ShouldContain("COPY \"dbo\".\"publishers\"");
    }
}
