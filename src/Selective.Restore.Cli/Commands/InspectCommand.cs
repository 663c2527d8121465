using System.CommandLine;
using System.Globalization;
using System.Text;
using Selective.Restore.Inspect;
using Selective.Restore.Report;

namespace Selective.Restore.Cli.Commands;

/// <summary><c>selective-restore inspect DUMP [--json]</c>: format, encoding and per-table row counts and byte ranges.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output)
    {
        var common = new CommonOptions();
        var json = new Option<bool>("--json") { Description = "Print the inventory as JSON on stdout: {\"format\", \"tables\": [{\"schema\", \"table\", \"rows\", ...}]}." };
        var command = new Command("inspect", "Read the whole dump once (validating every row) and list its tables with row counts and byte ranges.");
        common.AddTo(command);
        command.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var seen = new HashSet<Dump.TableName>();
            var reader = common.OpenReader(parse, seen);
            await using (reader.ConfigureAwait(false))
            {
                var inventory = await DumpInspector.InspectAsync(reader, cancellationToken).ConfigureAwait(false);
                common.CheckPatterns(parse, seen);
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(inventory.ToJson()).ConfigureAwait(false);
                }
                else
                {
                    await output.WriteAsync(Summary(inventory)).ConfigureAwait(false);
                }
            }

            return CliApp.Success;
        });
        return command;
    }

    internal static string Summary(DumpInventory inventory)
    {
        var builder = new StringBuilder();
        var compression = inventory.Compression == Dump.DumpCompression.None ? string.Empty : ", " + DumpInventory.CompressionName(inventory.Compression);
        builder.Append(CultureInfo.InvariantCulture, $"{DisplayText.Escape(inventory.Source)}: {DumpInventory.FormatNameOf(inventory.Format)}{compression}, encoding {inventory.Encoding ?? "not stated"}{(inventory.Database is { } database ? ", database " + DisplayText.Escape(database) : string.Empty)}\n");
        var nameWidth = Math.Max(5, inventory.Tables.Count == 0 ? 0 : inventory.Tables.Max(t => DisplayText.Name(t.Name).Length));
        builder.Append(CultureInfo.InvariantCulture, $"{"table".PadRight(nameWidth)}  {"rows",12}  {"form",-6}  {"bytes",14}  {"offset",14}  line\n");
        foreach (var table in inventory.Tables)
        {
            var bytes = table.EndOffset - table.StartOffset;
            builder.Append(CultureInfo.InvariantCulture, $"{DisplayText.Name(table.Name).PadRight(nameWidth)}  {table.Rows,12:N0}  {(table.Form == Dump.DumpDataForm.Copy ? "copy" : "insert"),-6}  {bytes,14:N0}  {table.StartOffset,14}  {table.StartLine}\n");
        }

        builder.Append(CultureInfo.InvariantCulture, $"{inventory.Tables.Count} tables, {inventory.TotalRows:N0} rows, {inventory.Sequences.Count} sequence values\n");
        foreach (var notice in inventory.Notices)
        {
            builder.Append(CultureInfo.InvariantCulture, $"note: {DisplayText.Escape(notice)}\n");
        }

        return builder.ToString();
    }
}
