using Microsoft.Extensions.Logging;

namespace Selective.Restore;

/// <summary>Source-generated log messages. Targets are logged by description only (never a connection string).</summary>
internal static partial class Log
{
    [LoggerMessage(RestoreEventId.RunStarting, LogLevel.Information, "{Mode} from {Source} into {Target} with policy {Policy}")]
    public static partial void Starting(ILogger logger, string mode, string? source, string target, string policy);

    [LoggerMessage(RestoreEventId.TableStaged, LogLevel.Information, "Staged {Table}: {Rows} dump rows")]
    public static partial void Staged(ILogger logger, TableName table, long rows);

    [LoggerMessage(RestoreEventId.TableClassified, LogLevel.Information, "{Table}: {Missing} missing, {Identical} identical, {Conflicting} conflicting, {LiveOnly} live-only")]
    public static partial void Classified(ILogger logger, TableName table, long missing, long identical, long conflicting, long liveOnly);

    [LoggerMessage(RestoreEventId.TableApplied, LogLevel.Information, "{Table}: {Inserted} inserted, {Updated} updated, {Skipped} skipped")]
    public static partial void Applied(ILogger logger, TableName table, long inserted, long updated, long skipped);

    [LoggerMessage(RestoreEventId.Retrying, LogLevel.Warning, "Attempt {Attempt} failed with a transient error, retrying: {Error}")]
    public static partial void Retrying(ILogger logger, int attempt, string error);

    [LoggerMessage(RestoreEventId.TableFailed, LogLevel.Error, "{Table} failed, nothing applied to it: {Error}")]
    public static partial void TableFailed(ILogger logger, string table, string error);

    [LoggerMessage(RestoreEventId.TableWarning, LogLevel.Warning, "{Table}: {Message}")]
    public static partial void TableWarning(ILogger logger, TableName table, string message);

    [LoggerMessage(RestoreEventId.Restaging, LogLevel.Warning, "Connection to {Target} lost; reconnecting and staging {Count} tables again")]
    public static partial void Restaging(ILogger logger, string target, int count);

    [LoggerMessage(RestoreEventId.IdentityChecked, LogLevel.Warning, "{Table}: {Collisions} collisions (same key, different identity), {Undetermined} undetermined, {Relocated} already live under another key, {HeldBack} held back")]
    public static partial void IdentityChecked(ILogger logger, TableName table, long collisions, long undetermined, long relocated, long heldBack);

    [LoggerMessage(RestoreEventId.RunFailed, LogLevel.Error, "Restore stopped before applying anything: {Error}")]
    public static partial void RunFailed(ILogger logger, string error);

    [LoggerMessage(RestoreEventId.Cancelled, LogLevel.Warning, "Restore cancelled: {Message}")]
    public static partial void Cancelled(ILogger logger, string message);

    [LoggerMessage(RestoreEventId.TablePlanned, LogLevel.Information, "{Table}: would insert {Inserted}, update {Updated}, skip {Skipped} (plan: nothing written)")]
    public static partial void Planned(ILogger logger, TableName table, long inserted, long updated, long skipped);
}
