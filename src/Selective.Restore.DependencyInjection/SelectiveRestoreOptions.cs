namespace Selective.Restore;

/// <summary>
/// What an application configures once for every restore and check it starts through <see cref="SelectiveRestoreFactory"/>,
/// bound from configuration by <c>AddSelectiveRestore</c> (e.g. the <c>"SelectiveRestore"</c> section of appsettings.json).
/// Validated when the factory is first resolved: a bad value fails there, naming the key.
/// </summary>
public sealed class SelectiveRestoreOptions
{
    /// <summary>
    /// The target's kind: <c>postgresql</c>, <c>sqlserver</c> or <c>sqlite</c>. Default <c>postgresql</c>.
    /// With <c>postgresql</c> and no <see cref="ConnectionString"/>, an <c>NpgsqlDataSource</c> registered in the container is used.
    /// </summary>
    public string Provider { get; set; } = "postgresql";

    /// <summary>The target's connection string (never logged or reported). Required unless a data source is registered (PostgreSQL).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The merge policy for conflicting rows: <c>prefer-live</c> (default), <c>prefer-dump</c> or <c>fail-on-conflict</c>.</summary>
    public string Policy { get; set; } = "prefer-live";

    /// <summary>Table patterns to restore (<c>schema.table</c>, <c>*</c> wildcards); empty means every table.</summary>
    public IList<string> IncludeTables { get; } = [];

    /// <summary>Table patterns to leave out, applied after <see cref="IncludeTables"/>.</summary>
    public IList<string> ExcludeTables { get; } = [];

    /// <summary>One transaction per table (default) or one for the whole restore.</summary>
    public TransactionMode TransactionMode { get; set; } = TransactionMode.PerTable;

    /// <summary>
    /// Connections tables are applied over in parallel, in foreign-key order (<see cref="RestoreBuilder.WithJobs"/>).
    /// Default 1; range 1–64; more than 1 cannot be combined with <see cref="TransactionMode.SingleTransaction"/>.
    /// </summary>
    public int Jobs { get; set; } = 1;

    /// <summary>How long a statement waits for a lock held by another session before its table fails. Default 30 seconds; zero waits forever.</summary>
    public TimeSpan LockTimeout { get; set; } = RestoreTimeouts.DefaultLockTimeout;
}
