using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;

namespace Selective.Restore.Sqlite.Tests.Support;

/// <summary>A SQLite database file in a temp directory, with helpers to fill it, read it back exactly and dump it with the real sqlite3 shell.</summary>
internal sealed class SqliteFile : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sr-sqlite-").FullName;

    public SqliteFile(string schema, string name = "app.db")
    {
        Path = System.IO.Path.Combine(_directory, name);
        Execute(schema);
    }

    public string Path { get; }

    public string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ConnectionString;

    public string File(string name) => System.IO.Path.Combine(_directory, name);

    public void Execute(string sql)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A copy of the database file (the backup a user keeps).</summary>
    public SqliteFile Copy(string name)
    {
        var copy = new SqliteFile(string.Empty, name);
        System.IO.File.Copy(Path, copy.Path, overwrite: true);
        return copy;
    }

    /// <summary>Every row of <paramref name="table"/> as row text (storage classes kept), in rowid or key order.</summary>
    public IReadOnlyList<string> Content(string table, string orderBy = "1")
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\" ORDER BY {orderBy}";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join('\t', Enumerable.Range(0, reader.FieldCount).Select(i => SqliteText.Format(reader.GetValue(i)) ?? "NULL")));
        }

        return rows;
    }

    /// <summary>The database as the sqlite3 shell dumps it (<c>.dump</c>), written next to it.</summary>
    public string Dump(string name = "backup.sql")
    {
        var path = File(name);
        var output = Sqlite3(Path, ".dump");
        System.IO.File.WriteAllText(path, output);
        return path;
    }

    /// <summary>Runs the sqlite3 shell on <paramref name="database"/> with <paramref name="arguments"/>; its stdout, or the test fails with its stderr.</summary>
    public static string Sqlite3(string database, params string[] arguments)
    {
        if (!System.IO.File.Exists("/usr/bin/sqlite3") && !System.IO.File.Exists("/usr/local/bin/sqlite3"))
        {
            Assert.Ignore("the sqlite3 shell is not installed (apt-get install sqlite3); scripts/test installs it");
        }

        var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(database);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout.Result : throw new InvalidOperationException($"sqlite3 {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr}");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
