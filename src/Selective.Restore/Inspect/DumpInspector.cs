using Selective.Restore.Diff;
using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>Reads a whole dump once, validating every row, and reports what it holds. Memory stays constant.</summary>
public static class DumpInspector
{
    /// <summary>Inspects the remaining tables of <paramref name="reader"/>.</summary>
    /// <exception cref="DumpFormatException">The dump is malformed.</exception>
    public static Task<DumpInventory> InspectAsync(DumpReader reader, CancellationToken cancellationToken = default) =>
        InspectAsync(reader, null, cancellationToken);

    /// <summary>Inspects the remaining tables of <paramref name="reader"/>, reporting progress as <paramref name="options"/> say.</summary>
    /// <exception cref="DumpFormatException">The dump is malformed.</exception>
    public static async Task<DumpInventory> InspectAsync(DumpReader reader, InspectOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var progress = DumpPassProgress.For(reader, RestorePhase.Inspecting, options?.Progress, options?.ProgressInterval ?? TimeSpan.Zero);
        var tables = new List<TableInventory>();
        while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } table)
        {
            long rows;
            if (progress is null)
            {
                rows = await table.SkipAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                progress.Started(table);
                var reported = 0L;
                while (await table.SkipRowAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Every 64 rows, as staging: asking the time per row would cost. (A step may pass many rows: a
                    // COPY block's plain lines are counted a buffer at a time.)
                    if (table.RowsRead - reported >= TableDiff.ProgressRows)
                    {
                        reported = table.RowsRead;
                        progress.Reading(table);
                    }
                }

                rows = table.RowsRead;
                progress.Finished(table);
            }

            tables.Add(new TableInventory(table.Name, rows, table.Form, table.Columns, table.StartOffset, table.EndOffset, table.StartLine)
            {
                ArchiveEntryId = table.ArchiveEntryId,
                ArchiveDataOffset = table.ArchiveDataOffset,
                ArchiveDataFile = table.ArchiveDataFile,
            });
        }

        progress?.Ended();
        return new DumpInventory(reader.Source, reader.Format, reader.Compression, reader.Encoding, tables, [.. reader.Sequences], [.. reader.Notices])
        {
            Database = reader.Database,
        };
    }
}
