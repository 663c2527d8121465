using Npgsql;
using Selective.Restore.Diff;
using Selective.Restore.Dump;
using Selective.Restore.PostgreSql;
using Selective.Restore.Providers;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Diff;

/// <summary>
/// The premise of the engine-side diff, against the real pg_dump and server: under <see cref="PostgreSqlLiveRows.OutputSettings"/>
/// an unchanged row prints byte for byte as pg_dump wrote it, for every awkward type, so the diff finds every row
/// identical and sends nothing to the typed comparison; an edited row is a candidate, a deleted one missing.
/// </summary>
public sealed class LiveRowsTests
{
    private const string Setup = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 100);
        CREATE TABLE awkward (
            id int PRIMARY KEY, t text, v varchar(20), c char(5), b bytea, n numeric, n2 numeric(10,3), f8 float8, f4 real,
            ts timestamp, tstz timestamptz, d date, tm time, tmtz timetz, iv interval, ok boolean, u uuid, j json, jb jsonb,
            ia int[], ta text[], ip inet, m mood, s short_text, x xml, pt point, r int4range, bits bit varying(8), mo money);
        INSERT INTO awkward VALUES
            (1, E'tab\there\nnew line \\ back', 'Zoë', 'ab', '\x00ff0a', 1.50, 2.5, 0.1, 0.1, '2026-07-20 18:30:28.123456', '2026-07-20 18:30:28.5+02',
             '2026-02-28', '23:59:59.999999', '10:00+05:30', '1 year 2 mons 3 days 04:05:06.7', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
             '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '{1,NULL,3}', '{"with \"quote\"","NULL",NULL,"x,y"}', '192.168.0.1/24',
             'happy', '美咲 🐘', '<a b="1">x</a>', '(1.5,-2)', '[1,10)', B'1011', 12.34),
            (2, '', NULL, NULL, '', 1.500000, 0, -0.0, 'NaN', '-infinity', 'infinity', '0001-01-01 BC', '00:00', '00:00+00', '-1 days', false,
             NULL, 'null', '[]', '{}', '{}', '::1', 'sad', '', NULL, NULL, 'empty', B'', -1),
            (3, repeat('x', 10000), 'a', 'abcde', decode(repeat('ff', 1000), 'hex'), 1e-20, 1234567.891, 1e308, 3.4e38, '2000-02-29 00:00:00',
             '1970-01-01 00:00:00+00', '9999-12-31', '12:34:56.5', '23:59:59-14:59', '00:00:00.000001', NULL, NULL, '{"u": "\u00e9\n"}', '{"u": "é\n"}',
             '{{1,2},{3,4}}', '{"a\\b"}', '10.0.0.0/8', 'ok', 'x', '<?xml version="1.0"?><r/>', '(0,0)', '(,)', B'1', 0);
        INSERT INTO awkward (id, f8, f4) SELECT g, g / 7.0, g / 3.0 FROM generate_series(4, 2000) g;
        """;

    [TestCase("")]
    [TestCase("--inserts")]
    [TestCase("-Fc")]
    public async Task Every_unchanged_row_prints_as_the_dump_wrote_it(string format)
    {
        await using var scenario = await Scenario.CreateAsync(Setup);
        var dumpPath = await scenario.DumpAsync($"-t awkward {format}", "dump.out");
        await scenario.ExecuteAsync("UPDATE awkward SET t = t || '!' WHERE id = 1; DELETE FROM awkward WHERE id = 3; UPDATE awkward SET f8 = 0.5 WHERE id = 4;");

        var (counts, sink) = await DiffAsync(scenario.ConnectionString, dumpPath);

        counts.DumpRows.ShouldBe(2000);
        counts.LiveRows.ShouldBe(1999);
        sink.Missing.ShouldBe([3L]);
        sink.Candidates.Order().ToList().ShouldBe([1L, 4L], "only the edited rows: every other row prints byte for byte as pg_dump wrote it");
        counts.Identical.ShouldBe(1997);
        counts.LiveOnly.ShouldBe(0);
    }

    [Test]
    public async Task A_dump_written_in_another_time_zone_makes_its_timestamptz_rows_candidates_for_the_typed_comparison()
    {
        await using var scenario = await Scenario.CreateAsync("CREATE TABLE e (id int PRIMARY KEY, at timestamptz, note text); INSERT INTO e VALUES (1, '2026-07-20 18:30+00', 'x'), (2, NULL, 'y');");
        var dumpPath = Path.Combine(Path.GetTempPath(), $"sr-tz-{Guid.NewGuid():N}.sql");
        try
        {
            await PostgresServer.RunToolAsync("pg_dump", scenario.ConnectionString, "-t e", dumpPath, new Dictionary<string, string> { ["PGTZ"] = "Asia/Kolkata" });

            var (counts, sink) = await DiffAsync(scenario.ConnectionString, dumpPath);

            // Same instant, other text ('2026-07-21 00:00:00+05:30'): never identical by text, never missing; the server decides.
            sink.Candidates.ShouldBe([1L]);
            counts.Identical.ShouldBe(1);
            sink.Missing.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(dumpPath);
        }
    }

    [Test]
    public async Task A_log_table_without_a_key_is_diffed_by_whole_rows_copies_counted()
    {
        await using var scenario = await Scenario.CreateAsync("""
            CREATE TABLE log (at date, msg text);
            INSERT INTO log VALUES ('2026-01-01', 'x'), ('2026-01-01', 'x'), ('2026-01-01', 'x'), ('2026-01-02', NULL), ('2026-01-02', NULL), ('2026-01-03', 'y');
            """);
        var dumpPath = await scenario.DumpAsync("-t log", "log.sql");
        await scenario.ExecuteAsync("""
            DELETE FROM log WHERE ctid = (SELECT min(ctid) FROM log WHERE msg = 'x');
            DELETE FROM log WHERE msg = 'y';
            INSERT INTO log VALUES ('2026-01-04', 'z');
            """);

        var (counts, sink) = await DiffAsync(scenario.ConnectionString, dumpPath, new RowLayout([], []));

        counts.Identical.ShouldBe(4);
        counts.Missing.ShouldBe(2, "one of three copies of x, and y");
        counts.LiveOnly.ShouldBe(1);
        sink.MissingLines.Order(StringComparer.Ordinal).ShouldBe(["2026-01-01\tx", "2026-01-03\ty"]);
    }

    private static async Task<(DiffCounts Counts, Sink Sink)> DiffAsync(string connectionString, string dumpPath, RowLayout? layout = null)
    {
        layout ??= new RowLayout([0], [0]);
        await using var reader = DumpReader.Open(dumpPath);
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        var columns = table.Columns.Select(c => c.Name!).ToList();
        using var store = new DumpRowStore(layout.DumpKey, new DiffOptions());
        while (await table.ReadAsync())
        {
            store.Add(table.Current.CopyLine, table.Current.Line, table.Current.ByteOffset);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand(PostgreSqlLiveRows.OutputSettings, connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        var sink = new Sink();
        await using var live = await PostgreSqlLiveRows.OpenAsync(connection, table.Name, columns);
        var counts = await KeyedDiff.RunAsync(store, new CopyLineReader(live), layout, sink, async: true, CancellationToken.None);
        return (counts, sink);
    }

    private sealed class Sink : IDiffSink
    {
        public List<long> Missing { get; } = [];

        public List<string> MissingLines { get; } = [];

        public List<long> Candidates { get; } = [];

        void IDiffSink.Missing(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset)
        {
            var line = System.Text.Encoding.UTF8.GetString(dumpLine);
            MissingLines.Add(line);
            if (long.TryParse(line[..line.IndexOf('\t', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                Missing.Add(id);
            }
        }

        void IDiffSink.Candidate(ReadOnlySpan<byte> dumpLine, long lineNumber, long byteOffset, ReadOnlySpan<byte> liveLine) => Candidates.Add(long.Parse(System.Text.Encoding.UTF8.GetString(dumpLine[..dumpLine.IndexOf((byte)'\t')]), System.Globalization.CultureInfo.InvariantCulture));

        void IDiffSink.LiveOnly(ReadOnlySpan<byte> liveLine)
        {
        }
    }
}
