using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using Selective.Restore.Sqlite;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// The sqlite3 <c>.dump</c> reader over a ~24 MB generated dump (<see cref="SqliteDumpGenerator"/>) held in memory:
/// every row parsed and printed as row text, as staging reads it (<see cref="DumpTable.ReadAsync"/>), and the same
/// through the synchronous API.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Corpus(DumpStyle.SqliteDump)]
public class SqliteDumpBenchmarks
{
    private byte[] _dump = [];

    /// <summary>Generates (or reuses) the dump.</summary>
    [GlobalSetup]
    public void Setup() => _dump = Corpus.Get(DumpStyle.SqliteDump);

    /// <summary>Reference point: one vectorized pass over the bytes.</summary>
    [Benchmark(Baseline = true)]
    public int CountNewlines() => _dump.AsSpan().Count((byte)'\n');

    /// <summary>Every row materialized (<see cref="DumpTable.Read"/>), its row text's length summed.</summary>
    [Benchmark]
    public long ReadRows()
    {
        using var reader = DumpReader.Open(new MemoryStream(_dump, writable: false));
        long bytes = 0;
        while (reader.NextTable() is { } table)
        {
            while (table.Read())
            {
                bytes += table.Current.CopyLine.Length;
            }
        }

        return bytes;
    }

    /// <summary>As <see cref="ReadRows"/> through the async API: what staging does.</summary>
    [Benchmark]
    public async Task<long> ReadRowsAsync()
    {
        var reader = DumpReader.Open(new MemoryStream(_dump, writable: false));
        await using (reader.ConfigureAwait(false))
        {
            long bytes = 0;
            while (await reader.NextTableAsync().ConfigureAwait(false) is { } table)
            {
                while (await table.ReadAsync().ConfigureAwait(false))
                {
                    bytes += table.Current.CopyLine.Length;
                }
            }

            return bytes;
        }
    }
}

/// <summary>
/// A SQLite file of 200,000 <c>events</c> rows (the shape of <c>benchmarks/scripts/compare-sqlite.sh</c>) and 20,000
/// <c>samples</c> rows (blobs, REALs, large integers): the live rows as row text (what the diff reads from the target),
/// the file dumped as a sqlite3 <c>.dump</c> (<see cref="SqliteDump"/>), and the file read as a restore's source
/// (<see cref="SqliteSource"/>: the dump produced and parsed back, the path of <c>apply --from app-copy.db</c>).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class SqliteLiveBenchmarks
{
    private string _directory = "";
    private string _path = "";
    private string _connectionString = "";

    /// <summary>Creates the database.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("selective-restore-bench-sqlite-").FullName;
        _path = Path.Combine(_directory, "app.db");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ConnectionString;
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL, amount REAL, note TEXT, created TEXT NOT NULL);
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 200000)
            INSERT INTO events SELECT n, n % 100000, CASE n % 4 WHEN 0 THEN 'click' WHEN 1 THEN 'view' WHEN 2 THEN 'buy' ELSE 'refund' END,
              (n % 10000) / 100.0, CASE WHEN n % 7 = 0 THEN NULL WHEN n % 50 = 3 THEN 'note ' || hex(randomblob(8)) || char(10) || 'it''s a second line' ELSE 'note ' || hex(randomblob(8)) END,
              datetime(1735689600 + n, 'unixepoch') FROM g;
            CREATE TABLE samples (id INTEGER PRIMARY KEY, payload BLOB, ratio REAL, big INTEGER);
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)
            INSERT INTO samples SELECT n, randomblob(4 + n % 20), (random() % 1000000) / 7.0, random() FROM g;
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Removes the database.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>Every <c>events</c> row as a row-text line, read to the end (the live side of the diff).</summary>
    [Benchmark]
    public async Task<long> LiveRows()
    {
        var connection = new SqliteConnection(_connectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            var rows = SqliteRows.Open(connection, "SELECT id, account_id, kind, amount, note, created FROM events;");
            await using (rows.ConfigureAwait(false))
            {
                return await DrainAsync(rows).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The whole file as a sqlite3 <c>.dump</c>, written to nowhere.</summary>
    [Benchmark]
    public Task DumpToNull() => SqliteDump.WriteAsync(_connectionString, TextWriter.Null);

    /// <summary>The file as a restore's source: dumped and parsed back, every row materialized (<c>apply --from</c>).</summary>
    [Benchmark]
    public async Task<long> FromCopyReadRows()
    {
        var reader = new SqliteSource(_path).Open(new DumpReaderOptions());
        await using (reader.ConfigureAwait(false))
        {
            long bytes = 0;
            while (await reader.NextTableAsync().ConfigureAwait(false) is { } table)
            {
                while (await table.ReadAsync().ConfigureAwait(false))
                {
                    bytes += table.Current.CopyLine.Length;
                }
            }

            return bytes;
        }
    }

    private static async Task<long> DrainAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total;
    }
}
