using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Packaging;

/// <summary>
/// The packages as a user gets them (issue 15): each with its README and the license, one prerelease version,
/// symbols as .snupkg whose pdbs name sources by a path that does not depend on the build machine, and the tool
/// installable from a local feed.
/// </summary>
[NonParallelizable]
public sealed class PackageContentsTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));

    // The configuration these tests were built in: the packages are packed from that build, not built again.
    private static readonly string Configuration = TestContext.CurrentContext.TestDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    // The kind of a pdb's custom debug information that holds the Source Link JSON (Portable PDB specification).
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static (int Exit, string Output) Dotnet(string workingDirectory, params string[] arguments) => Run("dotnet", workingDirectory, arguments);

    private static string Git(string workingDirectory, params string[] arguments)
    {
        var (exit, output) = Run("git", workingDirectory, arguments);
        exit.ShouldBe(0, $"git {string.Join(' ', arguments)}: {output}");
        return output;
    }

    private static (int Exit, string Output) Run(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    [TestCase("Selective.Restore")]
    [TestCase("Selective.Restore.PostgreSql")]
    [TestCase("Selective.Restore.SqlServer")]
    [TestCase("Selective.Restore.Sqlite")]
    [TestCase("Selective.Restore.DependencyInjection")]
    public void A_library_package_has_its_readme_license_version_docs_and_deterministic_symbols(string project)
    {
        using var dir = new TempDirectory();
        var (exit, output) = Dotnet(Root, "pack", $"src/{project}/{project}.csproj", "-c", Configuration, "--no-build", "-o", dir.Path);
        exit.ShouldBe(0, output);

        var package = Directory.GetFiles(dir.Path, $"{project}.*.nupkg").ShouldHaveSingleItem();
        Path.GetFileName(package).ShouldMatch(@"\.0\.9\.0-preview\.\d+\.nupkg$");
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            entries.ShouldContain("README.md");
            entries.ShouldContain("LICENSE");
            entries.ShouldContain($"lib/net10.0/{project}.dll");
            entries.ShouldContain($"lib/net10.0/{project}.xml"); // the XML docs IntelliSense shows
            using var nuspec = new StreamReader(zip.GetEntry($"{project}.nuspec")!.Open());
            var text = nuspec.ReadToEnd();
            text.ShouldContain("<readme>README.md</readme>");
            text.ShouldContain("<license type=\"expression\">MIT</license>");
            text.ShouldContain("<description>");
        }

        var symbols = Directory.GetFiles(dir.Path, $"{project}.*.snupkg").ShouldHaveSingleItem();
        using var symbolZip = ZipFile.OpenRead(symbols);
        var pdb = symbolZip.GetEntry($"lib/net10.0/{project}.pdb").ShouldNotBeNull();
        using var stream = new MemoryStream();
        using (var entry = pdb.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        documents.ShouldNotBeEmpty();
        documents.ShouldAllBe(name => name.StartsWith("/_/", StringComparison.Ordinal), $"source paths in the pdb: {string.Join(", ", documents.Take(3))}");
    }

    [Test]
    public void A_package_built_in_a_git_clone_names_its_repository_and_commit_and_links_its_sources()
    {
        // A clone of the library's sources whose origin is a GitHub URL carrying credentials, as a CI checkout's can.
        using var dir = new TempDirectory();
        var clone = Directory.CreateDirectory(Path.Combine(dir.Path, "clone")).FullName;
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "README.md", "LICENSE", ".editorconfig", "src/Directory.Build.props", "src/BannedSymbols.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(clone, file))!);
            File.Copy(Path.Combine(Root, file), Path.Combine(clone, file));
        }

        var sources = Path.Combine(Root, "src/Selective.Restore");
        foreach (var file in Directory.EnumerateFiles(sources, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sources, file);
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(clone, "src/Selective.Restore", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Git(clone, "init", "-q");
        Git(clone, "add", "-A");
        Git(clone, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "sources");
        Git(clone, "remote", "add", "origin", "https://builder:s3cret-token@github.com/example/selective-restore.git");
        var commit = Git(clone, "rev-parse", "HEAD").Trim();

        var output = Path.Combine(dir.Path, "out");
        var (exit, printed) = Dotnet(clone, "pack", "src/Selective.Restore/Selective.Restore.csproj", "-c", "Release", "-o", output);
        exit.ShouldBe(0, printed);

        var package = Directory.GetFiles(output, "*.nupkg").ShouldHaveSingleItem();
        using (var zip = ZipFile.OpenRead(package))
        {
            using var nuspec = new StreamReader(zip.GetEntry("Selective.Restore.nuspec")!.Open());
            var text = nuspec.ReadToEnd();
            text.ShouldContain($"<repository type=\"git\" url=\"https://github.com/example/selective-restore.git\" branch=\"refs/heads/");
            text.ShouldContain($"commit=\"{commit}\"");
            text.ShouldContain("<projectUrl>https://github.com/example/selective-restore</projectUrl>");
            text.ShouldNotContain("s3cret");
        }

        using var symbolZip = ZipFile.OpenRead(Directory.GetFiles(output, "*.snupkg").ShouldHaveSingleItem());
        using var stream = new MemoryStream();
        using (var entry = symbolZip.GetEntry("lib/net10.0/Selective.Restore.pdb")!.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        var sourceLink = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
            .Select(reader.GetCustomDebugInformation)
            .Where(info => reader.GetGuid(info.Kind) == SourceLinkKind)
            .Select(info => System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value)))
            .ShouldHaveSingleItem();

        // The debugger finds a source by the path the pdb names it by: the map must use that same path.
        sourceLink.ShouldBe($$$"""{"documents":{"/_/*":"https://raw.githubusercontent.com/example/selective-restore/{{{commit}}}/*"}}""");
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        documents.ShouldContain("/_/src/Selective.Restore/RestoreBuilder.cs");
        documents.ShouldAllBe(name => name.StartsWith("/_/", StringComparison.Ordinal));
    }

    [Test]
    public void The_tool_installs_from_a_local_feed_and_runs()
    {
        using var dir = new TempDirectory();
        var feed = Directory.CreateDirectory(Path.Combine(dir.Path, "feed")).FullName;
        var (exit, output) = Dotnet(Root, "pack", "src/Selective.Restore.Cli/Selective.Restore.Cli.csproj", "-c", Configuration, "--no-build", "-o", feed);
        exit.ShouldBe(0, output);
        var version = Regex.Match(Path.GetFileName(Directory.GetFiles(feed, "*.nupkg").ShouldHaveSingleItem()), @"\.(\d+\.\d+\.\d+-[A-Za-z0-9.]+)\.nupkg$", RegexOptions.None, TimeSpan.FromSeconds(1)).Groups[1].Value;

        var tools = Path.Combine(dir.Path, "tools");
        (exit, output) = Dotnet(dir.Path, "tool", "install", "selective-restore", "--tool-path", tools, "--add-source", feed, "--version", version);
        exit.ShouldBe(0, output);

        var start = new ProcessStartInfo(Path.Combine(tools, "selective-restore")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--version");
        using var process = Process.Start(start)!;
        var printed = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0);
        printed.ShouldStartWith(version.Split('-')[0]);
    }
}
