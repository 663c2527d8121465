using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>Reads a whole dump once, validating every row, and reports what it holds. Memory stays constant.</summary>
public static class DumpInspector
{
    /// <summary>Inspects the remaining tables of <paramref name="reader"/>.</summary>
    /// <exception cref="DumpFormatException">The dump is malformed.</exception>
    public static async Task<DumpInventory> InspectAsync(DumpReader reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var tables = new List<TableInventory>();
        while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } table)
        {
            var rows = await table.SkipAsync(cancellationToken).ConfigureAwait(false);
            tables.Add(new TableInventory(table.Name, rows, table.Form, table.Columns, table.StartOffset, table.EndOffset, table.StartLine)
            {
                ArchiveEntryId = table.ArchiveEntryId,
                ArchiveDataOffset = table.ArchiveDataOffset,
                ArchiveDataFile = table.ArchiveDataFile,
            });
        }

        return new DumpInventory(reader.Source, reader.Format, reader.Compression, reader.Encoding, tables, [.. reader.Sequences], [.. reader.Notices])
        {
            Database = reader.Database,
        };
    }
}
