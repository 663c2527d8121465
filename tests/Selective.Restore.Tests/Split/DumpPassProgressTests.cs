using System.Globalization;
using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>
/// Progress of a split and of an inspection (<see cref="SplitOptions.Progress"/>, <see cref="InspectOptions.Progress"/>):
/// reported while a table is read, not only once it is done, with the dump's bytes as stored, and the table counts a
/// script can honestly give (unknown until it has been read), as staging reports them.
/// </summary>
public sealed class DumpPassProgressTests
{
    private const int Users = 30_000;
    private const int Tags = 10_000;

    /// <summary>A pg_dump-like script: a COPY table of <see cref="Users"/> rows, then an INSERT table of <see cref="Tags"/> rows.</summary>
    private static string PlainDump(TempDirectory dir)
    {
        var text = new StringBuilder("--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n");
        text.Append("COPY public.users (id, name) FROM stdin;\n");
        for (var i = 1; i <= Users; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i}\tname {i} {new string('x', i % 40)}\n");
        }

        text.Append("\\.\n\n");
        for (var i = 1; i <= Tags; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"INSERT INTO public.tags (id, label) VALUES ({i}, 'label {i}');\n");
        }

        text.Append("\n--\n-- PostgreSQL database dump complete\n--\n\n");
        return dir.Write("dump.sql", text.ToString());
    }

    private static string Gzip(string from, string to)
    {
        using (var input = File.OpenRead(from))
        using (var output = File.Create(to))
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            input.CopyTo(gzip);
        }

        return to;
    }

    private static async Task<List<RestoreProgress>> SplitAsync(string dump, string output, TimeSpan interval)
    {
        var events = new List<RestoreProgress>();
        await using var reader = DumpReader.Open(dump);
        await DumpSplitter.SplitAsync(reader, output, new SplitOptions { Progress = new Recorder(events), ProgressInterval = interval });
        return events;
    }

    private static async Task<List<RestoreProgress>> InspectAsync(string dump, TimeSpan interval)
    {
        var events = new List<RestoreProgress>();
        await using var reader = DumpReader.Open(dump);
        await DumpInspector.InspectAsync(reader, new InspectOptions { Progress = new Recorder(events), ProgressInterval = interval });
        return events;
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_split_reports_while_each_table_is_written_and_ends_at_the_dump_s_size_as_stored(bool gzip)
    {
        using var dir = new TempDirectory();
        var plain = PlainDump(dir);
        var dump = gzip ? Gzip(plain, dir.File("dump.sql.gz")) : plain;
        var length = new FileInfo(dump).Length;

        var events = await SplitAsync(dump, dir.File("parts"), TimeSpan.Zero);

        events.ShouldAllBe(e => e.Phase == RestorePhase.Splitting && e.TableRows == -1 && e.BytesTotal == length && e.Bytes <= length);
        events.Select(e => e.Bytes).ShouldBeInOrder();
        var users = events.Where(e => e.Table.Name == "users").ToList();
        users.ShouldAllBe(e => e.TableNumber == 1);
        users.Select(e => e.Rows).ShouldBeInOrder();
        users.Count(e => e.Rows is > 0 and < Users).ShouldBeGreaterThan(0, "reported while the rows are copied (a block at a time), not once per table");
        users.Select(e => e.Bytes).Distinct().Count().ShouldBeGreaterThan(2, "the bytes read move while the table is read");
        users[0].Rows.ShouldBe(0);
        (users[^1].Rows, users[^1].TablesDone).ShouldBe((Users, 1));

        var tags = events.Where(e => e.Table.Name == "tags").ToList();
        tags.ShouldAllBe(e => e.TableNumber == 2);
        tags.Count(e => e.Rows is > 0 and < Tags).ShouldBeGreaterThan(0, "an INSERT table's rows rewritten as COPY lines are reported too");

        // A script names its tables only as it is read: the count comes with the last event, which read it all.
        events[..^1].ShouldAllBe(e => e.TablesTotal == -1);
        (events[^1].Table.Name, events[^1].Rows, events[^1].TablesDone, events[^1].TablesTotal, events[^1].Bytes).ShouldBe(("tags", (long)Tags, 2, 2, length));
        if (gzip)
        {
            new FileInfo(plain).Length.ShouldBeGreaterThan(length, "the compressed bytes are counted, not the text's");
        }
    }

    [Test]
    public async Task An_inspection_reports_while_it_reads_each_table_and_ends_at_the_dump_s_size()
    {
        using var dir = new TempDirectory();
        var dump = PlainDump(dir);
        var length = new FileInfo(dump).Length;

        var events = await InspectAsync(dump, TimeSpan.Zero);

        events.ShouldAllBe(e => e.Phase == RestorePhase.Inspecting && e.TableRows == -1 && e.BytesTotal == length);
        events.Select(e => e.Bytes).ShouldBeInOrder();
        var users = events.Where(e => e.Table.Name == "users").ToList();
        users.Select(e => e.Rows).ShouldBeInOrder();
        users.Count(e => e.Rows is > 0 and < Users).ShouldBeGreaterThan(0, "reported while the rows are read (COPY lines a buffer at a time), not once per table");
        users.ShouldAllBe(e => e.TableNumber == 1);
        var tags = events.Where(e => e.Table.Name == "tags").ToList();
        tags.ShouldAllBe(e => e.TableNumber == 2);
        tags.Count(e => e.Rows is > 0 and < Tags).ShouldBe((Tags - 1) / 64, "INSERT rows are read one by one: a report every 64 under a zero interval");
        events[..^1].ShouldAllBe(e => e.TablesTotal == -1);
        (events[^1].TablesDone, events[^1].TablesTotal, events[^1].Bytes).ShouldBe((2, 2, length));
    }

    [TestCase("split")]
    [TestCase("inspect")]
    public async Task Reading_past_a_table_left_out_is_reported_with_that_table_and_the_bytes_read(string pass)
    {
        using var dir = new TempDirectory();
        var dump = PlainDump(dir);
        var events = new List<RestoreProgress>();
        var options = new DumpReaderOptions { Tables = TableFilter.Create(["public.tags"]) };
        await using (var reader = DumpReader.Open(dump, options))
        {
            if (pass == "split")
            {
                await DumpSplitter.SplitAsync(reader, dir.File("parts"), new SplitOptions { Progress = new Recorder(events), ProgressInterval = TimeSpan.Zero });
            }
            else
            {
                await DumpInspector.InspectAsync(reader, new InspectOptions { Progress = new Recorder(events), ProgressInterval = TimeSpan.Zero });
            }
        }

        // users is not selected: its megabyte is read past before tags, the one table of the pass, starts.
        var skipping = events.TakeWhile(e => e.Table.Name != "tags").ToList();
        skipping.Count.ShouldBeGreaterThan(1, "a skip is reported while it lasts, not only once");
        skipping.ShouldAllBe(e => e.Table.Name == "users" && e.TableNumber == 0 && e.TablesDone == 0 && e.Rows == 0);
        skipping.Select(e => e.Bytes).ShouldBeInOrder();
        skipping.Select(e => e.Bytes).Distinct().Count().ShouldBeGreaterThan(1, "the bytes read move while skipping");
        events.Skip(skipping.Count).ShouldAllBe(e => e.Table.Name == "tags" && e.TableNumber == 1);
    }

    [TestCase("split")]
    [TestCase("inspect")]
    public async Task Under_a_long_interval_only_table_boundaries_and_the_end_are_reported(string pass)
    {
        using var dir = new TempDirectory();
        var dump = PlainDump(dir);

        // An interval longer than any test run: what is left is what must never be dropped.
        var events = pass == "split" ? await SplitAsync(dump, dir.File("parts"), TimeSpan.FromHours(1)) : await InspectAsync(dump, TimeSpan.FromHours(1));

        events.Select(e => (e.Table.Name, e.Rows, e.TablesDone)).ToArray()
            .ShouldBe([("users", 0L, 0), ("users", (long)Users, 1), ("tags", 0L, 1), ("tags", (long)Tags, 2), ("tags", (long)Tags, 2)]);
    }

    [Test]
    public async Task A_sqlite_dump_split_into_sqlite_files_reports_while_its_table_is_written()
    {
        using var dir = new TempDirectory();
        var text = new StringBuilder("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n");
        for (var i = 1; i <= 20_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"INSERT INTO notes VALUES({i},'note {i}');\n");
        }

        var dump = dir.Write("dump.sql", text.Append("COMMIT;\n").ToString());

        var events = await SplitAsync(dump, dir.File("parts"), TimeSpan.Zero);

        events.ShouldAllBe(e => e.Phase == RestorePhase.Splitting && e.Table.Name == "notes" && e.TableNumber == 1);
        events.Count(e => e.Rows is > 0 and < 20_000).ShouldBeGreaterThan(2, "reported at the blocks the SQLite writer hands over");
        (events[^1].Rows, events[^1].TablesTotal, events[^1].Bytes).ShouldBe((20_000L, 1, new FileInfo(dump).Length));
    }

    [Test]
    public async Task A_sql_server_script_split_into_tsql_files_reports_while_its_table_is_written()
    {
        using var dir = new TempDirectory();
        var text = new StringBuilder("USE [Shop]\nGO\nCREATE TABLE [dbo].[Notes]([Id] [int] NOT NULL, [Body] [nvarchar](50) NULL)\nGO\n");
        for (var i = 1; i <= 20_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"INSERT [dbo].[Notes] ([Id], [Body]) VALUES ({i}, N'note {i}')\n");
        }

        var dump = dir.Write("dump.sql", text.Append("GO\n").ToString());

        var events = await SplitAsync(dump, dir.File("parts"), TimeSpan.Zero);

        events.ShouldAllBe(e => e.Phase == RestorePhase.Splitting && e.Table.Name == "Notes" && e.TableNumber == 1);
        events.Count(e => e.Rows is > 0 and < 20_000).ShouldBeGreaterThan(2, "reported at the blocks the T-SQL writer hands over");
        (events[^1].Rows, events[^1].TablesTotal, events[^1].Bytes).ShouldBe((20_000L, 1, new FileInfo(dump).Length));
    }

    [Test]
    public void A_negative_interval_is_refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new SplitOptions { ProgressInterval = TimeSpan.FromMilliseconds(-1) });
        Should.Throw<ArgumentOutOfRangeException>(() => new InspectOptions { ProgressInterval = TimeSpan.FromMilliseconds(-1) });
        new SplitOptions().ProgressInterval.ShouldBe(TimeSpan.FromMilliseconds(100));
        new InspectOptions().ProgressInterval.ShouldBe(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Records synchronously (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class Recorder(List<RestoreProgress> events) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => events.Add(value);
    }
}
