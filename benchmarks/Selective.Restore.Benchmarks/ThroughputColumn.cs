using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Selective.Restore.Benchmarks;

/// <summary>Dump size and throughput (decimal MB per second of the mean time) for benchmarks that read a whole <see cref="Corpus"/> dump per operation.</summary>
public sealed class ThroughputColumn(bool sizeOnly) : IColumn
{
    /// <summary>The "MB/s" column.</summary>
    public static readonly IColumn Throughput = new ThroughputColumn(false);

    /// <summary>The "Dump MB" column.</summary>
    public static readonly IColumn DumpSize = new ThroughputColumn(true);

    /// <inheritdoc />
    public string Id => sizeOnly ? "DumpMB" : "MBps";

    /// <inheritdoc />
    public string ColumnName => sizeOnly ? "Dump MB" : "MB/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => sizeOnly ? 0 : 1;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => sizeOnly
        ? "Size of the generated dump read per operation, in MB (10^6 bytes)"
        : "Throughput: dump MB (10^6 bytes) per second of the mean time";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var corpus = benchmarkCase.Descriptor.Type.GetCustomAttribute<CorpusAttribute>();
        if (corpus is null)
        {
            return "-";
        }

        var megabytes = Corpus.Get(corpus.Style).Length / 1e6;
        if (sizeOnly)
        {
            return megabytes.ToString("N1", CultureInfo.InvariantCulture);
        }

        var stats = summary[benchmarkCase]?.ResultStatistics;
        return stats is null || stats.Mean <= 0
            ? "NA"
            : (megabytes / (stats.Mean / 1e9)).ToString("N1", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public override string ToString() => ColumnName;
}
