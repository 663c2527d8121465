using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Selective.Restore;

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
    private string? _lastKey;

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
                run._lastKey = key;
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

    /// <summary>
    /// Looks <paramref name="key"/> up: reads the one block that may hold it, and none when the key lies outside the
    /// run's range (most lookups of a child's rows find no entry).
    /// </summary>
    public bool TryFind(string key, out string? to, out MapKind kind)
    {
        (to, kind) = (null, default);
        if (_lastKey is null || string.CompareOrdinal(key, _lastKey) > 0)
        {
            return false;
        }

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

        if (found < 0)
        {
            return false;
        }

        var sought = Encoding.UTF8.GetBytes(key);
        ReadOnlySpan<byte> span = Read(found);
        while (Next(ref span, out var entryKey, out var entryKind, out var entryTo))
        {
            if (entryKey.SequenceEqual(sought))
            {
                (to, kind) = (entryKind.IsHeld ? null : Encoding.UTF8.GetString(entryTo), entryKind.Kind);
                return true;
            }
        }

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
        while (Next(ref span, out var key, out var kind, out var to))
        {
            entries.Add((Encoding.UTF8.GetString(key), kind.IsHeld ? null : Encoding.UTF8.GetString(to), kind.Kind));
        }

        return entries;
    }

    /// <summary>One record off the front of <paramref name="span"/> (see <see cref="Encode"/>): its key, kind and target bytes.</summary>
    private static bool Next(ref ReadOnlySpan<byte> span, out ReadOnlySpan<byte> key, out (MapKind Kind, bool IsHeld) kind, out ReadOnlySpan<byte> to)
    {
        if (span.IsEmpty)
        {
            key = default;
            to = default;
            kind = default;
            return false;
        }

        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(span);
        key = span.Slice(4, keyLength);
        span = span[(4 + keyLength)..];
        var toLength = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
        kind = ((MapKind)span[0], toLength < 0);
        span = span[5..];
        to = toLength < 0 ? default : span[..toLength];
        span = span[Math.Max(toLength, 0)..];
        return true;
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
