using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Selective.Restore.Dump;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// The CLI's own paths over the ~64 MB COPY dump written to a temporary file (read back from the page
/// cache): <c>inspect</c> and <c>split</c> as the commands run them, next to variants that isolate the cost
/// of the asynchronous file reads (on Linux each <see cref="FileStream.ReadAsync(Memory{byte}, CancellationToken)"/>
/// is a thread-pool hop) and of the synchronous API. The ColdStart job measures the first pass in a fresh
/// process (code still at tier-0 JIT), which is what a CLI run over one dump mostly is.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5, id: "Warm")]
[SimpleJob(RunStrategy.ColdStart, launchCount: 3, warmupCount: 0, iterationCount: 1, id: "ColdStart")]
[Corpus(DumpStyle.Copy)]
public class FileBenchmarks
{
    private string _directory = "";
    private string _path = "";
    private string _splitDirectory = "";

    /// <summary>Writes the dump to a temporary file.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("selective-restore-bench-").FullName;
        _path = Path.Combine(_directory, "dump.sql");
        File.WriteAllBytes(_path, Corpus.Get(DumpStyle.Copy));
        _splitDirectory = Path.Combine(_directory, "split");
    }

    /// <summary>Removes the temporary files.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary><c>selective-restore inspect</c>: <see cref="DumpReader.Open(string, DumpReaderOptions?)"/> + <see cref="DumpInspector.InspectAsync(DumpReader, CancellationToken)"/>.</summary>
    [Benchmark(Baseline = true)]
    public async Task<long> InspectAsyncFile()
    {
        var reader = DumpReader.Open(_path);
        await using (reader.ConfigureAwait(false))
        {
            return (await DumpInspector.InspectAsync(reader).ConfigureAwait(false)).TotalRows;
        }
    }

    /// <summary>As <see cref="InspectAsyncFile"/>, but the file's ReadAsync completes synchronously (no thread-pool hop per 256 KiB read).</summary>
    [Benchmark]
    public async Task<long> InspectAsyncFileSyncReads()
    {
        var reader = DumpReader.Open(new SynchronousReadStream(OpenFile()));
        await using (reader.ConfigureAwait(false))
        {
            return (await DumpInspector.InspectAsync(reader).ConfigureAwait(false)).TotalRows;
        }
    }

    /// <summary>Counting rows from the file with the synchronous API (<see cref="DumpReader.NextTable"/>, <see cref="DumpTable.Skip"/>).</summary>
    [Benchmark]
    public long SkipFile()
    {
        using var reader = DumpReader.Open(_path);
        long rows = 0;
        while (reader.NextTable() is { } table)
        {
            rows += table.Skip();
        }

        return rows;
    }

    /// <summary><c>selective-restore split</c>: <see cref="DumpSplitter.SplitAsync"/> into a directory (written to the page cache, not synced).</summary>
    [Benchmark]
    public async Task<long> SplitAsyncFile()
    {
        var reader = DumpReader.Open(_path);
        await using (reader.ConfigureAwait(false))
        {
            var result = await DumpSplitter.SplitAsync(reader, _splitDirectory, new SplitOptions { Overwrite = true }).ConfigureAwait(false);
            return result.Tables.Sum(t => t.Rows);
        }
    }

    private FileStream OpenFile() => new(_path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.Read,
        BufferSize = 0,
        Options = FileOptions.SequentialScan,
    });
}
