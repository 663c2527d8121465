using System.Globalization;
using System.IO.Compression;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.Sqlite.SqliteHarness;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// Dumps written by the real sqlite3 (3.40 here and in CI): every field the reader gives equals
/// <see cref="SqliteText.Format"/> of the value sqlite3 itself reports for the live database, read exactly (integers as
/// digits, reals with 17 digits, text and blobs as hex, so a NUL or a line end cannot hide).
/// </summary>
public sealed class Sqlite3DumpTests
{
    // Awkward values, one per row of v.x; the comment says why each is there.
    private static readonly string[] Values =
    [
        "1", "-1", "0", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", // past 64 bits: SQLite stores a REAL
        "1e308", "0.1 + 0.2", "2.5e-7", "100.0", "1e18", "123456789012345678.0", "1e999", "-1e999",
        "-0.0", // sqlite3 .dump prints every integral REAL as %lld.0: the sign is lost (see the test)
        "''", "NULL", "'it''s'", "'1'", "'tab' || char(9) || 'here'", "char(13)", "char(10)", "'a' || char(13, 10) || 'b'",
        "'back\\slash \\n and \\012'", // holds \n and \012 as text: sqlite3 picks another marker for its replace()
        "'\\n' || char(10) || '\\012' || char(13) || '\\r'",
        "'x' || char(0) || 'y'", // sqlite3 .dump cuts text at a NUL (see the test)
        "'Zoë 😀 ' || char(1, 27, 127)",
        "'line' || char(10) || '.shell echo no' || char(10) || '-- not a comment'",
        "X''", "X'00FF10'", "randomblob(0)", "zeroblob(3)",
        "replace(hex(zeroblob(20000)), '00', 'ab''')", // a long value, past the small read buffers
    ];

    // The values' rows whose dump text differs from the live value because of sqlite3 itself.
    private static readonly int NegativeZeroRow = Array.IndexOf(Values, "-0.0");
    private static readonly int NulRow = Array.IndexOf(Values, "'x' || char(0) || 'y'");

    internal const string Schema =
        "CREATE TABLE v(id INTEGER PRIMARY KEY AUTOINCREMENT, x);\n" +
        "CREATE TABLE \"Tab \"\"q\"\" [Zoë] 😀\"(\"col 1\" TEXT NOT NULL, [sp ace] INT, `back``tick` REAL, g GENERATED ALWAYS AS (\"col 1\" || 'x') VIRTUAL, " +
        "PRIMARY KEY(\"col 1\")) WITHOUT ROWID;\n" +
        "CREATE TABLE s(a INTEGER, b TEXT, c ANY) STRICT;\n" +
        "CREATE TABLE e(a);\n" + // empty: no INSERT, so not a table of the dump
        "CREATE INDEX vx ON v(x);\n" +
        "CREATE VIEW vv AS SELECT * FROM v;\n" +
        "CREATE TRIGGER st AFTER DELETE ON s BEGIN UPDATE s SET c = CASE WHEN new.a > 0 THEN 'pos' END WHERE rowid = new.rowid; END;\n" +
        "INSERT INTO \"Tab \"\"q\"\" [Zoë] 😀\" VALUES ('k2', 2, 0.5), ('k1', NULL, -2.0), ('it''s', 3, NULL);\n" +
        "INSERT INTO s VALUES (1, 'one', 1), (2, 'two', '1'), (3, NULL, X'01');\n" +
        "ANALYZE;\n";

    private static readonly TableName V = InMain("v");
    private static readonly TableName Weird = InMain("Tab \"q\" [Zoë] 😀");
    private static readonly TableName S = InMain("s");

    internal static string Build(TempDirectory dir)
    {
        var db = dir.File("awkward.db");
        var inserts = string.Concat(Values.Select(v => $"INSERT INTO v(x) VALUES ({v});\n"));
        SqliteShell.Run(db, Schema + inserts);
        return db;
    }

    [Test]
    public async Task Every_field_of_a_real_dump_equals_the_live_value_as_SqliteText_prints_it()
    {
        using var dir = new TempDirectory();
        var db = Build(dir);
        var path = dir.Write("awkward.sql", SqliteShell.Run(db, ".dump"));

        await using var reader = DumpReader.Open(path);
        reader.Format.ShouldBe(DumpFormat.SqliteDump);
        var result = await DumpHarness.ReadAsync(reader);

        result.Tables.Select(t => t.Name).ShouldBe([V, Weird, S]);
        result[V.ToString()].ColumnNames.ShouldBe(["id", "x"]);
        result.Tables[1].ColumnNames.ShouldBe(["col 1", "sp ace", "back`tick"]);
        result[S.ToString()].ColumnNames.ShouldBe(["a", "b", "c"]);

        var live = Live(db, "v", ["id", "x"], "rowid");
        var dumped = result[V.ToString()].Values;
        dumped.Length.ShouldBe(Values.Length);
        for (var i = 0; i < Values.Length; i++)
        {
            if (i == NegativeZeroRow || i == NulRow)
            {
                continue;
            }

            dumped[i].ShouldBe(live[i], $"row {i + 1}: {Values[i]}");
        }

        // What sqlite3 .dump itself loses: the sign of -0.0 (it prints integral REALs as %lld.0) and text after a NUL
        // (it prints text as a C string). The reader gives what the dump says.
        dumped[NegativeZeroRow][1].ShouldBe("0.0");
        SqliteShell.Run(db, $"SELECT hex(ieee754_to_blob(x)) FROM v WHERE id = {NegativeZeroRow + 1};").Trim().ShouldBe("8000000000000000", "the live value is -0.0");
        dumped[NulRow][1].ShouldBe("'x'");
        live[NulRow][1].ShouldBe(SqliteText.Text("x\0y"));

        result.Tables[1].Values.ShouldBe(Live(db, "Tab \"q\" [Zoë] 😀", ["col 1", "sp ace", "back`tick"], "\"col 1\""));
        result[S.ToString()].Values.ShouldBe(Live(db, "s", ["a", "b", "c"], "rowid"));
        result[S.ToString()].Values[1].ShouldBe(["2", "'two'", "'1'"], "an INTEGER in one row, the TEXT '1' in the next");

        reader.Sequences.ShouldBe([new SequenceValue(V, Values.Length, IsCalled: true, reader.Sequences[0].Line)]);
        reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        reader.Notices.ShouldBeEmpty();
    }

    [Test]
    public async Task Every_read_mode_sees_the_same_rows_and_gzip_changes_nothing()
    {
        using var dir = new TempDirectory();
        var dump = Encoding.UTF8.GetBytes(SqliteShell.Run(Build(dir), ".dump"));

        var result = await ReadAsync(dump, modes: DumpHarness.LargeInputModes);

        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(dump);
        }

        gzipped.Position = 0;
        await using var reader = DumpReader.Open(gzipped, new DumpReaderOptions { SourceName = SourceName });
        reader.Compression.ShouldBe(DumpCompression.Gzip);
        (await DumpHarness.ReadAsync(reader)).Render().ShouldBe(result.Render());
    }

    [Test]
    public async Task Data_only_and_rowid_preserving_dumps_read_the_same_values()
    {
        using var dir = new TempDirectory();
        var db = Build(dir);
        var full = await DumpHarness.ReadAsync(DumpReader.Open(dir.Write("full.sql", SqliteShell.Run(db, ".dump"))));

        // --data-only: no CREATE TABLE, so no column names, and no PRAGMA or BEGIN either: only what its first 4 KB hold tells
        // it from a PostgreSQL script (here the head is rows of plain values, valid PostgreSQL), so it is read with the parser.
        var dataOnly = await ReadAsync(Encoding.UTF8.GetBytes(SqliteShell.Run(db, ".dump --data-only")), modes: [.. DumpHarness.LargeInputModes.Where(m => !m.ViaReader)]);
        dataOnly.Tables.Select(t => t.Name).ShouldBe(full.Tables.Select(t => t.Name));
        dataOnly.Tables.Select(t => t.Values).ShouldBe(full.Tables.Select(t => t.Values));
        dataOnly.Tables.ShouldAllBe(t => t.Columns.All(c => c.Name == null));
        dataOnly.Sequences.Select(q => (q.Sequence, q.Value)).ShouldBe(full.Sequences.Select(q => (q.Sequence, q.Value)));

        // --preserve-rowids: rowid tables list their columns with the rowid first.
        var rowids = await DumpHarness.ReadAsync(DumpReader.Open(dir.Write("rowids.sql", SqliteShell.Run(db, ".dump --preserve-rowids"))));
        rowids[S.ToString()].ColumnNames.ShouldBe(["rowid", "a", "b", "c"]);
        rowids[S.ToString()].Values.Select(r => r[1..]).ShouldBe(full[S.ToString()].Values);
        rowids[V.ToString()].Values.ShouldBe(full[V.ToString()].Values, "an INTEGER PRIMARY KEY is the rowid");
    }

    /// <summary>
    /// The live rows as sqlite3 reports them, each value read exactly (type, then digits, 17 significant digits or hex) and
    /// printed with <see cref="SqliteText.Format"/>.
    /// </summary>
    internal static string?[][] Live(string db, string table, string[] columns, string orderBy)
    {
        static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

        var values = columns.Select(c =>
            $"typeof({Quote(c)}) || ':' || CASE typeof({Quote(c)}) WHEN 'integer' THEN {Quote(c)} WHEN 'real' THEN printf('%!.17g', {Quote(c)}) " +
            $"WHEN 'null' THEN '' ELSE hex({Quote(c)}) END");
        var output = SqliteShell.Run(db, $"SELECT {string.Join(" || ',' || ", values)} FROM {Quote(table)} ORDER BY {orderBy};");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(',').Select(Field).ToArray())];
    }

    private static string? Field(string typed)
    {
        var colon = typed.IndexOf(':', StringComparison.Ordinal);
        var repr = typed[(colon + 1)..];
        object? value = typed[..colon] switch
        {
            "integer" => long.Parse(repr, CultureInfo.InvariantCulture),
            "real" => repr switch
            {
                "Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(repr, CultureInfo.InvariantCulture),
            },
            "text" => Encoding.UTF8.GetString(Convert.FromHexString(repr)),
            "blob" => Convert.FromHexString(repr),
            _ => null,
        };
        return SqliteText.Format(value);
    }
}
