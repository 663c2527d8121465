using System.Text;
using Npgsql;
using Selective.Restore.Dump;

namespace Selective.Restore.PostgreSql;

/// <summary>
/// The live side of the engine-side diff: a table's rows as the server's <c>COPY ... TO STDOUT</c> text, as UTF-8 bytes.
/// The session must have the output settings the dump was written under (DateStyle ISO, IntervalStyle postgres,
/// extra_float_digits 3, client_encoding UTF8: what pg_dump sets), so that an unchanged row prints byte for byte as
/// the dump holds it.
/// </summary>
internal static class PostgreSqlLiveRows
{
    /// <summary>
    /// The session settings under which live rows print as pg_dump (12 and later) writes them. Older pg_dump versions
    /// wrote floats with extra_float_digits 2: those rows become candidates, and the typed comparison confirms them.
    /// </summary>
    public const string OutputSettings = "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'";

    /// <summary>Starts streaming <paramref name="columns"/> of <paramref name="table"/>, in that order; dispose the stream to end the COPY.</summary>
    public static async Task<Stream> OpenAsync(NpgsqlConnection connection, TableName table, IReadOnlyList<string> columns, CancellationToken cancellationToken = default)
    {
        // The query form: a partitioned table (the rows of --load-via-partition-root dumps) cannot be COPied directly.
        var list = string.Join(", ", columns.Select(PgSql.Quote));
        var reader = await connection.BeginTextExportAsync($"COPY (SELECT {list} FROM {PgSql.Quote(table)}) TO STDOUT", cancellationToken).ConfigureAwait(false);
        return new TextReaderStream(reader);
    }

    /// <summary>Starts streaming the rows of <paramref name="query"/> as COPY text; dispose the stream to end the COPY.</summary>
    public static async Task<Stream> OpenQueryAsync(NpgsqlConnection connection, string query, CancellationToken cancellationToken = default)
    {
        var reader = await connection.BeginTextExportAsync($"COPY ({query}) TO STDOUT", cancellationToken).ConfigureAwait(false);
        return new TextReaderStream(reader);
    }

    /// <summary>
    /// Npgsql offers a text COPY only as a <see cref="TextReader"/> (its raw stream is for binary COPY): this turns the
    /// characters back into UTF-8, a buffer at a time (measured: 0.16 s of CPU for 400 MB).
    /// </summary>
    private sealed class TextReaderStream(TextReader reader) : ReadOnlyStream
    {
        private readonly char[] _chars = new char[32 * 1024];
        private readonly Encoder _encoder = new UTF8Encoding(false, true).GetEncoder();

        public override int Read(Span<byte> buffer)
        {
            var read = reader.Read(_chars, 0, CharsFor(buffer.Length));
            return Encode(read, buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await reader.ReadAsync(_chars.AsMemory(0, CharsFor(buffer.Length)), cancellationToken).ConfigureAwait(false);
            return Encode(read, buffer.Span);
        }

        // A char is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 chars); at least one char per read.
        private int CharsFor(int bytes) => Math.Clamp(bytes / 3, 1, _chars.Length);

        private int Encode(int read, Span<byte> buffer) =>
            read == 0 ? _encoder.GetBytes([], buffer, flush: true) : _encoder.GetBytes(_chars.AsSpan(0, read), buffer, flush: false);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
