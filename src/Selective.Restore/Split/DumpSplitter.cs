using System.Globalization;
using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;

namespace Selective.Restore.Split;

/// <summary>
/// Splits a dump into one self-contained SQL file per table: the session settings the dump had in force
/// (encoding, <c>standard_conforming_strings</c>, <c>search_path</c>...) followed by the table's COPY block or
/// INSERT statements byte for byte, so <c>psql -f FILE</c> loads it into a database that has the schema.
/// Streams in constant memory; a table whose data turns out malformed leaves no file behind.
/// </summary>
public static class DumpSplitter
{
    /// <summary>Splits the remaining tables of <paramref name="reader"/> into <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="DumpFormatException">The dump is malformed (files of the tables before it are kept; the manifest is not written).</exception>
    /// <exception cref="IOException">The output directory is not empty and <see cref="SplitOptions.Overwrite"/> is false.</exception>
    public static async Task<SplitResult> SplitAsync(DumpReader reader, string outputDirectory, SplitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        options ??= new SplitOptions();
        if (Directory.Exists(outputDirectory) && !options.Overwrite && Directory.EnumerateFileSystemEntries(outputDirectory).Any())
        {
            throw new IOException($"Output directory '{outputDirectory}' is not empty; choose an empty one or allow overwriting.");
        }

        Directory.CreateDirectory(outputDirectory);
        var files = new List<SplitTableFile>();
        var index = 0;
        while (await reader.NextTableAsync(cancellationToken).ConfigureAwait(false) is { } table)
        {
            index++;
            var fileName = FileNameFor(index, table.Name);
            var path = Path.Combine(outputDirectory, fileName);
            var partial = path + ".partial";
            long bytes;
            // Unbuffered: the reader hands over whole blocks, so a FileStream buffer would only add a copy and a lock.
            var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            try
            {
                await using (stream.ConfigureAwait(false))
                {
                    await WriteAsync(stream, Preamble(reader, table), cancellationToken).ConfigureAwait(false);
                    await table.CopyRawToAsync(stream, cancellationToken).ConfigureAwait(false);
                    await WriteAsync(stream, "\n", cancellationToken).ConfigureAwait(false);
                    bytes = stream.Length;
                }

                File.Move(partial, path, overwrite: true);
            }
            catch
            {
                File.Delete(partial);
                throw;
            }

            files.Add(new SplitTableFile(table.Name, table.RowsRead, bytes, fileName, table.Form));
        }

        string? sequencesFile = null;
        if (reader.Sequences.Count > 0)
        {
            sequencesFile = "sequences.sql";
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, sequencesFile), SequencesScript(reader), cancellationToken).ConfigureAwait(false);
        }

        var result = new SplitResult(outputDirectory, reader.Source, files, [.. reader.Sequences], sequencesFile);
        var manifest = new FileStream(Path.Combine(outputDirectory, SplitResult.ManifestFileName), FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (manifest.ConfigureAwait(false))
        {
            var json = new Utf8JsonWriter(manifest, new JsonWriterOptions { Indented = true });
            await using (json.ConfigureAwait(false))
            {
                result.WriteJson(json);
                await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return result;
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
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"--\n-- Data for {table.Name}, split from {Path.GetFileName(reader.Source)} (line {table.StartLine}) by selective-restore\n--\n\n");
        foreach (var statement in reader.SessionSettings)
        {
            builder.Append(statement).Append('\n');
        }

        builder.Append('\n');
        return builder.ToString();
    }

    private static string SequencesScript(DumpReader reader)
    {
        var builder = new StringBuilder("-- Sequence positions from the dump, split by selective-restore\n\n");
        foreach (var sequence in reader.Sequences)
        {
            var literal = sequence.Sequence.ToString().Replace("'", "''", StringComparison.Ordinal);
            builder.Append(CultureInfo.InvariantCulture, $"SELECT pg_catalog.setval('{literal}', {sequence.Value}, {(sequence.IsCalled ? "true" : "false")});\n");
        }

        return builder.ToString();
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken cancellationToken) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
}
