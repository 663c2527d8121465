namespace Selective.Restore;

/// <summary>
/// The event IDs of Selective.Restore's log messages, for filtering and alerting (as Npgsql's <c>NpgsqlEventId</c>).
/// They are stable across versions: a message may be reworded, its ID does not change.
/// </summary>
public static class RestoreEventId
{
    /// <summary>A restore or plan starts (category <see cref="RestoreLogCategory.Run"/>).</summary>
    public const int RunStarting = 1;

    /// <summary>A table's dump rows were staged (<see cref="RestoreLogCategory.Stage"/>).</summary>
    public const int TableStaged = 2;

    /// <summary>A table was classified: missing, identical, conflicting, live-only (<see cref="RestoreLogCategory.Diff"/>).</summary>
    public const int TableClassified = 3;

    /// <summary>A table's delta was written (<see cref="RestoreLogCategory.Apply"/>).</summary>
    public const int TableApplied = 4;

    /// <summary>An attempt failed with a transient error and is retried (<see cref="RestoreLogCategory.Retry"/>).</summary>
    public const int Retrying = 5;

    /// <summary>A table failed; nothing was applied to it (<see cref="RestoreLogCategory.Apply"/>).</summary>
    public const int TableFailed = 6;

    /// <summary>A warning about one table (<see cref="RestoreLogCategory.Apply"/>).</summary>
    public const int TableWarning = 7;

    /// <summary>The connection was lost; the tables are staged again (<see cref="RestoreLogCategory.Stage"/>).</summary>
    public const int Restaging = 8;

    /// <summary>The run stopped before applying anything (<see cref="RestoreLogCategory.Run"/>).</summary>
    public const int RunFailed = 9;

    /// <summary>The identity check found collisions, undetermined or held-back rows (<see cref="RestoreLogCategory.Diff"/>).</summary>
    public const int IdentityChecked = 10;

    /// <summary>The run was cancelled (<see cref="RestoreLogCategory.Run"/>).</summary>
    public const int Cancelled = 11;

    /// <summary>A plan decided what it would write to a table, and wrote nothing (<see cref="RestoreLogCategory.Apply"/>).</summary>
    public const int TablePlanned = 12;

    /// <summary>A backup check starts (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyStarting = 101;

    /// <summary>A table's dump rows were staged for the check (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyTableStaged = 102;

    /// <summary>A table was compared (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyTableCompared = 103;

    /// <summary>A table could not be compared (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyTableFailed = 104;

    /// <summary>A warning about one table of the check (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyTableWarning = 105;

    /// <summary>The check stopped (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyFailed = 106;

    /// <summary>The check found a problem (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyProblem = 107;

    /// <summary>A warning about the whole check (<see cref="RestoreLogCategory.Verify"/>).</summary>
    public const int VerifyWarning = 108;
}

/// <summary>
/// The logger categories <see cref="RestoreBuilder.WithLoggerFactory"/> and <see cref="VerifyBuilder.WithLoggerFactory"/>
/// create, one per component, so that each can be filtered on its own (e.g. <c>"Selective.Restore.Stage": "Warning"</c>).
/// </summary>
public static class RestoreLogCategory
{
    /// <summary>The run: start, stop, cancellation.</summary>
    public const string Run = "Selective.Restore.Run";

    /// <summary>Reading the dump and staging its rows.</summary>
    public const string Stage = "Selective.Restore.Stage";

    /// <summary>Classifying rows and the identity check.</summary>
    public const string Diff = "Selective.Restore.Diff";

    /// <summary>Writing the delta, and table failures and warnings.</summary>
    public const string Apply = "Selective.Restore.Apply";

    /// <summary>Retries of transient failures.</summary>
    public const string Retry = "Selective.Restore.Retry";

    /// <summary>The backup check.</summary>
    public const string Verify = "Selective.Restore.Verify";

    /// <summary>The category of an event ID of <see cref="RestoreEventId"/>.</summary>
    public static string Of(int eventId) => eventId switch
    {
        RestoreEventId.RunStarting or RestoreEventId.RunFailed or RestoreEventId.Cancelled => Run,
        RestoreEventId.TableStaged or RestoreEventId.Restaging => Stage,
        RestoreEventId.TableClassified or RestoreEventId.IdentityChecked => Diff,
        RestoreEventId.Retrying => Retry,
        >= RestoreEventId.VerifyStarting and <= RestoreEventId.VerifyWarning => Verify,
        _ => Apply,
    };
}
