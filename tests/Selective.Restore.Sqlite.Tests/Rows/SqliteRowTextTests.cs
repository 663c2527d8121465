using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Rows;

/// <summary>
/// The live rows' row text, read from SQLite's statement and printed as UTF-8 (<see cref="SqliteRows"/>), against the
/// way it was printed before through Microsoft.Data.Sqlite (<c>GetValue</c>, <see cref="SqliteText.Format"/>,
/// <see cref="CopyText.Escape(string, IBufferWriter{byte})"/>): byte for byte, for awkward values of every storage class
/// and many random ones, in a UTF-8 and a UTF-16 database.
/// </summary>
public sealed class SqliteRowTextTests
{
    private const string Columns = "a, b INTEGER, c REAL, d TEXT, e BLOB, f BOOLEAN, g NUMERIC, h";

    // Values SQL makes that parameters cannot: text that is not UTF-8, NUL inside text, infinities, -0.0, empty values.
    private static readonly string[] Awkward =
    [
        "NULL", "0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e999", "-1e999", "-0.0", "0.0",
        "0.1 + 0.2", "1e308 * 10", "4.9406564584124654e-324", "1e15", "1e16", "100.0", "''", "X''", "zeroblob(3)", "'it''s'",
        "'a' || char(0) || 'b'", "char(0)", "CAST(X'FF61' AS TEXT)", "CAST(X'61C3' AS TEXT)", "CAST(X'EDA080' AS TEXT)", "CAST(X'F4908080' AS TEXT)",
        "'tab' || char(9) || 'nl' || char(10) || 'cr' || char(13) || 'bs\\' || char(8, 11, 12)", "'\\N'", "'Zoë 😀 東京'", "'1'", "CAST(1 AS TEXT)",
        "X'00FF10'", "replace(hex(zeroblob(70000)), '00', 'ab''')",
    ];

    [TestCase("UTF-8")]
    [TestCase("UTF-16le")]
    public void Live_rows_print_as_Microsoft_Data_Sqlite_values_printed(string encoding)
    {
        using var file = new SqliteFile($"PRAGMA encoding = '{encoding}'; CREATE TABLE v({Columns});");
        foreach (var value in Awkward)
        {
            file.Execute($"INSERT INTO v VALUES ({string.Join(", ", Enumerable.Repeat(value, 8))});");
        }

        using (var connection = new SqliteConnection(file.ConnectionString))
        {
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO v VALUES (@a, @b, @c, @d, @e, @f, @g, @h);";
            var parameters = "abcdefgh".Select(c => insert.Parameters.Add(new SqliteParameter("@" + c, null))).ToArray();
            var random = new Random(20);
            for (var row = 0; row < 5_000; row++)
            {
                foreach (var parameter in parameters)
                {
                    parameter.Value = RandomValue(random);
                }

                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var expected = Expected(file.ConnectionString, "SELECT * FROM v;");
        expected.Count.ShouldBe(Awkward.Length + 5_000);
        SameLines(Actual(file.ConnectionString, "SELECT * FROM v;", readSize: 1), expected);
        SameLines(Actual(file.ConnectionString, "SELECT * FROM v;", readSize: 64 * 1024), expected);
    }

    internal static void SameLines(List<byte[]> lines, List<byte[]> expected)
    {
        lines.Count.ShouldBe(expected.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            if (!lines[i].AsSpan().SequenceEqual(expected[i]))
            {
                Assert.Fail($"row {i + 1}: '{Encoding.UTF8.GetString(lines[i])}', expected '{Encoding.UTF8.GetString(expected[i])}'");
            }
        }
    }

    [Test]
    public void Memory_does_not_grow_with_the_table()
    {
        using var file = new SqliteFile("CREATE TABLE v(a, b); WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) INSERT INTO v SELECT n, hex(randomblob(20)) FROM g;");
        using var connection = new SqliteConnection(file.ConnectionString);
        connection.Open();
        using var rows = SqliteRows.Open(connection, "SELECT * FROM v;");
        var initial = rows.BufferCapacity;
        var buffer = new byte[4000];
        long total = 0;
        int n;
        while ((n = rows.Read(buffer)) > 0)
        {
            total += n;
        }

        total.ShouldBeGreaterThan(4_000_000);
        rows.BufferCapacity.ShouldBe(initial, "the rows printed are held until read, a buffer's worth at a time");
    }

    [Test]
    public void A_query_SQLite_refuses_fails_as_Microsoft_Data_Sqlite_would()
    {
        using var file = new SqliteFile("CREATE TABLE v(a);");
        using var connection = new SqliteConnection(file.ConnectionString);
        connection.Open();
        Should.Throw<SqliteException>(() => SqliteRows.Open(connection, "SELECT nope FROM v;")).Message.ShouldContain("no such column: nope");
    }

    internal static object RandomValue(Random random)
    {
        Span<byte> bits = stackalloc byte[8];
        switch (random.Next(6))
        {
            case 0:
                return random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            case 1:
                random.NextBytes(bits);
                var real = BitConverter.ToDouble(bits);
                return double.IsNaN(real) ? 0.5 : real;
            case 2:
                return random.NextInt64(-10_000_000, 10_000_000) / Math.Pow(10, random.Next(0, 12));
            case 3:
                var blob = new byte[random.Next(0, 30)];
                random.NextBytes(blob);
                return blob;
            case 4:
                return DBNull.Value;
            default:
                return RandomText(random);
        }
    }

    internal static string RandomText(Random random)
    {
        const string Special = "'\t\n\r\\\b\f\v\0\"%_";
        var text = new StringBuilder();
        var length = random.Next(0, 30);
        for (var i = 0; i < length; i++)
        {
            text.Append(random.Next(6) switch
            {
                0 => Special[random.Next(Special.Length)].ToString(),
                1 => ((char)random.Next(0, 32)).ToString(),
                2 => ((char)random.Next(0x80, 0xD800)).ToString(),
                3 => char.ConvertFromUtf32(random.Next(0x10000, 0x110000)),
                _ => ((char)random.Next(32, 127)).ToString(),
            });
        }

        return text.ToString();
    }

    /// <summary>The rows as the live side printed them through Microsoft.Data.Sqlite.</summary>
    private static List<byte[]> Expected(string connectionString, string sql)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var lines = new List<byte[]>();
        while (reader.Read())
        {
            var line = new ArrayBufferWriter<byte>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (i > 0)
                {
                    line.Write("\t"u8);
                }

                if (SqliteText.Format(reader.GetValue(i)) is { } field)
                {
                    CopyText.Escape(field, line);
                }
                else
                {
                    line.Write(CopyText.Null);
                }
            }

            lines.Add(line.WrittenSpan.ToArray());
        }

        return lines;
    }

    private static List<byte[]> Actual(string connectionString, string sql, int readSize)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var rows = SqliteRows.Open(connection, sql);
        var all = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = rows.Read(buffer)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        var bytes = all.ToArray();
        bytes.Length.ShouldBeGreaterThan(0);
        bytes[^1].ShouldBe((byte)'\n');
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n')
            {
                lines.Add(bytes[start..i]);
                start = i + 1;
            }
        }

        return lines;
    }
}
