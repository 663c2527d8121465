using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>No PostgreSQL table has more than 1600 columns (MaxHeapAttributeNumber): data said to have more is refused clearly (issue 10, point 16).</summary>
public sealed class ColumnLimitTests
{
    private const string P = "SET client_encoding = 'UTF8';\n";

    private static string Names(int count) => string.Join(", ", Enumerable.Range(1, count).Select(i => "c" + i));

    [Test]
    public async Task A_copy_listing_more_than_1600_columns_is_refused()
    {
        var error = await DumpHarness.FailAsync(P + $"COPY public.wide ({Names(1601)}) FROM stdin;\n\\.\n");

        error.Reason.ShouldBe("the COPY statement lists 1601 columns; a PostgreSQL table has at most 1600");
        error.Line.ShouldBe(2);
        error.ByteOffset.ShouldBe(30);
    }

    [Test]
    public async Task An_insert_with_more_than_1600_columns_or_values_is_refused()
    {
        (await DumpHarness.FailAsync(P + $"INSERT INTO public.wide ({Names(1601)}) VALUES ({string.Join(", ", Enumerable.Repeat("1", 1601))});\n")).Reason
            .ShouldBe("the INSERT lists 1601 columns; a PostgreSQL table has at most 1600");
        (await DumpHarness.FailAsync(P + $"INSERT INTO public.wide VALUES ({string.Join(", ", Enumerable.Repeat("1", 1601))});\n")).Reason
            .ShouldBe("the first VALUES tuple has 1601 values; a PostgreSQL table has at most 1600 columns");
    }

    [Test]
    public async Task Exactly_1600_columns_are_read()
    {
        var dump = await DumpHarness.ReadAsync(P + $"COPY public.wide ({Names(1600)}) FROM stdin;\n{string.Join("\t", Enumerable.Repeat("1", 1600))}\n\\.\n");

        dump.Single().Columns.Length.ShouldBe(1600);
    }
}
