using System.CommandLine;
using Selective.Restore.Cli.Display;

namespace Selective.Restore.Cli.Commands;

/// <summary>
/// <c>-q/--quiet</c> of the commands that read a dump and compare it with no database (inspect, split): progress on
/// stderr as the other commands show it, or none. They log nothing else, so they have no <c>--verbose</c> to conflict with.
/// </summary>
internal sealed class QuietOption
{
    /// <summary>What inspect and split do before their first report: read the dump up to its first selected table.</summary>
    public const string Reading = "reading the dump";

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print nothing on stderr but errors: no progress." };

    public void AddTo(Command command) => command.Add(Quiet);

    /// <summary>The progress display: none with --quiet, otherwise as stderr allows (<paramref name="output"/>).</summary>
    public ProgressDisplay Progress(ParseResult parse, ProgressOutput output, TextWriter error) =>
        ProgressDisplay.Create(parse.GetValue(Quiet) ? ProgressOutput.None : output, error, Reading);
}
