#!/usr/bin/env dotnet
// A one-off recovery script, the way an operator writes one during an incident:
//
//   dotnet run samples/restore.cs -- BACKUP TARGET [TABLE...]
//
// BACKUP is a dump (sqlite3 .dump, pg_dump, SSMS script); TARGET is the live database (a SQLite file, or a
// PostgreSQL/SQL Server connection string). It plans first, restores only the missing rows of the TABLEs (all when
// none are named) with an undo script next to the backup, and exits 0 only when every table succeeded.
#:project ../src/Selective.Restore/Selective.Restore.csproj
#:project ../src/Selective.Restore.Sqlite/Selective.Restore.Sqlite.csproj
#:project ../src/Selective.Restore.PostgreSql/Selective.Restore.PostgreSql.csproj
#:project ../src/Selective.Restore.SqlServer/Selective.Restore.SqlServer.csproj

using Selective.Restore;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: dotnet run samples/restore.cs -- BACKUP TARGET [TABLE...]");
    return 2;
}

var (backup, target, tables) = (args[0], args[1], args[2..]);
RestoreBuilder To(RestoreBuilder builder) =>
    target.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? builder.ToPostgreSql(target)
    : target.Contains("Server=", StringComparison.OrdinalIgnoreCase) ? builder.ToSqlServer(target)
    : builder.ToSqlite(target.Contains('=') ? target : $"Data Source={target}");

// 1. What would happen? Nothing is written.
var plan = await To(SelectiveRestore.FromDump(backup)).IncludeTables(tables).AsPlan().Build().RunAsync();
Console.WriteLine(plan.ToSummary());
if (!plan.Succeeded)
{
    return 1;
}

// 2. Only the missing rows; rows edited since the backup stay as they are live. An undo script, just in case.
var undo = Path.ChangeExtension(backup, ".undo.sql");
var report = await To(SelectiveRestore.FromDump(backup)).IncludeTables(tables).WithUndoScript(undo).Build().RunAsync();
Console.WriteLine(report.ToSummary());
Console.WriteLine($"undo script: {undo}");
return report.Succeeded ? 0 : 1;
