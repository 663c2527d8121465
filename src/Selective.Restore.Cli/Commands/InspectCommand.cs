using System.CommandLine;
using System.Globalization;
using System.Text;
using Selective.Restore.Cli.Display;

namespace Selective.Restore.Cli.Commands;

/// <summary><c>selective-restore inspect DUMP [--json] [-q]</c>: format, encoding and per-table row counts and byte ranges.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error, ProgressOutput progressOutput)
    {
        var common = new CommonOptions();
        var quiet = new QuietOption();
        var json = new Option<bool>("--json") { Description = "Print the inventory as JSON on stdout: {\"format\", \"tables\": [{\"schema\", \"table\", \"rows\", ...}]}." };
        var command = new Command(
            "inspect",
            "Read the whole dump once (checking every row's structure: field count, escapes, UTF-8) and list its tables with row counts and byte ranges " +
            "(archives: TOC entries). Values are not type-checked: a value the server would reject is found by verify or apply. " +
            "Exit codes: 0 listed; 1 bad input (the error names file, table, line and byte offset); 2 usage error.");
        common.AddTo(command, from: true);
        command.Add(json);
        quiet.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var progress = quiet.Progress(parse, progressOutput, error);
            return await ListAsync(common, parse, output, progress, cancellationToken, parse.GetValue(json)).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// The inventory of the tables <paramref name="common"/>'s filters select, while <paramref name="progress"/> shows how
    /// far the reading is: inspect, and apply/plan -l.
    /// </summary>
    internal static async Task<int> ListAsync(CommonOptions common, ParseResult parse, TextWriter output, ProgressDisplay progress, CancellationToken cancellationToken, bool json = false)
    {
        var seen = new HashSet<TableName>();
        var reader = common.OpenReader(parse, seen);
        await using (reader.ConfigureAwait(false))
        {
            var inventory = await progress.ShowAsync(() => DumpInspector.InspectAsync(reader, new InspectOptions { Progress = progress }, cancellationToken)).ConfigureAwait(false);
            common.CheckPatterns(parse, seen);
            await output.WriteAsync(json ? inventory.ToJson() + "\n" : Summary(inventory)).ConfigureAwait(false);
        }

        return CliApp.Success;
    }

    /// <summary>An archive table's data: the directory archive's file, or the custom archive's block offset ("-" for an entry without data).</summary>
    private static string DataLocation(TableInventory table) =>
        table.ArchiveDataFile is { } file ? DisplayText.Escape(file)
        : table.ArchiveDataOffset is { } offset ? offset.ToString(CultureInfo.InvariantCulture)
        : "-";

    internal static string Summary(DumpInventory inventory)
    {
        var builder = new StringBuilder();
        var compression = inventory.Compression == DumpCompression.None ? string.Empty : ", " + DumpInventory.CompressionName(inventory.Compression);
        builder.Append(CultureInfo.InvariantCulture, $"{DisplayText.Escape(inventory.Source)}: {DumpInventory.FormatNameOf(inventory.Format)}{compression}, encoding {inventory.Encoding ?? "not stated"}{(inventory.Database is { } database ? ", database " + DisplayText.Escape(database) : string.Empty)}\n");
        var nameWidth = Math.Max(5, inventory.Tables.Count == 0 ? 0 : inventory.Tables.Max(t => DisplayText.Name(t.Name).Length));
        // A script's tables are located by byte offset and line; an archive's by TOC entry (as pg_restore -l lists it)
        // and where its data is: offsets and lines within an entry's data would all read 0.
        var archive = inventory.Format is DumpFormat.CustomArchive or DumpFormat.DirectoryArchive;
        var where = !archive ? $"{"offset",14}  line" : inventory.Format == DumpFormat.DirectoryArchive ? $"{"toc entry",10}  data file" : $"{"toc entry",10}  archive offset";
        builder.Append(CultureInfo.InvariantCulture, $"{"table".PadRight(nameWidth)}  {"rows",12}  {"form",-6}  {"bytes",14}  {where}\n");
        foreach (var table in inventory.Tables)
        {
            var bytes = table.EndOffset - table.StartOffset;
            var location = !archive
                ? string.Create(CultureInfo.InvariantCulture, $"{table.StartOffset,14}  {table.StartLine}")
                : string.Create(CultureInfo.InvariantCulture, $"{table.ArchiveEntryId?.ToString(CultureInfo.InvariantCulture) ?? "-",10}  {DataLocation(table)}");
            builder.Append(CultureInfo.InvariantCulture, $"{DisplayText.Name(table.Name).PadRight(nameWidth)}  {table.Rows,12:N0}  {(table.Form == DumpDataForm.Copy ? "copy" : "insert"),-6}  {bytes,14:N0}  {location}\n");
        }

        builder.Append(CultureInfo.InvariantCulture, $"{inventory.Tables.Count} tables, {inventory.TotalRows:N0} rows, {inventory.Sequences.Count} sequence values\n");
        foreach (var notice in inventory.Notices)
        {
            builder.Append(CultureInfo.InvariantCulture, $"note: {DisplayText.Escape(notice)}\n");
        }

        return builder.ToString();
    }
}
