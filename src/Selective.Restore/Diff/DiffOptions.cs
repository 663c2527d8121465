namespace Selective.Restore.Diff;

/// <summary>How the engine-side diff may use memory and disk.</summary>
internal sealed class DiffOptions
{
    /// <summary>
    /// Bytes of dump rows (with their index) all the tables of a restore may hold in memory together (the stores made
    /// with these options share it: <see cref="Gauge"/>); past it, the largest store spills to hash partitions on disk.
    /// Default 64 MiB: with the live side's buffers the process stays near 200 MB whatever the dump's size.
    /// </summary>
    public long MemoryBudget { get; init; } = 64L * 1024 * 1024;

    /// <summary>The smallest budget (64 KiB).</summary>
    public const long MinimumBudget = 64 * 1024;

    /// <summary>What the stores made with these options hold in memory, together.</summary>
    internal MemoryGauge Gauge { get; } = new();

    /// <summary>Partitions a spilled table is split into (more when one still exceeds the budget). Default 64.</summary>
    public int Partitions { get; init; } = 64;

    /// <summary>Where spill files go (deleted when the table is done). Default: the system's temp directory.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Checks the options, as Polly's options do in <c>Build()</c>.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range.</exception>
    public DiffOptions Validate()
    {
        if (MemoryBudget < MinimumBudget)
        {
            throw new InvalidOperationException($"{nameof(MemoryBudget)} must be at least 64 KiB (was {MemoryBudget} bytes).");
        }

        if (Partitions is < 2 or > 4096)
        {
            throw new InvalidOperationException($"{nameof(Partitions)} must be between 2 and 4096 (was {Partitions}).");
        }

        return this;
    }
}
