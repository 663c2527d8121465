namespace Selective.Restore.Benchmarks;

/// <summary>The generated dumps the benchmarks read, built once per process (deterministic, so host and child agree on sizes).</summary>
public static class Corpus
{
    /// <summary>Size of the COPY-form dump: about 64 MB.</summary>
    public const long CopyTargetBytes = 64_000_000;

    /// <summary>Size of the INSERT-form dump: about 32 MB (INSERT parsing is much slower per byte).</summary>
    public const long InsertsTargetBytes = 32_000_000;

    /// <summary>Size of the sqlite3 <c>.dump</c>: about 24 MB.</summary>
    public const long SqliteTargetBytes = 24_000_000;

    private static readonly Lazy<byte[]> CopyDump = new(() => DumpGenerator.Generate(CopyTargetBytes, DumpStyle.Copy));
    private static readonly Lazy<byte[]> InsertsDump = new(() => DumpGenerator.Generate(InsertsTargetBytes, DumpStyle.Inserts));
    private static readonly Lazy<byte[]> SqliteDump = new(() => SqliteDumpGenerator.Generate(SqliteTargetBytes));

    /// <summary>The dump of the given style.</summary>
    public static byte[] Get(DumpStyle style) => style switch
    {
        DumpStyle.Copy => CopyDump.Value,
        DumpStyle.Inserts => InsertsDump.Value,
        _ => SqliteDump.Value,
    };
}

/// <summary>Names the dump a benchmark class reads, for the MB/s column.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CorpusAttribute(DumpStyle style) : Attribute
{
    /// <summary>The dump's style.</summary>
    public DumpStyle Style { get; } = style;
}
