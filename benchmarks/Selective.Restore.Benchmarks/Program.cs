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

    return;
}

var config = DefaultConfig.Instance
    .AddColumn(ThroughputColumn.DumpSize, ThroughputColumn.Throughput);
BenchmarkSwitcher.FromAssembly(typeof(Corpus).Assembly).Run(args, config);
