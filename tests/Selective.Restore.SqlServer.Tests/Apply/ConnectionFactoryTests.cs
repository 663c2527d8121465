using Microsoft.Data.SqlClient;

namespace Selective.Restore.SqlServer.Tests.Apply;

/// <summary>ToSqlServer(Func&lt;SqlConnection&gt;): the target is named from the factory's connection, never with its secrets, and opens nothing until the run.</summary>
public sealed class ConnectionFactoryTests
{
    [Test]
    public async Task The_target_is_described_from_the_factorys_connection_without_its_password()
    {
        var created = 0;
        SqlConnection Create()
        {
            created++;
            return new SqlConnection("Server=db.example,1433;Database=shop;User ID=restorer;Password=s3cret!;Encrypt=false");
        }

        await using var target = new SqlServerTarget(Create);

        target.Description.ShouldBe("sqlserver://restorer@db.example,1433/shop");
        target.Description.ShouldNotContain("s3cret");
        target.IsBroken.ShouldBeTrue("nothing is opened before the run");
        created.ShouldBe(1);
    }
}
