using System.Globalization;
using Selective.Restore.Dump;
using Selective.Restore.Schema;

namespace Selective.Restore.SqlServer;

/// <summary>A column of a staged delta: the live column it mirrors, its staged name and its type.</summary>
/// <param name="Live">The live column's name.</param>
/// <param name="Stage">The staged column's name (<c>c1</c>, <c>c2</c>...: dump names never reach the temp table).</param>
/// <param name="DataType">The live type as T-SQL declares it (<see cref="SqlServerCatalog.Spell"/>).</param>
/// <param name="Type">How its values compare and print.</param>
/// <param name="Collation">The live column's collation (strings), so that key equality follows it; null for other types.</param>
internal sealed record SqlServerStageColumn(string Live, string Stage, string DataType, SqlServerType Type, string? Collation);

/// <summary>
/// The T-SQL the SQL Server target runs on a staged delta, built from quoted names and staged column names only:
/// values always travel as bulk-copied rows or parameters. Every statement is parsed by ScriptDom in the tests, for
/// tables with awkward names and every supported type.
/// </summary>
internal static class SqlServerStatements
{
    /// <summary>A binary collation: string values compare code point by code point, so "identical" never hides a case or accent change.</summary>
    public const string BinaryCollation = "Latin1_General_100_BIN2";

    /// <summary>An identifier in brackets, <c>]</c> doubled: whatever the name holds, the server reads that name.</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "[" + identifier.Replace("]", "]]", StringComparison.Ordinal) + "]";
    }

    /// <summary>A schema-qualified name, both parts in brackets.</summary>
    public static string Quote(TableName name) => Quote(name.Schema) + "." + Quote(name.Name);

    /// <summary>
    /// The delta's temp table: a position, a class (<c>m</c>issing, <c>c</c>onflicting, <c>i</c>dentical, or one the
    /// engine gives), whether the key is live, then one column per staged column in the live column's type and, for
    /// strings, its collation (key equality then follows the live column's rules: under a case-insensitive collation
    /// 'abc' and 'ABC' are one key).
    /// </summary>
    public static string CreateDelta(string delta, IReadOnlyList<SqlServerStageColumn> columns) =>
        $"CREATE TABLE {delta} (sr_n bigint NOT NULL PRIMARY KEY, sr_class char(1) NOT NULL, sr_live bit NOT NULL" +
        string.Concat(columns.Select(c => $", {c.Stage} {c.DataType}{(c.Collation is null ? string.Empty : " COLLATE " + c.Collation)} NULL")) + ");";

    /// <summary>
    /// The text the delta rows arrive in (bulk-copied): strings as they are, binary values as bytes, everything else as
    /// its neutral text, converted by <see cref="FillDelta"/> on the server with the conversion that reads that text
    /// exactly (ISO 8601 styles for dates), so the client parses no typed value.
    /// </summary>
    public static string CreateText(string text, IReadOnlyList<SqlServerStageColumn> columns) =>
        $"CREATE TABLE {text} (sr_n bigint NOT NULL" +
        string.Concat(columns.Select(c => $", {c.Stage} {(c.Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? "varbinary(max)" : "nvarchar(max)")} NULL")) + ");";

    /// <summary>Moves the bulk-copied text into the typed delta, every row missing until classified.</summary>
    public static string FillDelta(string delta, string text, IReadOnlyList<SqlServerStageColumn> columns) =>
        $"INSERT INTO {delta} (sr_n, sr_class, sr_live{string.Concat(columns.Select(c => ", " + c.Stage))}) " +
        $"SELECT t.sr_n, 'm', 0{string.Concat(columns.Select(c => ", " + Convert("t." + c.Stage, c)))} FROM {text} AS t;";

    /// <summary>The server's reading of a staged text value as the column's type.</summary>
    private static string Convert(string value, SqlServerStageColumn column) => column.Type.Kind switch
    {
        SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion => $"CONVERT({column.DataType}, {value})",

        // Style 121 reads "yyyy-mm-dd hh:mi:ss.fffffff" whatever the session's DATEFORMAT and LANGUAGE.
        SqlServerTypeKind.Date or SqlServerTypeKind.Time or SqlServerTypeKind.DateTime or SqlServerTypeKind.SmallDateTime
            or SqlServerTypeKind.DateTime2 or SqlServerTypeKind.DateTimeOffset => $"CONVERT({column.DataType}, {value}, 121)",
        _ => $"CONVERT({column.DataType}, {value})",
    };

    /// <summary>
    /// Expressions whose equality means "prints the same", NULL-safe under <c>EXCEPT</c>: strings under a binary
    /// collation and with their length (SQL Server ignores trailing spaces in comparisons), datetimeoffset with its
    /// offset (equal instants at different offsets print differently), xml and the deprecated LOB types as their text.
    /// </summary>
    public static IEnumerable<string> Comparable(string alias, string column, SqlServerStageColumn stage)
    {
        var value = alias + "." + column;
        switch (stage.Type.Kind)
        {
            case SqlServerTypeKind.String:
                var text = stage.Type.Name is "text" or "ntext" ? $"CONVERT(nvarchar(max), {value})" : value;
                yield return $"{text} COLLATE {BinaryCollation}";
                yield return $"DATALENGTH({value})";
                break;
            case SqlServerTypeKind.Xml:
                yield return $"CONVERT(nvarchar(max), {value}) COLLATE {BinaryCollation}";
                break;
            case SqlServerTypeKind.Binary:
                yield return string.Equals(stage.Type.Name, "image", StringComparison.Ordinal) ? $"CONVERT(varbinary(max), {value})" : value;
                break;
            case SqlServerTypeKind.DateTimeOffset:
                yield return value;
                yield return $"DATEPART(TZOFFSET, {value})";
                break;
            default:
                yield return value;
                break;
        }
    }

    /// <summary>
    /// Classifies the delta against live by key, typed and NULL-safe: missing (no live row with the key, under the key
    /// columns' own collation), conflicting (some written column does not print the same), identical otherwise.
    /// </summary>
    public static string Classify(string delta, TableName live, IReadOnlyList<SqlServerStageColumn> key, IReadOnlyList<SqlServerStageColumn> written)
    {
        var join = string.Join(" AND ", key.Select(k => $"l.{Quote(k.Live)} = d.{k.Stage}"));
        var dumpSide = string.Join(", ", written.SelectMany(c => Comparable("d", c.Stage, c)));
        var liveSide = string.Join(", ", written.SelectMany(c => Comparable("l", Quote(c.Live), c)));
        var missing = $"l.{Quote(key[0].Live)} IS NULL";
        return $"""
            UPDATE d SET
                sr_class = CASE WHEN {missing} THEN 'm' WHEN EXISTS (SELECT {dumpSide} EXCEPT SELECT {liveSide}) THEN 'c' ELSE 'i' END,
                sr_live = CASE WHEN {missing} THEN 0 ELSE 1 END
            FROM {delta} AS d
            LEFT JOIN {Quote(live)} AS l ON {join};
            """;
    }

    /// <summary>
    /// Inserts the missing and remapped rows, with their keys (IDENTITY_INSERT when an identity column is written),
    /// the keys written going to <paramref name="undo"/> for the undo script.
    /// </summary>
    public static string InsertMissing(string delta, TableName live, IReadOnlyList<SqlServerStageColumn> written, IReadOnlyList<SqlServerStageColumn> key, bool identityInsert, string? undo)
    {
        var target = Quote(live);
        var columns = string.Join(", ", written.Select(c => Quote(c.Live)));
        var output = undo is null ? string.Empty : $" OUTPUT {string.Join(", ", key.Select(k => "inserted." + Quote(k.Live)))} INTO {undo}";
        var insert = $"INSERT INTO {target} ({columns}){output} SELECT {string.Join(", ", written.Select(c => "d." + c.Stage))} FROM {delta} AS d WHERE d.sr_class IN ('m', 'r');";
        return identityInsert ? $"SET IDENTITY_INSERT {target} ON;\n{insert}\nSET IDENTITY_INSERT {target} OFF;" : insert;
    }

    /// <summary>
    /// Overwrites live rows with the dump's values (all conflicting rows, or those the policy chose), the values they
    /// had going to <paramref name="undo"/>.
    /// </summary>
    public static string UpdateConflicting(string delta, TableName live, IReadOnlyList<SqlServerStageColumn> written, IReadOnlyList<SqlServerStageColumn> key, bool chosenOnly, string? undo)
    {
        var values = written.Where(c => !key.Contains(c)).ToList();
        if (values.Count == 0)
        {
            throw new ArgumentException("a table whose columns are all key columns has no conflicts to overwrite", nameof(written));
        }

        var set = string.Join(", ", values.Select(c => $"{Quote(c.Live)} = d.{c.Stage}"));
        var output = undo is null ? string.Empty : $" OUTPUT {string.Join(", ", written.Select(c => "deleted." + Quote(c.Live)))} INTO {undo}";
        var join = string.Join(" AND ", key.Select(k => $"l.{Quote(k.Live)} = d.{k.Stage}"));
        return $"UPDATE l SET {set}{output} FROM {Quote(live)} AS l JOIN {delta} AS d ON {join} WHERE d.sr_class {(chosenOnly ? "= 't'" : "IN ('c', 't')")};";
    }

    /// <summary>
    /// Moves a table's IDENTITY past the highest value present, never back (@table: the table's quoted name, as a
    /// parameter). DBCC CHECKIDENT and ALTER SEQUENCE take no variables, so their statements are built on the server
    /// from the name and an integer it computed, never from text the client sent.
    /// </summary>
    public static string ReseedIdentity(TableName live, string column) => $"""
        DECLARE @max bigint = (SELECT MAX({Quote(column)}) FROM {Quote(live)});
        IF @max IS NOT NULL AND @max > CONVERT(bigint, IDENT_CURRENT(@table))
        BEGIN
            DECLARE @sql nvarchar(max) = N'DBCC CHECKIDENT (N''' + REPLACE(@table, N'''', N'''''') + N''', RESEED, '
                + CONVERT(nvarchar(20), @max) + N') WITH NO_INFOMSGS';
            EXEC sys.sp_executesql @sql;
        END;
        """;

    /// <summary>See <see cref="ReseedIdentity"/>: the sequence (@sequence_schema, @sequence_name) restarts after @max, when it would hand out a value at or below it.</summary>
    public const string ReseedSequence = """
        DECLARE @current sql_variant = (SELECT current_value FROM sys.sequences AS s JOIN sys.schemas AS sc ON sc.schema_id = s.schema_id
                                        WHERE sc.name = @sequence_schema AND s.name = @sequence_name);
        IF @max IS NOT NULL AND CONVERT(bigint, @current) <= @max
        BEGIN
            DECLARE @sql nvarchar(max) = N'ALTER SEQUENCE ' + QUOTENAME(@sequence_schema) + N'.' + QUOTENAME(@sequence_name)
                + N' RESTART WITH ' + CONVERT(nvarchar(20), @max + 1);
            EXEC sys.sp_executesql @sql;
        END;
        """;

    /// <summary>The number of the delta's rows in each class (one row per class).</summary>
    public static string CountClasses(string delta) => $"SELECT sr_class, COUNT_BIG(*) FROM {delta} GROUP BY sr_class;";

    /// <summary>The temp table names of a staged table: <c>#sr_delta_3</c> and <c>#sr_text_3</c>.</summary>
    public static (string Delta, string Text) TempNames(int ordinal)
    {
        var n = ordinal.ToString(CultureInfo.InvariantCulture);
        return ($"#sr_delta_{n}", $"#sr_text_{n}");
    }

    /// <summary>The stage columns of a mapping's written live columns: <c>c1</c>... in order.</summary>
    public static IReadOnlyList<SqlServerStageColumn> StageColumns(IReadOnlyList<(LiveColumn Column, SqlServerType Type, string? Collation)> columns) =>
        [.. columns.Select((c, i) => new SqlServerStageColumn(c.Column.Name, "c" + (i + 1).ToString(CultureInfo.InvariantCulture), c.Column.DataType, c.Type, c.Collation))];
}
