using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump;

public sealed class SmokeTests
{
    [Test]
    public async Task Reads_a_copy_block()
    {
        var sql = "SET client_encoding = 'UTF8';\nCOPY public.t (a, b) FROM stdin;\n1\tx\\ty\n2\t\\N\n\\.\n";
        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(sql)));
        var table = await reader.NextTableAsync();
        table.ShouldNotBeNull();
        table.Name.ShouldBe(new TableName("public", "t"));
        (await table.ReadAsync()).ShouldBeTrue();
        table.Current.ToArray().ShouldBe(["1", "x\ty"]);
        (await table.ReadAsync()).ShouldBeTrue();
        table.Current.ToArray().ShouldBe(["2", null]);
        (await table.ReadAsync()).ShouldBeFalse();
        (await reader.NextTableAsync()).ShouldBeNull();
    }
}
