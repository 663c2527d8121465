using System.CommandLine;
using Selective.Restore.Dump;
using Selective.Restore.Filtering;

namespace Selective.Restore.Cli.Commands;

/// <summary>Arguments shared by the commands that read a dump.</summary>
internal sealed class CommonOptions
{
    public Argument<string> Dump { get; } = new("dump") { Description = "The dump file (plain SQL, optionally gzip-compressed; the format is detected from the content)." };

    public Option<string[]> Tables { get; } = new("--table", "-t")
    {
        Description = "Only tables matching PATTERN (schema.table, * and ? wildcards, \"quoted\" for exact case). Repeatable.",
        HelpName = "PATTERN",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> ExcludeTables { get; } = new("--exclude-table", "-T")
    {
        Description = "Leave out tables matching PATTERN (wins over --table). Repeatable.",
        HelpName = "PATTERN",
    };

    public void AddTo(Command command)
    {
        command.Add(Dump);
        command.Add(Tables);
        command.Add(ExcludeTables);
    }

    public DumpReader OpenReader(ParseResult parse)
    {
        var path = parse.GetRequiredValue(Dump);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new IOException($"{path}: no such file");
        }

        var filter = TableFilter.Create(parse.GetValue(Tables) ?? [], parse.GetValue(ExcludeTables) ?? []);
        return DumpReader.Open(path, new DumpReaderOptions { Tables = filter });
    }
}
