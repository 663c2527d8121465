using Selective.Restore.Tests.Split;
using Selective.Restore.Tests.Support;
using Selective.Restore.Undo;

namespace Selective.Restore.Tests.Undo;

/// <summary>
/// Undo scripts are run with psql by someone who trusts them. Whatever the tables, columns, sequences or the dump file
/// are called, psql finds no command in them but the tool's own, and the script still puts everything back.
/// </summary>
public sealed class InertUndoScriptTests
{
    [Test]
    public async Task Headers_of_the_script_and_its_parts_stay_comments_whatever_they_hold()
    {
        using var dir = new TempDirectory();
        var log = UndoLog.Open(dir.File("undo.sql"), new HashSet<string>());
        foreach (var row in InertScriptTests.HostileNames)
        {
            var name = (string)((object[])row)[1];
            var part = log.Begin(new TableName(name, name));
            await part.Writer.WriteAsync("SELECT 1;\n");
            await UndoLog.CommitAsync(part);
        }

        await log.WriteScriptAsync(
            "-- Undo script of the selective restore of /tmp/x\n\\! touch PWNED\r\\! touch PWNED\u2028.sql into db.\n-- Run it.",
            Selective.Restore.PostgreSql.PostgreSqlUndoDialect.Instance,
            CancellationToken.None);

        var script = await File.ReadAllTextAsync(dir.File("undo.sql"));
        InertScriptTests.ShouldBeInert(script, "undo.sql");
        script.ShouldStartWith("SET client_encoding = 'UTF8';\n-- Undo script of the selective restore of /tmp/x\n-- \\! touch PWNED\\r\\! touch PWNED\\u2028.sql into db.\n");
    }

    [Test]
    public async Task An_undo_script_for_tables_with_hostile_names_runs_nothing_and_puts_everything_back()
    {
        var marker = HostileNamesEndToEndTests.NewMarker();
        var names = HostileNamesEndToEndTests.Names(marker);
        await using var db = await Scenario.CreateAsync(HostileNamesEndToEndTests.Schema(names, marker));
        // The dump's own file name carries a command too (a file name cannot hold '/': this one touches a file in the working directory).
        var relativeMarker = "srP" + Guid.NewGuid().ToString("N")[..6];
        var dump = await db.DumpAsync(string.Empty, $"dump\n\\! touch {relativeMarker}\n.sql");
        var tables = HostileNamesEndToEndTests.Tables(names).ToList();
        foreach (var table in tables)
        {
            await db.ExecuteAsync($"DELETE FROM {table} WHERE id = 2; UPDATE {table} SET id = id WHERE id = 1;");
        }

        await db.ExecuteAsync($"UPDATE {tables[1]} SET {HostileNamesEndToEndTests.Quote(names[0])} = 'changed' WHERE id = 1;");
        var before = new List<string>();
        foreach (var table in tables)
        {
            before.Add(await db.ContentAsync(table));
        }

        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");
        try
        {
            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).WithUndoScript(undo).Build().RunAsync();
            report.Succeeded.ShouldBeTrue(report.ToSummary());
            report.Tables.Sum(t => t.Inserted).ShouldBe(tables.Count);
            report.Tables.Sum(t => t.Updated).ShouldBe(1);

            Exception? psqlError = null;
            try
            {
                await db.PsqlAsync(undo);
            }
            catch (InvalidOperationException ex)
            {
                psqlError = ex; // reported after the marker checks: a command that ran is the worse finding
            }

            File.Exists(marker).ShouldBeFalse("psql ran a command from a name");
            File.Exists(relativeMarker).ShouldBeFalse("psql ran a command from the dump's file name");
            psqlError.ShouldBeNull();
            InertScriptTests.ShouldBeInert(await File.ReadAllTextAsync(undo), "undo.sql");
            for (var i = 0; i < tables.Count; i++)
            {
                (await db.ContentAsync(tables[i])).ShouldBe(before[i], tables[i]);
            }
        }
        finally
        {
            File.Delete(marker);
            File.Delete(relativeMarker);
            File.Delete("into");
        }
    }
}
