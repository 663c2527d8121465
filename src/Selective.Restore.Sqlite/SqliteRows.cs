using System.Buffers;
using System.Data.Common;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>A query's rows as row-text lines, each value in <see cref="SqliteText"/>'s form (the storage class kept).</summary>
internal sealed class SqliteRows(DbDataReader reader, DbCommand command) : RowTextStream(reader, command)
{
    protected override void WriteRow(DbDataReader reader, IBufferWriter<byte> destination)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (i > 0)
            {
                destination.Write("\t"u8);
            }

            if (SqliteText.Format(reader.GetValue(i)) is { } field)
            {
                CopyText.Escape(field, destination);
            }
            else
            {
                destination.Write(CopyText.Null);
            }
        }
    }
}
