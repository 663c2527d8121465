
namespace Selective.Restore.Providers;

/// <summary>
/// Optional for a target: the dump formats it can restore from. The engine diff compares a dump's row text with the
/// live rows the target prints, so a target reads one family of formats (PostgreSQL prints as pg_dump does, SQL
/// Server as the T-SQL script reader does). A target without this role takes every format.
/// </summary>
public interface IDumpFormats
{
    /// <summary>Why rows of a <paramref name="format"/> dump cannot be restored into this target, or null when they can.</summary>
    string? Refuses(DumpFormat format);
}
