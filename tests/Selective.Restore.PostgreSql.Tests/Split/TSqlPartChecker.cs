using System.Globalization;
using System.Text;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Selective.Restore.Tests.Split;

/// <summary>A value of a T-SQL part as SQL Server would compute it: NULL, a Unicode string, or binary bytes (hex).</summary>
internal readonly record struct PartValue(string? Text, bool Binary)
{
    public override string ToString() => Text is null ? "NULL" : Binary ? $"0x{Text}" : $"N'{Text}'";
}

/// <summary>
/// Reads a T-SQL split part offline: as sqlcmd cuts it (lines, <c>GO</c>, its <c>:on error exit</c> command), checking
/// every batch with Microsoft's own parser (ScriptDom, <see cref="TSql160Parser"/>) and computing the rows' values from
/// the parse tree.
/// </summary>
internal static class TSqlPartChecker
{
    /// <summary>The starts of the only lines a part may have (a row starts with '(').</summary>
    private static readonly string[] LineStarts =
        ["-- ", ":on error exit", "SET ", "BEGIN TRANSACTION;", "IF EXISTS (SELECT 1 FROM sys.identity_columns ", "IF @@TRANCOUNT = 0 THROW ", "GO", "INSERT INTO [", "(", "COMMIT TRANSACTION;"];

    /// <summary>Reads the file: UTF-16 LE with its byte order mark, CR LF lines.</summary>
    public static string Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan(0, 2).ToArray().ShouldBe(new byte[] { 0xFF, 0xFE }, $"{path}: a UTF-16 LE byte order mark");
        return new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true).GetString(bytes, 2, bytes.Length - 2);
    }

    /// <summary>
    /// Asserts the part is inert for sqlcmd and valid T-SQL: every line is one the tool writes (a row starts with '('),
    /// no line but the tool's own is a sqlcmd command, nothing anywhere is a sqlcmd variable (<c>$(</c>), comments hold
    /// only plain characters, and every batch parses with zero errors. Returns the rows' values in file order.
    /// </summary>
    public static List<PartValue[]> Check(string text, string what)
    {
        text.ShouldEndWith("\r\n", customMessage: what);
        var lines = text[..^2].Split("\r\n");
        lines.ShouldAllBe(l => !l.Contains('\n') && !l.Contains('\r'), what);
        text.ShouldNotContain("$(", customMessage: $"{what}: sqlcmd would replace a $(variable)");
        foreach (var line in lines)
        {
            LineStarts.Any(s => line.StartsWith(s, StringComparison.Ordinal)).ShouldBeTrue($"{what}: a line the tool does not write: {line}");
            if (line.StartsWith("--", StringComparison.Ordinal))
            {
                line.ShouldAllBe(c => char.IsAsciiLetterOrDigit(c) || " _.,:-+=()#\\".Contains(c), $"{what}: a comment with more than plain characters: {line}");
            }

            if (line.StartsWith("GO", StringComparison.Ordinal))
            {
                line.ShouldBe("GO", what);
            }
        }

        lines.Count(l => l.StartsWith(':')).ShouldBe(1, $"{what}: the only sqlcmd command is :on error exit");

        var rows = new List<PartValue[]>();
        var batch = new StringBuilder();
        foreach (var line in lines.Append("GO"))
        {
            if (line == "GO")
            {
                rows.AddRange(ParseBatch(batch.ToString(), what));
                batch.Clear();
            }
            else if (!line.StartsWith(':'))
            {
                batch.Append(line).Append("\r\n");
            }
        }

        return rows;
    }

    /// <summary>Parses one batch with <see cref="TSql160Parser"/> (zero errors) and evaluates its INSERT rows.</summary>
    public static List<PartValue[]> ParseBatch(string batch, string what)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        var fragment = parser.Parse(new StringReader(batch), out var errors);
        errors.Select(e => $"line {e.Line}: {e.Message}").ShouldBeEmpty($"{what}: ScriptDom errors in the batch:\n{batch}");
        var rows = new List<PartValue[]>();
        foreach (var statement in ((TSqlScript)fragment).Batches.SelectMany(b => b.Statements))
        {
            if (statement is InsertStatement { InsertSpecification.InsertSource: ValuesInsertSource values })
            {
                rows.AddRange(values.RowValues.Select(r => r.ColumnValues.Select(Evaluate).ToArray()));
            }
        }

        return rows;
    }

    /// <summary>What SQL Server computes for the value forms a part uses: literals, NCHAR(n), CONVERT(nvarchar(max), x) and +.</summary>
    private static PartValue Evaluate(ScalarExpression expression) => expression switch
    {
        NullLiteral => new PartValue(null, false),
        StringLiteral { IsNational: true } s => new PartValue(s.Value, false),
        BinaryLiteral b => new PartValue(b.Value[2..], true),
        FunctionCall { FunctionName.Value: "NCHAR", Parameters: [IntegerLiteral n] } => new PartValue(((char)int.Parse(n.Value, CultureInfo.InvariantCulture)).ToString(), false),
        ConvertCall { DataType: SqlDataTypeReference { SqlDataTypeOption: SqlDataTypeOption.NVarChar, Parameters: [MaxLiteral] }, Parameter: var inner } => Evaluate(inner),
        BinaryExpression { BinaryExpressionType: BinaryExpressionType.Add } add => Concat(Evaluate(add.FirstExpression), Evaluate(add.SecondExpression)),
        _ => throw new AssertionException($"a value form a part never writes: {expression.GetType().Name}"),
    };

    private static PartValue Concat(PartValue a, PartValue b)
    {
        (a.Binary || b.Binary || a.Text is null || b.Text is null).ShouldBeFalse("only strings are joined");
        return new PartValue(a.Text + b.Text, false);
    }

    /// <summary>The values of a dump row as a part must give them back: binary constants as hex, everything else as the row's text.</summary>
    public static PartValue[] Expected(Selective.Restore.Dump.DumpRow row) =>
        [.. Enumerable.Range(0, row.FieldCount).Select(i => row.GetString(i) is not { } text
            ? new PartValue(null, false)
            : row.IsBinary(i) ? new PartValue(text[2..].ToUpperInvariant(), true) : new PartValue(text, false))];

    /// <summary>Splits <paramref name="scriptPath"/> (T-SQL dialect unless told) and returns the result.</summary>
    public static async Task<SplitResult> SplitAsync(string scriptPath, string output, SplitDialect? dialect = null)
    {
        await using var reader = Selective.Restore.Dump.DumpReader.Open(scriptPath);
        return await DumpSplitter.SplitAsync(reader, output, new SplitOptions { Dialect = dialect });
    }
}
