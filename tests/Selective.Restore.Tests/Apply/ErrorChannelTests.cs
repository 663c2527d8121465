using Selective.Restore.Tests.Providers.InMemory;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>docs/errors.md: a source that does not exist is a usage error thrown at Build(), whether a file or an archive directory.</summary>
public sealed class ErrorChannelTests
{
    [Test]
    public void A_missing_file_and_a_directory_without_toc_dat_both_throw_at_build()
    {
        using var dir = new TempDirectory();
        var empty = Directory.CreateDirectory(Path.Combine(dir.Path, "not-an-archive")).FullName;
        var missing = Path.Combine(dir.Path, "missing.sql");

        Should.Throw<FileNotFoundException>(() => SelectiveRestore.FromDump(missing).WithTarget(() => new InMemoryTarget(new InMemoryDatabase())).Build())
            .Message.ShouldContain("missing.sql: no such dump file or archive directory");
        Should.Throw<DumpFormatException>(() => SelectiveRestore.FromDump(empty).WithTarget(() => new InMemoryTarget(new InMemoryDatabase())).Build())
            .Message.ShouldContain("is a directory without toc.dat");
        Should.Throw<DumpFormatException>(() => BackupVerification.FromDump(empty).WithTarget(() => new InMemoryTarget(new InMemoryDatabase())).Build());
    }
}
