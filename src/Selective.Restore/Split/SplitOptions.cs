namespace Selective.Restore.Split;

/// <summary>Options for <see cref="DumpSplitter"/>.</summary>
public sealed class SplitOptions
{
    /// <summary>
    /// Write into an output directory that already has files (files of the same name are replaced).
    /// Default: false, so an old split's files are never mixed with a new one's.
    /// </summary>
    public bool Overwrite { get; set; }

    /// <summary>Size in bytes of the write buffer per output file. Default: 1 MiB; at least 4 KiB.</summary>
    public int WriteBufferSize { get; set; } = 1024 * 1024;

    internal void Validate()
    {
        if (WriteBufferSize < 4096)
        {
            throw new InvalidOperationException($"SplitOptions.WriteBufferSize must be at least 4096 bytes (was {WriteBufferSize}).");
        }
    }
}
