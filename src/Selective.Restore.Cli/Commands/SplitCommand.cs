using System.CommandLine;
using System.Globalization;
using Selective.Restore.IO;
using Selective.Restore.Report;
using Selective.Restore.Split;

namespace Selective.Restore.Cli.Commands;

/// <summary><c>selective-restore split DUMP --out DIR</c>: one psql-loadable file per table plus manifest.json.</summary>
internal static class SplitCommand
{
    public static Command Create(TextWriter output)
    {
        var common = new CommonOptions();
        var outDir = new Option<string>("--out", "-o") { Description = "Directory to write the table files and manifest.json into (must be empty unless --force).", Required = true, HelpName = "DIR" };
        var force = new Option<bool>("--force") { Description = "Write into a directory that already has files." };
        var command = new Command("split", "Write one self-contained SQL file per table (loadable with psql -f into a database that has the schema) and a manifest.json.");
        common.AddTo(command);
        command.Add(outDir);
        command.Add(force);
        command.SetAction(async (parse, cancellationToken) =>
        {
            OutputPath.CheckDirectory(parse.GetRequiredValue(outDir), "split output directory"); // before the dump is opened
            var seen = new HashSet<Dump.TableName>();
            var reader = common.OpenReader(parse, seen);
            await using (reader.ConfigureAwait(false))
            {
                var result = await DumpSplitter.SplitAsync(reader, parse.GetRequiredValue(outDir), new SplitOptions { Overwrite = parse.GetValue(force) }, cancellationToken)
                    .ConfigureAwait(false);
                common.CheckPatterns(parse, seen);
                var rows = result.Tables.Sum(t => t.Rows);
                var bytes = result.Tables.Sum(t => t.Bytes);
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Wrote {result.Tables.Count} table files ({rows:N0} rows, {bytes:N0} bytes) and {SplitResult.ManifestFileName} to {DisplayText.Escape(result.OutputDirectory)}")).ConfigureAwait(false);

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
