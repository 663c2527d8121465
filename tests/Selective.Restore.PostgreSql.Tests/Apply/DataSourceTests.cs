using Npgsql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>ToPostgreSql(NpgsqlDataSource): the restore and the backup check open their connections from the data source.</summary>
public sealed class DataSourceTests
{
    private const string Setup = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g";

    [Test]
    public async Task A_restore_and_a_check_use_the_data_source_connections()
    {
        await using var db = await Scenario.CreateAsync(Setup);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM items WHERE id % 5 = 0");
        var opened = 0;
        var builder = new NpgsqlDataSourceBuilder(db.ConnectionString);
        builder.ConnectionStringBuilder.Pooling = false; // every open is a physical connection, counted below
        builder.UsePhysicalConnectionInitializer(_ => Interlocked.Increment(ref opened), _ => { Interlocked.Increment(ref opened); return Task.CompletedTask; });
        await using var dataSource = builder.Build();

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(dataSource).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.ShouldHaveSingleItem().Inserted.ShouldBe(10);
        report.Target.ShouldStartWith("postgresql://");
        opened.ShouldBeGreaterThan(0, "the connections came from the data source");
        (await db.ScalarAsync<long>("SELECT count(*) FROM items")).ShouldBe(50);

        var before = opened;
        var check = await BackupVerification.FromDump(dump).ToPostgreSql(dataSource).Build().RunAsync();
        check.Tables.ShouldHaveSingleItem().Missing.ShouldBe(0, check.ToSummary());
        opened.ShouldBeGreaterThan(before);
    }
}
