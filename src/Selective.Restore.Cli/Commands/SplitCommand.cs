using System.CommandLine;
using System.Globalization;
using Selective.Restore.Cli.Display;
using Selective.Restore.IO;

namespace Selective.Restore.Cli.Commands;

/// <summary><c>selective-restore split DUMP --out DIR [--dialect postgresql|tsql|sqlite] [-q]</c>: one loadable file per table plus manifest.json.</summary>
internal static class SplitCommand
{
    public static Command Create(TextWriter output, TextWriter error, ProgressOutput progressOutput)
    {
        var common = new CommonOptions();
        var quiet = new QuietOption();
        var outDir = new Option<string>("--out", "-o") { Description = "Directory to write the table files and manifest.json into (must be empty unless --force).", Required = true, HelpName = "DIR" };
        var force = new Option<bool>("--force") { Description = "Write into a directory that already has files." };
        var dialect = new Option<string?>("--dialect")
        {
            Description = "The files' language: postgresql (COPY, load with psql -X -f FILE), tsql (INSERT batches, load with sqlcmd -i FILE) " +
                          "or sqlite (INSERTs, load with sqlite3 DATABASE < FILE). Default: the dump's own (postgresql for pg_dump files, tsql for SQL Server scripts, sqlite for sqlite3 dumps).",
            HelpName = "postgresql|tsql|sqlite",
        };
        dialect.AcceptOnlyFromAmong("postgresql", "tsql", "sqlite");
        var command = new Command(
            "split",
            "Write one self-contained SQL file per table and a manifest.json: PostgreSQL files (psql -X -f FILE) for a pg_dump, " +
            "T-SQL files (sqlcmd -i FILE) for a SQL Server script, SQLite files (sqlite3 DATABASE < FILE) for a sqlite3 dump; each loads into a database that has the schema. " +
            "Exit codes: 0 written; 1 bad input or an output directory that is not empty (see --force); 2 usage error.");
        common.AddTo(command);
        command.Add(outDir);
        command.Add(force);
        command.Add(dialect);
        quiet.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            OutputPath.CheckDirectory(parse.GetRequiredValue(outDir), "split output directory"); // before the dump is opened
            var seen = new HashSet<TableName>();
            var reader = common.OpenReader(parse, seen);
            await using (reader.ConfigureAwait(false))
            {
                var asked = parse.GetValue(dialect) switch
                {
                    "tsql" => SplitDialect.TSql,
                    "postgresql" => SplitDialect.PostgreSql,
                    "sqlite" => SplitDialect.Sqlite,
                    _ => (SplitDialect?)null,
                };
                if (asked == SplitDialect.TSql && reader.Format != DumpFormat.SqlServerScript)
                {
                    throw new CliUsageException(reader.Format == DumpFormat.SqliteDump
                        ? "--dialect tsql: T-SQL files are written only for SQL Server scripts; this dump is a SQLite one"
                        : "--dialect tsql: T-SQL files are written only for SQL Server scripts; this dump is a PostgreSQL one");
                }

                if (asked is { } named && (asked == SplitDialect.Sqlite) != (reader.Format == DumpFormat.SqliteDump))
                {
                    throw new CliUsageException(named == SplitDialect.Sqlite
                        ? "--dialect sqlite: SQLite files are written only for sqlite3 dumps"
                        : $"--dialect {parse.GetValue(dialect)}: a sqlite3 dump is split only into SQLite files (its values are SQLite literals)");
                }

                using var progress = quiet.Progress(parse, progressOutput, error);
                var options = new SplitOptions { Overwrite = parse.GetValue(force), Dialect = asked, Progress = progress };
                var result = await progress.ShowAsync(() => DumpSplitter.SplitAsync(reader, parse.GetRequiredValue(outDir), options, cancellationToken)).ConfigureAwait(false);
                common.CheckPatterns(parse, seen);
                var rows = result.Tables.Sum(t => t.Rows);
                var bytes = result.Tables.Sum(t => t.Bytes);
                // One line: what was written, and in which language (how to load it).
                var load = result.Dialect switch
                {
                    SplitDialect.TSql => "The files are T-SQL (UTF-16, as SSMS writes): load each with sqlcmd -i FILE -d DATABASE into a database that has the tables.",
                    SplitDialect.Sqlite => "The files are SQLite: load each with sqlite3 DATABASE < FILE into a database that has the tables.",
                    _ => "The files are PostgreSQL: load each with psql -X -f FILE into a database that has the tables.",
                };
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Wrote {result.Tables.Count} table files ({rows:N0} rows, {bytes:N0} bytes) and {SplitResult.ManifestFileName} to {DisplayText.Escape(result.OutputDirectory)}. {load}")).ConfigureAwait(false);

                // What the reader reports but does not split (a dump that lacks pg_dump's closing comment, large objects...), as inspect does.
                foreach (var notice in reader.Notices)
                {
                    await output.WriteLineAsync($"note: {DisplayText.Escape(notice)}").ConfigureAwait(false);
                }
            }

            return CliApp.Success;
        });
        return command;
    }
}
