using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// <see cref="RestoreProgress"/> from pg_dump archives: their table of contents says how many tables staging will
/// read before the first is read, and the archive's bytes on disk are what progress counts.
/// </summary>
public sealed class ArchiveProgressTests
{
    private const string Shop = """
        CREATE TABLE customers (id int PRIMARY KEY, name text);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, note text);
        CREATE TABLE audit (id int PRIMARY KEY, line text);
        INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 2000) g;
        INSERT INTO orders SELECT g, 1 + g % 2000, repeat('order ', 1 + g % 10) FROM generate_series(1, 20000) g;
        INSERT INTO audit SELECT g, 'audit ' || g FROM generate_series(1, 3000) g;
        """;

    [TestCase("-Fc", "dump.custom")]
    [TestCase("-Fd", "dump.dir")]
    public async Task Staging_an_archive_knows_the_selected_tables_from_its_first_event_and_counts_its_bytes_on_disk(string format, string name)
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync(format, name);
        await db.ExecuteAsync("DELETE FROM orders WHERE id % 10 = 0");
        var events = new List<RestoreProgress>();

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).IncludeTables("public.customers", "public.orders")
            .WithProgress(new Recorder(events), TimeSpan.Zero).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Sum(t => t.Inserted).ShouldBe(2_000);
        var size = Directory.Exists(dump) ? await DataFilesAsync(dump, "customers", "orders") : new FileInfo(dump).Length;
        var staging = events.Where(e => e.Phase == RestorePhase.Staging).ToList();
        staging.ShouldAllBe(e => e.TablesTotal == 2 && e.BytesTotal == size && e.Bytes <= size);
        staging.Select(e => e.Bytes).ShouldBeInOrder();
        staging.Where(e => e.Table.Name == "orders").Count(e => e.Rows > 0 && e.Rows < 20_000).ShouldBeGreaterThan(0, "reported while the rows are read");
        (staging[^1].TablesDone, staging[^1].TablesTotal).ShouldBe((2, 2));

        // Diffing and applying, parents first: customers is table 1 of 2, orders table 2.
        var pass = events.Where(e => e.Phase != RestorePhase.Staging).ToList();
        pass.ShouldAllBe(e => e.TablesTotal == 2 && e.BytesTotal == size);
        pass.Where(e => e.Table.Name == "orders").ShouldAllBe(e => e.TableNumber == 2 && e.TableRows == 20_000);
        pass.ShouldContain(e => e.Phase == RestorePhase.Diffing && e.Table.Name == "orders" && e.Rows == 18_000);
        (pass[^1].Phase, pass[^1].Table.Name, pass[^1].Rows, pass[^1].TablesDone).ShouldBe((RestorePhase.Applying, "orders", 2_000L, 2));
    }

    [TestCase("-Fc", "dump.custom", "split")]
    [TestCase("-Fc", "dump.custom", "inspect")]
    [TestCase("-Fd", "dump.dir", "split")]
    [TestCase("-Fd", "dump.dir", "inspect")]
    public async Task Splitting_and_inspecting_an_archive_know_the_selected_tables_from_the_first_event(string format, string name, string pass)
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync(format, name);
        var events = new List<RestoreProgress>();
        var options = new DumpReaderOptions { Tables = TableFilter.Create(["public.customers", "public.orders"]) };

        await using (var reader = DumpReader.Open(dump, options))
        {
            if (pass == "split")
            {
                await DumpSplitter.SplitAsync(reader, Path.Combine(Path.GetDirectoryName(dump)!, "parts"), new SplitOptions { Progress = new Recorder(events), ProgressInterval = TimeSpan.Zero });
            }
            else
            {
                await DumpInspector.InspectAsync(reader, new InspectOptions { Progress = new Recorder(events), ProgressInterval = TimeSpan.Zero });
            }
        }

        var size = Directory.Exists(dump) ? await DataFilesAsync(dump, "customers", "orders") : new FileInfo(dump).Length;
        var phase = pass == "split" ? RestorePhase.Splitting : RestorePhase.Inspecting;
        events.ShouldAllBe(e => e.Phase == phase && e.TablesTotal == 2 && e.BytesTotal == size && e.Bytes <= size && e.TableRows == -1);
        events.Select(e => e.Bytes).ShouldBeInOrder();
        events.Where(e => e.Table.Name == "customers").ShouldAllBe(e => e.TableNumber == 1);
        var orders = events.Where(e => e.Table.Name == "orders").ToList();
        orders.ShouldAllBe(e => e.TableNumber == 2);
        orders.Count(e => e.Rows is > 0 and < 20_000).ShouldBeGreaterThan(0, "reported while the rows are read");
        (events[^1].Table.Name, events[^1].Rows, events[^1].TablesDone).ShouldBe(("orders", 20_000L, 2));
    }

    /// <summary>A directory archive's data files of <paramref name="tables"/>, in bytes: what staging reads of it.</summary>
    private static async Task<long> DataFilesAsync(string directory, params string[] tables)
    {
        await using var reader = DumpReader.Open(directory);
        long size = 0;
        while (await reader.NextTableAsync() is { } table)
        {
            if (tables.Contains(table.Name.Name))
            {
                size += new FileInfo(Path.Combine(directory, table.ArchiveDataFile!)).Length;
            }
        }

        return size;
    }

    private sealed class Recorder(List<RestoreProgress> events) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => events.Add(value);
    }
}
