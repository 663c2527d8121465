using System.Globalization;
using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.Sqlite.SqliteHarness;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// <c>split</c> and <c>inspect</c> of a sqlite3 dump: one SQLite file per table that sqlite3 loads back to the dump's
/// values, every line of it written by the splitter; and <see cref="DumpTable.CopyRawToAsync"/>, the section byte for byte.
/// </summary>
public sealed class SqliteSplitTests
{
    [Test]
    public async Task The_parts_load_into_sqlite3_as_the_values_the_dump_holds()
    {
        using var dir = new TempDirectory();
        var db = Sqlite3DumpTests.Build(dir);
        var dumpPath = dir.Write("awkward.sql", SqliteShell.Run(db, ".dump"));
        var dumped = await DumpHarness.ReadAsync(DumpReader.Open(dumpPath));

        var output = Path.Combine(dir.Path, "parts");
        SplitResult result;
        await using (var reader = DumpReader.Open(dumpPath))
        {
            result = await DumpSplitter.SplitAsync(reader, output);
        }

        result.Dialect.ShouldBe(SplitDialect.Sqlite);
        result.DialectName.ShouldBe("sqlite");
        result.LoadCommand.ShouldBe("sqlite3 DATABASE < FILE");
        result.Tables.Select(t => t.Name).ShouldBe(dumped.Tables.Select(t => t.Name));
        result.SequencesFile.ShouldBe("sequences.sql");
        using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, SplitResult.ManifestFileName))))
        {
            manifest.RootElement.GetProperty("dialect").GetString().ShouldBe("sqlite");
        }

        // Every line is one the splitter writes: no value can start a line, so none can be a dot-command.
        foreach (var file in result.Tables.Select(t => t.File).Append("sequences.sql"))
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(output, file));
            bytes.AsSpan().StartsWith(Encoding.UTF8.GetPreamble()).ShouldBeFalse();
            foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                new[] { "-- ", ".bail on", "PRAGMA foreign_keys=OFF;", "BEGIN TRANSACTION;", "INSERT INTO ", "DELETE FROM sqlite_sequence WHERE name = ", "COMMIT;" }
                    .ShouldContain(prefix => line.StartsWith(prefix, StringComparison.Ordinal), $"{file}: {line[..Math.Min(line.Length, 80)]}");
            }
        }

        // Loaded into a database with the schema, the parts give back the dump's values exactly.
        var fresh = dir.File("fresh.db");
        SqliteShell.Run(fresh, Sqlite3DumpTests.Schema.Replace("ANALYZE;\n", string.Empty, StringComparison.Ordinal).Replace("INSERT INTO", "-- INSERT INTO", StringComparison.Ordinal));
        foreach (var file in result.Tables.Select(t => t.File).Append("sequences.sql"))
        {
            SqliteShell.Run(fresh, $".read '{Path.Combine(output, file)}'");
        }

        Sqlite3DumpTests.Live(fresh, "v", ["id", "x"], "rowid").ShouldBe(dumped[InMain("v").ToString()].Values);
        Sqlite3DumpTests.Live(fresh, "Tab \"q\" [Zoë] 😀", ["col 1", "sp ace", "back`tick"], "\"col 1\"").ShouldBe(dumped.Tables[1].Values);
        Sqlite3DumpTests.Live(fresh, "s", ["a", "b", "c"], "rowid").ShouldBe(dumped[InMain("s").ToString()].Values);
        SqliteShell.Run(fresh, "SELECT name || '=' || seq FROM sqlite_sequence;").Trim().ShouldBe($"v={dumped.Sequences.Single().Value}");
    }

    [Test]
    public async Task Hostile_values_and_names_stay_data_when_sqlite3_loads_a_part()
    {
        using var dir = new TempDirectory();
        var pwned = dir.File("PWNED");
        var shell = $".shell touch '{pwned}'";
        var table = $"t\";{shell};--";
        var column = $"c'); {shell}";
        string[] values =
        [
            $"x\n{shell}\n", $"\r\n{shell}\r\n.bail off\n", $"';\n{shell}\n--", "nul\0inside", "\u001b[2J bell \u0007 tab\t ünï 😀", string.Empty,
        ];
        var dump = new StringBuilder(Head).Append(CultureInfo.InvariantCulture, $"CREATE TABLE {Quote(table)}({Quote(column)});\n");
        foreach (var value in values)
        {
            // Old sqlite3 versions wrote line ends as they are; char(0) is how a NUL gets into text.
            var literal = string.Join("||char(0)||", value.Split('\0').Select(SqliteText.Text));
            dump.Append(CultureInfo.InvariantCulture, $"INSERT INTO {Quote(table)} VALUES({literal});\n");
        }

        dump.Append("COMMIT;\n");
        var output = Path.Combine(dir.Path, "parts");
        await using (var reader = DumpReader.Open(dir.Write("hostile.sql", dump.ToString())))
        {
            await DumpSplitter.SplitAsync(reader, output);
        }

        var db = dir.File("target.db");
        SqliteShell.Run(db, $"CREATE TABLE {Quote(table)}({Quote(column)});");
        SqliteShell.Run(db, $".read '{Directory.GetFiles(output, "0001-*").Single()}'");

        File.Exists(pwned).ShouldBeFalse("no line of a value ran as a dot-command");
        Sqlite3DumpTests.Live(db, table, [column], "rowid").Select(r => r[0]).ShouldBe(values.Select(SqliteText.Text));
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [Test]
    public async Task A_part_stops_at_its_first_error_and_loads_nothing()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("d.sql", Head + "CREATE TABLE t(a PRIMARY KEY);\nINSERT INTO t VALUES(1);\nINSERT INTO t VALUES(2);\nCOMMIT;\n");
        var output = Path.Combine(dir.Path, "parts");
        await using (var reader = DumpReader.Open(dump))
        {
            await DumpSplitter.SplitAsync(reader, output);
        }

        var db = dir.File("target.db");
        SqliteShell.Run(db, "CREATE TABLE t(a PRIMARY KEY); INSERT INTO t VALUES(2);");
        var part = Path.Combine(output, "0001-main.t.sql");
        Should.Throw<ShouldAssertException>(() => SqliteShell.Run(db, $".read '{part}'")).Message.ShouldContain("UNIQUE constraint failed");
        SqliteShell.Run(db, "SELECT group_concat(a) FROM t;").Trim().ShouldBe("2", "the transaction was rolled back");
    }

    [Test]
    public async Task A_name_with_a_line_break_is_not_written_into_a_part()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("d.sql", Head + "CREATE TABLE \"a\nb\"(x);\nINSERT INTO \"a\nb\" VALUES(1);\nCOMMIT;\n");

        await using var reader = DumpReader.Open(dump);
        var error = await Should.ThrowAsync<DumpFormatException>(() => DumpSplitter.SplitAsync(reader, Path.Combine(dir.Path, "parts")));

        error.Reason.ShouldBe("the name a\\nb has a control character, which a sqlite3 script cannot hold on one line; refusing to write it into a SQLite part");
        Directory.GetFiles(Path.Combine(dir.Path, "parts")).ShouldBeEmpty();
    }

    [Test]
    public async Task A_sqlite_dump_is_split_into_sqlite_files_only_and_only_it_is()
    {
        await using var sqlite = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Head + "CREATE TABLE t(a);\nINSERT INTO t VALUES(1);\nCOMMIT;\n")));
        using var dir = new TempDirectory();

        (await Should.ThrowAsync<ArgumentException>(() => DumpSplitter.SplitAsync(sqlite, dir.Path, new SplitOptions { Dialect = SplitDialect.PostgreSql })))
            .Message.ShouldStartWith("a SQLite dump is split only into SQLite files");
        (await Should.ThrowAsync<ArgumentException>(() => DumpSplitter.SplitAsync(sqlite, dir.Path, new SplitOptions { Dialect = SplitDialect.TSql })))
            .Message.ShouldStartWith("T-SQL split files are written only for SQL Server scripts");

        await using var plain = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n")));
        (await Should.ThrowAsync<ArgumentException>(() => DumpSplitter.SplitAsync(plain, dir.Path, new SplitOptions { Dialect = SplitDialect.Sqlite })))
            .Message.ShouldStartWith("SQLite split files are written only for SQLite dumps");
    }

    [Test]
    public async Task Inspect_lists_the_tables_rows_and_sequences()
    {
        const string Dump = Head +
            "CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x);\nINSERT INTO a VALUES(1,'x');\nINSERT INTO a VALUES(2,'y');\n" +
            "CREATE TABLE b(x);\nINSERT INTO b VALUES(X'00');\n" +
            "DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('a',2);\nCOMMIT;\n";

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)), new DumpReaderOptions { SourceName = "app.sql" });
        var inventory = await DumpInspector.InspectAsync(reader);

        inventory.Format.ShouldBe(DumpFormat.SqliteDump);
        DumpInventory.FormatNameOf(inventory.Format).ShouldBe("sqlite");
        inventory.Tables.Select(t => (t.Name, t.Rows)).ShouldBe([(InMain("a"), 2L), (InMain("b"), 1L)]);
        inventory.Tables[0].StartOffset.ShouldBe(Offset(Dump, "INSERT INTO a"));
        inventory.Tables[0].EndOffset.ShouldBe(Offset(Dump, "CREATE TABLE b"));
        inventory.Sequences.ShouldBe([new SequenceValue(InMain("a"), 2, IsCalled: true, Line: 9)]);
        inventory.ToJson().ShouldContain("\"format\": \"sqlite\"");
    }

    [Test]
    public async Task CopyRaw_writes_each_section_byte_for_byte_in_every_read_mode()
    {
        const string Dump = Head +
            "CREATE TABLE a(x);\nINSERT INTO a VALUES('multi\nline');\nINSERT INTO a VALUES(replace('a\\nb','\\n',char(10)));  \r\n" +
            "INSERT INTO sqlite_stat1 VALUES('a',NULL,'2');\n" +
            "INSERT INTO \"b c\"(x) VALUES(1),(2);\n;\nINSERT INTO \"b c\"(x) VALUES(3);" +
            "INSERT INTO d VALUES('Zoë 😀');\nCOMMIT;\n";
        var bytes = Encoding.UTF8.GetBytes(Dump);
        foreach (var mode in DumpHarness.Modes)
        {
            Stream Open(byte[] b) => mode.Chunks is null ? new MemoryStream(b) : new TrickleStream(b, mode.Chunks);
            using var parser = mode.ViaReader ? null : CreateParser(bytes, Open, TableFilter.All, mode.BufferSize);
            using var reader = mode.ViaReader ? DumpReader.Open(Open(bytes)) : null;
            var sections = new List<(string Name, string Raw, long Start, long End, long Rows)>();
            while ((reader is not null
                ? mode.Async ? await reader.NextTableAsync() : reader.NextTable()
                : mode.Async ? await parser!.NextTableAsync(async: true, CancellationToken.None) : SyncPath.Complete(parser!.NextTableAsync(async: false, CancellationToken.None))) is { } table)
            {
                using var output = new MemoryStream();
                var rows = mode.Async ? await table.CopyRawToAsync(output) : table.CopyRawTo(output);
                sections.Add((table.Name.Name, Encoding.UTF8.GetString(output.ToArray()), table.StartOffset, table.EndOffset, rows));
            }

            sections.Select(s => (s.Name, s.Rows)).ShouldBe([("a", 2L), ("b c", 3L), ("d", 1L)], $"mode {mode}");
            sections.Select(s => s.Raw).ShouldBe(
            [
                "INSERT INTO a VALUES('multi\nline');\nINSERT INTO a VALUES(replace('a\\nb','\\n',char(10)));  \r\n",
                "INSERT INTO \"b c\"(x) VALUES(1),(2);\n;\nINSERT INTO \"b c\"(x) VALUES(3);",
                "INSERT INTO d VALUES('Zoë 😀');\n",
            ],
            $"mode {mode}");
            foreach (var (name, raw, start, end, _) in sections)
            {
                start.ShouldBe(Offset(Dump, raw), name);
                end.ShouldBe(start + Encoding.UTF8.GetByteCount(raw), name);
            }
        }
    }
}
