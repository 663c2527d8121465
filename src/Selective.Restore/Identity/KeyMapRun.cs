using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Selective.Restore.Identity;

/// <summary>
/// Key map entries moved to disk (<see cref="KeyMap.Evict"/>): sorted by key (ordinal), in blocks of about 4 KiB, with
/// each block's first key kept in memory, so a lookup reads one block (from the page cache, usually) and scans it
/// without decoding. Written once, deleted on dispose (and by the OS if the process dies).
/// </summary>
internal sealed class KeyMapRun : IDisposable
{
    private const int BlockSize = 4 * 1024;
    private readonly SafeFileHandle _file;
    private readonly List<(string FirstKey, long Offset, int Length)> _blocks = [];
    private byte[] _buffer = new byte[BlockSize];

    private KeyMapRun(SafeFileHandle file) => _file = file;

    public int Count { get; private set; }

    /// <summary>Writes <paramref name="entries"/>, which must come in key order (ordinal), each key once, to a new file in <paramref name="directory"/>.</summary>
    public static KeyMapRun Write(string directory, IEnumerable<(string Key, string? To, MapKind Kind)> entries)
    {
        var path = Path.Combine(directory, $"selective-restore-keymap-{Guid.NewGuid():N}.spill");
        var run = new KeyMapRun(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose));
        try
        {
            var block = new MemoryStream(BlockSize);
            string? first = null;
            long offset = 0;
            foreach (var (key, to, kind) in entries)
            {
                var record = Encode(key, to, kind);
                if (block.Length > 0 && block.Length + record.Length > BlockSize)
                {
                    offset = run.Flush(block, first!, offset);
                    first = null;
                }

                first ??= key;
                block.Write(record);
                run.Count++;
            }

            if (block.Length > 0)
            {
                run.Flush(block, first!, offset);
            }

            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private long Flush(MemoryStream block, string first, long offset)
    {
        RandomAccess.Write(_file, block.GetBuffer().AsSpan(0, (int)block.Length), offset);
        _blocks.Add((first, offset, (int)block.Length));
        offset += block.Length;
        block.SetLength(0);
        return offset;
    }

    /// <summary>Looks <paramref name="key"/> up: reads the one block that may hold it.</summary>
    public bool TryFind(string key, out string? to, out MapKind kind)
    {
        // The last block whose first key is not after the key.
        int low = 0, high = _blocks.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (string.CompareOrdinal(_blocks[middle].FirstKey, key) <= 0)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        if (found >= 0)
        {
            var sought = Encoding.UTF8.GetBytes(key);
            var span = Read(found);
            while (!span.IsEmpty)
            {
                var keyLength = BinaryPrimitives.ReadInt32LittleEndian(span);
                var match = span.Slice(4, keyLength).SequenceEqual(sought);
                span = span[(4 + keyLength)..];
                var entryKind = (MapKind)span[0];
                var toLength = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
                span = span[5..];
                if (match)
                {
                    (to, kind) = (toLength < 0 ? null : Encoding.UTF8.GetString(span[..toLength]), entryKind);
                    return true;
                }

                span = span[Math.Max(toLength, 0)..];
            }
        }

        (to, kind) = (null, default);
        return false;
    }

    /// <summary>Every entry, in key order.</summary>
    public IEnumerable<(string Key, string? To, MapKind Kind)> All()
    {
        for (var i = 0; i < _blocks.Count; i++)
        {
            foreach (var entry in ReadBlock(i))
            {
                yield return entry;
            }
        }
    }

    private Span<byte> Read(int index)
    {
        var (_, offset, length) = _blocks[index];
        if (_buffer.Length < length)
        {
            _buffer = new byte[length];
        }

        var span = _buffer.AsSpan(0, length);
        for (var read = 0; read < length;)
        {
            var n = RandomAccess.Read(_file, span[read..], offset + read);
            read += n > 0 ? n : throw new IOException("a key map spill file ended early");
        }

        return span;
    }

    private List<(string Key, string? To, MapKind Kind)> ReadBlock(int index)
    {
        ReadOnlySpan<byte> span = Read(index);
        var entries = new List<(string, string?, MapKind)>();
        while (!span.IsEmpty)
        {
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(span);
            var key = Encoding.UTF8.GetString(span.Slice(4, keyLength));
            span = span[(4 + keyLength)..];
            var kind = (MapKind)span[0];
            var toLength = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
            span = span[5..];
            string? to = null;
            if (toLength >= 0)
            {
                to = Encoding.UTF8.GetString(span[..toLength]);
                span = span[toLength..];
            }

            entries.Add((key, to, kind));
        }

        return entries;
    }

    private static byte[] Encode(string key, string? to, MapKind kind)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var toBytes = to is null ? null : Encoding.UTF8.GetBytes(to);
        var record = new byte[4 + keyBytes.Length + 1 + 4 + (toBytes?.Length ?? 0)];
        BinaryPrimitives.WriteInt32LittleEndian(record, keyBytes.Length);
        keyBytes.CopyTo(record, 4);
        record[4 + keyBytes.Length] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(5 + keyBytes.Length), toBytes?.Length ?? -1);
        toBytes?.CopyTo(record, 9 + keyBytes.Length);
        return record;
    }

    public void Dispose() => _file.Dispose();
}
