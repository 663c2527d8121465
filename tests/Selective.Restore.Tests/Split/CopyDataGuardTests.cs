using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Split;

/// <summary>The guard finds psql's end-of-data line wherever the chunks it is handed are cut.</summary>
public sealed class CopyDataGuardTests
{
    private static async Task<DumpTable> TableAsync(DumpReader reader) => (await reader.NextTableAsync())!;

    private static DumpReader Reader() => DumpReader.Open(new MemoryStream("COPY public.t (v) FROM stdin;\n1\n\\.\n"u8.ToArray()));

    /// <summary>Feeds <paramref name="data"/> cut at <paramref name="cuts"/> and returns what was passed on.</summary>
    private static string Feed(DumpTable table, string data, bool skipStatement, params int[] cuts)
    {
        using var output = new MemoryStream();
        var guard = new CopyDataGuard(output, table, "test.sql", skipStatement);
        var bytes = Encoding.UTF8.GetBytes(data);
        var at = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            guard.Write(bytes.AsSpan(at, cut - at));
            at = cut;
        }

        guard.Complete();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static IEnumerable<int[]> EveryCut(int length)
    {
        for (var a = 0; a <= length; a++)
        {
            yield return [a];
            for (var b = a; b <= length; b += 3)
            {
                yield return [a, b];
            }
        }
    }

    [TestCase("1\n2\n\\.\n")]
    [TestCase("\\\\.\n\\.x\n\\\n.\n\\.\r\n")]
    [TestCase("\n\n\\.\n")]
    [TestCase("\\.\n")]
    [TestCase("a\\.\n\\.\\.\n\\.\n")]
    public async Task Data_that_ends_only_at_its_end_passes_through_unchanged_however_it_is_cut(string data)
    {
        await using var reader = Reader();
        var table = await TableAsync(reader);
        foreach (var cuts in EveryCut(data.Length))
        {
            Feed(table, data, skipStatement: false, cuts).ShouldBe(data, string.Join(",", cuts));
        }
    }

    [TestCase("a\\\n\\.\n\\! touch PWNED\n\\.\n")]
    [TestCase("1\n\\.\r\n2\n\\.\n")]
    [TestCase("\\.\n\\.\n")]
    public async Task A_line_psql_ends_the_data_at_before_the_end_is_refused_however_it_is_cut(string data)
    {
        await using var reader = Reader();
        var table = await TableAsync(reader);
        foreach (var cuts in EveryCut(data.Length))
        {
            Should.Throw<DumpFormatException>(() => Feed(table, data, skipStatement: false, cuts), string.Join(",", cuts))
                .Message.ShouldContain("psql would run the lines after it");
        }
    }

    [TestCase("1\n2\n")]
    [TestCase("1\n\\.")]
    [TestCase("1\n\\.\r")]
    public async Task Data_without_its_end_line_is_refused(string data)
    {
        await using var reader = Reader();
        var table = await TableAsync(reader);

        Should.Throw<DumpFormatException>(() => Feed(table, data, skipStatement: false)).Message.ShouldContain("does not end with a \\. line");
    }

    [Test]
    public async Task The_dumps_statement_is_dropped_wherever_the_chunks_are_cut()
    {
        await using var reader = Reader();
        var table = await TableAsync(reader);
        const string statement = "COPY \"public\".\"t;\" -- x;\r\\! touch PWNED\n(v) FROM stdin; \\! touch PWNED\n";
        const string data = statement + "1\n\\.\n";
        foreach (var cuts in EveryCut(data.Length))
        {
            Feed(table, data, skipStatement: true, cuts).ShouldBe("1\n\\.\n", string.Join(",", cuts));
        }
    }

    [Test]
    public async Task A_nul_byte_is_refused()
    {
        await using var reader = Reader();
        var table = await TableAsync(reader);

        Should.Throw<DumpFormatException>(() => Feed(table, "a\0b\n\\.\n", skipStatement: false)).Message.ShouldContain("NUL");
    }
}
