using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.SqlServer;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.SqlServer.SsmsScripts;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>Which input <see cref="DumpReader"/> reads as a SQL Server script, and reading it through every entry point.</summary>
public sealed class ScriptDetectionTests
{
    private const string PgDumpHead =
        "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 17.2\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n" +
        "SET standard_conforming_strings = on;\n\nCOPY public.t (a) FROM stdin;\nGO\n\\.\n";

    private static bool Looks(string head) => SqlServerScriptDetector.LooksLikeSqlServerScript(Encoding.UTF8.GetBytes(head));

    [Test]
    public void Recognises_tsql_markers()
    {
        Looks(Shop).ShouldBeTrue();
        Looks("USE [Shop]\n").ShouldBeTrue();
        Looks("-- generated\nGO\n").ShouldBeTrue();
        Looks("select 1\r\n  go  \r\n").ShouldBeTrue();
        Looks("select 1\nGO 1\n").ShouldBeTrue();
        Looks("select 1\nGO -- end of batch\n").ShouldBeTrue();
        Looks("SET IDENTITY_INSERT [dbo].[T] ON\n").ShouldBeTrue();
        Looks("set ansi_nulls on\n").ShouldBeTrue();
        Looks("SET QUOTED_IDENTIFIER ON\n").ShouldBeTrue();
        Looks("INSERT [dbo].[T] ([a]) VALUES (1)\n").ShouldBeTrue();
        Looks("\t INSERT INTO [dbo].[T] ([a]) VALUES (1)\n").ShouldBeTrue();
        Looks("/****** Object:  Table [dbo].[T]    Script Date: 7/20/2026 6:30:28 PM ******/").ShouldBeTrue();
        SqlServerScriptDetector.LooksLikeSqlServerScript([.. Encoding.UTF8.GetPreamble(), .. "GO\n"u8]).ShouldBeTrue();
    }

    [Test]
    public void Does_not_take_pg_dump_output_or_other_sql_for_tsql()
    {
        Looks(PgDumpHead).ShouldBeFalse("pg_dump's header wins even over a GO line");
        Looks("SET client_encoding = 'UTF8';\nINSERT INTO public.t VALUES (1);\n").ShouldBeFalse();
        Looks("COPY t (a) FROM stdin;\nGO\n\\.\n").ShouldBeFalse();
        Looks("INSERT INTO t VALUES (1);\nGOTO x\nGO away\n").ShouldBeFalse();
        Looks("CREATE TABLE t (a int);\n").ShouldBeFalse();
        Looks(string.Empty).ShouldBeFalse();
        Looks("GO\0").ShouldBeFalse();
        Looks(new string('x', 5000) + "\nGO\n").ShouldBeFalse("only the first 4096 bytes are looked at");
    }

    [Test]
    public void Detects_the_encoding_from_the_head()
    {
        SqlServerScriptDetector.Detect([0xFF, 0xFE, 0x47, 0x00]).ShouldBe(SqlServerScriptEncoding.Utf16LittleEndian);
        SqlServerScriptDetector.Detect([0xFE, 0xFF, 0x00, 0x47]).ShouldBe(SqlServerScriptEncoding.Utf16BigEndian);
        SqlServerScriptDetector.Detect([0xFF, 0xFE, 0x00, 0x00]).ShouldBeNull("UTF-32 LE is not UTF-16");
        SqlServerScriptDetector.Detect("USE [x]\nGO\n"u8).ShouldBe(SqlServerScriptEncoding.Utf8);
        SqlServerScriptDetector.Detect(Encoding.UTF8.GetBytes(PgDumpHead)).ShouldBeNull();
    }

    [Test]
    public async Task Open_reports_the_sql_server_format()
    {
        foreach (var encoding in ScriptHarness.AllEncodings)
        {
            await using var reader = DumpReader.Open(new MemoryStream(ScriptHarness.Encode(Shop, encoding)));

            reader.Format.ShouldBe(DumpFormat.SqlServerScript);
            reader.Compression.ShouldBe(DumpCompression.None);
            reader.Encoding.ShouldBe(ScriptHarness.EncodingName(encoding));
        }

        await using var plain = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(PgDumpHead)));
        plain.Format.ShouldBe(DumpFormat.PlainSql);
    }

    [Test]
    public async Task Reads_a_gzip_compressed_script()
    {
        foreach (var encoding in new[] { ScriptEncoding.Utf8, ScriptEncoding.Utf16LE })
        {
            var plain = await ScriptHarness.ReadAsync(Shop, encoding);
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                await gzip.WriteAsync(ScriptHarness.Encode(Shop, encoding));
            }

            foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
            {
                var result = await ScriptHarness.RunAsync(compressed.ToArray(), mode, Selective.Restore.TableFilter.All);
                result.Render().ShouldBe(plain.Render(), $"mode {mode}");
            }

            await using var reader = DumpReader.Open(new MemoryStream(compressed.ToArray()));
            reader.Compression.ShouldBe(DumpCompression.Gzip);
            reader.Format.ShouldBe(DumpFormat.SqlServerScript);
        }
    }

    [Test]
    public async Task Opens_a_script_file_by_path()
    {
        using var directory = new TempDirectory();
        foreach (var encoding in ScriptHarness.AllEncodings)
        {
            var path = Path.Combine(directory.Path, $"shop-{encoding}.sql");
            await File.WriteAllBytesAsync(path, ScriptHarness.Encode(Shop, encoding));

            await using (var reader = DumpReader.Open(path))
            {
                reader.Format.ShouldBe(DumpFormat.SqlServerScript);
                reader.Source.ShouldBe(path);
                var customers = (await reader.NextTableAsync()).ShouldNotBeNull();
                var values = new List<string?[]>();
                while (await customers.ReadAsync())
                {
                    values.Add(customers.Current.ToArray());
                }

                values.ShouldBe(ShopCustomers);
                (await reader.NextTableAsync()).ShouldNotBeNull().Name.ShouldBe(new TableName("sales", "Order]Lines"));
                (await reader.NextTableAsync()).ShouldBeNull();
                reader.BytesRead.ShouldBeGreaterThan(0);
            }

            using (var reader = DumpReader.Open(path))
            {
                var customers = reader.NextTable().ShouldNotBeNull();
                customers.Skip().ShouldBe(5);
            }

            // Errors name the file.
            await File.WriteAllBytesAsync(path, ScriptHarness.Encode("GO\nINSERT [dbo].[T] ([A]) VALUES (N'x", encoding));
            var error = await Should.ThrowAsync<DumpFormatException>(async () =>
            {
                await using var reader = DumpReader.Open(path);
                await reader.NextTableAsync();
            });
            error.Message.ShouldStartWith($"{path}: line 2, byte offset {(encoding == ScriptEncoding.Utf8Bom ? 3 : 0) + 34}, table dbo.\"T\": unterminated string literal starting at line 2");
        }
    }

    [Test]
    public void Still_rejects_binary_data_and_utf32()
    {
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream([0x43, 0x00, 0x01, 0x02])))
            .Message.ShouldContain("binary data");
        Should.Throw<DumpFormatException>(() => DumpReader.Open(new MemoryStream([0xFF, 0xFE, 0x00, 0x00, 0x47, 0x00, 0x00, 0x00])))
            .Message.ShouldContain("binary data");
    }

    [Test]
    public async Task Reports_corrupt_gzip_data_inside_a_script_as_a_dump_format_error()
    {
        var sb = new StringBuilder("USE [x]\nGO\n");
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            sb.Append("INSERT [dbo].[T] ([A]) VALUES (").Append(random.NextInt64()).Append(")\n");
        }

        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(ScriptHarness.Encode(sb.ToString(), ScriptEncoding.Utf16LE));
        }

        var bytes = compressed.ToArray();
        for (var i = bytes.Length / 2; i < (bytes.Length / 2) + 64; i++)
        {
            bytes[i] ^= 0x5A;
        }

        var error = await Should.ThrowAsync<DumpFormatException>(async () =>
        {
            await using var reader = DumpReader.Open(new MemoryStream(bytes), new DumpReaderOptions { SourceName = "x.sql.gz" });
            while (await reader.NextTableAsync() is { } table)
            {
                await table.SkipAsync();
            }
        });

        error.Message.ShouldStartWith("x.sql.gz: ");
    }
}
