using System.Buffers;
using System.Data.Common;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// A live table's rows as a stream of row-text lines (UTF-8), printed by <see cref="SqlServerValueText"/> as the script
/// reader prints the same values: the engine compares them with the dump's lines byte for byte. Rows are formatted as
/// the stream is read, a buffer at a time, so memory does not grow with the table. The stream owns the reader (and
/// what the reader owns): disposing it ends the query.
/// </summary>
internal sealed class SqlServerLiveRows : RowTextStream
{
    private readonly IReadOnlyList<SqlServerType> _types;

    /// <param name="reader">The query's reader: one column per entry of <paramref name="types"/>, in that order.</param>
    /// <param name="types">How each column's values print.</param>
    /// <param name="owner">Disposed after the reader (the command, say).</param>
    public SqlServerLiveRows(DbDataReader reader, IReadOnlyList<SqlServerType> types, IAsyncDisposable? owner = null)
        : base(reader, owner)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (reader.FieldCount != types.Count)
        {
            throw new ArgumentException($"the query has {reader.FieldCount} columns, {types.Count} types were given", nameof(types));
        }

        _types = types;
    }

    protected override void WriteRow(DbDataReader reader, IBufferWriter<byte> destination)
    {
        for (var i = 0; i < _types.Count; i++)
        {
            if (i > 0)
            {
                destination.Write("\t"u8);
            }

            SqlServerValueText.Append(reader.IsDBNull(i) ? null : reader.GetValue(i), _types[i], destination);
        }
    }
}
