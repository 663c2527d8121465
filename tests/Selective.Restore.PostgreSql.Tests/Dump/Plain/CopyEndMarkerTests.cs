using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// PostgreSQL (up to 17) ends COPY data at an unescaped backslash-dot anywhere in a line, keeping the text before it
/// as the last row and discarding the rest. pg_dump never writes one inside a row, so the reader refuses such a line
/// as ambiguous (issue 10, point 3) on every path: rows read, rows skipped in vectorized blocks, tables the filter
/// leaves out, raw copies (split) and archives.
/// </summary>
[NonParallelizable]
public sealed class CopyEndMarkerTests
{
    // The issue's reproduction: rows 3 and 4 never reach the server, though the reader counted 4 rows.
    private const string P3 = "SET client_encoding = 'UTF8';\nCOPY public.t (id, v) FROM stdin;\n1\ta\n2\tb\\.\n3\tc\n4\td\n\\.\n";

    private static void ShouldBeTheMarkerOfP3(DumpFormatException error)
    {
        error.Line.ShouldBe(4);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(P3, "\\.\n3"));
        error.Table.ShouldBe(new TableName("public", "t"));
        error.Reason.ShouldBe(
            "row 2 holds an unescaped \\. (backslash-dot), which pg_dump never writes inside a row: PostgreSQL would end the COPY data there " +
            "and not load the rows after it; the line is ambiguous and refused");
    }

    [Test]
    public async Task A_row_ending_in_backslash_dot_is_refused_when_rows_are_read()
    {
        ShouldBeTheMarkerOfP3(await DumpHarness.FailAsync(P3));
    }

    [Test]
    public async Task A_row_ending_in_backslash_dot_is_refused_by_inspect_split_and_the_filter()
    {
        // Inspect: rows are skipped in whole-buffer blocks (the vectorized path).
        await using (var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(P3)), new DumpReaderOptions { SourceName = "test.sql" }))
        {
            ShouldBeTheMarkerOfP3(await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader)));
        }

        // A table the filter leaves out is still validated.
        await using (var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(P3)), new DumpReaderOptions { SourceName = "test.sql", Tables = TableFilter.Create(["public.u"]) }))
        {
            ShouldBeTheMarkerOfP3(await Should.ThrowAsync<DumpFormatException>(async () => await reader.NextTableAsync()));
        }

        // Split copies the section byte for byte, validating each row.
        await using (var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(P3)), new DumpReaderOptions { SourceName = "test.sql" }))
        {
            var table = (await reader.NextTableAsync()).ShouldNotBeNull();
            ShouldBeTheMarkerOfP3(await Should.ThrowAsync<DumpFormatException>(async () => await table.CopyRawToAsync(Stream.Null)));
        }
    }

    [Test]
    public async Task A_marker_deep_in_a_large_block_is_found_by_the_vectorized_path()
    {
        var sql = new StringBuilder("SET client_encoding = 'UTF8';\nCOPY public.t (id, v) FROM stdin;\n");
        for (var i = 0; i < 50_000; i++)
        {
            sql.Append(i).Append("\tvalue ").Append(i).Append('\n');
        }

        sql.Append("50000\tlast\\.\n50001\tlost\n\\.\n");
        var text = sql.ToString();
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(text)), new DumpReaderOptions { SourceName = "big.sql" });

        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));

        error.Line.ShouldBe(50_003);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(text, "\\.\n50001"));
        error.Reason.ShouldStartWith("row 50001 holds an unescaped \\.");
    }

    [TestCase("2\tb\\.x", "\\.x")]
    [TestCase("\\.x\tb", "\\.x")]
    [TestCase("2\t\\.", "\\.\n3")]
    [TestCase("2\tb\\\\\\.", "\\.\n3")]
    public async Task An_unescaped_backslash_dot_anywhere_in_a_row_is_refused(string row, string marker)
    {
        var sql = "SET client_encoding = 'UTF8';\nCOPY public.t (id, v) FROM stdin;\n1\ta\n" + row + "\n3\tc\n\\.\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(4);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, marker));
        error.Reason.ShouldStartWith("row 2 holds an unescaped \\.");
    }

    [Test]
    public async Task A_crlf_block_with_a_row_ending_in_backslash_dot_is_refused()
    {
        var sql = "SET client_encoding = 'UTF8';\r\nCOPY public.t (id, v) FROM stdin;\r\n1\ta\r\n2\tb\\.\r\n3\tc\r\n\\.\r\n";
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(4);
        error.Reason.ShouldStartWith("row 2 holds an unescaped \\.");
    }

    [Test]
    public async Task A_row_ending_in_backslash_dot_in_a_directory_archive_is_refused()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 4) g;");
        var path = await db.DumpAsync("-Fd -Z0", "dir");
        var data = Directory.GetFiles(path, "*.dat").Single(f => !f.EndsWith("toc.dat", StringComparison.Ordinal));
        var text = (await File.ReadAllTextAsync(data)).Replace("2\tv2\n", "2\tv2\\.\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(data, text);

        await using var reader = DumpReader.Open(path);
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));

        error.Message.ShouldContain($"data of public.t): line 2, byte offset {Sql.OffsetOf(text, "\\.\n3")}, table public.t: row 2 holds an unescaped \\.");
    }
}
