using System.Data;
using System.Data.SqlTypes;
using System.Text;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer.Tests.Diff;

/// <summary>
/// Live rows stream as row-text lines, formatted as they are read. The reader here is a DataTable's (the same
/// DbDataReader surface SqlClient's has); the values are those SqlClient returns for each type.
/// </summary>
public sealed class LiveRowsTests
{
    private static readonly SqlServerType[] Types =
    [
        SqlServerType.From("int", 0)!.Value,
        SqlServerType.From("nvarchar", 0)!.Value,
        SqlServerType.From("decimal", 2)!.Value,
        SqlServerType.From("varbinary", 0)!.Value,
        SqlServerType.From("datetime2", 3)!.Value,
    ];

    private static DataTable Table(int rows)
    {
        var table = new DataTable();
        table.Columns.Add("id", typeof(int));
        table.Columns.Add("name", typeof(string));
        table.Columns.Add("total", typeof(decimal));
        table.Columns.Add("photo", typeof(byte[]));
        table.Columns.Add("at", typeof(DateTime));
        for (var i = 1; i <= rows; i++)
        {
            table.Rows.Add(i, i % 3 == 0 ? DBNull.Value : $"név {i}\ttab\\", i * 1.5m, i % 2 == 0 ? new byte[] { (byte)i, 0xFF } : DBNull.Value, new DateTime(2026, 1, 1).AddMilliseconds(i));
        }

        return table;
    }

    [Test]
    public async Task Rows_stream_as_escaped_lines_in_any_read_size()
    {
        using var table = Table(3);
        foreach (var size in new[] { 1, 7, 4096 })
        {
            await using var stream = new SqlServerLiveRows(table.CreateDataReader(), Types);
            using var copy = new MemoryStream();
            var buffer = new byte[size];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                copy.Write(buffer, 0, n);
            }

            Encoding.UTF8.GetString(copy.ToArray()).ShouldBe(
                "1\tnév 1\\ttab\\\\\t1.50\t\\N\t2026-01-01 00:00:00.001\n" +
                "2\tnév 2\\ttab\\\\\t3.00\t\\\\x02ff\t2026-01-01 00:00:00.002\n" +
                "3\t\\N\t4.50\t\\N\t2026-01-01 00:00:00.003\n");
        }
    }

    [Test]
    public void The_synchronous_path_reads_the_same()
    {
        using var table = Table(2);
        using var stream = new SqlServerLiveRows(table.CreateDataReader(), Types);
        var reader = new CopyLineReader(stream);
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(Encoding.UTF8.GetString(reader.Line));
        }

        lines.ShouldBe(["1\tnév 1\\ttab\\\\\t1.50\t\\N\t2026-01-01 00:00:00.001", "2\tnév 2\\ttab\\\\\t3.00\t\\\\x02ff\t2026-01-01 00:00:00.002"]);
    }

    [Test]
    public async Task A_large_table_streams_without_holding_its_rows()
    {
        // 200,000 rows (about 12 MB of text) through a 64 KiB read buffer: what is held is one row beyond the buffer.
        using var table = Table(200_000);
        await using var stream = new SqlServerLiveRows(table.CreateDataReader(), Types);
        var reader = new CopyLineReader(stream);
        long lines = 0;
        while (await reader.ReadAsync())
        {
            lines++;
        }

        lines.ShouldBe(200_000);
    }

    [Test]
    public void A_query_with_other_columns_than_types_is_refused()
    {
        using var table = Table(1);
        Should.Throw<ArgumentException>(() => new SqlServerLiveRows(table.CreateDataReader(), Types[..2]));
    }

    [Test]
    public void SqlTypes_null_values_print_as_NULL()
    {
        var field = new System.Buffers.ArrayBufferWriter<byte>();
        SqlServerValueText.Append(SqlString.Null, Types[1], field);
        Encoding.ASCII.GetString(field.WrittenSpan).ShouldBe("\\N");
    }
}
