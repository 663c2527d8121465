using System.Buffers;
using System.Globalization;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.IO;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// Splits a dump into one self-contained SQL file per table: the session settings the dump had in force
/// (encoding, <c>standard_conforming_strings</c>, <c>search_path</c>...) followed by the table's rows as a COPY block,
/// so <c>psql -f FILE</c> loads it into a database that has the schema. A COPY table's data lines are copied byte for
/// byte; an INSERT table's rows become COPY lines (the same values, as the server's COPY TO writes them).
/// A SQL Server script is split into T-SQL files by default instead, loaded with <c>sqlcmd -i FILE</c>
/// (<see cref="SplitDialect.TSql"/>, <see cref="TSqlPart"/>), and a sqlite3 dump into SQLite files, loaded with
/// <c>sqlite3 DATABASE &lt; FILE</c> (<see cref="SplitDialect.Sqlite"/>, <see cref="SqlitePart"/>).
/// Streams in constant memory; a table whose data turns out malformed leaves no file behind.
/// </summary>
/// <remarks>
/// The files are inert by construction: every line psql lexes is written by this class (names quoted, comments
/// escaped through <see cref="ScriptText"/>), the dump's text reaches psql only as COPY data, which psql never runs,
/// and each file stops at its first error (<c>\set ON_ERROR_STOP on</c>), so data lines are never read as commands
/// after a failed COPY. Lines starting with a backslash outside COPY data are only <c>\set ON_ERROR_STOP on</c>.
/// </remarks>
public static class DumpSplitter
{
    /// <summary>The first lines of every script this class writes, ASCII only: psql reads what follows as UTF-8 (whatever
    /// PGCLIENTENCODING says), so no byte of a name can be taken for part of a multi-byte character and end a quote early.</summary>
    private const string ScriptStart = "SET client_encoding = 'UTF8';\n";

    /// <summary>
    /// Splits the remaining tables of <paramref name="reader"/> into <paramref name="outputDirectory"/>, reporting where it
    /// is to <see cref="SplitOptions.Progress"/> when one is set.
    /// </summary>
    /// <exception cref="DumpFormatException">The dump is malformed, or holds something that would not stay data in a psql script (files of the tables before it are kept; the manifest is not written).</exception>
    /// <exception cref="IOException">The output directory is not empty and <see cref="SplitOptions.Overwrite"/> is false, or it is a link or not a directory.</exception>
    /// <exception cref="ArgumentException">
    /// <see cref="SplitDialect.TSql"/> was asked for a dump that is not a SQL Server script, <see cref="SplitDialect.Sqlite"/> for one
    /// that is not a SQLite dump, or another dialect for a SQLite dump.
    /// </exception>
    public static async Task<SplitResult> SplitAsync(DumpReader reader, string outputDirectory, SplitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        options ??= new SplitOptions();
        var dialect = DialectFor(reader.Format, options.Dialect);
        OutputPath.CheckDirectory(outputDirectory, "split output directory");
        if (Directory.Exists(outputDirectory) && !options.Overwrite && Directory.EnumerateFileSystemEntries(outputDirectory).Any())
        {
            throw new IOException($"Output directory '{DisplayText.Escape(outputDirectory)}' is not empty; choose an empty one or allow overwriting (SplitOptions.Overwrite; --force on the command line).");
        }

        Directory.CreateDirectory(outputDirectory);
        var progress = DumpPassProgress.For(reader, RestorePhase.Splitting, options.Progress, options.ProgressInterval);
        var files = new List<SplitTableFile>();
        var index = 0;
        while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } table)
        {
            index++;
            progress?.Started(table);
            var fileName = FileNameFor(index, table.Name);
            var path = Path.Combine(outputDirectory, fileName);
            var partial = path + ".partial";
            long bytes;
            if (dialect == SplitDialect.TSql)
            {
                TSqlPart.CheckNames(table, reader.Source); // before a file is made
            }
            else if (dialect == SplitDialect.Sqlite)
            {
                SqlitePart.CheckNames(table, reader.Source);
            }

            // Unbuffered: the reader hands over whole blocks, so a FileStream buffer would only add a copy and a lock.
            var stream = OutputPath.CreateNew(partial, bufferSize: 0);
            try
            {
                await using (stream.ConfigureAwait(false))
                {
                    // With progress, every block written is a point to report how far the reader got.
                    var output = progress is null ? (Stream)stream : new WriteReportingStream(stream, () => progress.Reading(table));
                    if (dialect == SplitDialect.TSql)
                    {
                        await TSqlPart.WriteAsync(output, table, reader.Source, cancellationToken).ConfigureAwait(false);
                    }
                    else if (dialect == SplitDialect.Sqlite)
                    {
                        await SqlitePart.WriteAsync(output, table, reader.Source, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteCopyPartAsync(output, reader, table, cancellationToken).ConfigureAwait(false);
                    }

                    bytes = stream.Length;
                }

                File.Move(partial, path, overwrite: true); // a rename: replaces whatever entry had the name, follows no link
            }
            catch
            {
                File.Delete(partial);
                throw;
            }

            files.Add(new SplitTableFile(table.Name, table.RowsRead, bytes, fileName, table.Form));
            progress?.Finished(table);
        }

        progress?.Ended();

        string? sequencesFile = null;
        if (reader.Sequences.Count > 0)
        {
            sequencesFile = "sequences.sql";
            var script = dialect == SplitDialect.Sqlite ? SqlitePart.SequencesScript(reader.Sequences) : SequencesScript(reader);
            await OutputPath.ReplaceAsync(Path.Combine(outputDirectory, sequencesFile), script, cancellationToken).ConfigureAwait(false);
        }

        var result = new SplitResult(outputDirectory, reader.Source, dialect, files, [.. reader.Sequences], sequencesFile);
        await OutputPath.ReplaceAsync(Path.Combine(outputDirectory, SplitResult.ManifestFileName), JsonText.Render(result.WriteJson), cancellationToken)
            .ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The dialect to write: the one asked for, or the dump's own. T-SQL parts are made from SQL Server scripts only, SQLite
    /// parts from SQLite dumps only, and a SQLite dump makes no other parts (its values are SQLite literals).
    /// </summary>
    internal static SplitDialect DialectFor(DumpFormat format, SplitDialect? asked)
    {
        var source = format switch
        {
            DumpFormat.SqlServerScript => SplitDialect.TSql,
            DumpFormat.SqliteDump => SplitDialect.Sqlite,
            _ => SplitDialect.PostgreSql,
        };
        return asked switch
        {
            null => source,
            { } dialect when dialect == source => dialect,
            SplitDialect.TSql =>
                throw new ArgumentException("T-SQL split files are written only for SQL Server scripts: the values of a PostgreSQL dump are in PostgreSQL's text forms, a SQLite dump's in SQLite's", nameof(asked)),
            SplitDialect.Sqlite =>
                throw new ArgumentException("SQLite split files are written only for SQLite dumps: the values of other dumps are not SQLite literals", nameof(asked)),
            _ when source == SplitDialect.Sqlite =>
                throw new ArgumentException("a SQLite dump is split only into SQLite files: its values are SQLite literals, which PostgreSQL would load as other values", nameof(asked)),
            { } dialect => dialect,
        };
    }

    /// <summary>A PostgreSQL part: preamble, a COPY statement written by the tool, the rows as COPY data.</summary>
    private static async Task WriteCopyPartAsync(Stream stream, DumpReader reader, DumpTable table, CancellationToken cancellationToken)
    {
        await WriteAsync(stream, Preamble(reader, table) + CopyStatement(table), cancellationToken).ConfigureAwait(false);
        var guard = new CopyDataGuard(stream, table, reader.Source, skipStatement: table.Form == DumpDataForm.Copy);
        if (table.Form == DumpDataForm.Copy)
        {
            await table.CopyRawToAsync(guard, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WriteRowsAsync(table, guard, cancellationToken).ConfigureAwait(false);
        }

        guard.Complete();
        await WriteAsync(stream, "\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A file name that sorts in dump order and is safe on every file system; the manifest has the real name.</summary>
    internal static string FileNameFor(int index, TableName name)
    {
        static string Clean(string part)
        {
            var builder = new StringBuilder(part.Length);
            foreach (var c in part)
            {
                builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
            }

            return builder.Length > 60 ? builder.ToString(0, 60) : builder.ToString();
        }

        return string.Create(CultureInfo.InvariantCulture, $"{index:D4}-{Clean(name.Schema)}.{Clean(name.Name)}.sql");
    }

    private static string Preamble(DumpReader reader, DumpTable table)
    {
        var builder = new StringBuilder(ScriptStart);
        builder.Append("\\set ON_ERROR_STOP on\n");
        builder.Append(CultureInfo.InvariantCulture, $"--\n-- Data for {ScriptText.Comment(table.Name.ToString())}, split from {ScriptText.Comment(Path.GetFileName(reader.Source))} (line {table.StartLine}) by selective-restore\n");
        builder.Append("-- PostgreSQL: load with psql -X -f FILE into a database that has the table; it stops at its first error\n--\n\n");
        var leftOut = new List<string>();
        foreach (var statement in reader.SessionSettings)
        {
            // Checked as the dump had it, then kept, guarded by version, or left out (see LoadSettings).
            var setting = CheckedSetting(statement, reader.Source);
            if (LoadSettings.ForPart(setting) is { } part)
            {
                builder.Append(part).Append('\n');
            }
            else
            {
                leftOut.Add(LoadSettings.NameOf(setting) ?? setting);
            }
        }

        if (leftOut.Count > 0)
        {
            builder.Append("-- settings of the dump left out (loading rows does not need them): ").Append(ScriptText.Comment(string.Join(", ", leftOut))).Append('\n');
        }

        builder.Append('\n');
        return builder.ToString();
    }

    /// <summary>The COPY statement, regenerated from the parsed name and columns (all quoted), never copied from the dump.</summary>
    private static string CopyStatement(DumpTable table)
    {
        var columns = table.Columns.All(c => c.Name is not null) && table.Columns.Count > 0
            ? " (" + string.Join(", ", table.Columns.Select(c => ScriptText.QuoteIdentifier(c.Name!))) + ")"
            : string.Empty; // unnamed columns: as the dump had them, in the table's own order
        return $"COPY {ScriptText.QuoteName(table.Name)}{columns} FROM stdin;\n";
    }

    /// <summary>An INSERT table's rows as COPY lines (each row is already the server's COPY text), ended by <c>\.</c>.</summary>
    private static async Task WriteRowsAsync(DumpTable table, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        while (await table.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            buffer.Write(table.Current.CopyLine);
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= 1 << 16)
            {
                await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        buffer.Write("\\.\n"u8);
        await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A session setting of the dump, checked to be one plain statement before it is copied: psql must leave it outside
    /// any quote or comment and find no backslash command in it. Backslashes are allowed only where every psql reads
    /// them the same way: inside an <c>E'...'</c> string (where each escapes the next character) or a quoted identifier.
    /// Anything else (a backslash in a plain <c>'...'</c> string, whose meaning depends on standard_conforming_strings,
    /// a control character, a dollar quote, a comment, an open quote) is refused: no pg_dump setting looks like that.
    /// </summary>
    private static string CheckedSetting(string statement, string? source)
    {
        var text = statement.Trim();
        var quote = '\0';
        var escapes = false;
        string? problem = null;
        for (var i = 0; i < text.Length && problem is null; i++)
        {
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (char.IsControl(c) || (DisplayText.IsUnsafe(c) && !char.IsSurrogate(c)))
            {
                problem = "a control character";
            }
            else if (quote != '\0')
            {
                if (c == '\\' && escapes)
                {
                    i++; // E'...': the next character is escaped, whatever it is
                }
                else if (c == '\\' && quote == '\'')
                {
                    problem = "a backslash in a string whose meaning depends on standard_conforming_strings";
                }
                else if (c == quote && next == quote)
                {
                    i++; // a doubled quote
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                escapes = c == '\'' && i > 0 && text[i - 1] is 'E' or 'e' && (i < 2 || !(char.IsLetterOrDigit(text[i - 2]) || text[i - 2] is '_' or '$'));
            }
            else if (c == '\\')
            {
                problem = "a backslash outside quotes (a psql command)";
            }
            else if (c == '$' || (c == '-' && next == '-') || (c == '/' && next == '*'))
            {
                problem = "a dollar quote or a comment";
            }
        }

        if (problem is null && (quote != '\0' || !text.EndsWith(';')))
        {
            problem = "an unterminated quote or statement";
        }

        return problem is null
            ? text
            : throw new DumpFormatException($"{source ?? "<stream>"}: the session setting '{DisplayText.Escape(text)}' has {problem}; refusing to copy it into a psql script");
    }

    private static string SequencesScript(DumpReader reader)
    {
        // No ON_ERROR_STOP here: a missing sequence should not keep the others from being set, and no line holds dump data.
        var builder = new StringBuilder(ScriptStart);
        builder.Append("SET standard_conforming_strings = on;\n-- Sequence positions from the dump, split by selective-restore\n\n");
        foreach (var sequence in reader.Sequences)
        {
            builder.Append(CultureInfo.InvariantCulture, $"SELECT pg_catalog.setval({ScriptText.Literal(sequence.Sequence.ToString())}, {sequence.Value}, {(sequence.IsCalled ? "true" : "false")});\n");
        }

        return builder.ToString();
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken cancellationToken) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
}
