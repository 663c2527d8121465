// Selective.Restore quick start: a selective restore on SQLite, with nothing installed but the .NET SDK.
//
//   dotnet run --project samples/QuickStart [-- DIRECTORY]
//
// A shop database loses rows and has rows edited after its nightly backup. Instead of restoring the whole backup
// (and losing today's orders), we put back only what is missing, decide per row what to do with rows edited since,
// and keep an undo script. Every step prints what it did; the files stay in DIRECTORY (a temp directory by default).
using Microsoft.Data.Sqlite;
using Selective.Restore;

var directory = args.Length > 0 ? Directory.CreateDirectory(args[0]).FullName : Directory.CreateTempSubdirectory("selective-restore-quickstart-").FullName;
var shop = Path.Combine(directory, "shop.db");
var backup = Path.Combine(directory, "shop-backup.db");
var undo = Path.Combine(directory, "undo.sql");
foreach (var file in new[] { shop, backup, undo })
{
    File.Delete(file);
}

var connectionString = new SqliteConnectionStringBuilder { DataSource = shop, Pooling = false }.ConnectionString;

// 1. The shop: customers (emails are their identity) and their orders.
Execute("""
    CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, balance REAL NOT NULL DEFAULT 0);
    CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL REFERENCES customers (id), item TEXT NOT NULL, total REAL NOT NULL);
    INSERT INTO customers (email, name, balance) VALUES
        ('zoe@example.com', 'Zoë Ñandú', 12.5), ('dmitri@example.com', 'Дмитрий', 0), ('misaki@example.com', '美咲 🐘', 99.99), ('ob@example.com', 'O''Brien', 3);
    INSERT INTO orders (customer_id, item, total) VALUES (1, 'teapot', 25), (1, 'cups', 12.5), (2, 'samovar', 180), (3, 'umbrella', 30), (4, 'kettle', 40);
    """);
Print("1. shop.db", Count("customers") + " customers, " + Count("orders") + " orders");

// 2. The nightly backup: a copy of the database file (a .dump works too: SqliteDump writes one without sqlite3).
File.Copy(shop, backup);
Print("2. backup", $"{backup} ({new FileInfo(backup).Length} bytes)");

// 3. The next day: new business, then an incident. A bad script deleted Dmitri (and his orders), and someone
//    changed Zoë's balance by hand; a new customer and a new order arrived meanwhile.
Execute("""
    INSERT INTO customers (email, name) VALUES ('new@example.com', 'New Customer');
    INSERT INTO orders (customer_id, item, total) VALUES (5, 'tea', 8);
    DELETE FROM orders WHERE customer_id = 2; DELETE FROM customers WHERE id = 2;
    UPDATE customers SET balance = 0 WHERE id = 1;
    """);
Print("3. incident", Count("customers") + " customers, " + Count("orders") + " orders (Dmitri and his order are gone; Zoë's balance is 0)");

// 4. Plan: what would a restore do? Nothing is written.
var plan = await SelectiveRestore.FromDatabase(new SqliteSource(backup)).ToSqlite(connectionString).AsPlan().Build().RunAsync();
Print("4. plan", string.Join("; ", plan.Tables.Select(t => $"{t.Name.Name}: {t.Missing} missing, {t.Conflicting} conflicting, {t.LiveOnly} live-only")));

// 5. Apply: missing rows come back; for a conflict, the application decides: keep the larger balance.
var policy = MergePolicy.Custom("larger-balance", (ConflictArguments row) =>
    row.Dump.Get<double>("balance") > row.Live.Get<double>("balance")
        ? ConflictDecision.Merge(new Dictionary<string, object?> { ["balance"] = row.Dump["balance"] })
        : ConflictDecision.KeepLive);
var report = await SelectiveRestore.FromDatabase(new SqliteSource(backup))
    .ToSqlite(connectionString)
    .WithPolicy(policy)
    .WithIdentityKey("main.customers", "email")
    .WithUndoScript(undo)
    .Build()
    .RunAsync();
Print("5. restore", report.Succeeded ? "succeeded" : "FAILED");
Console.WriteLine(report.ToSummary());

// 6. The result: Dmitri and his order are back, Zoë has her balance, today's customer and order are untouched.
Print("6. shop.db", Count("customers") + " customers, " + Count("orders") + " orders");
foreach (var row in Rows("SELECT c.name, c.balance, count(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id"))
{
    Console.WriteLine("   " + row);
}

Print("   undo", $"{undo} (sqlite3 {shop} \".read {undo}\" puts shop.db back as it was before step 5)");
return report.Succeeded && Count("customers") == 5 && Count("orders") == 6 ? 0 : 1;

void Execute(string sql)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

long Count(string table) => long.Parse(Rows($"SELECT count(*) FROM {table}").Single(), System.Globalization.CultureInfo.InvariantCulture);

List<string> Rows(string sql)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    using var reader = command.ExecuteReader();
    var rows = new List<string>();
    while (reader.Read())
    {
        rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
    }

    return rows;
}

static void Print(string step, string what) => Console.WriteLine($"{step,-12} {what}");
