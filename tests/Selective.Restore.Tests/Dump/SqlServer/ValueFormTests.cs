namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>
/// What each T-SQL value form becomes in the neutral COPY text line (see docs/sqlserver-scripts.md): the raw COPY
/// field, and the value it decodes to.
/// </summary>
public sealed class ValueFormTests
{
    private static async Task<(string Raw, string? Value)> ConvertAsync(string literal)
    {
        var script = $"USE [db]\nGO\nINSERT [dbo].[t] ([id], [v]) VALUES (1, {literal})\nGO\n";
        var result = await ScriptHarness.ReadAsync(script);
        var row = result.Single().Rows.ShouldHaveSingleItem();
        row.FieldCount.ShouldBe(2);
        return (row.Text["1\t".Length..], row.Values[1]);
    }

    [TestCase("NULL", @"\N", null)]
    [TestCase("null", @"\N", null)]
    [TestCase("N''", "", "")]
    [TestCase("''", "", "")]
    [TestCase("'plain varchar'", "plain varchar", "plain varchar")]
    [TestCase("N'it''s'", "it's", "it's")]
    [TestCase("N''''", "'", "'")]
    [TestCase("n'lower n prefix'", "lower n prefix", "lower n prefix")]
    [TestCase(@"N'back\slash'", @"back\\slash", @"back\slash")]
    [TestCase(@"N'\N'", @"\\N", @"\N")]
    [TestCase("N'tab\there'", @"tab\there", "tab\there")]
    [TestCase("N'cr\r\nlf'", @"cr\r\nlf", "cr\r\nlf")]
    [TestCase("N'conti\\\nnued'", "continued", "continued")]
    [TestCase("N'conti\\\r\nnued'", "continued", "continued")]
    [TestCase("N'Zoë Дмитрий 美咲 🐘'", "Zoë Дмитрий 美咲 🐘", "Zoë Дмитрий 美咲 🐘")]
    [TestCase("N'-- not a comment /* nor this'", "-- not a comment /* nor this", "-- not a comment /* nor this")]
    [TestCase("42", "42", "42")]
    [TestCase("-3", "-3", "-3")]
    [TestCase("- 3", "-3", "-3")]
    [TestCase("+7", "7", "7")]
    [TestCase("1.50", "1.50", "1.50")]
    [TestCase("1.5E+10", "1.5E+10", "1.5E+10")]
    [TestCase("-2.5e-3", "-2.5e-3", "-2.5e-3")]
    [TestCase(".5", ".5", ".5")]
    [TestCase("1.", "1.", "1.")]
    [TestCase("$12.50", "12.50", "12.50")]
    [TestCase("-$12.50", "-12.50", "-12.50")]
    [TestCase("$-12.50", "-12.50", "-12.50")]
    [TestCase("0x0AFF", @"\\x0aff", @"\x0aff")]
    [TestCase("0X0a", @"\\x0a", @"\x0a")]
    [TestCase("0xABC", @"\\x0abc", @"\x0abc")]
    [TestCase("0x", @"\\x", @"\x")]
    [TestCase("CAST(N'2026-07-20T18:30:28.333' AS DateTime2)", "2026-07-20 18:30:28.3330000", "2026-07-20 18:30:28.3330000")]
    [TestCase("CAST(N'2026-07-20T18:30:28.333' AS DateTime)", "2026-07-20 18:30:28.333", "2026-07-20 18:30:28.333")]
    [TestCase("CAST(N'2026-07-20' AS Date)", "2026-07-20", "2026-07-20")]
    [TestCase("CAST(N'18:30:28.3330000' AS Time)", "18:30:28.3330000", "18:30:28.3330000")]
    [TestCase("CAST(N'2026-07-20T18:30:28.3330000+02:00' AS DateTimeOffset)", "2026-07-20 18:30:28.3330000+02:00", "2026-07-20 18:30:28.3330000+02:00")]
    [TestCase("CAST(N'2026-07-20T18:30:00' AS SmallDateTime)", "2026-07-20 18:30:00", "2026-07-20 18:30:00")]
    [TestCase("CAST(N'6f9619ff-8b86-d011-b42d-00c04fc964ff' AS UniqueIdentifier)", "6f9619ff-8b86-d011-b42d-00c04fc964ff", "6f9619ff-8b86-d011-b42d-00c04fc964ff")]
    [TestCase("CAST(N'<a b=\"1\">x</a>' AS Xml)", "<a b=\"1\">x</a>", "<a b=\"1\">x</a>")]
    [TestCase("CAST(1.50 AS Decimal(18, 2))", "1.50", "1.50")]
    [TestCase("CAST(-12.5000 AS Money)", "-12.5000", "-12.5000")]
    [TestCase("CAST(0 AS bit)", "0", "0")]
    [TestCase("CAST(0x0001 AS varbinary(max))", @"\\x0001", @"\x0001")]
    [TestCase("CAST(NULL AS int)", @"\N", null)]
    [TestCase("CAST(CAST(N'2026-07-20T18:30:28.333' AS DateTime2) AS Date)", "2026-07-20 18:30:28.3330000", "2026-07-20 18:30:28.3330000")]
    [TestCase("cast( n'x' /* c */ as [nvarchar] ( 10 ) )", "x", "x")]
    [TestCase("TRY_CAST(N'5' AS int)", "5", "5")]
    [TestCase("CONVERT(datetime, N'2026-07-20 18:30:28.333', 121)", "2026-07-20 18:30:28.333", "2026-07-20 18:30:28.333")]
    [TestCase("CONVERT(Decimal(18, 2), 1.5)", "1.5", "1.5")]
    [TestCase("CONVERT([nvarchar](max), N'text')", "text", "text")]
    [TestCase("CONVERT([varbinary](max), N'0x0AFF', 1)", @"\\x0aff", @"\x0aff")]
    [TestCase("CONVERT(varbinary(4), '0aff', 2)", @"\\x0aff", @"\x0aff")]
    [TestCase("CONVERT(varbinary(4), N'raw text')", "raw text", "raw text")]
    [TestCase("TRY_CONVERT(int, CAST(N'7' AS nvarchar(5)))", "7", "7")]
    public async Task Converts_a_value_form_to_a_copy_field(string literal, string raw, string? value)
    {
        var (actualRaw, actualValue) = await ConvertAsync(literal);

        actualRaw.ShouldBe(raw);
        actualValue.ShouldBe(value);
    }
}
