namespace Selective.Restore.Split;

/// <summary>Options for <see cref="DumpSplitter"/>.</summary>
public sealed class SplitOptions
{
    /// <summary>
    /// Write into an output directory that already has files (files of the same name are replaced).
    /// Default: false, so an old split's files are never mixed with a new one's.
    /// </summary>
    public bool Overwrite { get; set; }
}
