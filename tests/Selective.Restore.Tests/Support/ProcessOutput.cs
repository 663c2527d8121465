namespace Selective.Restore.Tests.Support;

/// <summary>Reads a child process's output on its own thread, so a full pipe cannot block the child.</summary>
internal static class ProcessOutput
{
    public static Task<string> Drain(StreamReader reader) =>
        Task.Factory.StartNew(reader.ReadToEnd, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
