using System.Globalization;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// Number literals of a sqlite3 <c>.dump</c> read as SQLite reads them, each field checked against the string-based
/// rule the reader follows (digits that fit 64 bits are an INTEGER, <see cref="SqliteText.Integer"/>; any other number a
/// REAL, <see cref="SqliteText.Real"/>), over awkward and many random literals: the reader's span-based parsing and
/// printing must never give another field.
/// </summary>
public sealed class SqliteNumberFieldTests
{
    private static readonly string[] Awkward =
    [
        "0", "-0", "00", "-00", "007", "-007", "0.0", "-0.0", "1", "-1", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "09223372036854775807", "18446744073709551615", "18446744073709551616",
        "999999999999999999", "1000000000000000000", "-999999999999999999", "123456789012345678901234567890", "000000000000000000000000001",
        "1e999", "1e-999", "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "4.9406564584124654e-324", "2e-324", "3e-324",
        "2.2250738585072011e-308", "0.010000000000000000208", "0.02999999999999999889", ".5", "5.", "0.5e1", "1E+2", "1e-2", "1.5E-7",
        "100.0", "1e18", "123456789012345678.0", "1e15", "1e16", "0.1", "0.30000000000000004", "0.3000000000000000444089209850062616169452667236328125",
    ];

    [Test]
    public async Task Number_literals_read_as_the_string_rule_prints_them()
    {
        var random = new Random(19);
        var literals = Awkward.Concat(Enumerable.Range(0, 50_000).Select(_ => RandomLiteral(random))).ToList();
        var dump = new StringBuilder(SqliteHarness.Head).Append("CREATE TABLE t(x);\n");
        foreach (var literal in literals)
        {
            dump.Append("INSERT INTO t VALUES(").Append(literal).Append(");\n");
        }

        dump.Append("COMMIT;\n");
        using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(dump.ToString())));
        var table = reader.NextTable().ShouldNotBeNull();
        foreach (var literal in literals)
        {
            table.Read().ShouldBeTrue();
            var field = Encoding.UTF8.GetString(table.Current.CopyLine);
            if (field != Expected(literal))
            {
                Assert.Fail($"{literal}: '{field}', expected '{Expected(literal)}'");
            }
        }

        table.Read().ShouldBeFalse();
    }

    /// <summary>The field as the reader printed it before it parsed spans: through strings.</summary>
    private static string Expected(string literal)
    {
        var digits = literal.TrimStart('-');
        var integer = digits.All(char.IsAsciiDigit);
        if (integer && digits.Length <= 18 && (digits[0] != '0' || (digits.Length == 1 && digits.Length == literal.Length)))
        {
            return literal;
        }

        return integer && long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? SqliteText.Integer(value)
            : SqliteText.Real(double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private static string RandomLiteral(Random random)
    {
        var sign = random.Next(3) == 0 ? "-" : string.Empty;
        string Digits(int min, int max) => string.Concat(Enumerable.Range(0, random.Next(min, max)).Select(_ => (char)('0' + random.Next(10))));
        Span<byte> bits = stackalloc byte[8];
        switch (random.Next(7))
        {
            case 0:
                return sign + Digits(1, 25); // integers, past 64 bits too, leading zeros
            case 1:
                return sign + Digits(1, 12) + "." + Digits(0, 25); // sqlite3 writes REALs with 15 to 20 digits
            case 2:
                return sign + Digits(1, 3) + "." + Digits(1, 20) + (random.Next(2) == 0 ? "e" : "E") + (random.Next(3) == 0 ? "-" : random.Next(2) == 0 ? "+" : string.Empty) + Digits(1, 4);
            case 3:
                random.NextBytes(bits);
                var real = BitConverter.ToDouble(bits);
                return double.IsFinite(real) ? real.ToString(random.Next(2) == 0 ? "R" : "E20", CultureInfo.InvariantCulture) : "1e999";
            case 4:
                return sign + "." + Digits(1, 20);
            case 5:
                var g20 = (random.NextInt64(0, 10_000_000) / Math.Pow(10, random.Next(0, 12))).ToString("G20", CultureInfo.InvariantCulture);
                return sign + g20 + (random.Next(2) == 0 && !g20.Contains('E', StringComparison.Ordinal) && !g20.Contains('.', StringComparison.Ordinal) ? ".0" : string.Empty);
            default:
                return sign + Digits(1, 19);
        }
    }
}
