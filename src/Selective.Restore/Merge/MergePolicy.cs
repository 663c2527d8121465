namespace Selective.Restore;

/// <summary>How the built-in policies treat conflicting rows; <see cref="PerRow"/> asks the application.</summary>
internal enum ConflictHandling
{
    KeepLive,
    TakeDump,
    Fail,
    PerRow,
}

/// <summary>
/// Decides, per table, what happens to rows missing from the live table and to rows that conflict
/// (same primary key, different values). Missing rows are inserted unless a missing-row filter says
/// otherwise; rows only in live are reported and never deleted.
/// </summary>
/// <remarks>
/// Built-in policies are applied entirely with set-based SQL. An application-defined resolver is called
/// once per conflicting row with typed and text values (<see cref="ConflictArguments"/>); its decisions are
/// collected and applied in batches, never row by row. Resolvers must be deterministic: a retried table is
/// classified again and the resolver is called again for the rows that still conflict.
/// </remarks>
public sealed class MergePolicy
{
    private MergePolicy(string name, ConflictHandling conflicts, Func<ConflictArguments, ValueTask<ConflictDecision>>? resolver, Func<MissingRowArguments, ValueTask<bool>>? missingFilter)
    {
        Name = name;
        Conflicts = conflicts;
        Resolver = resolver;
        MissingFilter = missingFilter;
    }

    /// <summary>Insert missing rows; keep the live row on conflict. The safe default.</summary>
    public static MergePolicy PreferLive { get; } = new("prefer-live", ConflictHandling.KeepLive, null, null);

    /// <summary>Same as <see cref="PreferLive"/>: only insert what is missing.</summary>
    public static MergePolicy InsertMissing => PreferLive;

    /// <summary>Insert missing rows; overwrite conflicting live rows with the dump's values.</summary>
    public static MergePolicy PreferDump { get; } = new("prefer-dump", ConflictHandling.TakeDump, null, null);

    /// <summary>Insert missing rows, but if any row conflicts, apply nothing to the table and report it failed.</summary>
    public static MergePolicy FailOnConflict { get; } = new("fail-on-conflict", ConflictHandling.Fail, null, null);

    /// <summary>The policy's name (the CLI's <c>--policy</c> value for the built-in ones).</summary>
    public string Name { get; }

    internal ConflictHandling Conflicts { get; }

    internal Func<ConflictArguments, ValueTask<ConflictDecision>>? Resolver { get; }

    internal Func<MissingRowArguments, ValueTask<bool>>? MissingFilter { get; }

    /// <summary>An application-defined policy: <paramref name="resolve"/> decides each conflicting row.</summary>
    public static MergePolicy Custom(string name, Func<ConflictArguments, ValueTask<ConflictDecision>> resolve)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(resolve);
        return new MergePolicy(name, ConflictHandling.PerRow, resolve, null);
    }

    /// <summary>An application-defined policy with a synchronous resolver.</summary>
    /// <remarks>Preferred when a lambda fits both overloads (one that only throws, say), so such a call compiles.</remarks>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public static MergePolicy Custom(string name, Func<ConflictArguments, ConflictDecision> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        return Custom(name, args => ValueTask.FromResult(resolve(args)));
    }

    /// <summary>This policy, inserting only the missing rows for which <paramref name="include"/> returns true (e.g. rows created before the outage).</summary>
    public MergePolicy WithMissingRowFilter(Func<MissingRowArguments, ValueTask<bool>> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        return new MergePolicy(Name, Conflicts, Resolver, include);
    }

    /// <summary>Synchronous form of <see cref="WithMissingRowFilter(Func{MissingRowArguments, ValueTask{bool}})"/>.</summary>
    public MergePolicy WithMissingRowFilter(Func<MissingRowArguments, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        return WithMissingRowFilter(args => ValueTask.FromResult(include(args)));
    }

    /// <summary>The built-in policy with this CLI name: <c>prefer-live</c> (alias <c>insert-missing</c>), <c>prefer-dump</c>, <c>fail-on-conflict</c>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static MergePolicy Parse(string name) => name switch
    {
        "prefer-live" or "insert-missing" => PreferLive,
        "prefer-dump" => PreferDump,
        "fail-on-conflict" => FailOnConflict,
        _ => throw new ArgumentException($"Unknown merge policy '{name}'; expected prefer-live, insert-missing, prefer-dump or fail-on-conflict.", nameof(name)),
    };

    /// <inheritdoc />
    public override string ToString() => Name;
}
