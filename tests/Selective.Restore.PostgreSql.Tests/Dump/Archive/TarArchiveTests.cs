using System.Formats.Tar;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>
/// The advice for tar files is true (issue 11, messages): the real pg_dump's <c>-Ft</c> output, extracted, reads as a
/// directory archive with the same rows as <c>-Fd</c> (and pg_restore reads it too), and a tar of a <c>-Fd</c> directory
/// extracts to the folder the message names.
/// </summary>
[NonParallelizable]
public sealed class TarArchiveTests
{
    private const string Schema = """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a, note text);
        INSERT INTO a SELECT g, 'a ' || g FROM generate_series(1, 300) g;
        INSERT INTO b SELECT g, 1 + g % 300, md5(g::text) || E'\t' || repeat('ü', g % 5) FROM generate_series(1, 2000) g;
        """;

    private static async Task<string> ReadAsync(string path)
    {
        await using var reader = DumpReader.Open(path);
        return (await ReadDump.ReadAsync(reader)).Render();
    }

    [Test]
    public async Task Pg_dump_Ft_is_refused_and_extracted_as_advised_reads_as_the_directory_archive_does()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var tar = await db.DumpAsync("-Ft", "all.tar");
        var directory = await db.DumpAsync("-Fd", "all.dir");
        var expected = await ReadAsync(directory);
        expected.ShouldContain("table public.b");

        Should.Throw<DumpFormatException>(() => DumpReader.Open(tar)).Message.ShouldBe(
            $"{tar} is a pg_dump tar archive (-Ft), which is not read as such: extract it (mkdir dump && tar xf {tar} -C dump) " +
            $"and pass the directory dump, which is read as a directory archive; or convert it with: pg_restore -f dump.sql {tar}");

        using var work = new TempDirectory();
        var extracted = work.File("dump");
        Directory.CreateDirectory(extracted);
        await TarFile.ExtractToDirectoryAsync(tar, extracted, overwriteFiles: false);
        File.Exists(Path.Combine(extracted, "restore.sql")).ShouldBeTrue("pg_dump -Ft output, with its restore.sql");

        (await ReadAsync(extracted)).ShouldBe(expected);
        await using (var reader = DumpReader.Open(extracted))
        {
            reader.Format.ShouldBe(DumpFormat.DirectoryArchive);
        }

        var (exit, listing, err) = await PgRestore.RunAsync("-l", extracted);
        exit.ShouldBe(0, err);
        listing.ShouldContain("TABLE DATA public b");
    }

    [Test]
    public async Task A_tar_of_a_directory_archive_names_the_folder_to_pass_and_that_folder_reads()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var directory = await db.DumpAsync("-Fd", "nightly");
        var expected = await ReadAsync(directory);

        using var work = new TempDirectory();
        var tar = work.File("nightly.tar");
        await TarFile.CreateFromDirectoryAsync(directory, tar, includeBaseDirectory: true);

        Should.Throw<DumpFormatException>(() => DumpReader.Open(tar)).Message.ShouldBe(
            $"{tar} is a tar file holding a pg_dump archive in its folder nightly/ (its toc.dat is nightly/toc.dat): " +
            $"extract it with tar xf {tar} and pass the directory nightly");

        var into = work.File("restore-here");
        Directory.CreateDirectory(into);
        await TarFile.ExtractToDirectoryAsync(tar, into, overwriteFiles: false);
        (await ReadAsync(Path.Combine(into, "nightly"))).ShouldBe(expected);
    }
}
