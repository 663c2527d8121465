using System.Runtime.InteropServices;
using Selective.Restore.Cli;
using Selective.Restore.Cli.Display;

// The first Ctrl-C (or SIGTERM) cancels: apply rolls back the table in flight, then writes the report, the undo script
// and the journal of what committed. A second one stops at once.
using var cancel = new CancellationTokenSource();
var progress = ProgressOutput.ForStderr();
var signals = 0;
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // the process ends when the run has cleaned up, not now
    if (Interlocked.Increment(ref signals) == 1)
    {
        Console.Error.WriteLine("selective-restore: cancelling: the table in flight is rolled back, then the report is written (press Ctrl-C again to stop at once)");
        _ = cancel.CancelAsync();
    }
    else
    {
        // A bar hides the cursor while it is drawn: show it again, or the shell is left without one.
        var showCursor = progress.Style == ProgressStyle.Bar ? "\u001b[?25h\n" : string.Empty;
        Console.Error.WriteLine(showCursor + "selective-restore: stopped at once; tables committed before stay applied, and the journal (if any) resumes the rest");
        Environment.Exit(CliApp.Cancelled);
    }
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await CliApp.RunAsync(args, Console.Out, Console.Error, progress, cancel.Token).ConfigureAwait(false);
