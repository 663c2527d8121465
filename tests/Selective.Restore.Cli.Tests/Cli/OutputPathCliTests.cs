using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>
/// Every path the CLI writes (--undo and its .parts/, --journal, --json of plan/apply/verify, split --out) is refused
/// when it is a link, a FIFO, a directory or a device: exit code 2, one line naming the path, nothing applied, and the
/// entry left exactly as it was.
/// </summary>
[CancelAfter(120_000)] // a FIFO opened for writing would block forever: fail instead of hanging
public sealed class OutputPathCliTests
{
    private const string Schema = """
        CREATE TABLE items (id int PRIMARY KEY, name text);
        INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g;
        """;

    private Scenario _db = null!;
    private string _dump = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await Scenario.CreateAsync(Schema);
        _dump = await _db.DumpAsync();
        await _db.ExecuteAsync("DELETE FROM items WHERE id > 10");
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private static IEnumerable<TestCaseData> Cases() =>
        from option in new[] { "--undo", "--undo-parts", "--journal", "--json" }
        from kind in SpecialFiles.Kinds
        where !(option == "--undo-parts" && kind == "directory") // a directory is what the parts path should be
        select new TestCaseData(option, kind);

    private static IEnumerable<string> NotDirectories() => SpecialFiles.Kinds.Where(k => k != "directory");

    [TestCaseSource(nameof(Cases))]
    public async Task Apply_refuses_a_special_output_path_before_applying_anything(string option, string kind)
    {
        using var dir = new TempDirectory();
        var entry = option == "--undo-parts" ? dir.File("undo.sql.parts") : dir.File("out");
        var path = SpecialFiles.Create(kind, entry, dir.File("target"));
        var argument = option == "--undo-parts" ? dir.File("undo.sql") : path;
        var flag = option == "--undo-parts" ? "--undo" : option;

        var (exit, stdout, stderr) = await CliRunner.RunAsync("apply", _dump, "--target", _db.ConnectionString, flag, argument);

        exit.ShouldBe(2, stderr);
        stderr.TrimEnd().ShouldNotContain('\n');
        stderr.ShouldContain(path);
        stderr.ShouldContain("not a ");
        stdout.ShouldBeEmpty();
        (await _db.ScalarAsync<long>("SELECT count(*) FROM items")).ShouldBe(10); // nothing applied
        SpecialFiles.ShouldBeUntouched(kind, path, dir.File("target"));
    }

    [TestCaseSource(typeof(SpecialFiles), nameof(SpecialFiles.Kinds))]
    public async Task Verify_and_plan_refuse_a_special_json_path(string kind)
    {
        foreach (var command in new[] { "verify", "plan" })
        {
            using var dir = new TempDirectory();
            var path = SpecialFiles.Create(kind, dir.File("report.json"), dir.File("target"));

            var (exit, _, stderr) = await CliRunner.RunAsync(command, _dump, "--target", _db.ConnectionString, "--json", path);

            exit.ShouldBe(2, $"{command}: {stderr}");
            stderr.ShouldContain(path);
            SpecialFiles.ShouldBeUntouched(kind, path, dir.File("target"));
        }
    }

    [TestCaseSource(nameof(NotDirectories))]
    public async Task Split_refuses_an_output_directory_that_is_not_a_directory(string kind)
    {
        using var dir = new TempDirectory();
        var path = SpecialFiles.Create(kind, dir.File("out"), dir.File("target"));

        var (exit, _, stderr) = await CliRunner.RunAsync("split", _dump, "--out", path, "--force");

        exit.ShouldBe(2, stderr);
        stderr.ShouldContain(path);
        SpecialFiles.ShouldBeUntouched(kind, path, dir.File("target"));
    }

    [Test]
    public async Task Split_with_force_replaces_links_in_the_output_directory_without_following_them()
    {
        using var dir = new TempDirectory();
        var output = dir.File("out");
        Directory.CreateDirectory(output);
        var victim = dir.Write("victim", "precious\n");
        foreach (var name in new[] { "0001-public.items.sql", "0001-public.items.sql.partial", "sequences.sql", "manifest.json", "manifest.json.tmp" })
        {
            File.CreateSymbolicLink(Path.Combine(output, name), victim);
        }

        var (exit, _, stderr) = await CliRunner.RunAsync("split", _dump, "--out", output, "--force");

        exit.ShouldBe(0, stderr);
        File.ReadAllText(victim).ShouldBe("precious\n");
        new FileInfo(Path.Combine(output, "0001-public.items.sql")).LinkTarget.ShouldBeNull();
        File.ReadAllText(Path.Combine(output, "0001-public.items.sql")).ShouldContain("COPY \"public\".\"items\"");
    }

    [Test]
    public async Task A_report_that_cannot_be_written_after_a_successful_apply_says_the_data_was_applied()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM items WHERE id > 10");
        using var dir = new TempDirectory();
        var unwritable = Path.Combine(dir.File("no-such-directory"), "report.json"); // passes the up-front check, fails on write

        var (exit, stdout, stderr) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--json", unwritable);

        exit.ShouldBe(4, stderr);
        stdout.ShouldContain("10 inserted");
        stderr.TrimEnd().ShouldNotContain('\n');
        stderr.ShouldContain("the restore WAS applied and committed");
        stderr.ShouldContain("the --json report could not be written");
        stderr.ShouldContain("report.json");
        (await db.ScalarAsync<long>("SELECT count(*) FROM items")).ShouldBe(20);
    }
}
