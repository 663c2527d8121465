using System.CommandLine;
using Selective.Restore.Cli.Commands;
using Selective.Restore.Cli.Display;
using Selective.Restore.IO;

namespace Selective.Restore.Cli;

/// <summary>
/// The <c>selective-restore</c> command line. Exit codes are a contract: 0 success, 1 bad input or a
/// failed operation (one line on stderr naming file, table, line and byte offset), 2 usage error (including an output
/// path that is a link, FIFO, device or directory), 3 (verify) a problem the user gated on with --fail-on was found,
/// 4 the command did its work (an apply's rows are committed) but the --json report could not be written,
/// 130 cancelled (Ctrl-C or SIGTERM; apply first reports what committed).
/// Everything written to stderr goes through <see cref="DisplayText"/>: one line per message, control characters escaped.
/// Signals are handled by <see cref="Program"/>, not System.CommandLine, whose handler kills the process 2 s after a
/// Ctrl-C: rolling back a large table can take longer, and the report must still be written.
/// </summary>
internal static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <summary>The command did its work (see the summary on stdout) but the <c>--json</c> report could not be written.</summary>
    public const int ReportNotWritten = 4;

    /// <summary>Ctrl-C or SIGTERM: the table in flight was rolled back; the report says what was committed before (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the command line without progress on stderr (tests pass writers, and choose progress with the other overload).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, ProgressOutput.None, cancellationToken);

    /// <summary>
    /// Runs the command line; output and error are the process's stdout and stderr (tests pass writers), and
    /// <paramref name="progress"/> says how stderr shows progress (<see cref="ProgressOutput.ForStderr"/>).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, ProgressOutput progress, CancellationToken cancellationToken = default)
    {
        // Progress lines come from a timer's thread: every stderr line must be written whole.
        error = TextWriter.Synchronized(error);
        var root = new RootCommand("selective-restore: inspect, split and selectively restore PostgreSQL dumps without a full restore.")
        {
            InspectCommand.Create(output, error, progress),
            SplitCommand.Create(output, error, progress),
            RestoreCommands.CreatePlan(output, error, progress),
            RestoreCommands.CreateApply(output, error, progress),
            VerifyCommand.Create(output, error, progress),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"selective-restore: {OneLine(parseError.Message)}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'selective-restore --help' for usage.").ConfigureAwait(false);
            return UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OutputPathException ex)
        {
            // Refused before anything was read, written or applied.
            await error.WriteLineAsync($"selective-restore: {OneLine(ex.Message)}").ConfigureAwait(false);
            return UsageError;
        }
        catch (CliUsageException ex)
        {
            await error.WriteLineAsync($"selective-restore: {OneLine(ex.Message)}").ConfigureAwait(false);
            return UsageError;
        }
        catch (DumpFormatException ex)
        {
            await error.WriteLineAsync($"selective-restore: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or System.Data.Common.DbException or RestoreConnectionException)
        {
            await error.WriteLineAsync($"selective-restore: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
        catch (OperationCanceledException)
        {
            // Commands that wrote something (apply) report what before rethrowing; this is the rest.
            await error.WriteLineAsync("selective-restore: cancelled").ConfigureAwait(false);
            return Cancelled;
        }
    }

    /// <summary>A message as one line on stderr, whatever names or server text it quotes.</summary>
    internal static string OneLine(string message) => DisplayText.Escape(message);
}
