using Microsoft.Extensions.Logging;

namespace Selective.Restore;

/// <summary>Source-generated log messages of the backup check. Targets are logged by description only (never a connection string).</summary>
internal static partial class VerifyLog
{
    [LoggerMessage(RestoreEventId.VerifyStarting, LogLevel.Information, "Verify {Source} against {Target}")]
    public static partial void Starting(ILogger logger, string source, string target);

    [LoggerMessage(RestoreEventId.VerifyTableStaged, LogLevel.Information, "Staged {Table}: {Rows} dump rows")]
    public static partial void Staged(ILogger logger, TableName table, long rows);

    [LoggerMessage(RestoreEventId.VerifyTableCompared, LogLevel.Information, "{Table}: {Missing} missing, {LiveOnly} live-only ({InRange} inside the dump's key range), {Conflicting} conflicting, {Identical} identical")]
    public static partial void Compared(ILogger logger, TableName table, long missing, long liveOnly, long inRange, long conflicting, long identical);

    [LoggerMessage(RestoreEventId.VerifyTableFailed, LogLevel.Error, "{Table} could not be compared: {Error}")]
    public static partial void TableFailed(ILogger logger, TableName table, string error);

    [LoggerMessage(RestoreEventId.VerifyTableWarning, LogLevel.Warning, "{Table}: {Message}")]
    public static partial void TableWarning(ILogger logger, TableName table, string message);

    [LoggerMessage(RestoreEventId.VerifyFailed, LogLevel.Error, "Verify stopped: {Error}")]
    public static partial void RunFailed(ILogger logger, string error);

    [LoggerMessage(RestoreEventId.VerifyProblem, LogLevel.Information, "{Kind}: {Message}")]
    public static partial void Problem(ILogger logger, string kind, string message);

    [LoggerMessage(RestoreEventId.VerifyWarning, LogLevel.Warning, "{Message}")]
    public static partial void Warning(ILogger logger, string message);
}
