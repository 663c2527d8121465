using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Rows;

/// <summary>
/// The rows <see cref="SqliteDump"/> writes, read from SQLite's statement and printed as UTF-8, against the line built
/// from Microsoft.Data.Sqlite's values with <see cref="SqliteSql.Literal"/>, as it was written before: byte for byte,
/// for awkward and random values; and the UTF-8 text literal against the string one.
/// </summary>
public sealed class SqliteDumpTextTests
{
    [Test]
    public void Text_literals_print_as_SqliteSql_Literal_does()
    {
        string[] awkward = ["", "'", "it's", "\n", "a\nb", "\n\n", "'\n'", "\0", "x\0", "\0x", "tab\there\r\n", "Zoë 😀\u001F", "\u007F\u0085"];
        var random = new Random(21);
        foreach (var value in awkward.Concat(Enumerable.Range(0, 50_000).Select(_ => SqliteRowTextTests.RandomText(random))))
        {
            var actual = new ArrayBufferWriter<byte>();
            SqliteSql.WriteTextLiteral(Encoding.UTF8.GetBytes(value), actual);
            Encoding.UTF8.GetString(actual.WrittenSpan).ShouldBe(SqliteSql.Literal(value), value);
        }
    }

    [TestCase("UTF-8")]
    [TestCase("UTF-16le")]
    public async Task Dumped_rows_print_as_SqliteSql_Literal_printed_them(string encoding)
    {
        using var file = new SqliteFile($"PRAGMA encoding = '{encoding}'; CREATE TABLE v(a, b INTEGER, c REAL, d TEXT, e BLOB, f);");
        string[] awkward =
        [
            "NULL", "0", "-9223372036854775808", "1e999", "-1e999", "-0.0", "0.1 + 0.2", "''", "X''", "'it''s'", "'a' || char(0) || 'b'",
            "CAST(X'FF61' AS TEXT)", "'line' || char(10) || '.shell echo no' || char(13, 10)", "'Zoë 😀'", "X'00FF10'",
        ];
        foreach (var value in awkward)
        {
            file.Execute($"INSERT INTO v VALUES ({string.Join(", ", Enumerable.Repeat(value, 6))});");
        }

        using (var connection = new SqliteConnection(file.ConnectionString))
        {
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO v VALUES (@a, @b, @c, @d, @e, @f);";
            var parameters = "abcdef".Select(c => insert.Parameters.Add(new SqliteParameter("@" + c, null))).ToArray();
            var random = new Random(22);
            for (var row = 0; row < 3_000; row++)
            {
                foreach (var parameter in parameters)
                {
                    parameter.Value = SqliteRowTextTests.RandomValue(random);
                }

                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var expected = new List<string>();
        using (var connection = new SqliteConnection(file.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM v;";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                expected.Add("INSERT INTO \"v\" VALUES(" + string.Join(",", Enumerable.Range(0, 6).Select(i => SqliteSql.Literal(reader.IsDBNull(i) ? null : reader.GetValue(i)))) + ");");
            }
        }

        var path = file.File("dump.sql");
        await SqliteDump.WriteAsync(file.ConnectionString, path);
        var fromFile = await File.ReadAllTextAsync(path);
        var writer = new StringWriter();
        await SqliteDump.WriteAsync(file.ConnectionString, writer);
        writer.ToString().ShouldBe(fromFile);
        var inserts = fromFile.Split('\n').Where(l => l.StartsWith("INSERT INTO \"v\"", StringComparison.Ordinal)).ToList();
        inserts.Count.ShouldBe(expected.Count);
        for (var i = 0; i < inserts.Count; i++)
        {
            if (inserts[i] != expected[i])
            {
                Assert.Fail($"row {i + 1}: {inserts[i]}, expected {expected[i]}");
            }
        }

        fromFile.ShouldStartWith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE v(");
        fromFile.ShouldEndWith(");\nCOMMIT;\n");
    }
}
