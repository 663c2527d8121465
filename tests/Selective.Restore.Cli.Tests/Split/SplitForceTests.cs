using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>split into a directory that has files says how to write there anyway (issue 15).</summary>
public sealed class SplitForceTests
{
    [Test]
    public async Task A_non_empty_directory_is_refused_naming_force_and_force_writes_there()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "COPY public.t (id) FROM stdin;\n1\n\\.\n");
        var output = Directory.CreateDirectory(dir.File("out")).FullName;
        await File.WriteAllTextAsync(Path.Combine(output, "old.txt"), "x");

        var (exit, _, err) = await CliRunner.RunAsync("split", dump, "--out", output);
        exit.ShouldBe(1, err);
        err.ShouldContain("--force");

        (exit, _, err) = await CliRunner.RunAsync("split", dump, "--out", output, "--force");
        exit.ShouldBe(0, err);
        File.Exists(Path.Combine(output, "manifest.json")).ShouldBeTrue();
    }
}
