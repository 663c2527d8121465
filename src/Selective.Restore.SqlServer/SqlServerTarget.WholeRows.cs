using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <content>
/// Tables without a usable key: rows are matched on the whole row, as a multiset. The engine pairs rows with the same
/// text; what is left on both sides (a float or a date printed differently) is paired here with the typed comparison,
/// copy for copy.
/// </content>
internal sealed partial class SqlServerTarget
{
    public async Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken)
    {
        var staging = Sql(staged);

        // Staged rows are missing (or held, as staged) until a live copy pairs with them.
        // Held copies are counted first: pairing takes copies out of the delta.
        var held = await ScalarAsync($"UPDATE {staging.Delta} SET sr_class = CASE WHEN sr_hold = 1 THEN 'h' ELSE 'm' END, sr_live = 0;\nSELECT COUNT_BIG(*) FROM {staging.Delta} WHERE sr_hold = 1;", cancellationToken).ConfigureAwait(false);
        if (liveOnly is { Rows: > 0 })
        {
            await ExecuteAsync($"DROP TABLE IF EXISTS {staging.LiveOnly};\nSELECT * INTO {staging.LiveOnly} FROM {staging.Delta} WHERE 1 = 0;", cancellationToken).ConfigureAwait(false);
            await StageLinesAsync(staging, liveOnly, 0, held: false, staging.LiveOnly, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(SqlServerStatements.PairWholeRows(staging), cancellationToken).ConfigureAwait(false);
        }

        // Paired copies left the delta: what is left is missing, or held and unpaired.
        var command = new Microsoft.Data.SqlClient.SqlCommand(
            $"SELECT COUNT_BIG(CASE WHEN sr_class = 'm' THEN 1 END), COUNT_BIG(CASE WHEN sr_class = 'h' THEN 1 END) FROM {staging.Delta};",
            Connection,
            _transaction);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var heldLeft = reader.GetInt64(1);
        return new WholeRowCounts(reader.GetInt64(0), held, held - heldLeft);
    }

    /// <summary>Inserts the missing copies (those no filter excluded) of a table without a key.</summary>
    private async Task<ApplyCounts> ApplyWholeRowsAsync(SqlServerStaging staging, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        long inserted = 0;
        if (instructions.InsertMissing)
        {
            if (undo is not null)
            {
                await ExecuteAsync(SqlServerStatements.CreateOutput(staging.Output, staging.Written), cancellationToken).ConfigureAwait(false);
            }

            inserted = await ScalarAsync(SqlServerStatements.Insert(staging, "'m'", undo is null ? null : staging.Output, keyed: false), cancellationToken).ConfigureAwait(false);
            if (undo is not null && inserted > 0)
            {
                await ExportUndoAsync(staging, staging.Written, SqlServerUndo.DeleteInsertedCopies(staging), undo, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ApplyCounts(inserted, 0, 0);
    }
}
