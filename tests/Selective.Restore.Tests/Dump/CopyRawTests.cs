using Selective.Restore.Dump;
using Selective.Restore.Dump.Plain;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary><see cref="DumpTable.CopyRawToAsync"/> writes a table's section exactly as it is in the dump.</summary>
public sealed class CopyRawTests
{
    private const string Mixed =
        "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n" +
        "--\n-- Data for Name: a; Type: TABLE DATA\n--\n\n" +
        "COPY public.a (id, v) FROM stdin;\n1\tx\\ty\n2\t\\N\n3\tcontinued\\\nline\n\\.\n\n\n" +
        "COPY \"Odd\".\"Ta\"\"ble\" (id) FROM stdin;\r\n1\r\n\\.\r\n" +
        "INSERT INTO public.b VALUES (1, 'it''s');\nINSERT INTO public.b VALUES (2, 'multi\nline');   \n-- between\nINSERT INTO public.b VALUES (3, NULL);\n" +
        "INSERT INTO public.c (id) VALUES\n\t(1),\n\t(2);\nINSERT INTO public.c (id) VALUES\n\t(3);\n" +
        "INSERT INTO public.nocols DEFAULT VALUES;\nINSERT INTO public.nocols DEFAULT VALUES;\n" +
        "SELECT pg_catalog.setval('public.s', 3, true);\n" +
        "INSERT INTO public.d VALUES (1);\r\n" +
        "INSERT INTO public.e VALUES (1);\n\n" +
        "COPY public.last (id) FROM stdin;\n1\n\\.";

    private static async Task<List<(TableName Name, byte[] Raw, long Start, long End, long Rows)>> CopyAllRawAsync(byte[] dump, ReadMode mode, TableFilter filter)
    {
        var results = new List<(TableName, byte[], long, long, long)>();
        Stream stream = mode.Chunks is null ? new MemoryStream(dump) : new TrickleStream(dump, mode.Chunks);
        using var parser = mode.ViaReader ? null : new PlainDumpParser(stream, "raw.sql", filter, mode.BufferSize);
        using var reader = mode.ViaReader ? DumpReader.Open(stream, new DumpReaderOptions { Tables = filter }) : null;
        while (true)
        {
            var table = reader is not null
                ? mode.Async ? await reader.NextTableAsync() : reader.NextTable()
                : mode.Async ? await parser!.NextTableAsync(async: true, CancellationToken.None) : SyncPath.Complete(parser!.NextTableAsync(async: false, CancellationToken.None));
            if (table is null)
            {
                return results;
            }

            using var output = new MemoryStream();
            var rows = mode.Async ? await table.CopyRawToAsync(output) : table.CopyRawTo(output);
            rows.ShouldBe(table.RowsRead);
            table.IsCompleted.ShouldBeTrue();
            results.Add((table.Name, output.ToArray(), table.StartOffset, table.EndOffset, rows));
        }
    }

    [Test]
    public async Task Copies_every_section_byte_for_byte_in_every_read_mode()
    {
        var dump = DumpHarness.Utf8(Mixed);
        var expectedRows = (await DumpHarness.ReadAsync(dump)).Tables.Select(t => t.RowsRead).ToArray();

        foreach (var mode in DumpHarness.Modes)
        {
            var sections = await CopyAllRawAsync(dump, mode, TableFilter.All);

            sections.Select(s => s.Name.ToString()).ShouldBe(
                ["public.a", "\"Odd\".\"Ta\"\"ble\"", "public.b", "public.c", "public.nocols", "public.d", "public.e", "public.last"], $"mode {mode}");
            sections.Select(s => s.Rows).ShouldBe(expectedRows, $"mode {mode}");
            foreach (var (name, raw, start, end, _) in sections)
            {
                raw.ShouldBe(dump[(int)start..(int)end], $"mode {mode}, table {name}");
            }

            Text(sections[0].Raw).ShouldBe("COPY public.a (id, v) FROM stdin;\n1\tx\\ty\n2\t\\N\n3\tcontinued\\\nline\n\\.\n");
            Text(sections[1].Raw).ShouldBe("COPY \"Odd\".\"Ta\"\"ble\" (id) FROM stdin;\r\n1\r\n\\.\r\n");
            Text(sections[2].Raw).ShouldBe("INSERT INTO public.b VALUES (1, 'it''s');\nINSERT INTO public.b VALUES (2, 'multi\nline');   \n-- between\nINSERT INTO public.b VALUES (3, NULL);\n");
            Text(sections[3].Raw).ShouldBe("INSERT INTO public.c (id) VALUES\n\t(1),\n\t(2);\nINSERT INTO public.c (id) VALUES\n\t(3);\n");
            Text(sections[4].Raw).ShouldBe("INSERT INTO public.nocols DEFAULT VALUES;\nINSERT INTO public.nocols DEFAULT VALUES;\n");
            Text(sections[5].Raw).ShouldBe("INSERT INTO public.d VALUES (1);\r\n");
            Text(sections[6].Raw).ShouldBe("INSERT INTO public.e VALUES (1);\n");
            Text(sections[7].Raw).ShouldBe("COPY public.last (id) FROM stdin;\n1\n\\.");
        }
    }

    [Test]
    public async Task Copies_the_selected_tables_after_skipped_ones()
    {
        var dump = DumpHarness.Utf8(Mixed);
        var filter = TableFilter.Create(["public.b", "public.e", "last"]);

        foreach (var mode in DumpHarness.Modes)
        {
            var sections = await CopyAllRawAsync(dump, mode, filter);

            sections.Select(s => s.Name.Name).ShouldBe(["b", "e", "last"], $"mode {mode}");
            foreach (var (name, raw, start, end, _) in sections)
            {
                raw.ShouldBe(dump[(int)start..(int)end], $"mode {mode}, table {name}");
            }
        }
    }

    [Test]
    public async Task Copies_a_section_larger_than_the_buffer()
    {
        var rows = string.Concat(Enumerable.Range(0, 30_000).Select(i => $"{i}\tsome text value number {i}\n"));
        var sql = "COPY public.big (id, v) FROM stdin;\n" + rows + "\\.\nINSERT INTO public.after VALUES (1);\n" +
            string.Concat(Enumerable.Range(0, 5_000).Select(i => $"INSERT INTO public.ins VALUES ({i}, 'value {i}');\n"));
        var dump = DumpHarness.Utf8(sql);

        foreach (var mode in DumpHarness.LargeInputModes)
        {
            var sections = await CopyAllRawAsync(dump, mode, TableFilter.All);
            sections.Select(s => s.Rows).ShouldBe([30_000L, 1L, 5_000L]);
            foreach (var (name, raw, start, end, _) in sections)
            {
                raw.ShouldBe(dump[(int)start..(int)end], $"mode {mode}, table {name}");
            }
        }
    }

    [Test]
    public async Task Must_be_called_before_reading_rows()
    {
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(Mixed)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.ReadAsync()).ShouldBeTrue();

        await Should.ThrowAsync<InvalidOperationException>(async () => await table.CopyRawToAsync(new MemoryStream()));
        Should.Throw<ArgumentNullException>(() => table.CopyRawTo(null!));
    }

    [Test]
    public async Task Validates_the_rows_it_copies()
    {
        var sql = "COPY public.t (a) FROM stdin;\n1\n2\t3\n\\.\n";
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();

        var error = await Should.ThrowAsync<DumpFormatException>(async () => await table.CopyRawToAsync(new MemoryStream()));
        error.Line.ShouldBe(3);
        error.ByteOffset.ShouldBe(32);
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
