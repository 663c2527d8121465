using System.Globalization;
using System.Text.RegularExpressions;

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
/// <remarks>
/// Statements that create temp tables never take parameters: a parameterized command runs inside
/// <c>sp_executesql</c>, and a temp table created there is dropped when it returns.
/// </remarks>
internal static partial class SqlServerStatements
{
    /// <summary>A binary collation: string values compare code point by code point, so "identical" never hides a case or accent change.</summary>
    public const string BinaryCollation = "Latin1_General_100_BIN2";

    /// <summary>The delta classes written by the apply step: missing, conflicting, remapped, chosen to overwrite.</summary>
    public const string WrittenClasses = "'m', 'c', 'r', 't'";

    /// <summary>An identifier in brackets, <c>]</c> doubled: whatever the name holds, the server reads that name.</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "[" + identifier.Replace("]", "]]", StringComparison.Ordinal) + "]";
    }

    /// <summary>A schema-qualified name, both parts in brackets.</summary>
    public static string Quote(TableName name) => Quote(name.Schema) + "." + Quote(name.Name);

    /// <summary>A collation name from the catalog, checked to be one (it is spliced into COLLATE clauses).</summary>
    private static string Collation(string collation) =>
        CollationName().IsMatch(collation) ? collation : throw new ArgumentException($"'{collation}' is not a collation name", nameof(collation));

    [GeneratedRegex("^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CollationName();

    /// <summary>A column declaration of a temp table mirroring a staged column (its type and, for strings, its collation).</summary>
    public static string Declare(string name, SqlServerStageColumn column) =>
        $"{name} {column.DataType}{(column.Collation is null ? string.Empty : " COLLATE " + Collation(column.Collation))} NULL";

    /// <summary>The type a staged column's text travels in: bytes for binary columns, Unicode text for the rest.</summary>
    private static string TextType(SqlServerStageColumn column) =>
        column.Type.Kind is SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion ? "varbinary(max)" : "nvarchar(max)";

    /// <summary>
    /// The staging of a table: the text table the bulk copy fills and the typed delta (a position, a class: <c>m</c>issing,
    /// <c>c</c>onflicting, <c>i</c>dentical, <c>n</c>ULL key, <c>h</c>eld, or one the engine gives; whether the key is
    /// live; whether the row was staged held), dropped first if a previous attempt left them.
    /// </summary>
    public static string CreateStaging(SqlServerStaging staging)
    {
        var columns = staging.Columns;
        return $"""
            DROP TABLE IF EXISTS {staging.Text};
            DROP TABLE IF EXISTS {staging.Delta};
            DROP TABLE IF EXISTS {staging.Edit};
            DROP TABLE IF EXISTS {staging.Output};
            DROP TABLE IF EXISTS {staging.LiveOnly};
            CREATE TABLE {staging.Text} (sr_n bigint NOT NULL{string.Concat(columns.Select(c => $", {c.Stage} {TextType(c)} NULL"))});
            CREATE TABLE {staging.Delta} (sr_n bigint NOT NULL PRIMARY KEY, sr_class char(1) NOT NULL, sr_live bit NOT NULL, sr_hold bit NOT NULL{string.Concat(columns.Select(c => ", " + Declare(c.Stage, c)))});
            """;
    }

    /// <summary>Empties the staging's text table for the next bulk copy.</summary>
    public static string TruncateText(SqlServerStaging staging) => $"TRUNCATE TABLE {staging.Text};";

    /// <summary>
    /// Moves the bulk-copied text into <paramref name="into"/> (the delta, or the live rows of a table without a key),
    /// converted by the server (ISO 8601 styles for dates, so the client parses no typed value); strings and bytes are
    /// inserted as they are, so a value too long for its column fails instead of being cut.
    /// </summary>
    public static string FillDelta(SqlServerStaging staging, bool held, string? into = null) =>
        $"INSERT INTO {into ?? staging.Delta} (sr_n, sr_class, sr_live, sr_hold{string.Concat(staging.Columns.Select(c => ", " + c.Stage))}) " +
        $"SELECT t.sr_n, '{(held ? 'h' : 'm')}', 0, {(held ? 1 : 0)}{string.Concat(staging.Columns.Select(c => ", " + Convert("t." + c.Stage, c)))} FROM {staging.Text} AS t;";

    /// <summary>The server's reading of a value's text (or bytes) as the column's type.</summary>
    public static string Convert(string value, SqlServerStageColumn column) => column.Type.Kind switch
    {
        // Inserted as they are: the insert's own conversion refuses a value too long (CONVERT would cut it).
        SqlServerTypeKind.String or SqlServerTypeKind.Binary or SqlServerTypeKind.RowVersion => value,

        // Style 121 reads "yyyy-mm-dd hh:mi:ss.fffffff" whatever the session's DATEFORMAT and LANGUAGE.
        SqlServerTypeKind.Date or SqlServerTypeKind.Time or SqlServerTypeKind.DateTime or SqlServerTypeKind.SmallDateTime
            or SqlServerTypeKind.DateTime2 or SqlServerTypeKind.DateTimeOffset => $"CONVERT({column.DataType}, {value}, 121)",
        _ => $"CONVERT({column.DataType}, {value})",
    };

    /// <summary>
    /// The first staged text value (by position, then column) that the column cannot hold exactly: unreadable as its
    /// type, longer than the column, or holding characters its code page lacks (a varchar column would store '?').
    /// Yields (sr_n, column ordinal from 1), or no row; null when no column needs a check.
    /// </summary>
    public static string? CheckText(SqlServerStaging staging)
    {
        var checks = new List<string>();
        for (var i = 0; i < staging.Columns.Count; i++)
        {
            if (TextProblem($"t.{staging.Columns[i].Stage}", staging.Columns[i]) is { } problem)
            {
                checks.Add($"SELECT t.sr_n, {(i + 1).ToString(CultureInfo.InvariantCulture)} AS sr_column FROM {staging.Text} AS t WHERE t.{staging.Columns[i].Stage} IS NOT NULL AND {problem}");
            }
        }

        return checks.Count == 0 ? null : $"SELECT TOP (1) p.sr_n, p.sr_column FROM ({string.Join(" UNION ALL ", checks)}) AS p ORDER BY p.sr_n, p.sr_column;";
    }

    private static string? TextProblem(string value, SqlServerStageColumn column)
    {
        var type = column.DataType;
        switch (column.Type.Kind)
        {
            case SqlServerTypeKind.String:
                if (string.Equals(type, "nvarchar(max)", StringComparison.Ordinal) || string.Equals(type, "ntext", StringComparison.Ordinal) || string.Equals(type, "sysname", StringComparison.Ordinal))
                {
                    return null;
                }

                // Read back through the column's type and collation: a cut value or a '?' for a character the code page
                // lacks reads back different (trailing spaces aside, which char(n) pads and = ignores).
                var target = type switch { "text" => "varchar(max)", _ => type };
                var collated = column.Collation is null ? value : $"{value} COLLATE {Collation(column.Collation)}";
                return $"CONVERT(nvarchar(max), CONVERT({target}, {collated})) COLLATE {BinaryCollation} <> {value} COLLATE {BinaryCollation}";
            case SqlServerTypeKind.Binary:
                var open = type.IndexOf('(', StringComparison.Ordinal);
                return open > 0 && int.TryParse(type.AsSpan(open + 1, type.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    ? $"DATALENGTH({value}) > {length.ToString(CultureInfo.InvariantCulture)}"
                    : null;
            case SqlServerTypeKind.RowVersion:
                return null;
            default:
                var style = column.Type.Kind is SqlServerTypeKind.Date or SqlServerTypeKind.Time or SqlServerTypeKind.DateTime or SqlServerTypeKind.SmallDateTime
                    or SqlServerTypeKind.DateTime2 or SqlServerTypeKind.DateTimeOffset ? ", 121" : string.Empty;
                return $"TRY_CONVERT({type}, {value}{style}) IS NULL";
        }
    }

    /// <summary>
    /// Expressions whose equality means "prints the same", NULL-safe under <c>EXCEPT</c> / <c>INTERSECT</c>: strings
    /// under a binary collation and with their length (SQL Server ignores trailing spaces in comparisons),
    /// datetimeoffset with its offset (equal instants at different offsets print differently), xml and the deprecated
    /// LOB types as their text.
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

    /// <summary>The staged row aliased <paramref name="stage"/> differs from the live row aliased <paramref name="live"/> in some compared column, NULL-safely.</summary>
    private static string Differs(SqlServerStaging staging, string stage, string live) =>
        staging.Compared.Count == 0
            ? "1 = 0"
            : $"EXISTS (SELECT {string.Join(", ", staging.Compared.SelectMany(c => Comparable(stage, c.Stage, c)))} EXCEPT SELECT {string.Join(", ", staging.Compared.SelectMany(c => Comparable(live, Quote(c.Live), c)))})";

    /// <summary>The join of the staged row (alias <paramref name="stage"/>) with the live row of its key, under the key columns' own collation.</summary>
    public static string KeyJoin(SqlServerStaging staging, string live, string stage) =>
        string.Join(" AND ", staging.Key.Select(k => $"{live}.{Quote(k.Live)} = {stage}.{k.Stage}"));

    /// <summary>
    /// Classifies the delta against live by key, typed and NULL-safe: a NULL key (never matches), held (staged so),
    /// missing (no live row with the key, under the key columns' collation: 'abc' and 'ABC' are one key under a
    /// case-insensitive one), conflicting (some written column does not print the same), identical otherwise. Then the
    /// counts: missing, conflicting, NULL keys, held, identical, rows whose key is live and which are not identical;
    /// and, when <paramref name="countLive"/>, the live table's rows.
    /// </summary>
    public static string Classify(SqlServerStaging staging, bool countLive)
    {
        var nullKey = string.Join(" OR ", staging.Key.Select(k => $"d.{k.Stage} IS NULL"));
        var missing = $"l.{Quote(staging.Key[0].Live)} IS NULL";
        var live = Quote(staging.Mapping.Live.Name);
        return $"""
            UPDATE d SET
                sr_class = CASE WHEN {nullKey} THEN 'n' WHEN d.sr_hold = 1 THEN 'h' WHEN {missing} THEN 'm' WHEN {Differs(staging, "d", "l")} THEN 'c' ELSE 'i' END,
                sr_live = CASE WHEN {missing} THEN 0 ELSE 1 END
            FROM {staging.Delta} AS d
            LEFT JOIN {live} AS l ON {KeyJoin(staging, "l", "d")};
            SELECT COUNT_BIG(CASE WHEN sr_class = 'm' THEN 1 END), COUNT_BIG(CASE WHEN sr_class = 'c' THEN 1 END),
                   COUNT_BIG(CASE WHEN sr_class = 'n' THEN 1 END), COUNT_BIG(CASE WHEN sr_class = 'h' THEN 1 END),
                   COUNT_BIG(CASE WHEN sr_class = 'i' THEN 1 END), COUNT_BIG(CASE WHEN sr_live = 1 AND sr_class <> 'i' THEN 1 END)
            FROM {staging.Delta};
            {(countLive ? $"SELECT COUNT_BIG(*) FROM {live};" : string.Empty)}
            """;
    }

    /// <summary>One key the delta holds twice (under the key columns' collation), or no row.</summary>
    public static string DuplicateKey(SqlServerStaging staging)
    {
        var keys = string.Join(", ", staging.Key.Select(k => k.Stage));
        return $"SELECT TOP (1) {keys} FROM {staging.Delta} WHERE sr_class <> 'n' GROUP BY {keys} HAVING COUNT_BIG(*) > 1;";
    }

    /// <summary>
    /// Up to @max rows of class @class after position @after, in position order: the position, the written columns,
    /// and, with <paramref name="withLive"/>, the live row's same columns.
    /// </summary>
    public static string ReadRows(SqlServerStaging staging, bool withLive)
    {
        var select = new List<string> { "d.sr_n" };
        select.AddRange(staging.Written.Select(c => "d." + c.Stage));
        if (withLive)
        {
            select.AddRange(staging.Written.Select(c => "l." + Quote(c.Live)));
        }

        var join = withLive ? $" JOIN {Quote(staging.Mapping.Live.Name)} AS l ON {KeyJoin(staging, "l", "d")}" : string.Empty;
        return $"SELECT TOP (@max) {string.Join(", ", select)} FROM {staging.Delta} AS d{join} WHERE d.sr_class = @class AND d.sr_n > @after ORDER BY d.sr_n;";
    }

    /// <summary>
    /// The delta rows of <paramref name="classes"/> whose <paramref name="references"/> (the foreign key's staged
    /// columns, in the order of <paramref name="referenced"/>) are all non-NULL and name no row of
    /// <paramref name="parent"/>: how many, then the first one's key and references. No row when there is none, or when
    /// the session may not read the parent (the check is advice, and must not fail the table it advises on).
    /// <paramref name="every"/>: every such row instead, in position order (1, then the key and references), for the
    /// engine to decide which count.
    /// </summary>
    public static string MissingParents(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> references, TableName parent, IReadOnlyList<string> referenced, string classes, bool every = false)
    {
        // Equality as the foreign key checks it: under the parent column's collation, which a foreign key's columns share.
        var columns = staging.Key.Concat(references).Select(c => "d." + c.Stage);
        return $"""
            IF HAS_PERMS_BY_NAME(@parent, 'OBJECT', 'SELECT') = 1
                SELECT {(every ? "CONVERT(bigint, 1)" : "TOP (1) COUNT_BIG(*) OVER ()")}, {string.Join(", ", columns)}
                FROM {staging.Delta} AS d
                WHERE d.sr_class IN ({classes}) AND {string.Join(" AND ", references.Select(c => $"d.{c.Stage} IS NOT NULL"))}
                  AND NOT EXISTS (SELECT 1 FROM {Quote(parent)} AS p WHERE {string.Join(" AND ", referenced.Select((c, i) => $"p.{Quote(c)} = d.{references[i].Stage}"))})
                ORDER BY d.sr_n;
            """;
    }

    /// <summary>The columns an insert writes, the key first (what the undo script compares before deleting a row).</summary>
    public static IReadOnlyList<SqlServerStageColumn> Inserted(SqlServerStaging staging) => [.. staging.Key, .. staging.Written.Where(c => !staging.Key.Contains(c))];

    /// <summary>The columns an overwrite changes: key columns never change, and IDENTITY columns cannot.</summary>
    public static IReadOnlyList<SqlServerStageColumn> Updated(SqlServerStaging staging) =>
        [.. staging.Compared.Where(c => staging.Mapping.Live.Find(c.Live)?.Identity != Providers.IdentityColumn.Always)];

    /// <summary>A temp table for a write's OUTPUT clause: one column per entry (o1, o2...), typed as the staged column.</summary>
    public static string CreateOutput(string name, IEnumerable<SqlServerStageColumn> columns) =>
        $"DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} ({string.Join(", ", columns.Select((c, i) => Declare("o" + (i + 1).ToString(CultureInfo.InvariantCulture), c)))});";

    /// <summary>
    /// Inserts the rows of <paramref name="classes"/> (IDENTITY_INSERT when an identity column is written, switched off
    /// again whatever happens: it is a session setting a rollback keeps), skipping a key inserted concurrently since the
    /// classification; with <paramref name="output"/>, the rows written go there (<see cref="Inserted"/> columns).
    /// Yields the rows inserted.
    /// </summary>
    public static string Insert(SqlServerStaging staging, string classes, string? output, bool keyed = true)
    {
        var target = Quote(staging.Mapping.Live.Name);
        var columns = staging.Written;
        var into = output is null ? string.Empty : $" OUTPUT {string.Join(", ", (keyed ? Inserted(staging) : columns).Select(c => "inserted." + Quote(c.Live)))} INTO {output}";
        var concurrent = keyed ? $" AND NOT EXISTS (SELECT 1 FROM {target} AS l WITH (UPDLOCK, HOLDLOCK) WHERE {KeyJoin(staging, "l", "d")})" : string.Empty;
        var insert = $"INSERT INTO {target} ({string.Join(", ", columns.Select(c => Quote(c.Live)))}){into} SELECT {string.Join(", ", columns.Select(c => "d." + c.Stage))} FROM {staging.Delta} AS d WHERE d.sr_class IN ({classes}){concurrent};";
        if (!staging.IdentityInsert)
        {
            return $"{insert}\nSELECT CONVERT(bigint, @@ROWCOUNT);";
        }

        return $"""
            DECLARE @rows bigint;
            SET IDENTITY_INSERT {target} ON;
            BEGIN TRY
                {insert}
                SET @rows = @@ROWCOUNT;
                SET IDENTITY_INSERT {target} OFF;
            END TRY
            BEGIN CATCH
                SET IDENTITY_INSERT {target} OFF;
                THROW;
            END CATCH;
            SELECT @rows;
            """;
    }

    /// <summary>
    /// Overwrites live rows with the dump's values (every conflicting row, or those the policy chose); with
    /// <paramref name="output"/>, the key, the values they had and the values written go there. Yields the rows updated.
    /// </summary>
    public static string Update(SqlServerStaging staging, bool chosenOnly, string? output)
    {
        var values = Updated(staging);
        if (values.Count == 0)
        {
            throw new ArgumentException("a table whose written columns are all key or IDENTITY columns has no conflicts to overwrite", nameof(staging));
        }

        var set = string.Join(", ", values.Select(c => $"{Quote(c.Live)} = d.{c.Stage}"));
        var into = output is null
            ? string.Empty
            : $" OUTPUT {string.Join(", ", staging.Key.Select(c => "deleted." + Quote(c.Live)).Concat(values.Select(c => "deleted." + Quote(c.Live))).Concat(values.Select(c => "inserted." + Quote(c.Live))))} INTO {output}";
        return $"UPDATE l SET {set}{into} FROM {Quote(staging.Mapping.Live.Name)} AS l JOIN {staging.Delta} AS d ON {KeyJoin(staging, "l", "d")} WHERE d.sr_class {(chosenOnly ? "= 't'" : "IN ('c', 't')")};\nSELECT CONVERT(bigint, @@ROWCOUNT);";
    }

    /// <summary>The columns of an overwrite's OUTPUT: the key, the previous values, the written values.</summary>
    public static IReadOnlyList<SqlServerStageColumn> UpdateOutput(SqlServerStaging staging) => [.. staging.Key, .. Updated(staging), .. Updated(staging)];

    /// <summary>The delta rows to write (and the conflicts the engine may still drop), the position then <paramref name="columns"/>, in position order.</summary>
    public static string ReadDelta(SqlServerStaging staging, IEnumerable<SqlServerStageColumn> columns) =>
        $"SELECT sr_n{string.Concat(columns.Select(c => ", " + c.Stage))} FROM {staging.Delta} WHERE sr_class IN ({WrittenClasses}) ORDER BY sr_n;";

    /// <summary>Drops the conflicting rows that now equal their live row (after a rewrite); yields how many.</summary>
    public static string DropIdenticalConflicts(SqlServerStaging staging) =>
        $"DELETE d FROM {staging.Delta} AS d JOIN {Quote(staging.Mapping.Live.Name)} AS l ON {KeyJoin(staging, "l", "d")} WHERE d.sr_class IN ('c', 't') AND NOT {Differs(staging, "d", "l")};\nSELECT CONVERT(bigint, @@ROWCOUNT);";

    /// <summary>The edits table: a position, a class, and text (or bytes) for each column the edit sets.</summary>
    public static string CreateEdit(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> columns) =>
        $"DROP TABLE IF EXISTS {staging.Edit};\nCREATE TABLE {staging.Edit} (sr_n bigint NOT NULL PRIMARY KEY, sr_class char(1) NULL{string.Concat(columns.Select((c, i) => $", v{(i + 1).ToString(CultureInfo.InvariantCulture)} {TextType(c)} NULL"))});";

    /// <summary>Gives delta rows the classes the engine decided; a remapped row (<c>r</c>) takes its new key from the edit's values.</summary>
    public static string Reclassify(SqlServerStaging staging)
    {
        var keys = string.Concat(staging.Key.Select((k, i) => $", {k.Stage} = CASE WHEN e.sr_class = 'r' THEN {Convert("e.v" + (i + 1).ToString(CultureInfo.InvariantCulture), k)} ELSE d.{k.Stage} END"));
        return $"UPDATE d SET sr_class = e.sr_class{keys} FROM {staging.Delta} AS d JOIN {staging.Edit} AS e ON e.sr_n = d.sr_n;";
    }

    /// <summary>Sets <paramref name="columns"/> of delta rows to the edit's values.</summary>
    public static string Rewrite(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> columns) =>
        $"UPDATE d SET {string.Join(", ", columns.Select((c, i) => $"{c.Stage} = {Convert("e.v" + (i + 1).ToString(CultureInfo.InvariantCulture), c)}"))} FROM {staging.Delta} AS d JOIN {staging.Edit} AS e ON e.sr_n = d.sr_n;";

    /// <summary>
    /// For every missing and conflicting delta row, in position order, what the typed comparison says about its
    /// identity columns: the position, whether its key is live, whether the dump's identity has a NULL, whether the live
    /// row's (same key) has, whether they are equal, how many live rows carry the dump row's identity, then the row's
    /// key and the key of one live row carrying its identity.
    /// </summary>
    public static string IdentityFacts(SqlServerStaging staging, IReadOnlyList<SqlServerStageColumn> identity)
    {
        var live = Quote(staging.Mapping.Live.Name);
        var sameIdentity = string.Join(" AND ", identity.Select(c => $"i.{Quote(c.Live)} = d.{c.Stage}"));
        return $"""
            SELECT d.sr_n,
                   CASE WHEN d.sr_class = 'c' THEN 1 ELSE 0 END,
                   CASE WHEN {string.Join(" OR ", identity.Select(c => $"d.{c.Stage} IS NULL"))} THEN 1 ELSE 0 END,
                   CASE WHEN d.sr_class = 'c' AND ({string.Join(" OR ", identity.Select(c => $"l.{Quote(c.Live)} IS NULL"))}) THEN 1 ELSE 0 END,
                   CASE WHEN {string.Join(" AND ", identity.Select(c => $"d.{c.Stage} = l.{Quote(c.Live)}"))} THEN 1 ELSE 0 END,
                   g.sr_count{string.Concat(staging.Key.Select(k => ", d." + k.Stage))}{string.Concat(staging.Key.Select((_, i) => $", f.sr_k{i + 1}"))}
            FROM {staging.Delta} AS d
            LEFT JOIN {live} AS l ON d.sr_class = 'c' AND {KeyJoin(staging, "l", "d")}
            OUTER APPLY (SELECT COUNT_BIG(*) AS sr_count FROM {live} AS i WHERE {sameIdentity}) AS g
            OUTER APPLY (SELECT TOP (1) {string.Join(", ", staging.Key.Select((k, i) => $"i.{Quote(k.Live)} AS sr_k{i + 1}"))} FROM {live} AS i WHERE {sameIdentity}) AS f
            WHERE d.sr_class IN ('m', 'c')
            ORDER BY d.sr_n;
            """;
    }

    /// <summary>
    /// Reserves @count new keys for remapped rows from the key's IDENTITY (@table: the table's quoted name): moved above
    /// every key live and staged, then past the keys handed out, so neither a live row, a dump row restored later, nor a
    /// row inserted afterwards can get one. Yields the value before the first key, and the increment.
    /// <paramref name="preview"/>: a plan's, which moves nothing (the same values, read only).
    /// </summary>
    public static string ReserveIdentity(SqlServerStaging staging, SqlServerStageColumn key, bool preview = false) => $"""
        DECLARE @increment bigint = CONVERT(bigint, IDENT_INCR(@table));
        DECLARE @start bigint = (SELECT MAX(v) FROM (SELECT CONVERT(bigint, MAX({Quote(key.Live)})) AS v FROM {Quote(staging.Mapping.Live.Name)}
                                                     UNION ALL SELECT CONVERT(bigint, MAX({key.Stage})) FROM {staging.Delta}
                                                     UNION ALL SELECT CONVERT(bigint, IDENT_CURRENT(@table))) AS m);
        {(preview ? string.Empty : ReseedIdentityPast)}
        SELECT @start, @increment;
        """;

    // ReserveIdentity's move past the keys it hands out (DBCC CHECKIDENT takes no variables: built on the server).
    private const string ReseedIdentityPast = """
        IF @increment > 0
        BEGIN
            DECLARE @sql nvarchar(max) = N'DBCC CHECKIDENT (N''' + REPLACE(@table, N'''', N'''''') + N''', RESEED, '
                + CONVERT(nvarchar(20), @start + (@count * @increment)) + N') WITH NO_INFOMSGS';
            EXEC sys.sp_executesql @sql;
        END;
        """;

    /// <summary>
    /// Reserves @count new keys from the key's sequence (@sequence_schema, @sequence_name), first restarted above every
    /// key live and staged: <c>sp_sequence_get_range</c> hands out the range atomically. Yields the first value and the increment.
    /// <paramref name="preview"/>: a plan's, which moves nothing: the first value the range would start at (read only).
    /// </summary>
    public static string ReserveSequence(SqlServerStaging staging, SqlServerStageColumn key, bool preview = false) => $"""
        DECLARE @max bigint = (SELECT MAX(v) FROM (SELECT CONVERT(bigint, MAX({Quote(key.Live)})) AS v FROM {Quote(staging.Mapping.Live.Name)}
                                                   UNION ALL SELECT CONVERT(bigint, MAX({key.Stage})) FROM {staging.Delta}) AS m);
        {(preview ? PeekSequence : ReseedSequence + GetRange)}
        """;

    // ReserveSequence's range, once the sequence is above every key.
    private const string GetRange = """

        DECLARE @first sql_variant, @increment sql_variant;
        DECLARE @name nvarchar(600) = QUOTENAME(@sequence_schema) + N'.' + QUOTENAME(@sequence_name);
        EXEC sys.sp_sequence_get_range @sequence_name = @name, @range_size = @count, @range_first_value = @first OUTPUT, @sequence_increment = @increment OUTPUT;
        SELECT CONVERT(bigint, @first), CONVERT(bigint, @increment);
        """;

    // A plan's ReserveSequence: where ReseedSequence and sp_sequence_get_range would start the range, read only.
    private const string PeekSequence = """
        DECLARE @current bigint, @step bigint, @used bit;
        SELECT @current = CONVERT(bigint, s.current_value), @step = CONVERT(bigint, s.increment), @used = CASE WHEN s.last_used_value IS NULL THEN 0 ELSE 1 END
        FROM sys.sequences AS s JOIN sys.schemas AS sc ON sc.schema_id = s.schema_id
        WHERE sc.name = @sequence_schema AND s.name = @sequence_name;
        SELECT CASE WHEN @max IS NOT NULL AND @step > 0 AND @current <= @max THEN @max + 1 WHEN @used = 0 THEN @current ELSE @current + @step END, @step;
        """;

    /// <summary>
    /// Moves a table's IDENTITY past the highest value present, never back (@table: the table's quoted name, as a
    /// parameter). DBCC CHECKIDENT and ALTER SEQUENCE take no variables, so their statements are built on the server
    /// from the name and an integer it computed, never from text the client sent. Yields the old and new values when moved.
    /// </summary>
    public static string ReseedIdentity(TableName live, string column) => $"""
        DECLARE @max bigint = (SELECT CONVERT(bigint, MAX({Quote(column)})) FROM {Quote(live)});
        DECLARE @current bigint = CONVERT(bigint, IDENT_CURRENT(@table));
        IF @max IS NOT NULL AND CONVERT(bigint, IDENT_INCR(@table)) > 0 AND @max > @current
        BEGIN
            DECLARE @sql nvarchar(max) = N'DBCC CHECKIDENT (N''' + REPLACE(@table, N'''', N'''''') + N''', RESEED, '
                + CONVERT(nvarchar(20), @max) + N') WITH NO_INFOMSGS';
            EXEC sys.sp_executesql @sql;
            SELECT @current, @max;
        END;
        """;

    /// <summary>
    /// See <see cref="ReseedIdentity"/>: the sequence (@sequence_schema, @sequence_name) restarts after @max (declared
    /// by the caller), when it is ascending and would hand out a value at or below it. Yields the old and new values when moved.
    /// </summary>
    public const string ReseedSequence = """
        DECLARE @current bigint, @step bigint;
        SELECT @current = CONVERT(bigint, s.current_value), @step = CONVERT(bigint, s.increment)
        FROM sys.sequences AS s JOIN sys.schemas AS sc ON sc.schema_id = s.schema_id
        WHERE sc.name = @sequence_schema AND s.name = @sequence_name;
        IF @max IS NOT NULL AND @step > 0 AND @current <= @max
        BEGIN
            DECLARE @restart nvarchar(max) = N'ALTER SEQUENCE ' + QUOTENAME(@sequence_schema) + N'.' + QUOTENAME(@sequence_name)
                + N' RESTART WITH ' + CONVERT(nvarchar(20), @max + 1);
            EXEC sys.sp_executesql @restart;
            SELECT @current, @max;
        END;
        """;

    /// <summary>The sequence feeding a column moved past the column's highest value (@sequence_schema, @sequence_name).</summary>
    public static string ReseedColumnSequence(TableName live, string column) =>
        $"DECLARE @max bigint = (SELECT CONVERT(bigint, MAX({Quote(column)})) FROM {Quote(live)});\n{ReseedSequence}";

    /// <summary>
    /// Pairs the delta's copies with the live copies no dump copy matched by text (<see cref="SqlServerStaging.LiveOnly"/>),
    /// typed, copy for copy: within each group of rows that compare equal (NULL-safe), the first n dump copies pair with
    /// the group's n live copies and leave the delta.
    /// </summary>
    public static string PairWholeRows(SqlServerStaging staging)
    {
        var dump = staging.Written.SelectMany(c => Comparable("d", c.Stage, c)).ToList();
        var live = staging.Written.SelectMany(c => Comparable("l", c.Stage, c)).ToList();
        var x = Enumerable.Range(1, dump.Count).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var named = (IEnumerable<string> e) => string.Join(", ", e.Zip(x, (expression, name) => $"{expression} AS {name}"));
        var prefixed = (string alias) => string.Join(", ", x.Select(n => alias + "." + n));
        return $"""
            WITH l AS (SELECT {string.Join(", ", x)}, COUNT_BIG(*) AS sr_copies FROM (SELECT {named(live)} FROM {staging.LiveOnly} AS l) AS q GROUP BY {string.Join(", ", x)}),
                 d AS (SELECT d.sr_n, ROW_NUMBER() OVER (PARTITION BY {string.Join(", ", dump)} ORDER BY d.sr_n) AS sr_copy, {named(dump)} FROM {staging.Delta} AS d)
            DELETE FROM {staging.Delta} WHERE sr_n IN (SELECT d.sr_n FROM d JOIN l ON EXISTS (SELECT {prefixed("d")} INTERSECT SELECT {prefixed("l")}) WHERE d.sr_copy <= l.sr_copies);
            """;
    }

    /// <summary>The verify step's key tables: the bulk copy's text target and the typed keys (k1, k2...).</summary>
    public static string CreateKeys(string text, string typed, IReadOnlyList<SqlServerStageColumn> keys) => $"""
        DROP TABLE IF EXISTS {text};
        DROP TABLE IF EXISTS {typed};
        CREATE TABLE {text} (sr_n bigint NOT NULL{string.Concat(keys.Select((k, i) => $", k{i + 1} {TextType(k)} NULL"))});
        CREATE TABLE {typed} ({string.Join(", ", keys.Select((k, i) => Declare("k" + (i + 1).ToString(CultureInfo.InvariantCulture), k)))});
        """;

    /// <summary>The dump's keys converted into the typed key table.</summary>
    public static string FillKeys(string text, string typed, IReadOnlyList<SqlServerStageColumn> keys) =>
        $"INSERT INTO {typed} SELECT {string.Join(", ", keys.Select((k, i) => Convert("t.k" + (i + 1).ToString(CultureInfo.InvariantCulture), k)))} FROM {text} AS t;";

    /// <summary>
    /// The dump's smallest and largest key, the live table's, and how many live rows lie between the dump's (as the
    /// server orders keys: the key columns' collations, tuple order for composite keys), in one row.
    /// </summary>
    public static string KeyRanges(SqlServerStaging staging, string typed)
    {
        var keys = staging.Key;
        var n = Enumerable.Range(1, keys.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var live = Quote(staging.Mapping.Live.Name);
        var liveKeys = keys.Select(k => "l." + Quote(k.Live)).ToList();
        var declare = string.Join(", ", keys.SelectMany((k, i) => new[] { $"@lo{n[i]} {k.DataType}", $"@hi{n[i]} {k.DataType}", $"@llo{n[i]} {k.DataType}", $"@lhi{n[i]} {k.DataType}" }));
        var ascending = string.Join(", ", n.Select(i => "k" + i));
        var descending = string.Join(", ", n.Select(i => $"k{i} DESC"));
        var liveAscending = string.Join(", ", liveKeys);
        var liveDescending = string.Join(", ", liveKeys.Select(k => k + " DESC"));
        return $"""
            DECLARE {declare}, @in bigint = 0;
            SELECT TOP (1) {string.Join(", ", n.Select(i => $"@lo{i} = k{i}"))} FROM {typed} ORDER BY {ascending};
            SELECT TOP (1) {string.Join(", ", n.Select(i => $"@hi{i} = k{i}"))} FROM {typed} ORDER BY {descending};
            SELECT TOP (1) {string.Join(", ", n.Select((i, j) => $"@llo{i} = {liveKeys[j]}"))} FROM {live} AS l ORDER BY {liveAscending};
            SELECT TOP (1) {string.Join(", ", n.Select((i, j) => $"@lhi{i} = {liveKeys[j]}"))} FROM {live} AS l ORDER BY {liveDescending};
            IF @lo1 IS NOT NULL
                SET @in = (SELECT COUNT_BIG(*) FROM {live} AS l WHERE {TupleCompare(liveKeys, n.Select(i => "@lo" + i).ToList(), ">")} AND {TupleCompare(liveKeys, n.Select(i => "@hi" + i).ToList(), "<")});
            SELECT {string.Join(", ", n.Select(i => "@lo" + i).Concat(n.Select(i => "@hi" + i)).Concat(n.Select(i => "@llo" + i)).Concat(n.Select(i => "@lhi" + i)))}, @in;
            """;
    }

    /// <summary>
    /// <paramref name="left"/> compared with <paramref name="right"/> in tuple order, the ends included (<c>&gt;</c>
    /// means "at or after"): (a, b) &gt;= (x, y) is a &gt; x OR (a = x AND b &gt;= y). SQL Server has no row comparison.
    /// </summary>
    private static string TupleCompare(List<string> left, List<string> right, string op)
    {
        var last = left.Count - 1;
        var result = $"{left[last]} {op}= {right[last]}";
        for (var i = last - 1; i >= 0; i--)
        {
            result = $"({left[i]} {op} {right[i]} OR ({left[i]} = {right[i]} AND {result}))";
        }

        return result;
    }
}
