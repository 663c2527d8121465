using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Selective.Restore.Benchmarks;

// dotnet run -c Release --project benchmarks/Selective.Restore.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/Selective.Restore.Benchmarks -- --write-dumps DIR   (the generated dumps, to look at or load)
if (args is ["--write-dumps", var directory])
{
    Directory.CreateDirectory(directory);
    foreach (var style in Enum.GetValues<DumpStyle>())
    {
        var path = Path.Combine(directory, $"generated-{style.ToString().ToUpperInvariant()}.sql");
        await File.WriteAllBytesAsync(path, Corpus.Get(style)).ConfigureAwait(false);
        Console.WriteLine($"{path}: {Corpus.Get(style).Length:N0} bytes");
    }

    return 0;
}

// dotnet run -c Release --project benchmarks/Selective.Restore.Benchmarks -- --live-diff DUMP CONNECTION SCHEMA.TABLE KEY [BUDGET_MB]
if (args is ["--live-diff", var dumpPath, var connection, var table, var keyColumn, .. var rest])
{
    var budget = rest.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } mb ? long.Parse(mb, System.Globalization.CultureInfo.InvariantCulture) : 64;
    return await LiveDiffProbe.RunAsync(dumpPath, connection, table, keyColumn, budget).ConfigureAwait(false);
}

var config = DefaultConfig.Instance
    .AddColumn(ThroughputColumn.DumpSize, ThroughputColumn.Throughput);
BenchmarkSwitcher.FromAssembly(typeof(Corpus).Assembly).Run(args, config);
return 0;
