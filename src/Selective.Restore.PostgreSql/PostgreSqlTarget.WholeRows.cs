using System.Globalization;
using Npgsql;
using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <content>
/// Tables without a usable key (logs, join tables, partitioned parents without a primary key): rows are matched on the
/// whole row, as a multiset. The engine pairs rows with the same text; what is left on both sides (a float or a time
/// zone printed differently) is paired here with the typed comparison, copy for copy.
/// </content>
internal sealed partial class PostgreSqlTarget
{
    /// <summary>The temp table of live rows no dump row matched by text (a table without a key only).</summary>
    private static string LiveOnlyName(StagedTable staged) => Pg(staged).StageName + "_live";

    /// <summary>Staging of a table without a key: the stage, the delta, and the live rows left unpaired (created now: a plan's read-only transaction cannot).</summary>
    private async Task CreateWholeRowStagingAsync(string stage, string delta, string columns, TableMapping mapping, CancellationToken cancellationToken)
    {
        var list = string.Join(", ", Enumerable.Range(1, mapping.DumpColumns.Count).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)));
        await ExecuteAsync(Connection, $"""
            DROP TABLE IF EXISTS pg_temp.{stage}, pg_temp.{delta}, pg_temp.{stage}_live;
            CREATE TEMP TABLE {stage} ({columns}sr_hold boolean);
            CREATE TEMP TABLE {delta} (sr_n bigint PRIMARY KEY, sr_class "char" NOT NULL, sr_live boolean NOT NULL, LIKE pg_temp.{stage});
            CREATE TEMP TABLE {stage}_live AS SELECT {list} FROM pg_temp.{stage} WITH NO DATA;
            """, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        await ExecuteCountAsync(
            $"""
            DELETE FROM pg_temp.{Pg(staged).DeltaName};
            INSERT INTO pg_temp.{Pg(staged).DeltaName}
            SELECT row_number() OVER (), CASE WHEN s.sr_hold THEN 'h' ELSE 'm' END, false, s.* FROM pg_temp.{Pg(staged).StageName} s
            """,
            cancellationToken).ConfigureAwait(false);
        if (liveOnly is { Rows: > 0 })
        {
            await PairWholeRowsAsync(staged, liveOnly, cancellationToken).ConfigureAwait(false);
        }

        // Paired copies left the delta: what is left is missing, or held and unpaired.
        var command = new NpgsqlCommand(
            $"""
            SELECT count(*) FILTER (WHERE d.sr_class = 'm'), count(*) FILTER (WHERE d.sr_class = 'h'),
                   (SELECT count(*) FROM pg_temp.{Pg(staged).StageName} s WHERE s.sr_hold)
            FROM pg_temp.{Pg(staged).DeltaName} d
            """,
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var held = reader.GetInt64(2);
        return new WholeRowCounts(reader.GetInt64(0), held, held - reader.GetInt64(1));
    }

    /// <summary>Pairs the delta's copies with the live copies no dump copy matched by text, typed, copy for copy; paired copies leave the delta.</summary>
    private async Task PairWholeRowsAsync(StagedTable staged, IRowLines liveOnly, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        var live = LiveOnlyName(staged);
        await ExecuteAsync(Connection, $"DELETE FROM pg_temp.{live}", cancellationToken).ConfigureAwait(false);
        liveOnly.Rewind();
        await CopyLinesAsync(
            live,
            mapping,
            columns: null,
            new SpillLines(liveOnly),
            where => $"{mapping.Live.Name} (its own rows read back: {where})",
            (copied, sent) => $"the server took {copied} of {sent} live rows of {mapping.Live.Name} back, so nothing is applied to this table",
            cancellationToken).ConfigureAwait(false);

        // Copy for copy: within each group of rows that compare equal, the first n dump copies pair with the group's n
        // live copies. The record's text is a NULL-safe, hashable image of the compared values (NULL prints as nothing,
        // an empty string as "").
        var compared = WrittenColumns(mapping).ToList();
        var image = (string alias) => $"ROW({string.Join(", ", compared.Select(c => Comparable($"{alias}.{c.Stage}", c.Column)))})::text";
        await ExecuteCountAsync(
            $"""
            DELETE FROM pg_temp.{Pg(staged).DeltaName} WHERE sr_n IN (
                SELECT sr_n FROM (
                    SELECT sr_n, row_number() OVER (PARTITION BY sr_image, sr_n IS NULL ORDER BY sr_n) AS sr_copy,
                           count(*) FILTER (WHERE sr_n IS NULL) OVER (PARTITION BY sr_image) AS sr_live_copies
                    FROM (SELECT d.sr_n, {image("d")} AS sr_image FROM pg_temp.{Pg(staged).DeltaName} d
                          UNION ALL SELECT NULL, {image("l")} FROM pg_temp.{live} l) u) w
                WHERE sr_n IS NOT NULL AND sr_copy <= sr_live_copies)
            """,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts the missing copies (those no filter excluded) of a table without a key.</summary>
    private async Task<ApplyCounts> ApplyWholeRowsAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        var mapping = staged.Mapping;
        long inserted = 0;
        if (instructions.InsertMissing)
        {
            var written = WrittenColumns(mapping).ToList();
            var overriding = mapping.Live.Columns.Any(c => c.Identity == IdentityColumn.Always) ? " OVERRIDING SYSTEM VALUE" : string.Empty;
            var sql = $"""
                INSERT INTO {PgSql.Quote(mapping.Live.Name)} ({string.Join(", ", written.Select(c => PgSql.Quote(c.Column.Name)))}){overriding}
                SELECT {string.Join(", ", written.Select(c => "d." + c.Stage))} FROM pg_temp.{Pg(staged).DeltaName} d WHERE d.sr_class = 'm'
                """;
            inserted = undo is null
                ? await ExecuteCountAsync(sql, cancellationToken).ConfigureAwait(false)
                : await ExportUndoAsync($"{sql} RETURNING {string.Join(", ", InsertedColumns(mapping).Select(c => PgSql.Quote(c.Name)))}", UndoDeleteInsertedCopies(mapping), undo, cancellationToken).ConfigureAwait(false);
        }

        return new ApplyCounts(inserted, 0, 0);
    }

    /// <summary>
    /// Rows inserted into a table without a key: for each block row, one live copy still equal to it is deleted (a
    /// row the table held before as well keeps its other copies).
    /// </summary>
    private static (string Columns, string Apply) UndoDeleteInsertedCopies(TableMapping mapping)
    {
        var columns = InsertedColumns(mapping);
        var live = $"ROW({string.Join(", ", columns.Select(c => Comparable("t." + PgSql.Quote(c.Name), c)))})::text";
        var block = $"ROW({string.Join(", ", columns.Select((c, i) => Comparable($"u.u{i + 1}", c)))})::text";
        return (
            BlockColumns(columns.Select((c, i) => ($"u{i + 1}", c.DataType))),
            Checked(mapping.Live, "inserted", $"""
                DELETE FROM {Live(mapping.Live)} t WHERE (t.tableoid, t.ctid) IN (
                    SELECT c.tableoid, c.ctid FROM (
                        SELECT t.tableoid, t.ctid, {live} AS sr_image, row_number() OVER (PARTITION BY {live}) AS sr_copy
                        FROM {Live(mapping.Live)} t WHERE {live} IN (SELECT {block} FROM pg_temp.sr_undo u)) c
                    JOIN (SELECT {block} AS sr_image, count(*) AS sr_copies FROM pg_temp.sr_undo u GROUP BY 1) b ON b.sr_image = c.sr_image
                    WHERE c.sr_copy <= b.sr_copies)
                """));
    }
}
