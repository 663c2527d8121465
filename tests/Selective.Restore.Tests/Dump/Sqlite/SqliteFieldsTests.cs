using System.Buffers;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// The UTF-8 field writers (<see cref="SqliteFields"/>), which the dump reader, the live rows and the dump producer print
/// with, against <see cref="SqliteText"/>'s string forms, which they replace on those paths: byte for byte over extremes and
/// many random values, so the row text of a value never depends on which path printed it.
/// </summary>
public sealed class SqliteFieldsTests
{
    private const int Many = 200_000;

    // Characters row text or SQL treats specially.
    private const string Special = "'\t\n\r\\\b\f\v\0\"%_";

    private static readonly double[] AwkwardReals =
    [
        0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 2.2250738585072014E-308, 2.2250738585072009E-308,
        BitConverter.Int64BitsToDouble(0x000FFFFFFFFFFFFF), 1e15, 1e16, 1e17, -1e15, 123456789012345678.0, 999999999999999.9, 1e-4, 1e-5,
        1e-7, 0.1, 0.2, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 100.0, 1e100, 1e308, 1e-308, 1.7976931348623157E+308, 9007199254740993.0,
        double.PositiveInfinity, double.NegativeInfinity, 0.010000000000000000208, 5e-324, 4.9406564584124654E-324, 1.5, -2.5, 42.0,
    ];

    [Test]
    public void Reals_print_as_SqliteText_Real_does_for_awkward_and_random_doubles()
    {
        foreach (var value in AwkwardReals)
        {
            Print(w => SqliteFields.WriteReal(value, w)).ShouldBe(SqliteText.Real(value), value.ToString("R", CultureInfo.InvariantCulture));
        }

        var random = new Random(15);
        Span<byte> bits = stackalloc byte[8];
        for (var i = 0; i < Many; i++)
        {
            // Every bit pattern (subnormals, extremes), and decimals with few digits (amounts, ratios), as dumps hold them.
            random.NextBytes(bits);
            var value = i % 2 == 0
                ? BitConverter.ToDouble(bits)
                : random.NextInt64(-10_000_000, 10_000_000) / Math.Pow(10, random.Next(0, 12));
            if (double.IsNaN(value))
            {
                continue;
            }

            var expected = SqliteText.Real(value);
            var actual = Print(w => SqliteFields.WriteReal(value, w));
            if (actual != expected)
            {
                Assert.Fail($"{value:R}: '{actual}', expected '{expected}'");
            }
        }
    }

    [Test]
    public void NaN_is_refused_as_SqliteText_Real_refuses_it()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => SqliteFields.WriteReal(double.NaN, new ArrayBufferWriter<byte>()));
    }

    [Test]
    public void Integers_print_as_SqliteText_Integer_does()
    {
        long[] awkward = [0, 1, -1, long.MaxValue, long.MinValue, long.MinValue + 1, 999_999_999_999_999_999, -1_000_000_000_000_000_000];
        var random = new Random(16);
        foreach (var value in awkward.Concat(Enumerable.Range(0, Many).Select(i => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63))))
        {
            Print(w => SqliteFields.WriteInteger(value, w)).ShouldBe(SqliteText.Integer(value));
        }
    }

    [Test]
    public void Text_prints_as_SqliteText_Text_escaped_for_row_text_does()
    {
        string[] awkward = ["", "'", "''", "it's", "\t\n\r\\\b\f\v", "\0", "a\0b", "Zoë 😀 東京", "\\N", "'\\'\t'", new string('\'', 1000), "x\u007F\u0085\u2028"];
        var random = new Random(17);
        foreach (var value in awkward.Concat(Enumerable.Range(0, Many / 10).Select(_ => RandomText(random))))
        {
            var expected = new ArrayBufferWriter<byte>();
            CopyText.Escape(SqliteText.Text(value), expected);
            var actual = new ArrayBufferWriter<byte>();
            SqliteFields.WriteText(Encoding.UTF8.GetBytes(value), actual);
            actual.WrittenSpan.SequenceEqual(expected.WrittenSpan).ShouldBeTrue(value);
        }
    }

    [Test]
    public void Blobs_print_as_SqliteText_Blob_does()
    {
        var random = new Random(18);
        for (var i = 0; i < Many / 10; i++)
        {
            var value = new byte[random.Next(0, i % 100 == 0 ? 5000 : 40)];
            random.NextBytes(value);
            Print(w => SqliteFields.WriteBlob(value, w)).ShouldBe(SqliteText.Blob(value));
        }
    }

    /// <summary>Random text: ASCII (with every character row text or SQL treats specially), Latin, CJK and astral characters.</summary>
    internal static string RandomText(Random random)
    {
        var text = new StringBuilder();
        var length = random.Next(0, 40);
        for (var i = 0; i < length; i++)
        {
            switch (random.Next(8))
            {
                case 0:
                    text.Append(Special[random.Next(Special.Length)]);
                    break;
                case 1:
                    text.Append((char)random.Next(0, 32));
                    break;
                case 2:
                    text.Append((char)random.Next(0x80, 0x800));
                    break;
                case 3:
                    text.Append((char)random.Next(0x800, 0xD800));
                    break;
                case 4:
                    text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                    break;
                default:
                    text.Append((char)random.Next(32, 127));
                    break;
            }
        }

        return text.ToString();
    }

    private static string Print(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
