using Microsoft.Data.Sqlite;
using Selective.Restore.Providers;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Schema;

/// <summary>The catalog from SQLite's pragmas: the rowid alias, AUTOINCREMENT, WITHOUT ROWID, generated columns, unique keys and foreign keys.</summary>
public sealed class CatalogTests
{
    private static async Task<SqliteTableShape?> ReadAsync(SqliteFile file, string table)
    {
        await using var connection = new SqliteConnection(file.ConnectionString);
        await connection.OpenAsync();
        return await SqliteCatalog.ReadAsync(connection, new TableName("main", table));
    }

    [Test]
    public async Task An_awkward_table_is_described_as_SQLite_keeps_it()
    {
        using var file = new SqliteFile("""
            CREATE TABLE "we""ird parent" (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE, name TEXT COLLATE NOCASE);
            CREATE TABLE child ("Zoë id" integer primary key, parent_id INTEGER REFERENCES "we""ird parent", total REAL DEFAULT 0,
                                doubled REAL GENERATED ALWAYS AS (total * 2) VIRTUAL, stored TEXT AS (upper(parent_id)) STORED, anything);
            CREATE UNIQUE INDEX child_partial ON child (anything) WHERE anything IS NOT NULL;
            CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, note, PRIMARY KEY (b, a)) WITHOUT ROWID;
            """);

        var parent = (await ReadAsync(file, "we\"ird parent")).ShouldNotBeNull();
        (parent.RowidAlias, parent.Autoincrement, parent.WithoutRowid).ShouldBe(("id", true, false));
        parent.Table.PrimaryKey.ShouldBe(["id"]);
        parent.Table.UniqueKeys.ShouldHaveSingleItem().ShouldBe(["code"]);
        parent.Table.Find("id")!.Identity.ShouldBe(IdentityColumn.ByDefault);
        parent.Table.Find("id")!.Sequence.ShouldBe(new TableName("main", "sqlite_sequence"));

        var child = (await ReadAsync(file, "child")).ShouldNotBeNull();
        (child.RowidAlias, child.Autoincrement).ShouldBe(("Zoë id", false)); // "integer" is INTEGER: case does not matter
        child.Table.Columns.Select(c => (c.Name, c.IsGenerated)).ShouldBe([("Zoë id", false), ("parent_id", false), ("total", false), ("doubled", true), ("stored", true), ("anything", false)]);
        child.Table.UniqueKeys.ShouldBeEmpty(); // a partial unique index makes nothing unique across the table
        var reference = child.Table.ForeignKeys.ShouldHaveSingleItem();
        (reference.Columns.Single(), reference.ReferencedTable.Name, reference.ReferencedColumns.Single()).ShouldBe(("parent_id", "we\"ird parent", "id"));
        child.Table.Notes.ShouldHaveSingleItem().ShouldContain("PRAGMA foreign_keys = ON");

        var pairs = (await ReadAsync(file, "pairs")).ShouldNotBeNull();
        (pairs.RowidAlias, pairs.WithoutRowid).ShouldBe((null, true));
        pairs.Table.PrimaryKey.ShouldBe(["b", "a"]);

        (await ReadAsync(file, "absent")).ShouldBeNull();
    }

    [Test]
    public async Task A_key_declared_INT_is_no_rowid_alias()
    {
        // Only the type name INTEGER makes the rowid alias; INT PRIMARY KEY is an ordinary column SQLite does not number.
        using var file = new SqliteFile("CREATE TABLE t (id INT PRIMARY KEY, v);");
        var shape = (await ReadAsync(file, "t")).ShouldNotBeNull();
        shape.RowidAlias.ShouldBeNull();
        shape.Table.Find("id")!.Identity.ShouldBe(IdentityColumn.None);
    }

    [Test]
    public async Task A_virtual_table_fails_saying_why()
    {
        using var file = new SqliteFile("CREATE VIRTUAL TABLE docs USING fts5(body);");
        var error = await Should.ThrowAsync<RestoreTableException>(() => ReadAsync(file, "docs"));
        error.Message.ShouldContain("virtual table");
    }
}
