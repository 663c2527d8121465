using System.Text;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer.Tests.Apply;

/// <summary>The delta reaches SqlBulkCopy as positions and decoded fields: strings exact, binary as bytes, NULL as DBNull.</summary>
public sealed class DeltaReaderTests
{
    private static readonly IReadOnlyList<SqlServerStageColumn> Columns =
    [
        new("id", "c1", "int", SqlServerType.From("int", 0)!.Value, null),
        new("name", "c2", "nvarchar(max)", SqlServerType.From("nvarchar", 0)!.Value, "SQL_Latin1_General_CP1_CI_AS"),
        new("photo", "c3", "varbinary(max)", SqlServerType.From("varbinary", 0)!.Value, null),
    ];

    /// <summary>Rows as the engine hands them over: row text with the dump line each came from.</summary>
    private sealed class Lines(params string[] rows) : IRowLines
    {
        private int _next;

        public long Rows => rows.Length;

        public void Rewind() => _next = 0;

        public bool TryRead(out ReadOnlySpan<byte> line, out long lineNumber, out long byteOffset)
        {
            if (_next == rows.Length)
            {
                line = default;
                (lineNumber, byteOffset) = (0, 0);
                return false;
            }

            line = Encoding.UTF8.GetBytes(rows[_next]);
            (lineNumber, byteOffset) = (100 + _next, 0);
            _next++;
            return true;
        }
    }

    [Test]
    public void Rows_become_positions_and_decoded_fields()
    {
        using var reader = new SqlServerDeltaReader(new Lines("1\tZoë\\ttab \\\\ \\\\N-not-null\t\\\\x0aff", "2\t\\N\t\\N", "3\t\t\\\\x"), Columns);
        reader.FieldCount.ShouldBe(4);
        reader.GetName(0).ShouldBe("sr_n");
        reader.GetFieldType(3).ShouldBe(typeof(byte[]));

        reader.Read().ShouldBeTrue();
        reader.GetValue(0).ShouldBe(1L);
        reader.GetValue(1).ShouldBe("1");
        reader.GetValue(2).ShouldBe("Zoë\ttab \\ \\N-not-null");
        reader.GetValue(3).ShouldBe(new byte[] { 0x0A, 0xFF });

        reader.Read().ShouldBeTrue();
        reader.GetValue(0).ShouldBe(2L);
        reader.IsDBNull(2).ShouldBeTrue();
        reader.GetValue(3).ShouldBe(DBNull.Value);

        reader.Read().ShouldBeTrue();
        reader.GetValue(2).ShouldBe(string.Empty);
        reader.GetValue(3).ShouldBe(Array.Empty<byte>());
        reader.Read().ShouldBeFalse();
    }

    [TestCase("1\ta", "2 fields")]
    [TestCase("1\ta\t\\\\x00\textra", "more than the 3 fields")]
    [TestCase("1\ta\tnot hex", "column photo")]
    [TestCase("1\ta\t\\\\x0g", "not binary data")]
    public void A_bad_row_fails_naming_its_dump_line(string row, string expected)
    {
        using var reader = new SqlServerDeltaReader(new Lines(row), Columns);
        var error = Should.Throw<RestoreTableException>(() => reader.Read());
        error.Message.ShouldContain("dump line 100");
        error.Message.ShouldContain(expected);
    }
}
