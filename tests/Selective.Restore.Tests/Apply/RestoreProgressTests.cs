using System.Globalization;
using System.IO.Compression;
using Selective.Restore.Tests.Providers;
using Selective.Restore.Tests.Providers.InMemory;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// <see cref="RestoreProgress"/> on the in-memory database: reported while a table is staged and while it is diffed,
/// not only once it is done, with the dump's bytes as stored, and the table counts a plain dump can honestly give.
/// </summary>
public sealed class RestoreProgressTests
{
    private static readonly ContractTable Users = new(
        "users",
        [new("id", ContractType.Integer, NotNull: true), new("name", ContractType.Text)],
        ["id"]);

    private static readonly ContractTable Tags = new("tags", [new("id", ContractType.Integer, NotNull: true), new("label", ContractType.Text)], ["id"]);

    private static string?[] Row(int id) => [id.ToString(CultureInfo.InvariantCulture), $"name {id} {new string('x', id % 40)}"];

    [Test]
    public async Task A_big_table_reports_while_it_is_staged_and_diffed_with_the_compressed_bytes_read_of_a_gzip_dump()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var users = Enumerable.Range(1, 30_000).Select(Row).ToArray();
        await db.InsertAsync("users", [.. users.Where(r => !r[0]!.EndsWith('7'))]);
        var plain = ContractDump.Write(dir.File("dump.sql"), (Users, users), (Tags, [["1", "a"], ["2", "b"]]));
        var dump = Gzip(plain, dir.File("dump.sql.gz"));
        var events = new List<RestoreProgress>();

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithProgress(new Recorder(events), TimeSpan.Zero).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var length = new FileInfo(dump).Length;
        var staging = events.Where(e => e.Phase == RestorePhase.Staging && e.Table.Name == "users").ToList();
        staging.Count.ShouldBeGreaterThan(10, "reported while the rows are read, not once per table");
        staging.Select(e => e.Rows).ShouldBeInOrder();
        staging.Select(e => e.Bytes).ShouldBeInOrder();
        staging.Select(e => e.Bytes).Distinct().Count().ShouldBeGreaterThan(2, "the bytes read move while the table is read");
        staging.ShouldAllBe(e => e.BytesTotal == length && e.Bytes <= length && e.TableNumber == 1 && e.TableRows == -1);
        staging[^1].Rows.ShouldBe(30_000);

        // The file's own bytes, compressed: staging ends at the file's length, not at the text's.
        var lastStaging = events.Last(e => e.Phase == RestorePhase.Staging);
        lastStaging.Bytes.ShouldBe(length);
        new FileInfo(plain).Length.ShouldBeGreaterThan(length);

        var diffing = events.Where(e => e.Phase == RestorePhase.Diffing && e.Table.Name == "users").ToList();
        diffing.Count(e => e.Rows > 0 && e.Rows < 27_000).ShouldBeGreaterThan(0, "reported while the live rows stream out");
        diffing.Select(e => e.Rows).ShouldBeInOrder();
        diffing.ShouldContain(e => e.Rows == 27_000);
        diffing.ShouldAllBe(e => e.TableRows == 30_000 && e.TablesTotal == 2 && e.Bytes == length && e.BytesTotal == length);

        var applied = events.Where(e => e.Phase == RestorePhase.Applying && e.Table.Name == "users").ToList();
        applied[^1].Rows.ShouldBe(3_000);
        applied[^1].TablesDone.ShouldBe(applied[^1].TableNumber);
        events[^1].TablesDone.ShouldBe(2);
        events[^1].TablesTotal.ShouldBe(2);
    }

    [Test]
    public async Task A_plain_dump_says_how_many_tables_it_had_only_once_staging_has_read_it_and_the_apply_pass_knows_from_the_start()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [Row(1), Row(2)]), (Tags, [["1", "a"]]));
        var events = new List<RestoreProgress>();

        var report = await db.Into(SelectiveRestore.FromDump(dump)).AsPlan().WithProgress(new Recorder(events)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var staging = events.Where(e => e.Phase == RestorePhase.Staging).ToList();
        staging[..^1].ShouldAllBe(e => e.TablesTotal == -1);
        (staging[^1].TablesDone, staging[^1].TablesTotal, staging[^1].Bytes, staging[^1].BytesTotal).ShouldBe((2, 2, new FileInfo(dump).Length, new FileInfo(dump).Length));
        staging.Where(e => e.Table.Name == "tags").ShouldAllBe(e => e.TableNumber == 2);

        // A plan has no applying phase: its tables go from diffing to done.
        events.ShouldNotContain(e => e.Phase == RestorePhase.Applying);
        var pass = events.Where(e => e.Phase == RestorePhase.Diffing).ToList();
        pass.ShouldAllBe(e => e.TablesTotal == 2);
        pass.Select(e => e.TablesDone).ShouldBeInOrder();
        pass[^1].TablesDone.ShouldBe(2);
    }

    [Test]
    public async Task Under_a_long_interval_only_table_boundaries_are_reported()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [.. Enumerable.Range(1, 5_000).Select(Row)]));
        var events = new List<RestoreProgress>();

        // An interval longer than any test run: what is left is what must never be dropped.
        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithProgress(new Recorder(events), TimeSpan.FromHours(1)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var staging = events.Where(e => e.Phase == RestorePhase.Staging).ToList();
        staging.Select(e => e.Rows).ToArray().ShouldBe([0L, 5_000L, 5_000L]); // the table starts, ends, and the pass ends
        events.Where(e => e.Phase == RestorePhase.Diffing).Select(e => e.Rows).ToArray().ShouldBe([0L]);
        events.Where(e => e.Phase == RestorePhase.Applying).Select(e => (e.Rows, e.TablesDone)).ToArray().ShouldBe([(0L, 0), (5_000L, 1)]);
    }

    [Test]
    public async Task A_backup_check_reports_while_it_stages_and_while_it_diffs_each_table_and_never_applies()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var users = Enumerable.Range(1, 20_000).Select(Row).ToArray();
        await db.InsertAsync("users", [.. users.Where(r => !r[0]!.EndsWith('3'))]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, users), (Tags, [["1", "a"]]));
        var events = new List<RestoreProgress>();

        var report = await db.Into(BackupVerification.FromDump(dump)).WithProgress(new Recorder(events), TimeSpan.Zero).Build().RunAsync();

        report.Completed.ShouldBeTrue(report.ToSummary());
        var length = new FileInfo(dump).Length;
        var staging = events.Where(e => e.Phase == RestorePhase.Staging).ToList();
        staging.Count(e => e.Table.Name == "users" && e.Rows is > 0 and < 20_000).ShouldBeGreaterThan(10);
        staging.ShouldAllBe(e => e.BytesTotal == length);
        (staging[^1].TablesDone, staging[^1].TablesTotal, staging[^1].Bytes).ShouldBe((2, 2, length));

        events.ShouldNotContain(e => e.Phase == RestorePhase.Applying);
        var diffing = events.Where(e => e.Phase == RestorePhase.Diffing).ToList();
        diffing.ShouldAllBe(e => e.TablesTotal == 2);
        diffing.Where(e => e.Table.Name == "users").ShouldAllBe(e => e.TableNumber == 1 && e.TableRows == 20_000);
        diffing.ShouldContain(e => e.Table.Name == "users" && e.Rows > 0 && e.Rows < 18_000, "reported while the live rows stream out");
        (diffing[^1].Table.Name, diffing[^1].TablesDone).ShouldBe(("tags", 2));
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

    /// <summary>Records synchronously (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class Recorder(List<RestoreProgress> events) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => events.Add(value);
    }
}
