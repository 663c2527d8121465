using System.Globalization;
using System.Text;
using System.Text.Json;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Tests.Support;

/// <summary>How a test dump is fed to the parser: sync or async, whole or a few bytes per read, big or tiny buffer.</summary>
internal sealed record ReadMode(string Name, bool Async, bool ViaReader, int[]? Chunks, int BufferSize = InputBuffer.DefaultSize)
{
    public override string ToString() => Name;
}

internal sealed record RowResult(byte[] CopyLine, long Line, long ByteOffset, int FieldCount, string?[] Values)
{
    public string Text => Encoding.UTF8.GetString(CopyLine);
}

internal sealed class TableResult
{
    public required TableName Name { get; init; }

    public required DumpDataForm Form { get; init; }

    public required DumpColumn[] Columns { get; init; }

    public required long StartOffset { get; init; }

    public required long StartLine { get; init; }

    public long EndOffset { get; set; }

    public long RowsRead { get; set; }

    public bool IsCompleted { get; set; }

    public List<RowResult> Rows { get; } = [];

    public string?[] ColumnNames => [.. Columns.Select(c => c.Name)];

    public string[] Lines => [.. Rows.Select(r => r.Text)];

    public string?[][] Values => [.. Rows.Select(r => r.Values)];
}

internal sealed class DumpResult
{
    public List<TableResult> Tables { get; } = [];

    public SequenceValue[] Sequences { get; set; } = [];

    public string? Encoding { get; set; }

    public string[] Settings { get; set; } = [];

    public long TablesSkipped { get; set; }

    public bool StandardConformingStrings { get; set; }

    public DumpFormatException? Error { get; set; }

    public TableResult Single() => Tables.ShouldHaveSingleItem();

    public TableResult this[string name] => Tables.Single(t => t.Name.ToString() == name);

    /// <summary>Everything observable, as text, so that runs in different modes can be compared with a readable diff.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"encoding={Encoding} scs={StandardConformingStrings} skipped={TablesSkipped}\n");
        foreach (var setting in Settings)
        {
            sb.Append(inv, $"set {setting}\n");
        }

        foreach (var t in Tables)
        {
            var columns = string.Join(",", t.Columns.Select(c => $"{c.Name ?? "?"}#{c.Position}"));
            sb.Append(inv, $"table {t.Name} {t.Form} [{columns}] start={t.StartOffset}@{t.StartLine} end={t.EndOffset} rows={t.RowsRead} done={t.IsCompleted}\n");
            foreach (var r in t.Rows)
            {
                sb.Append(inv, $"  row {r.Line}@{r.ByteOffset} {JsonSerializer.Serialize(r.Text)} n={r.FieldCount} {JsonSerializer.Serialize(r.Values)}\n");
            }
        }

        foreach (var s in Sequences)
        {
            sb.Append(inv, $"seq {s}\n");
        }

        if (Error is { } e)
        {
            sb.Append(inv, $"error {e.Message} | reason={e.Reason} line={e.Line} offset={e.ByteOffset} table={e.Table} source={e.Source}\n");
        }

        return sb.ToString();
    }
}

/// <summary>Reads in-memory dumps in every <see cref="ReadMode"/> and checks they all see exactly the same thing.</summary>
internal static class DumpHarness
{
    public const string SourceName = "test.sql";

    public static readonly ReadMode[] Modes =
    [
        new("reader-async", Async: true, ViaReader: true, Chunks: null),
        new("reader-sync", Async: false, ViaReader: true, Chunks: null),
        new("reader-async-trickle-5", Async: true, ViaReader: true, Chunks: [5]),
        new("parser-async-1-byte-16-buffer", Async: true, ViaReader: false, Chunks: [1], BufferSize: 16),
        new("parser-sync-1..7-bytes-16-buffer", Async: false, ViaReader: false, Chunks: [1, 2, 3, 4, 5, 6, 7], BufferSize: 16),
        new("parser-async-7..1-bytes", Async: true, ViaReader: false, Chunks: [7, 3, 1, 6, 2, 5, 4]),
        new("parser-sync-3-bytes-64-buffer", Async: false, ViaReader: false, Chunks: [3], BufferSize: 64),
    ];

    /// <summary>For inputs of hundreds of KB: re-lexing a huge token on every 1-byte read would be quadratic, so reads are bigger.</summary>
    public static readonly ReadMode[] LargeInputModes =
    [
        new("reader-async", Async: true, ViaReader: true, Chunks: null),
        new("reader-sync", Async: false, ViaReader: true, Chunks: null),
        new("parser-async-997..4093-bytes-16-buffer", Async: true, ViaReader: false, Chunks: [997, 7, 4093], BufferSize: 16),
        new("parser-sync-4096-bytes-64-buffer", Async: false, ViaReader: false, Chunks: [4096], BufferSize: 64),
    ];

    public static byte[] Utf8(string sql) => System.Text.Encoding.UTF8.GetBytes(sql);

    /// <summary>Reads the dump in every mode, asserts identical results and no error, returns the result.</summary>
    public static Task<DumpResult> ReadAsync(string sql, TableFilter? filter = null, ReadMode[]? modes = null) => ReadAsync(Utf8(sql), filter, modes);

    public static async Task<DumpResult> ReadAsync(byte[] dump, TableFilter? filter = null, ReadMode[]? modes = null)
    {
        var result = await ReadAllModesAsync(dump, filter, modes);
        if (result.Error is { } error)
        {
            Assert.Fail($"unexpected {error.GetType().Name}: {error.Message}");
        }

        return result;
    }

    /// <summary>Reads the dump in every mode, asserts they all fail identically with a <see cref="DumpFormatException"/>, returns it.</summary>
    public static Task<DumpFormatException> FailAsync(string sql, TableFilter? filter = null) => FailAsync(Utf8(sql), filter);

    public static async Task<DumpFormatException> FailAsync(byte[] dump, TableFilter? filter = null)
    {
        var result = await ReadAllModesAsync(dump, filter);
        result.Error.ShouldNotBeNull("the dump was expected to be rejected");
        result.Error.Source.ShouldBe(SourceName);
        result.Error.Message.ShouldStartWith($"{SourceName}: line {result.Error.Line}, byte offset {result.Error.ByteOffset}");
        if (result.Error.Table is { } table)
        {
            result.Error.Message.ShouldContain($", table {table}: ");
        }

        return result.Error;
    }

    /// <summary>Reads the bytes in every mode and asserts every mode gives the same result; <paramref name="run"/> reads one mode (<see cref="RunAsync"/>, pg_dump plain, by default).</summary>
    public static async Task<DumpResult> ReadAllModesAsync(byte[] dump, TableFilter? filter = null, ReadMode[]? modes = null, Func<byte[], ReadMode, TableFilter, Task<DumpResult>>? run = null)
    {
        DumpResult? first = null;
        string? expected = null;
        modes ??= Modes;
        run ??= RunAsync;
        foreach (var mode in modes)
        {
            var result = await run(dump, mode, filter ?? TableFilter.All);
            var rendered = result.Render();
            if (first is null)
            {
                first = result;
                expected = rendered;
            }
            else
            {
                rendered.ShouldBe(expected, $"mode {mode} differs from {modes[0]}");
            }
        }

        return first!;
    }

    public static Task<DumpResult> RunAsync(byte[] dump, ReadMode mode, TableFilter filter) => RunWithDatabaseAsync(dump, mode, filter, database: null);

    /// <summary>Reads one mode with <see cref="DumpReaderOptions.Database"/> set to <paramref name="database"/>.</summary>
    public static async Task<DumpResult> RunWithDatabaseAsync(byte[] dump, ReadMode mode, TableFilter filter, string? database)
    {
        Stream stream = mode.Chunks is null ? new MemoryStream(dump, writable: false) : new TrickleStream(dump, mode.Chunks);
        var result = new DumpResult();
        if (mode.ViaReader)
        {
            DumpReader reader;
            try
            {
                reader = DumpReader.Open(stream, new DumpReaderOptions { Tables = filter, SourceName = SourceName, Database = database });
            }
            catch (DumpFormatException ex)
            {
                result.Error = ex;
                return result;
            }

            using (reader)
            {
                await ReadAllAsync(reader, result, mode);
            }
        }
        else
        {
            using var parser = new PlainDumpParser(stream, SourceName, filter, mode.BufferSize, database: database);
            await ReadTablesAsync(result, mode, () => mode.Async
                ? parser.NextTableAsync(async: true, CancellationToken.None)
                : new ValueTask<DumpTable?>(SyncPath.Complete(parser.NextTableAsync(async: false, CancellationToken.None))));
            result.Sequences = [.. parser.Sequences];
            result.Encoding = parser.Encoding;
            result.Settings = [.. parser.SettingStatements];
            result.TablesSkipped = parser.TablesSkipped;
            result.StandardConformingStrings = parser.StandardConformingStrings;
        }

        return result;
    }

    /// <summary>Reads every table of an open reader (asynchronously) into a result.</summary>
    public static async Task<DumpResult> ReadAsync(DumpReader reader)
    {
        var result = new DumpResult();
        await ReadAllAsync(reader, result, Modes[0]);
        return result;
    }

    private static async Task ReadAllAsync(DumpReader reader, DumpResult result, ReadMode mode)
    {
        await ReadTablesAsync(result, mode, () => mode.Async ? reader.NextTableAsync() : new ValueTask<DumpTable?>(reader.NextTable()));
        result.Sequences = [.. reader.Sequences];
        result.Encoding = reader.Encoding;
        result.Settings = [.. reader.SessionSettings];
        result.TablesSkipped = reader.TablesSkipped;
        result.StandardConformingStrings = reader.StandardConformingStrings;
    }

    /// <summary>Reads every table <paramref name="next"/> yields into <paramref name="result"/>; a <see cref="DumpFormatException"/> is recorded, not thrown.</summary>
    public static async Task ReadTablesAsync(DumpResult result, ReadMode mode, Func<ValueTask<DumpTable?>> next)
    {
        TableResult? current = null;
        DumpTable? table = null;
        try
        {
            while ((table = await next()) is not null)
            {
                current = new TableResult
                {
                    Name = table.Name,
                    Form = table.Form,
                    Columns = [.. table.Columns],
                    StartOffset = table.StartOffset,
                    StartLine = table.StartLine,
                };
                result.Tables.Add(current);
                while (mode.Async ? await table.ReadAsync() : table.Read())
                {
                    var row = table.Current;
                    current.Rows.Add(new RowResult(row.CopyLine.ToArray(), row.Line, row.ByteOffset, row.FieldCount, row.ToArray()));
                }

                Finish(current, table);
            }
        }
        catch (DumpFormatException ex)
        {
            result.Error = ex;
            if (current is not null && table is not null)
            {
                Finish(current, table);
            }
        }
    }

    private static void Finish(TableResult current, DumpTable table)
    {
        current.EndOffset = table.EndOffset;
        current.RowsRead = table.RowsRead;
        current.IsCompleted = table.IsCompleted;
    }
}
