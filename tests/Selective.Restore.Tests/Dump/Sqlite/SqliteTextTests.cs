using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>SQLite values as row-text fields keep their storage class and read back exactly.</summary>
public sealed class SqliteTextTests
{
    [Test]
    public void Each_storage_class_prints_its_own_way_so_1_is_not_1_as_text()
    {
        SqliteText.Format(1L).ShouldBe("1");
        SqliteText.Format("1").ShouldBe("'1'");
        SqliteText.Format(1.0).ShouldBe("1.0");
        SqliteText.Format(new byte[] { 0x31 }).ShouldBe("X'31'");
        SqliteText.Format(null).ShouldBeNull();
        SqliteText.Format(DBNull.Value).ShouldBeNull();
        SqliteText.Format(string.Empty).ShouldBe("''");
        SqliteText.Format("it's").ShouldBe("'it''s'");
        SqliteText.Format(Array.Empty<byte>()).ShouldBe("X''");
    }

    [TestCase(0.1, "0.1")]
    [TestCase(0.30000000000000004, "0.30000000000000004")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(1e100, "1e+100")]
    [TestCase(1.5e-7, "1.5e-07")]
    [TestCase(double.PositiveInfinity, "1e999")]
    [TestCase(double.NegativeInfinity, "-1e999")]
    public void Reals_print_the_shortest_text_that_reads_back_exactly(double value, string text)
    {
        SqliteText.Real(value).ShouldBe(text);
        ((double)SqliteText.Parse(text)!).ShouldBe(value);
    }

    [Test]
    public void Every_field_reads_back_as_the_value_it_came_from()
    {
        object?[] values = [long.MinValue, long.MaxValue, 0L, 2.5, "", "it's", "tab\t\n\\ 'quoted' Zoë 😀", new byte[] { 0, 0xFF, 0x10 }, null];
        foreach (var value in values)
        {
            SqliteText.Parse(SqliteText.Format(value)).ShouldBe(value);
        }

        SqliteText.Parse("x'0aff'").ShouldBe(new byte[] { 0x0A, 0xFF });
        SqliteText.Parse("9223372036854775808").ShouldBe(9223372036854775808d); // past 64 bits: a REAL, as SQLite reads it
    }

    [TestCase("abc")]
    [TestCase("'lone ' quote'")]
    [TestCase("X'zz'")]
    [TestCase("")]
    public void A_field_of_no_form_is_refused(string field)
    {
        Should.Throw<FormatException>(() => SqliteText.Parse(field));
    }

    [Test]
    public void NaN_has_no_field()
    {
        SqliteText.Format(double.NaN).ShouldBeNull();
        Should.Throw<ArgumentOutOfRangeException>(() => SqliteText.Real(double.NaN));
    }
}
