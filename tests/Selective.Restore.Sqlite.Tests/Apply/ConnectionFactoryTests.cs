using Microsoft.Data.Sqlite;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Apply;

/// <summary>ToSqlite(Func&lt;SqliteConnection&gt;): a database whose table needs the application's collation can be restored.</summary>
public sealed class ConnectionFactoryTests
{
    // The application's own collation: case-insensitive and reversed, something no connection string can configure.
    private const string Schema = """
        CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT COLLATE app_order NOT NULL);
        CREATE INDEX tags_name ON tags (name);
        """;

    private static SqliteConnection WithCollation(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.CreateCollation("app_order", (a, b) => -string.Compare(a, b, StringComparison.OrdinalIgnoreCase));
        return connection;
    }

    [Test]
    public async Task A_table_with_the_applications_collation_restores_through_the_factory_and_fails_without_it()
    {
        using var live = new SqliteFile(string.Empty);
        using (var setup = WithCollation(live.ConnectionString))
        {
            setup.Open();
            using var command = setup.CreateCommand();
            command.CommandText = Schema + "INSERT INTO tags (id, name) VALUES (1, 'alpha'), (2, 'Beta'), (3, 'gamma');";
            command.ExecuteNonQuery();
        }

        var dump = live.File("backup.sql");
        await SqliteDump.WriteAsync(live.ConnectionString, dump);
        using (var damage = WithCollation(live.ConnectionString))
        {
            damage.Open();
            using var command = damage.CreateCommand();
            command.CommandText = "DELETE FROM tags WHERE id = 2";
            command.ExecuteNonQuery();
        }

        var without = await SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString).Build().RunAsync();
        without.Succeeded.ShouldBeFalse("the collation is missing on a plain connection");
        without.ToSummary().ShouldContain("app_order");

        var report = await SelectiveRestore.FromDump(dump).ToSqlite(() => WithCollation(live.ConnectionString)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.ShouldHaveSingleItem().Inserted.ShouldBe(1);
        report.Target.ShouldBe($"sqlite://{live.Path}");
    }
}
