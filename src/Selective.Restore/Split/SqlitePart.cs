using System.Globalization;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// A split file for sqlite3: one table's rows as <c>INSERT INTO ... VALUES(...);</c> statements, one per line, in one
/// transaction, stopping at the first error (<c>.bail on</c>).
/// </summary>
/// <remarks>
/// Inert by construction, as the other dialects' parts (docs/safety.md): every line is one this class writes, starting with
/// <c>--</c>, <c>.bail on</c>, <c>PRAGMA</c>, <c>BEGIN</c>, <c>INSERT INTO</c> or <c>COMMIT</c>. Names are double-quoted
/// (and hold no control character: <see cref="CheckNames"/>); values are written again from what they stand for
/// (<see cref="SqliteText.Parse"/>), never copied: numbers, <c>X'hex'</c>, and text in single quotes with every control
/// character but tab outside them, as <c>char(N)</c> joined by <c>||</c> (so no line of text can start a sqlite3 dot-command,
/// and a NUL stays in the value). The file is UTF-8, as sqlite3 reads it.
/// </remarks>
internal static class SqlitePart
{
    internal const char NewLine = '\n';

    /// <summary>UTF-8 without a byte order mark (sqlite3 would take one for part of the first statement).</summary>
    internal static readonly Encoding FileEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Checks that the table's names can be written into a sqlite3 script before its file is created.</summary>
    /// <exception cref="DumpFormatException">A name holds a control character other than tab.</exception>
    public static void CheckNames(DumpTable table, string? source)
    {
        foreach (var name in new[] { table.Name.Schema, table.Name.Name }.Concat(table.Columns.Select(c => c.Name).OfType<string>()))
        {
            if (name.Any(c => char.IsControl(c) && c != '\t'))
            {
                throw new DumpFormatException(
                    $"the name {DisplayText.Escape(name)} has a control character, which a sqlite3 script cannot hold on one line; refusing to write it into a SQLite part",
                    source,
                    table.Name,
                    table.StartLine,
                    table.StartOffset);
            }
        }
    }

    /// <summary>Writes the table's part to <paramref name="stream"/>: header, the rows, the commit.</summary>
    /// <exception cref="DumpFormatException">A field is not a SQLite value (<see cref="SqliteText.Parse"/>).</exception>
    public static async Task WriteAsync(Stream stream, DumpTable table, string? source, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(stream, FileEncoding, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            var named = table.Columns.Count > 0 && table.Columns.All(c => c.Name is not null);
            var columns = named ? "(" + string.Join(",", table.Columns.Select(c => Identifier(c.Name!))) + ")" : string.Empty;
            var insert = $"INSERT INTO {Identifier(table.Name.Schema)}.{Identifier(table.Name.Name)}{columns} VALUES(";

            await writer.WriteAsync(Header(table, source)).ConfigureAwait(false);
            var row = new StringBuilder(256);
            while (await table.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                row.Clear().Append(insert);
                AppendValues(row, table.Current, source);
                row.Append(");").Append(NewLine);
                await writer.WriteAsync(row, cancellationToken).ConfigureAwait(false);
            }

            await writer.WriteAsync("COMMIT;" + NewLine).ConfigureAwait(false);
        }
    }

    /// <summary>The comment and settings that start a part. The comment names no table: the INSERT statements do.</summary>
    private static string Header(DumpTable table, string? source)
    {
        var b = new StringBuilder();
        b.Append("-- Data for one table (named in the INSERT statements below), split by selective-restore from").Append(NewLine);
        b.Append(CultureInfo.InvariantCulture, $"-- {ScriptText.Comment(Path.GetFileName(source) ?? "a stream")}, line {table.StartLine}.").Append(NewLine);
        b.Append("-- SQLite: load with sqlite3 DATABASE < FILE into a database that has the table. The rows go in as one").Append(NewLine);
        b.Append("-- transaction, and the script stops at its first error.").Append(NewLine);
        b.Append(".bail on").Append(NewLine);
        b.Append("PRAGMA foreign_keys=OFF;").Append(NewLine); // as the dump had it: parents may be loaded after their children
        b.Append("BEGIN TRANSACTION;").Append(NewLine);
        return b.ToString();
    }

    /// <summary>The sequences file: each table's <c>sqlite_sequence</c> position, set as the dump had it.</summary>
    public static string SequencesScript(IReadOnlyList<SequenceValue> sequences)
    {
        var b = new StringBuilder();
        b.Append("-- Sequence positions (sqlite_sequence) from the dump, split by selective-restore").Append(NewLine);
        b.Append("-- SQLite: load with sqlite3 DATABASE < FILE into a database that has the AUTOINCREMENT tables").Append(NewLine);
        b.Append(".bail on").Append(NewLine);
        b.Append("BEGIN TRANSACTION;").Append(NewLine);
        foreach (var sequence in sequences)
        {
            var name = new StringBuilder();
            AppendText(name, sequence.Sequence.Name);
            b.Append(CultureInfo.InvariantCulture, $"DELETE FROM sqlite_sequence WHERE name = {name};").Append(NewLine);
            b.Append(CultureInfo.InvariantCulture, $"INSERT INTO sqlite_sequence(name,seq) VALUES({name},{sequence.Value});").Append(NewLine);
        }

        b.Append("COMMIT;").Append(NewLine);
        return b.ToString();
    }

    /// <summary>A name in double quotes, quotes doubled (names with control characters are refused first).</summary>
    internal static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A row's values, each written again from the value its <see cref="SqliteText"/> field stands for.</summary>
    internal static void AppendValues(StringBuilder b, DumpRow row, string? source)
    {
        for (var i = 0; i < row.FieldCount; i++)
        {
            if (i > 0)
            {
                b.Append(',');
            }

            object? value;
            try
            {
                value = SqliteText.Parse(row.GetString(i));
            }
            catch (FormatException ex)
            {
                throw new DumpFormatException($"field {i + 1} is not a SQLite value: {ex.Message}", source, row.Table, row.Line, row.ByteOffset, ex);
            }

            switch (value)
            {
                case null:
                    b.Append("NULL");
                    break;
                case string text:
                    AppendText(b, text);
                    break;
                default:
                    b.Append(SqliteText.Format(value));
                    break;
            }
        }
    }

    /// <summary><c>'text'</c>, with each control character but tab outside the quotes as <c>char(N)</c>: <c>'a'||char(10)||'b'</c>.</summary>
    private static void AppendText(StringBuilder b, string text)
    {
        var start = 0;
        var any = false;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && !(char.IsControl(text[i]) && text[i] != '\t'))
            {
                continue;
            }

            if (i > start || (i == text.Length && !any))
            {
                b.Append(any ? "||" : string.Empty).Append(SqliteText.Text(text[start..i]));
                any = true;
            }

            if (i < text.Length)
            {
                b.Append(any ? "||" : string.Empty).Append(CultureInfo.InvariantCulture, $"char({(int)text[i]})");
                any = true;
                start = i + 1;
            }
        }
    }
}
