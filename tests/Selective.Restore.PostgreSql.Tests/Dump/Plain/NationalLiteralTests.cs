using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// PostgreSQL's <c>N'...'</c> is a literal of type character (bpchar): stored into a text, varchar, name or char(n) column it
/// has no trailing spaces (the bpchar-to-text cast drops them; char(n) pads them back). The reader's value is that one.
/// </summary>
public sealed class NationalLiteralTests
{
    private const string Preamble = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";

    private static async Task<string> ValueAsync(string literal, string preamble = Preamble) =>
        (await DumpHarness.ReadAsync(preamble + $"INSERT INTO public.t (id, v) VALUES (1, {literal});\n")).Single().Rows.ShouldHaveSingleItem().Text["1\t".Length..];

    [TestCase("N'abc  '", "abc")]
    [TestCase("n'abc \t '", "abc \\t")]
    [TestCase("N'  lead and trail  '", "  lead and trail")]
    [TestCase("N'   '", "")]
    [TestCase("N''", "")]
    [TestCase("N'no trailing'", "no trailing")]
    [TestCase("N'é 🐘 '", "é 🐘")]
    [TestCase("N'x  '''", "x  '")]
    [TestCase("N'12'::integer", "12")]
    public async Task Trailing_spaces_of_a_national_literal_are_dropped(string literal, string expected) =>
        (await ValueAsync(literal)).ShouldBe(expected);

    [Test]
    public async Task With_standard_conforming_strings_off_escapes_are_read_first()
    {
        (await ValueAsync("N'a\\tb \\040'", "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = off;\n")).ShouldBe("a\\tb");
    }

    [Test]
    public async Task Other_literals_keep_their_spaces()
    {
        (await ValueAsync("'abc  '")).ShouldBe("abc  ");
        (await ValueAsync("E'abc  '")).ShouldBe("abc  ");
    }

    [TestCase("N'abc  '::text")]
    [TestCase("N'1 '::json")]
    public async Task A_cast_of_a_national_literal_with_trailing_spaces_is_refused(string literal)
    {
        var error = await DumpHarness.FailAsync(Preamble + $"INSERT INTO public.t (id, v) VALUES (1, {literal});\n");

        error.Line.ShouldBe(3);
        error.Reason!.ShouldStartWith("an N'...' literal with trailing spaces is cast with '::'");
    }

    [Test]
    public async Task The_value_read_is_what_the_server_stores_in_character_columns()
    {
        // psql loads the INSERTs; the reader's rows, loaded with COPY into the same table, must store the same values.
        const string Table = "CREATE TABLE {0} (id int, t text, v varchar(20), c char(8), n name, vu varchar);\n";
        await using var db = await Scenario.CreateAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Table, "from_psql") +
                                                        string.Format(System.Globalization.CultureInfo.InvariantCulture, Table, "from_reader"));
        var inserts =
            "INSERT INTO from_psql VALUES (1, N'abc  ', N'abc  ', N'abc  ', N'abc  ', N'abc  ');\n" +
            "INSERT INTO from_psql VALUES (2, N'  a b  ', N'x', N'', N' ', N'é 🐘   ');\n" +
            "INSERT INTO from_psql VALUES (3, N'tab\t ', N'it''s  ', N'12345678 ', N'n', NULL);\n";
        using var dir = new TempDirectory();
        var script = dir.File("inserts.sql");
        await File.WriteAllTextAsync(script, Preamble + inserts);
        await db.PsqlAsync(script);

        var rows = (await DumpHarness.ReadAsync(Preamble + inserts)).Single().Lines;
        var copy = dir.File("copy.sql");
        await File.WriteAllTextAsync(copy, "COPY from_reader FROM stdin;\n" + string.Concat(rows.Select(r => r + "\n")) + "\\.\n");
        await db.PsqlAsync(copy);

        var stored = await db.ContentAsync("from_psql");
        stored.ShouldContain("abc\tabc\tabc     \tabc\tabc");
        (await db.ContentAsync("from_reader")).ShouldBe(stored);
    }
}
