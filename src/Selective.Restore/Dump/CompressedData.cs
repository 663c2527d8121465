namespace Selective.Restore.Dump;

/// <summary>Words for a decompressor's complaint: .NET calls any undecodable deflate data "an unsupported compression method".</summary>
internal static class CompressedData
{
    /// <summary>What is wrong with compressed data that failed to decompress, without .NET's misleading wording.</summary>
    public static string Corrupt(string format, InvalidDataException exception) =>
        exception.Message.Contains("unsupported compression method", StringComparison.OrdinalIgnoreCase)
            ? $"corrupt {format} data: it cannot be decompressed (the compressed bytes are damaged)"
            : $"corrupt {format} data: it cannot be decompressed ({exception.Message.TrimEnd('.')})";
}
