using System.Data.Common;
using System.Globalization;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>
/// The undo script's blocks for the sqlite3 shell. A write's rows are written into the script as literals (one row per
/// line: control characters as <c>char(n)</c>, so no line can be read as a dot command), loaded into a temp table, and
/// reverted only where the live row is still exactly as the restore left them (storage class and value). A CHECK
/// constraint fails the block otherwise: the shell stops (<c>.bail on</c>) and the script's one transaction is rolled back.
/// </summary>
internal static class SqliteUndo
{
    /// <summary>Rows per INSERT ... VALUES (well under SQLite's limits on compound selects).</summary>
    public const int RowsPerInsert = 500;

    /// <summary>What a block reverts (past tense, for its error) and the statement that does it, on temp.sr_undo (u1, u2...).</summary>
    public sealed record Block(string Verb, string Statement);

    private static string U(int i) => "u" + (i + 1).ToString(CultureInfo.InvariantCulture);

    private static string Same(string live, string column, string block) =>
        $"typeof({live}.{SqliteSql.Quote(column)}) = typeof({block}) AND {live}.{SqliteSql.Quote(column)} IS {block} COLLATE BINARY";

    /// <summary>Inserted rows (block columns: the key, then the other written columns): rows still equal to them are deleted.</summary>
    public static Block DeleteInserted(SqliteStaging staging)
    {
        List<SqliteStageColumn> columns = [.. staging.Key, .. staging.Written.Where(c => !staging.Key.Contains(c))];
        var join = string.Join(" AND ", staging.Key.Select((k, i) => $"t.{SqliteSql.Quote(k.Live)} = u.{U(i)}"));
        var same = string.Join(" AND ", columns.Select((c, i) => Same("t", c.Live, "u." + U(i))));
        return new Block("inserted", $"DELETE FROM {SqliteSql.Quote(staging.Mapping.Live.Name)} AS t WHERE EXISTS (SELECT 1 FROM temp.sr_undo AS u WHERE {join} AND {same})");
    }

    /// <summary>Overwritten rows (block columns: key, previous values, written values): rows still at the written values get the previous ones back.</summary>
    public static Block RestoreValues(SqliteStaging staging)
    {
        var k = staging.Key.Count;
        var values = staging.Compared;
        var join = string.Join(" AND ", staging.Key.Select((c, i) => $"t.{SqliteSql.Quote(c.Live)} = u.{U(i)}"));
        var same = string.Join(" AND ", values.Select((c, i) => Same("t", c.Live, "u." + U(k + values.Count + i))));
        var set = string.Join(", ", values.Select((c, i) => $"{SqliteSql.Quote(c.Live)} = u.{U(k + i)}"));
        return new Block("overwrote", $"UPDATE {SqliteSql.Quote(staging.Mapping.Live.Name)} AS t SET {set} FROM temp.sr_undo AS u WHERE {join} AND {same}");
    }

    /// <summary>Rows inserted into a table without a key: for each block row, one live copy still equal to it is deleted.</summary>
    public static Block DeleteInsertedCopies(SqliteStaging staging)
    {
        var columns = staging.Written;
        var live = string.Join(", ", columns.SelectMany(c => new[] { $"t.{SqliteSql.Quote(c.Live)} COLLATE BINARY", $"typeof(t.{SqliteSql.Quote(c.Live)})" }));
        var block = string.Join(", ", columns.SelectMany((c, i) => new[] { $"u.{U(i)} COLLATE BINARY", $"typeof(u.{U(i)})" }));
        var same = string.Join(" AND ", columns.Select((c, i) => $"typeof(c.v{i + 1}) = typeof(b.{U(i)}) AND c.v{i + 1} IS b.{U(i)} COLLATE BINARY"));
        var values = string.Join(", ", columns.Select((c, i) => $"t.{SqliteSql.Quote(c.Live)} AS v{i + 1}"));
        return new Block("inserted", $"""
            DELETE FROM {SqliteSql.Quote(staging.Mapping.Live.Name)} WHERE rowid IN (
                SELECT c.sr_rowid FROM (SELECT t.rowid AS sr_rowid, {values}, row_number() OVER (PARTITION BY {live}) AS sr_copy FROM {SqliteSql.Quote(staging.Mapping.Live.Name)} AS t) AS c
                JOIN (SELECT u.*, count(*) OVER (PARTITION BY {block}) AS sr_copies, row_number() OVER (PARTITION BY {block}) AS sr_first FROM temp.sr_undo AS u) AS b
                  ON b.sr_first = 1 AND {same}
                WHERE c.sr_copy <= b.sr_copies)
            """);
    }

    /// <summary>Writes the rows of <paramref name="reader"/> (<paramref name="columns"/> values each) as a block; returns the rows.</summary>
    public static async Task<long> WriteAsync(DbDataReader reader, int columns, Block block, LiveTable live, TextWriter undo, CancellationToken cancellationToken)
    {
        long rows = 0;
        var values = new object?[columns];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (rows % RowsPerInsert == 0)
            {
                await undo.WriteAsync(rows == 0
                    ? $"CREATE TEMP TABLE sr_undo ({string.Join(", ", Enumerable.Range(0, columns).Select(U))});\nINSERT INTO temp.sr_undo VALUES\n"
                    : ";\nINSERT INTO temp.sr_undo VALUES\n").ConfigureAwait(false);
            }
            else
            {
                await undo.WriteAsync(",\n").ConfigureAwait(false);
            }

            for (var i = 0; i < columns; i++)
            {
                values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            await undo.WriteAsync("(" + string.Join(", ", values.Select(SqliteSql.Literal)) + ")").ConfigureAwait(false);
            rows++;
        }

        if (rows > 0)
        {
            await undo.WriteAsync(Close(block, live)).ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>The block's end: the statement, and a CHECK that it touched every row of the block.</summary>
    public static string Close(Block block, LiveTable live)
    {
        var message = $"undo: rows the restore {block.Verb} in {ScriptText.Comment(live.Name.ToString())} were changed or deleted since; nothing was undone";
        return $"""
            ;
            CREATE TEMP TABLE sr_check (ok INTEGER NOT NULL CONSTRAINT {SqliteSql.Quote(message)} CHECK (ok));
            {block.Statement};
            INSERT INTO temp.sr_check VALUES (changes() = (SELECT count(*) FROM temp.sr_undo));
            DROP TABLE temp.sr_check;
            DROP TABLE temp.sr_undo;

            """;
    }
}
