using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Sqlite;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// Reads in-memory sqlite3 dumps in every <see cref="ReadMode"/> (through <see cref="DumpReader"/> and straight through the
/// parser with tiny buffers and 1–7 byte reads) and checks they all see exactly the same thing.
/// </summary>
internal static class SqliteHarness
{
    public const string SourceName = "test.sql";

    /// <summary>What every sqlite3 .dump starts with.</summary>
    public const string Head = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n";

    public static TableName InMain(string name) => new(SqliteDumpParser.Schema, name);

    /// <summary>Reads the dump in every mode, asserts identical results and no error, returns the result.</summary>
    public static Task<DumpResult> ReadAsync(string dump, TableFilter? filter = null) => ReadAsync(Encoding.UTF8.GetBytes(dump), filter);

    public static async Task<DumpResult> ReadAsync(byte[] dump, TableFilter? filter = null, ReadMode[]? modes = null)
    {
        var result = await ReadAllModesAsync(dump, filter, modes);
        if (result.Error is { } error)
        {
            Assert.Fail($"unexpected {error.GetType().Name}: {error.Message}");
        }

        return result;
    }

    /// <summary>Reads the dump in every mode, asserts they all fail identically with a located <see cref="DumpFormatException"/>, returns it.</summary>
    public static Task<DumpFormatException> FailAsync(string dump, TableFilter? filter = null) => FailAsync(Encoding.UTF8.GetBytes(dump), filter);

    public static async Task<DumpFormatException> FailAsync(byte[] dump, TableFilter? filter = null)
    {
        var result = await ReadAllModesAsync(dump, filter);
        result.Error.ShouldNotBeNull("the dump was expected to be rejected");
        result.Error.Source.ShouldBe(SourceName);
        var tablePart = result.Error.Table is { } table ? $", table {table}" : string.Empty;
        result.Error.Message.ShouldBe($"{SourceName}: line {result.Error.Line}, byte offset {result.Error.ByteOffset}{tablePart}: {result.Error.Reason}");
        return result.Error;
    }

    public static Task<DumpResult> ReadAllModesAsync(byte[] dump, TableFilter? filter = null, ReadMode[]? modes = null) =>
        DumpHarness.ReadAllModesAsync(dump, filter, modes, RunAsync);

    /// <summary>A parser over the dump's bytes as <see cref="DumpReader"/> would build it (a UTF-8 byte order mark skipped but counted), for direct-parser modes.</summary>
    public static SqliteDumpParser CreateParser(byte[] dump, Func<byte[], Stream> open, TableFilter filter, int bufferSize)
    {
        var skip = dump.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        return new SqliteDumpParser(open(dump[skip..]), SourceName, filter, bufferSize, startOffset: skip);
    }

    public static async Task<DumpResult> RunAsync(byte[] dump, ReadMode mode, TableFilter filter)
    {
        Stream Open(byte[] bytes) => mode.Chunks is null ? new MemoryStream(bytes, writable: false) : new TrickleStream(bytes, mode.Chunks);

        var result = new DumpResult();
        if (mode.ViaReader)
        {
            DumpReader reader;
            try
            {
                reader = DumpReader.Open(Open(dump), new DumpReaderOptions { Tables = filter, SourceName = SourceName });
            }
            catch (DumpFormatException ex)
            {
                result.Error = ex;
                return result;
            }

            using (reader)
            {
                reader.Format.ShouldBe(DumpFormat.SqliteDump);
                await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async ? reader.NextTableAsync() : new ValueTask<DumpTable?>(reader.NextTable()));
                result.Sequences = [.. reader.Sequences];
                result.Encoding = reader.Encoding;
                result.TablesSkipped = reader.TablesSkipped;
                result.StandardConformingStrings = reader.StandardConformingStrings;
                reader.SessionSettings.ShouldBeEmpty();
            }
        }
        else
        {
            using var parser = CreateParser(dump, Open, filter, mode.BufferSize);
            await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async
                ? parser.NextTableAsync(async: true, CancellationToken.None)
                : new ValueTask<DumpTable?>(SyncPath.Complete(parser.NextTableAsync(async: false, CancellationToken.None))));
            result.Sequences = [.. parser.Sequences];
            result.Encoding = parser.Encoding;
            result.TablesSkipped = parser.TablesSkipped;
            result.StandardConformingStrings = parser.StandardConformingStrings;
            if (result.Error is null)
            {
                parser.BytesRead.ShouldBe(dump.Length);
            }
        }

        return result;
    }

    /// <summary>The byte offset of the <paramref name="occurrence"/>th <paramref name="marker"/> in the dump's UTF-8.</summary>
    public static long Offset(string dump, string marker, int occurrence = 1)
    {
        var at = -1;
        for (var i = 0; i < occurrence; i++)
        {
            at = dump.IndexOf(marker, at + 1, StringComparison.Ordinal);
            at.ShouldBeGreaterThanOrEqualTo(0, $"'{marker}' #{occurrence} is not in the dump");
        }

        return Encoding.UTF8.GetByteCount(dump.AsSpan(0, at));
    }
}
