using Selective.Restore.IO;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.IO;

/// <summary>The one rule for output paths: a regular file or nothing; links and special files are refused, never replaced or written through.</summary>
public sealed class OutputPathTests
{
    [TestCase("symlink", "SymbolicLink")]
    [TestCase("dangling symlink", "SymbolicLink")]
    [TestCase("fifo", "Fifo")]
    [TestCase("directory", "Directory")]
    [TestCase("full device", "CharacterDevice")]
    [TestCase("socket", "Socket")]
    public void Tells_every_kind_of_entry_apart(string kind, string expectedKind)
    {
        var expected = Enum.Parse<OutputPath.EntryKind>(expectedKind);
        using var dir = new TempDirectory();
        var path = SpecialFiles.Create(kind, dir.File("entry"), dir.File("target"));

        OutputPath.KindOf(path).ShouldBe(expected);
        OutputPath.KindOf(dir.Write("plain", "x")).ShouldBe(OutputPath.EntryKind.RegularFile);
        OutputPath.KindOf(dir.Write("empty", string.Empty)).ShouldBe(OutputPath.EntryKind.RegularFile);
        OutputPath.KindOf(dir.File("missing")).ShouldBe(OutputPath.EntryKind.None);
        SpecialFiles.ShouldBeUntouched(kind, path, dir.File("target"));
    }

    [TestCaseSource(typeof(SpecialFiles), nameof(SpecialFiles.Kinds))]
    public async Task Writing_a_report_refuses_a_special_file_and_leaves_it_alone(string kind)
    {
        using var dir = new TempDirectory();
        var path = SpecialFiles.Create(kind, dir.File("report.json"), dir.File("target"));

        var error = await Should.ThrowAsync<IOException>(() => OutputPath.WriteAllTextAsync(path, "{}", "--json report"));

        error.Message.ShouldStartWith($"--json report {path}: is a");
        SpecialFiles.ShouldBeUntouched(kind, path, dir.File("target"));
    }

    [Test]
    public async Task A_link_planted_at_the_temporary_name_is_not_followed()
    {
        using var dir = new TempDirectory();
        var victim = dir.Write("victim", "precious\n");
        File.CreateSymbolicLink(dir.File("report.json.tmp"), victim);

        await OutputPath.WriteAllTextAsync(dir.File("report.json"), "{}\n", "--json report");

        File.ReadAllText(dir.File("report.json")).ShouldBe("{}\n");
        File.ReadAllText(victim).ShouldBe("precious\n");
        File.Exists(dir.File("report.json.tmp")).ShouldBeFalse();
    }

    [Test]
    public async Task A_regular_file_is_replaced_and_a_new_path_created()
    {
        using var dir = new TempDirectory();
        var existing = dir.Write("old.json", "old");

        await OutputPath.WriteAllTextAsync(existing, "new", "--json report");
        await OutputPath.WriteAllTextAsync(dir.File("new.json"), "fresh", "--json report");

        File.ReadAllText(existing).ShouldBe("new");
        File.ReadAllText(dir.File("new.json")).ShouldBe("fresh");
        Should.Throw<IOException>(() => OutputPath.CheckDirectory(existing, "split output directory")).Message.ShouldContain("is a regular file, not a directory");
    }
}
