namespace Selective.Restore;

/// <summary>
/// The synchronous API runs the same code as the asynchronous one with <c>async: false</c>, where every
/// I/O call completes synchronously; this unwraps the result and proves it did.
/// </summary>
internal static class SyncPath
{
    public static T Complete<T>(ValueTask<T> task) =>
        task.IsCompleted ? task.Result : throw new InvalidOperationException("A synchronous read went asynchronous.");
}
