using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>What the reader accepts or rejects before parsing: compression, byte order marks, other archive formats.</summary>
public sealed class InputDetectionTests
{
    private const string Dump = "SET client_encoding = 'UTF8';\nCOPY public.t (a, b) FROM stdin;\n1\tÿ\n2\t\\N\n\\.\nINSERT INTO public.u VALUES (3, 'x');\n";

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    [Test]
    public async Task Reads_gzip_compressed_input_detected_by_its_magic_bytes()
    {
        var plain = await DumpHarness.ReadAsync(Dump);
        var compressed = Gzip(DumpHarness.Utf8(Dump));

        foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
        {
            var result = await DumpHarness.RunAsync(compressed, mode, Selective.Restore.TableFilter.All);
            result.Render().ShouldBe(plain.Render(), $"mode {mode}: offsets and lines are those of the decompressed dump");
        }

        await using var reader = DumpReader.Open(new MemoryStream(compressed));
        reader.Compression.ShouldBe(DumpCompression.Gzip);
        reader.Format.ShouldBe(DumpFormat.PlainSql);
    }

    [Test]
    public async Task Reads_a_large_gzip_dump_whose_data_crosses_many_buffer_refills()
    {
        var sb = new StringBuilder("COPY public.t (a, b) FROM stdin;\n");
        for (var i = 0; i < 60_000; i++)
        {
            sb.Append(i).Append("\tvalue ").Append(i).Append('\n');
        }

        sb.Append("\\.\n");
        var compressed = Gzip(DumpHarness.Utf8(sb.ToString()));
        await using var reader = DumpReader.Open(new TrickleStream(compressed, 4096, 13));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        var n = 0;
        while (await table.ReadAsync())
        {
            table.Current.GetString(0).ShouldBe(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            n++;
        }

        n.ShouldBe(60_000);
    }

    [Test]
    public async Task Reads_concatenated_gzip_members()
    {
        // pigz, "cat a.gz b.gz" and appending with gzip >> all write several members.
        var first = "SET client_encoding = 'UTF8';\nCOPY public.t (a) FROM stdin;\n1\n";
        var second = "2\n\\.\nINSERT INTO public.u VALUES (3);\n";
        var compressed = Gzip(DumpHarness.Utf8(first)).Concat(Gzip(DumpHarness.Utf8(second))).ToArray();

        var expected = (await DumpHarness.ReadAsync(first + second)).Render();
        foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
        {
            (await DumpHarness.RunAsync(compressed, mode, Selective.Restore.TableFilter.All)).Render().ShouldBe(expected, $"mode {mode}");
        }
    }

    [Test]
    public async Task Skips_a_utf8_byte_order_mark_but_keeps_file_offsets()
    {
        var plain = await DumpHarness.ReadAsync(Dump);
        var withBom = Encoding.UTF8.GetPreamble().Concat(DumpHarness.Utf8(Dump)).ToArray();

        foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
        {
            var result = await DumpHarness.RunAsync(withBom, mode, Selective.Restore.TableFilter.All);
            result.Tables.Select(t => t.Values).ShouldBe(plain.Tables.Select(t => t.Values));
            result.Tables.Select(t => t.Name).ShouldBe(plain.Tables.Select(t => t.Name));
            result.Tables[0].StartLine.ShouldBe(2);
            result.Tables[0].StartOffset.ShouldBe(plain.Tables[0].StartOffset + 3, "offsets count the byte order mark, so dd skip=OFFSET finds the spot");
            result.Tables[0].Rows[1].ByteOffset.ShouldBe(plain.Tables[0].Rows[1].ByteOffset + 3);
            result.Tables[1].EndOffset.ShouldBe(withBom.Length);
        }
    }

    [Test]
    public async Task Reports_errors_after_a_byte_order_mark_at_file_offsets()
    {
        var sql = "COPY public.t (a) FROM stdin;\n1\t2\n\\.\n";
        var withBom = Encoding.UTF8.GetPreamble().Concat(DumpHarness.Utf8(sql)).ToArray();

        var error = await Should.ThrowAsync<DumpFormatException>(async () =>
        {
            await using var reader = DumpReader.Open(new MemoryStream(withBom));
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            await table.SkipAsync();
        });

        error.Line.ShouldBe(2);
        error.ByteOffset.ShouldBe(3 + 30);
    }

    [Test]
    public void Detects_a_custom_format_archive_by_content_and_locates_a_cut_header()
    {
        // Header 1.14 (int size 4, offset size 8, custom), compression "-0", zeroed date, empty strings, no entries: a valid empty archive.
        var archive = "PGDMP\u0001\u000e\u0000\u0004\u0008\u0001\u0001"u8.ToArray().Concat(new byte[600]).ToArray();
        using (var reader = DumpReader.Open(new MemoryStream(archive), new DumpReaderOptions { SourceName = "backup.dump" }))
        {
            reader.Format.ShouldBe(DumpFormat.CustomArchive);
            reader.NextTable().ShouldBeNull();
        }

        var error = Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(archive[..20]), new DumpReaderOptions { SourceName = "backup.dump" }));
        error.Message.ShouldStartWith("backup.dump: byte offset ");
        error.Message.ShouldContain("the archive ends inside the archive's creation time (truncated file?)");
    }

    [Test]
    public void Reads_a_gzip_compressed_custom_format_archive_forward()
    {
        var archive = Gzip("PGDMP\u0001\u000e\u0000"u8.ToArray());

        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(archive))).Message.ShouldContain("the archive ends inside the archive header");
    }

    [Test]
    public void Rejects_a_tar_archive()
    {
        var tar = new byte[1024];
        "toc.dat"u8.CopyTo(tar);
        "ustar"u8.CopyTo(tar.AsSpan(257));

        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(tar))).Message.ShouldContain("tar archive");
    }

    [Test]
    public void Reads_utf16_as_a_sql_server_script_and_rejects_binary_input()
    {
        using (var reader = DumpReader.Open(new MemoryStream(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("INSERT [dbo].[T] ([A]) VALUES (1)\r\nGO\r\n")).ToArray())))
        {
            reader.Format.ShouldBe(DumpFormat.SqlServerScript);
            var table = reader.NextTable().ShouldNotBeNull();
            table.Read().ShouldBeTrue();
            table.Current.GetString(0).ShouldBe("1");
        }

        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream([0x43, 0x00, 0x01, 0x02])))
            .Message.ShouldContain("binary data");
    }

    [Test]
    public void Rejects_corrupt_gzip_data()
    {
        byte[] corrupt = [0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream(corrupt))).Message.ShouldContain("corrupt gzip data");
    }

    [Test]
    public async Task Reports_gzip_data_that_breaks_later_as_a_dump_format_error()
    {
        var sb = new StringBuilder("COPY public.t (a) FROM stdin;\n");
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            sb.Append(random.NextInt64()).Append('\n');
        }

        sb.Append("\\.\n");
        var compressed = Gzip(DumpHarness.Utf8(sb.ToString()));
        for (var i = compressed.Length / 2; i < compressed.Length / 2 + 64; i++)
        {
            compressed[i] ^= 0x5A;
        }

        var error = await Should.ThrowAsync<DumpFormatException>(async () =>
        {
            await using var reader = DumpReader.Open(new MemoryStream(compressed), new DumpReaderOptions { SourceName = "x.sql.gz" });
            while (await reader.NextTableAsync() is { } table)
            {
                await table.SkipAsync();
            }
        });

        error.Message.ShouldStartWith("x.sql.gz: ");
    }

    [Test]
    public async Task Reports_a_truncated_gzip_file_as_a_dump_format_error()
    {
        var sb = new StringBuilder("COPY public.t (a) FROM stdin;\n");
        for (var i = 0; i < 20_000; i++)
        {
            sb.Append(i * 7919L).Append('\n');
        }

        sb.Append("\\.\n");
        var compressed = Gzip(DumpHarness.Utf8(sb.ToString()));
        var truncated = compressed[..(compressed.Length * 3 / 5)];

        var error = await Should.ThrowAsync<DumpFormatException>(async () =>
        {
            await using var reader = DumpReader.Open(new MemoryStream(truncated), new DumpReaderOptions { SourceName = "x.sql.gz" });
            while (await reader.NextTableAsync() is { } table)
            {
                await table.SkipAsync();
            }
        });

        error.Message.ShouldStartWith("x.sql.gz: ");
        error.Table.ShouldBe(new TableName("public", "t"));
    }

    [Test]
    public async Task Opens_files_by_path_and_names_them_in_errors()
    {
        var directory = Directory.CreateTempSubdirectory("selective-restore-");
        try
        {
            var path = Path.Combine(directory.FullName, "dump.sql.gz");
            await File.WriteAllBytesAsync(path, Gzip(DumpHarness.Utf8("COPY public.t (a) FROM stdin;\n1\t2\n\\.\n")));

            await using (var reader = DumpReader.Open(path))
            {
                reader.Source.ShouldBe(path);
                var table = (await reader.NextTableAsync()).ShouldNotBeNull();
                var error = await Should.ThrowAsync<DumpFormatException>(async () => await table.ReadAsync());
                error.Source.ShouldBe(path);
                error.Message.ShouldStartWith($"{path}: line 2, byte offset 30, table public.t: ");
            }

            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "toc.dat"), "PGDMP");
            Should.Throw<DumpFormatException>(() => DumpReader.Open(directory.FullName)).Message.ShouldContain("the archive ends inside the archive header");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
