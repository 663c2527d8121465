using System.Globalization;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// A split file in T-SQL for sqlcmd: one table's rows as multi-row <c>INSERT ... VALUES</c> statements, in one
/// transaction, stopping at the first error.
/// </summary>
/// <remarks>
/// Inert by construction, for sqlcmd as for psql (docs/safety.md): every line starts with text this class writes (a
/// row starts with <c>(</c>), names are bracketed (<see cref="ScriptText.TSqlIdentifier"/>), values are <c>N'...'</c>
/// literals that hold no line break and no <c>$(</c> (<see cref="ScriptText.TSqlLiteral"/>) or <c>0x</c> constants,
/// and comments hold no name (<see cref="ScriptText.TSqlComment"/>). The file is UTF-16 with a byte order mark, which
/// sqlcmd reads as such whatever the client's code page: read in a double-byte code page, UTF-8 bytes could swallow
/// a closing <c>]</c>.
/// Values go in as Unicode strings and SQL Server converts each to its column's type (dates under
/// <c>SET DATEFORMAT ymd</c>); binary constants stay binary (<see cref="DumpRow.IsBinary"/>).
/// </remarks>
internal static class TSqlPart
{
    /// <summary>Rows per INSERT (SQL Server takes at most 1,000 row constructors in one VALUES).</summary>
    internal const int RowsPerInsert = 100;

    /// <summary>Rows per batch (between GO lines), so sqlcmd never holds a whole table.</summary>
    internal const int RowsPerBatch = 1000;

    internal const string NewLine = "\r\n";

    /// <summary>An encoding that writes UTF-16 LE with its byte order mark.</summary>
    internal static readonly Encoding FileEncoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true);

    // Each data batch checks the transaction is still open: if an earlier batch failed (a client that goes on after
    // an error), XACT_ABORT rolled it back and nothing more may be inserted.
    private const string Guard = "IF @@TRANCOUNT = 0 THROW 50000, N'selective-restore: an earlier batch of this script failed, so nothing more is inserted', 1;";

    /// <summary>Checks that the table's names can be written into a sqlcmd script before its file is created.</summary>
    /// <exception cref="DumpFormatException">A name holds a control character or <c>$(</c>.</exception>
    public static void CheckNames(DumpTable table, string? source)
    {
        foreach (var name in new[] { table.Name.Schema, table.Name.Name }.Concat(table.Columns.Select(c => c.Name).OfType<string>()))
        {
            if (ScriptText.TSqlUnwritable(name) is { } problem)
            {
                throw new DumpFormatException(
                    $"the name {DisplayText.Escape(name)} has {problem}, which a sqlcmd script cannot hold inert; refusing to write it into a T-SQL part (split with the PostgreSQL dialect instead)",
                    source,
                    table.Name,
                    table.StartLine,
                    table.StartOffset);
            }
        }
    }

    /// <summary>Writes the table's part to <paramref name="stream"/>: header, settings, the rows in batches, the commit.</summary>
    public static async Task WriteAsync(Stream stream, DumpTable table, string? source, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(stream, FileEncoding, bufferSize: 1 << 16, leaveOpen: true) { NewLine = NewLine };
        await using (writer.ConfigureAwait(false))
        {
            var name = ScriptText.TSqlName(table.Name);
            var named = table.Columns.Count > 0 && table.Columns.All(c => c.Name is not null);
            var columns = named ? " (" + string.Join(", ", table.Columns.Select(c => ScriptText.TSqlIdentifier(c.Name!))) + ")" : string.Empty;
            var identityInsert = named ? IdentityInsert(table, name) : null;
            var insert = $"INSERT INTO {name}{columns} VALUES";

            await writer.WriteAsync(Header(table, source)).ConfigureAwait(false);
            if (identityInsert is not null)
            {
                await writer.WriteAsync(identityInsert + " ON;" + NewLine).ConfigureAwait(false);
            }

            await writer.WriteAsync("GO" + NewLine).ConfigureAwait(false);
            var row = new StringBuilder(256);
            long rows = 0;
            while (await table.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (rows % RowsPerBatch == 0)
                {
                    await writer.WriteAsync((rows > 0 ? ";" + NewLine + "GO" + NewLine : string.Empty) + Guard + NewLine + insert + NewLine).ConfigureAwait(false);
                }
                else if (rows % RowsPerInsert == 0)
                {
                    await writer.WriteAsync(";" + NewLine + insert + NewLine).ConfigureAwait(false);
                }
                else
                {
                    await writer.WriteAsync("," + NewLine).ConfigureAwait(false);
                }

                row.Clear();
                AppendRow(row, table.Current);
                await writer.WriteAsync(row, cancellationToken).ConfigureAwait(false);
                rows++;
            }

            await writer.WriteAsync((rows > 0 ? ";" + NewLine + "GO" + NewLine : string.Empty) + Guard + NewLine).ConfigureAwait(false);
            if (identityInsert is not null)
            {
                await writer.WriteAsync(identityInsert + " OFF;" + NewLine).ConfigureAwait(false);
            }

            await writer.WriteAsync("COMMIT TRANSACTION;" + NewLine + "GO" + NewLine).ConfigureAwait(false);
        }
    }

    /// <summary>The comment and settings that start a part. The comment names no table: the INSERT statements do.</summary>
    private static string Header(DumpTable table, string? source)
    {
        var b = new StringBuilder();
        b.Append("-- Data for one table (named in the INSERT statements below), split by selective-restore from").Append(NewLine);
        b.Append(CultureInfo.InvariantCulture, $"-- {ScriptText.TSqlComment(Path.GetFileName(source) ?? "a stream")}, line {table.StartLine}.").Append(NewLine);
        b.Append("-- T-SQL for sqlcmd: sqlcmd -i FILE -d DATABASE, into a database that has the table. The rows go in as one").Append(NewLine);
        b.Append("-- transaction, and the script stops at its first error. UTF-16 with a byte order mark, as SSMS writes.").Append(NewLine);
        b.Append(":on error exit").Append(NewLine);
        b.Append("SET NOCOUNT ON;").Append(NewLine);
        b.Append("SET XACT_ABORT ON;").Append(NewLine);

        // The settings indexed views, filtered indexes and computed-column indexes require (as SSMS scripts set them).
        b.Append("SET ANSI_NULLS ON;").Append(NewLine);
        b.Append("SET ANSI_PADDING ON;").Append(NewLine);
        b.Append("SET ANSI_WARNINGS ON;").Append(NewLine);
        b.Append("SET ARITHABORT ON;").Append(NewLine);
        b.Append("SET CONCAT_NULL_YIELDS_NULL ON;").Append(NewLine);
        b.Append("SET NUMERIC_ROUNDABORT OFF;").Append(NewLine);
        b.Append("SET QUOTED_IDENTIFIER ON;").Append(NewLine);

        // Values are strings converted to the column's type: 'yyyy-mm-dd hh:mm:ss' into datetime depends on DATEFORMAT.
        b.Append("SET DATEFORMAT ymd;").Append(NewLine);
        b.Append("BEGIN TRANSACTION;").Append(NewLine);
        return b.ToString();
    }

    /// <summary>
    /// <c>IF ... SET IDENTITY_INSERT [table]</c> (ON or OFF follows), when one of the listed columns is the table's IDENTITY
    /// column: the values are the source's, as its <c>SET IDENTITY_INSERT ... ON</c> had them. Decided when the script
    /// runs, from the target's catalog, because a data-only script does not say which column is the IDENTITY one.
    /// </summary>
    private static string IdentityInsert(DumpTable table, string name)
    {
        var columns = string.Join(", ", table.Columns.Select(c => ScriptText.TSqlLiteral(c.Name!)));
        return $"IF EXISTS (SELECT 1 FROM sys.identity_columns WHERE [object_id] = OBJECT_ID({ScriptText.TSqlLiteral(name)}) AND [name] IN ({columns})) SET IDENTITY_INSERT {name}";
    }

    /// <summary>One row as <c>(value, ...)</c>: NULL, a binary constant, or a Unicode string literal.</summary>
    internal static void AppendRow(StringBuilder b, DumpRow row)
    {
        b.Append('(');
        for (var i = 0; i < row.FieldCount; i++)
        {
            if (i > 0)
            {
                b.Append(", ");
            }

            var value = row.GetString(i);
            if (value is null)
            {
                b.Append("NULL");
            }
            else if (row.IsBinary(i))
            {
                // The neutral form of a binary constant is bytea hex text, \x0aff.
                b.Append("0x");
                var start = b.Length;
                b.Append(value.AsSpan(2));
                for (var j = start; j < b.Length; j++)
                {
                    b[j] = char.ToUpperInvariant(b[j]);
                }
            }
            else
            {
                b.Append(ScriptText.TSqlLiteral(value));
            }
        }

        b.Append(')');
    }
}
