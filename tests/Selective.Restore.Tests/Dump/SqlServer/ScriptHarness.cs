using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Dump.SqlServer;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>How a test script's text is encoded on disk.</summary>
public enum ScriptEncoding
{
    Utf8,
    Utf8Bom,
    Utf16LE,
    Utf16BE,
}

/// <summary>
/// Reads in-memory SQL Server scripts in every <see cref="ReadMode"/> (through <see cref="DumpReader"/> and straight
/// through the parser with tiny buffers and 1–7 byte reads) and checks they all see exactly the same thing.
/// </summary>
internal static class ScriptHarness
{
    public const string SourceName = "test.sql";

    public static readonly ScriptEncoding[] AllEncodings = [ScriptEncoding.Utf8, ScriptEncoding.Utf8Bom, ScriptEncoding.Utf16LE, ScriptEncoding.Utf16BE];

    public static byte[] Encode(string script, ScriptEncoding encoding) => encoding switch
    {
        ScriptEncoding.Utf8 => Encoding.UTF8.GetBytes(script),
        ScriptEncoding.Utf8Bom => [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(script)],
        ScriptEncoding.Utf16LE => Utf16(script, bigEndian: false),
        _ => Utf16(script, bigEndian: true),
    };

    /// <summary>UTF-16 with its byte order mark, code unit by code unit (Encoding.Unicode would replace a lone surrogate).</summary>
    private static byte[] Utf16(string script, bool bigEndian)
    {
        var bytes = new byte[2 + (2 * script.Length)];
        for (var i = -1; i < script.Length; i++)
        {
            var unit = i < 0 ? '\uFEFF' : script[i];
            bytes[2 + (2 * i) + (bigEndian ? 0 : 1)] = (byte)(unit >> 8);
            bytes[2 + (2 * i) + (bigEndian ? 1 : 0)] = (byte)unit;
        }

        return bytes;
    }

    public static string EncodingName(ScriptEncoding encoding) => encoding switch
    {
        ScriptEncoding.Utf16LE => "UTF16LE",
        ScriptEncoding.Utf16BE => "UTF16BE",
        _ => "UTF8",
    };

    /// <summary>Reads the script in every mode, asserts identical results and no error, returns the result.</summary>
    public static Task<DumpResult> ReadAsync(string script, ScriptEncoding encoding = ScriptEncoding.Utf8, TableFilter? filter = null) =>
        ReadAsync(Encode(script, encoding), filter);

    public static async Task<DumpResult> ReadAsync(byte[] script, TableFilter? filter = null)
    {
        var result = await ReadAllModesAsync(script, filter);
        if (result.Error is { } error)
        {
            Assert.Fail($"unexpected {error.GetType().Name}: {error.Message}");
        }

        return result;
    }

    /// <summary>Reads the script in every mode, asserts they all fail identically with a located <see cref="DumpFormatException"/>, returns it.</summary>
    public static Task<DumpFormatException> FailAsync(string script, ScriptEncoding encoding = ScriptEncoding.Utf8, TableFilter? filter = null) =>
        FailAsync(Encode(script, encoding), filter);

    public static async Task<DumpFormatException> FailAsync(byte[] script, TableFilter? filter = null)
    {
        var result = await ReadAllModesAsync(script, filter);
        result.Error.ShouldNotBeNull("the script was expected to be rejected");
        result.Error.Source.ShouldBe(SourceName);
        var tablePart = result.Error.Table is { } table ? $", table {table}" : string.Empty;
        result.Error.Message.ShouldBe($"{SourceName}: line {result.Error.Line}, byte offset {result.Error.ByteOffset}{tablePart}: {result.Error.Reason}");
        return result.Error;
    }

    public static Task<DumpResult> ReadAllModesAsync(byte[] script, TableFilter? filter = null, ReadMode[]? modes = null) =>
        DumpHarness.ReadAllModesAsync(script, filter, modes, RunAsync);

    /// <summary>A parser over the script's bytes as <see cref="DumpReader"/> would build it (BOM handling, UTF-16 transcoding), for direct-parser modes.</summary>
    public static SqlServerScriptParser CreateParser(byte[] script, Func<byte[], Stream> open, TableFilter filter, int bufferSize)
    {
        if (script.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || script.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            var bigEndian = script[0] == 0xFE;
            var utf8 = new Utf16ToUtf8Stream(open(script[2..]), bigEndian);
            return new SqlServerScriptParser(utf8, SourceName, filter, bigEndian ? "UTF16BE" : "UTF16LE", bufferSize);
        }

        var skip = script.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        return new SqlServerScriptParser(open(script[skip..]), SourceName, filter, "UTF8", bufferSize, startOffset: skip);
    }

    public static async Task<DumpResult> RunAsync(byte[] script, ReadMode mode, TableFilter filter)
    {
        Stream Open(byte[] bytes) => mode.Chunks is null ? new MemoryStream(bytes, writable: false) : new TrickleStream(bytes, mode.Chunks);

        var result = new DumpResult();
        if (mode.ViaReader)
        {
            DumpReader reader;
            try
            {
                reader = DumpReader.Open(Open(script), new DumpReaderOptions { Tables = filter, SourceName = SourceName });
            }
            catch (DumpFormatException ex)
            {
                result.Error = ex;
                return result;
            }

            using (reader)
            {
                reader.Format.ShouldBe(DumpFormat.SqlServerScript);
                await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async ? reader.NextTableAsync() : new ValueTask<DumpTable?>(reader.NextTable()));
                result.Encoding = reader.Encoding;
                result.TablesSkipped = reader.TablesSkipped;
                result.StandardConformingStrings = reader.StandardConformingStrings;
                reader.Sequences.ShouldBeEmpty();
                reader.SessionSettings.ShouldBeEmpty();
                reader.Notices.ShouldBeEmpty();
            }
        }
        else
        {
            using var parser = CreateParser(script, Open, filter, mode.BufferSize);
            await DumpHarness.ReadTablesAsync(result, mode, () => mode.Async
                ? parser.NextTableAsync(async: true, CancellationToken.None)
                : new ValueTask<DumpTable?>(SyncPath.Complete(parser.NextTableAsync(async: false, CancellationToken.None))));
            result.Encoding = parser.Encoding;
            result.TablesSkipped = parser.TablesSkipped;
            result.StandardConformingStrings = parser.StandardConformingStrings;
            if (result.Error is null)
            {
                parser.BytesRead.ShouldBe(UnicodeContentLength(script));
            }
        }

        return result;
    }

    /// <summary>The length of the stream the parser reads: the file for UTF-8 (offsets count a BOM), the UTF-8 transcoding for UTF-16.</summary>
    private static long UnicodeContentLength(byte[] script)
    {
        if (script.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Encoding.UTF8.GetByteCount(Encoding.Unicode.GetString(script, 2, script.Length - 2));
        }

        return script.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
            ? Encoding.UTF8.GetByteCount(Encoding.BigEndianUnicode.GetString(script, 2, script.Length - 2))
            : script.Length;
    }
}
