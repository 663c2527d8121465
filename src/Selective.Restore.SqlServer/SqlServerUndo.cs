using System.Globalization;
using System.Text;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// The undo script's blocks for sqlcmd. A write's OUTPUT rows are written into the script as literals of their text
/// (the neutral form the live rows print in; bytes as 0x...; control characters as NCHAR(n), so no value spans a
/// line, where sqlcmd would read GO or a : command), loaded into a temp table converted by the server exactly as a
/// delta is, and reverted only where the live row is still exactly as the restore left it: otherwise the block throws
/// and the script's one transaction undoes nothing.
/// </summary>
internal static class SqlServerUndo
{
    /// <summary>Rows per INSERT ... VALUES (SQL Server takes at most 1000).</summary>
    public const int RowsPerInsert = 1000;

    /// <summary>A block: what it reverts (past tense, for its error), the statement, and its columns (u1, u2...).</summary>
    public sealed record Block(string Verb, string Statement, Func<IReadOnlyList<SqlServerStageColumn>, IReadOnlyList<SqlServerStageColumn>>? Columns = null);

    private static string U(int i) => "u" + (i + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Inserted rows (block columns: <see cref="SqlServerStatements.Inserted"/>): rows still equal to them are deleted.</summary>
    public static Block DeleteInserted(SqlServerStaging staging)
    {
        var columns = SqlServerStatements.Inserted(staging);
        var join = string.Join(" AND ", staging.Key.Select((k, i) => $"t.{SqlServerStatements.Quote(k.Live)} = u.{U(i)}"));
        return new Block("inserted", $"DELETE t FROM {SqlServerStatements.Quote(staging.Mapping.Live.Name)} AS t JOIN #sr_undo AS u ON {join} WHERE {Unchanged(columns, 0)}");
    }

    /// <summary>Overwritten rows (block columns: key, previous values, written values): rows still at the written values get the previous ones back.</summary>
    public static Block RestoreValues(SqlServerStaging staging)
    {
        var keys = staging.Key;
        var values = SqlServerStatements.Updated(staging);
        var join = string.Join(" AND ", keys.Select((k, i) => $"t.{SqlServerStatements.Quote(k.Live)} = u.{U(i)}"));
        var set = string.Join(", ", values.Select((c, i) => $"{SqlServerStatements.Quote(c.Live)} = u.{U(keys.Count + i)}"));
        return new Block("overwrote", $"UPDATE t SET {set} FROM {SqlServerStatements.Quote(staging.Mapping.Live.Name)} AS t JOIN #sr_undo AS u ON {join} WHERE {Unchanged(values, keys.Count + values.Count)}");
    }

    /// <summary>
    /// Rows inserted into a table without a key (block columns: the written columns): for each block row, one live copy
    /// still equal to it is deleted (a row the table held before keeps its other copies).
    /// </summary>
    public static Block DeleteInsertedCopies(SqlServerStaging staging)
    {
        var columns = staging.Written;
        var live = columns.SelectMany(c => SqlServerStatements.Comparable("t", SqlServerStatements.Quote(c.Live), c)).ToList();
        var block = columns.SelectMany((c, i) => SqlServerStatements.Comparable("u", U(i), c)).ToList();
        var x = Enumerable.Range(1, live.Count).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var named = (IEnumerable<string> e) => string.Join(", ", e.Zip(x, (expression, name) => $"{expression} AS {name}"));
        var prefixed = (string alias) => string.Join(", ", x.Select(n => alias + "." + n));
        return new Block("inserted", $"""
            WITH b AS (SELECT {string.Join(", ", x)}, COUNT_BIG(*) AS sr_copies FROM (SELECT {named(block)} FROM #sr_undo AS u) AS q GROUP BY {string.Join(", ", x)}),
                 c AS (SELECT ROW_NUMBER() OVER (PARTITION BY {string.Join(", ", live)} ORDER BY (SELECT NULL)) AS sr_copy, {named(live)} FROM {SqlServerStatements.Quote(staging.Mapping.Live.Name)} AS t)
            DELETE c FROM c JOIN b ON EXISTS (SELECT {prefixed("c")} INTERSECT SELECT {prefixed("b")}) WHERE c.sr_copy <= b.sr_copies
            """);
    }

    /// <summary>The live row t still holds the block's values in u(offset+1).. for <paramref name="columns"/>, compared as the classification compares (NULL-safe).</summary>
    private static string Unchanged(IReadOnlyList<SqlServerStageColumn> columns, int offset) =>
        columns.Count == 0
            ? "1 = 1"
            : $"NOT EXISTS (SELECT {string.Join(", ", columns.SelectMany(c => SqlServerStatements.Comparable("t", SqlServerStatements.Quote(c.Live), c)))} EXCEPT SELECT {string.Join(", ", columns.SelectMany((c, i) => SqlServerStatements.Comparable("u", U(offset + i), c)))})";

    /// <summary>The block's opening: its text and typed temp tables (the rows follow, <see cref="Values"/>).</summary>
    public static string Open(IReadOnlyList<SqlServerStageColumn> columns)
    {
        var text = string.Join(", ", columns.Select((c, i) => $"{U(i)} {(c.Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? "varbinary(max)" : "nvarchar(max)")} NULL"));
        return $"""
            DROP TABLE IF EXISTS #sr_undo_text;
            DROP TABLE IF EXISTS #sr_undo;
            CREATE TABLE #sr_undo_text ({text});

            """;
    }

    /// <summary>One INSERT of up to <see cref="RowsPerInsert"/> rows of literals into the block's text table.</summary>
    public static string Values(IEnumerable<string> rows) => $"INSERT INTO #sr_undo_text VALUES\n{string.Join(",\n", rows)};\n";

    /// <summary>
    /// The block's end: the text converted into the typed table, the statement, and the check that it touched every
    /// row of the block (a THROW otherwise, which under XACT_ABORT ends the script's transaction), then GO.
    /// </summary>
    /// <exception cref="Providers.RestoreTableException">A name in the block holds a line sqlcmd would read as a command (GO, or :...).</exception>
    public static string Close(IReadOnlyList<SqlServerStageColumn> columns, Block block, LiveTable live)
    {
        // Names are bracketed as they are, line breaks included; values never span lines (Literal).
        if (block.Statement.Split('\n').Skip(1).Select(line => line.Trim()).Any(line => string.Equals(line, "GO", StringComparison.OrdinalIgnoreCase) || line.StartsWith(':')))
        {
            throw new Providers.RestoreTableException($"no undo script can be written for {live.Name}: a line of its name (or a column's) would be read by sqlcmd as a command; restore without an undo script, or rename it");
        }

        var typed = columns.Select((c, i) => c with { Stage = U(i) }).ToList();
        var name = Literal(ScriptText.Comment(live.Name.ToString()));
        return $"""
            CREATE TABLE #sr_undo ({string.Join(", ", typed.Select(c => SqlServerStatements.Declare(c.Stage, c)))});
            INSERT INTO #sr_undo ({string.Join(", ", typed.Select(c => c.Stage))}) SELECT {string.Join(", ", typed.Select(c => SqlServerStatements.Convert("t." + c.Stage, c)))} FROM #sr_undo_text AS t;
            DECLARE @expected bigint = (SELECT COUNT_BIG(*) FROM #sr_undo), @done bigint;
            {block.Statement};
            SET @done = @@ROWCOUNT;
            IF @done <> @expected
            BEGIN
                DECLARE @message nvarchar(2048) = CONCAT(N'undo: ', @expected - @done, N' of the ', @expected, N' rows the restore {block.Verb} in ', {name}, N' were changed or deleted since; nothing was undone');
                THROW 50000, @message, 1;
            END;
            DROP TABLE #sr_undo;
            DROP TABLE #sr_undo_text;
            GO

            """;
    }

    /// <summary>A row's values as a VALUES row: NULL, 0x... for bytes, N'...' for text (control characters as NCHAR(n)).</summary>
    public static string Row(IReadOnlyList<object?> values)
    {
        var row = new StringBuilder("(");
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                row.Append(", ");
            }

            row.Append(values[i] switch
            {
                null => "NULL",
                byte[] bytes => "0x" + Convert.ToHexString(bytes),
                string text => Literal(text),
                _ => throw new ArgumentException("undo values are text or bytes", nameof(values)),
            });
        }

        return row.Append(')').ToString();
    }

    /// <summary>An nvarchar literal of any text: quotes doubled, control characters (line breaks among them) as NCHAR(n), so the literal stays on one line.</summary>
    public static string Literal(string text)
    {
        var literal = new StringBuilder("N'");
        var open = true;
        foreach (var c in text)
        {
            if (c < ' ' || c == '\u007f')
            {
                literal.Append(open ? "' + " : " + ").Append(CultureInfo.InvariantCulture, $"NCHAR({(int)c})");
                open = false;
                continue;
            }

            if (!open)
            {
                literal.Append(" + N'");
                open = true;
            }

            literal.Append(c == '\'' ? "''" : c.ToString());
        }

        var result = open ? literal.Append('\'').ToString() : literal.ToString();

        // A concatenation of short literals would be cut at 4000 characters: a max operand first keeps it whole.
        return text.Any(c => c < ' ' || c == '\u007f') ? "CONVERT(nvarchar(max), N'') + " + result : result;
    }

    /// <summary>The text a value travels in within the script: bytes for binary columns, the neutral text otherwise.</summary>
    public static object? Field(object? value, SqlServerType type) => value switch
    {
        null or DBNull => null,
        byte[] bytes => bytes,
        string text => text,
        System.Data.SqlTypes.SqlXml xml => xml.IsNull ? null : xml.Value,
        _ => SqlServerValueText.Format(value, type),
    };
}
