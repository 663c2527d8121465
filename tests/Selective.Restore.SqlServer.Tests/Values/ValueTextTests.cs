using System.Buffers;
using System.Data.SqlTypes;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.SqlServer.Tests.Values;

/// <summary>
/// A live value prints as the field the T-SQL script reader makes of the same value as SSMS scripts it, so an
/// unchanged row needs no round trip (docs/sqlserver-scripts.md, "Values: the neutral form"). Each case pairs a value
/// as SqlClient reads it with its SSMS literal and the column's type, and checks both sides byte for byte.
/// </summary>
public sealed class ValueTextTests
{
    private static readonly object?[][] Cases =
    [
        ["int", 0, 42, "42"],
        ["int", 0, -2147483648, "-2147483648"],
        ["bigint", 0, 9223372036854775807L, "9223372036854775807"],
        ["smallint", 0, (short)-7, "-7"],
        ["tinyint", 0, (byte)255, "255"],
        ["bit", 0, true, "1"],
        ["bit", 0, false, "0"],
        ["decimal", 2, new SqlDecimal(1.50m), "CAST(1.50 AS Decimal(18, 2))"],
        ["decimal", 4, new SqlDecimal(-0.0100m), "CAST(-0.0100 AS Decimal(9, 4))"],
        ["numeric", 0, new SqlDecimal(12345678901234567890m), "CAST(12345678901234567890 AS Numeric(38, 0))"],
        ["decimal", 3, 2.5m, "CAST(2.500 AS Decimal(10, 3))"],
        ["money", 0, 12.5m, "CAST(12.5000 AS Money)"],
        ["smallmoney", 0, -0.0001m, "CAST(-0.0001 AS SmallMoney)"],
        ["nvarchar", 0, "Zoë Дмитрий 美咲 🐘", "N'Zoë Дмитрий 美咲 🐘'"],
        ["nvarchar", 0, "tab\there back\\slash\r\nnew line", "N'tab\there back\\slash\r\nnew line'"],
        ["varchar", 0, "", "''"],
        ["nchar", 0, "ab  ", "N'ab  '"],
        ["nvarchar", 0, "O'Brien", "N'O''Brien'"],
        ["varbinary", 0, new byte[] { 0x0A, 0xFF, 0x00 }, "0x0AFF00"],
        ["varbinary", 0, Array.Empty<byte>(), "0x"],
        ["date", 0, new DateTime(2026, 7, 20), "CAST(N'2026-07-20' AS Date)"],
        ["datetime", 0, new DateTime(2026, 7, 20, 18, 30, 28, 333), "CAST(N'2026-07-20T18:30:28.333' AS DateTime)"],
        ["datetime", 0, new DateTime(2026, 7, 20, 18, 30, 28, 7), "CAST(N'2026-07-20T18:30:28.007' AS DateTime)"],
        ["smalldatetime", 0, new DateTime(2026, 7, 20, 18, 30, 0), "CAST(N'2026-07-20T18:30:00' AS SmallDateTime)"],
        ["datetime2", 7, new DateTime(2026, 7, 20, 18, 30, 28).AddTicks(3_330_001), "CAST(N'2026-07-20T18:30:28.3330001' AS DateTime2)"],
        ["datetime2", 3, new DateTime(2026, 7, 20, 18, 30, 28, 333), "CAST(N'2026-07-20T18:30:28.333' AS DateTime2(3))"],
        ["datetime2", 0, new DateTime(1, 1, 1), "CAST(N'0001-01-01T00:00:00' AS DateTime2(0))"],
        ["time", 7, new TimeSpan(0, 18, 30, 28).Add(TimeSpan.FromTicks(3_330_000)), "CAST(N'18:30:28.3330000' AS Time)"],
        ["time", 0, new TimeSpan(23, 59, 59), "CAST(N'23:59:59' AS Time(0))"],
        ["datetimeoffset", 7, new DateTimeOffset(2026, 7, 20, 18, 30, 28, TimeSpan.FromHours(2)).AddTicks(3_330_000), "CAST(N'2026-07-20T18:30:28.3330000+02:00' AS DateTimeOffset)"],
        ["datetimeoffset", 0, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-330)), "CAST(N'2026-01-02T03:04:05-05:30' AS DateTimeOffset(0))"],
        ["uniqueidentifier", 0, Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"), "CAST(N'6F9619FF-8B86-D011-B42D-00C04FC964FF' AS UniqueIdentifier)"],
        ["xml", 0, "<a b=\"1\">x</a>", "CAST(N'<a b=\"1\">x</a>' AS Xml)"],
        ["int", 0, null, "NULL"],
        ["nvarchar", 0, DBNull.Value, "NULL"],
        ["decimal", 2, SqlDecimal.Null, "NULL"],
    ];

    [TestCaseSource(nameof(Cases))]
    public async Task A_live_value_prints_as_the_script_reader_reads_its_SSMS_literal(string typeName, int scale, object? value, string literal)
    {
        var type = SqlServerType.From(typeName, (byte)scale).ShouldNotBeNull();
        var live = new ArrayBufferWriter<byte>();
        SqlServerValueText.Append(value, type, live);

        Encoding.UTF8.GetString(live.WrittenSpan).ShouldBe(await ScriptFieldAsync(literal));
    }

    [Test]
    public void Floats_print_the_shortest_text_that_reads_back_exactly()
    {
        // A script may spell a float otherwise (1.5E+10): then the text differs and the server compares typed. The text
        // itself must never make two different doubles look equal.
        var type = SqlServerType.From("float", 0)!.Value;
        foreach (var value in new[] { 0.1, -0.0, 1e100, double.Epsilon, 1.0 / 3, 123456789012345680.0 })
        {
            var text = SqlServerValueText.Format(value, type);
            double.Parse(text, CultureInfo.InvariantCulture).ShouldBe(value);
            BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)).ShouldBe(BitConverter.DoubleToInt64Bits(value));
        }

        var real = SqlServerType.From("real", 0)!.Value;
        float.Parse(SqlServerValueText.Format(0.1f, real), CultureInfo.InvariantCulture).ShouldBe(0.1f);
    }

    [TestCase("hierarchyid")]
    [TestCase("geography")]
    [TestCase("geometry")]
    [TestCase("sql_variant")]
    [TestCase("some_clr_type")]
    public void Types_without_a_round_tripping_text_are_refused_saying_why(string typeName)
    {
        SqlServerType.From(typeName, 0).ShouldBeNull();
        SqlServerType.Unsupported(typeName).ShouldContain(typeName.Split('_')[0], Case.Insensitive);
    }

    [Test]
    public void Type_names_are_read_without_case_and_scale_is_kept_only_where_it_prints()
    {
        SqlServerType.From("DateTime2", 3).ShouldBe(new SqlServerType("datetime2", SqlServerTypeKind.DateTime2, 3));
        SqlServerType.From("datetime", 3).ShouldBe(new SqlServerType("datetime", SqlServerTypeKind.DateTime, 0));
        SqlServerType.From("NVARCHAR", 0)!.Value.Kind.ShouldBe(SqlServerTypeKind.String);
        SqlServerType.From("timestamp", 0)!.Value.Kind.ShouldBe(SqlServerTypeKind.RowVersion);
    }

    /// <summary>The raw field the script reader makes of <paramref name="literal"/> in an SSMS-style INSERT.</summary>
    private static async Task<string> ScriptFieldAsync(string literal)
    {
        var script = $"USE [db]\r\nGO\r\nINSERT [dbo].[t] ([id], [v]) VALUES (1, {literal})\r\nGO\r\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(script));
        await using var reader = DumpReader.Open(stream);
        var table = (await reader.NextTableAsync()).ShouldNotBeNull();
        (await table.ReadAsync()).ShouldBeTrue();
        return Encoding.UTF8.GetString(table.Current.GetRawField(1));
    }
}
