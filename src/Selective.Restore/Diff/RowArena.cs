namespace Selective.Restore.Diff;

/// <summary>
/// Dump rows of one table (or one partition of it) in memory, indexed by key: lines and keys packed into 1 MiB chunks,
/// one small struct per row, a chained hash index over them. The hash only picks a bucket; keys are always compared byte
/// by byte, so a collision (even a crafted one) costs time, never a wrong match. The hash is seeded per process
/// (<see cref="HashCode"/>), so crafted collisions cannot be prepared in advance.
/// </summary>
internal sealed class RowArena
{
    private readonly List<byte[]> _chunks = [];
    private readonly int _salt;
    private readonly int _chunkSize;
    private readonly bool _lineIsKey;
    private int _chunkUsed;
    private Entry[] _entries = new Entry[256];
    private int[] _buckets = new int[512];
    private int _count;
    private long _chunkBytes;

    /// <param name="salt">Seeds the hash (each spill level has its own).</param>
    /// <param name="budget">The memory budget: chunks are a small part of it (1/16, from 4 KiB to 1 MiB), so a small budget is not spent on one chunk.</param>
    /// <param name="expectedRows">Rows expected (a spilled partition knows): the index is sized once instead of growing.</param>
    /// <param name="lineIsKey">The whole line is the key (a table without a key, diffed as a multiset): not stored twice.</param>
    public RowArena(int salt, long budget, long expectedRows = 0, bool lineIsKey = false)
    {
        _salt = salt;
        _lineIsKey = lineIsKey;
        if (expectedRows > 0)
        {
            var rows = (int)Math.Min(expectedRows, 1 << 24);
            _entries = new Entry[rows];
            _buckets = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(rows + (rows / 3) + 1))];
        }

        _chunkSize = (int)Math.Clamp(budget / 16, 4096, 1 << 20);
        _chunkUsed = _chunkSize;
    }

    public int Count => _count;

    /// <summary>Bytes held: chunks, row structs and the index.</summary>
    public long Bytes => _chunkBytes + ((long)_entries.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>()) + ((long)_buckets.Length * sizeof(int));

    public static int Hash(ReadOnlySpan<byte> key, int salt)
    {
        var hash = default(HashCode);
        hash.Add(salt);
        hash.AddBytes(key);
        return hash.ToHashCode();
    }

    public int HashOf(ReadOnlySpan<byte> key) => Hash(key, _salt);

    public int HashAt(int index) => _entries[index].Hash;

    /// <summary>The row with this key, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        for (var i = _buckets[hash & (_buckets.Length - 1)] - 1; i >= 0; i = _entries[i].Next - 1)
        {
            ref readonly var entry = ref _entries[i];
            if (entry.Hash == hash && Key(i).SequenceEqual(key))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Adds a row whose key is not present (see <see cref="Find"/>); returns its index.</summary>
    public int Add(ReadOnlySpan<byte> line, ReadOnlySpan<byte> key, int hash, long lineNumber, long byteOffset)
    {
        if (_lineIsKey)
        {
            key = [];
        }

        var size = line.Length + key.Length;
        if (size > _chunkSize - _chunkUsed)
        {
            // A row longer than a chunk gets a chunk of its own; the next row starts a fresh one.
            _chunks.Add(new byte[Math.Max(size, _chunkSize)]);
            _chunkBytes += _chunks[^1].Length;
            _chunkUsed = 0;
        }

        var chunk = _chunks[^1];
        line.CopyTo(chunk.AsSpan(_chunkUsed));
        key.CopyTo(chunk.AsSpan(_chunkUsed + line.Length));
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        var index = _count++;
        _entries[index] = new Entry
        {
            Chunk = _chunks.Count - 1,
            Offset = _chunkUsed,
            LineLength = line.Length,
            KeyLength = key.Length,
            Hash = hash,
            LineNumber = lineNumber,
            ByteOffset = byteOffset,
            Count = 1,
        };
        _chunkUsed += size;
        if (size >= _chunkSize)
        {
            _chunkUsed = _chunkSize;
        }

        if (_count > _buckets.Length / 4 * 3)
        {
            Rehash();
        }
        else
        {
            Link(index);
        }

        return index;
    }

    public ReadOnlySpan<byte> Line(int index)
    {
        ref readonly var entry = ref _entries[index];
        return _chunks[entry.Chunk].AsSpan(entry.Offset, entry.LineLength);
    }

    public ReadOnlySpan<byte> Key(int index)
    {
        if (_lineIsKey)
        {
            return Line(index);
        }

        ref readonly var entry = ref _entries[index];
        return _chunks[entry.Chunk].AsSpan(entry.Offset + entry.LineLength, entry.KeyLength);
    }

    public long LineNumber(int index) => _entries[index].LineNumber;

    public long ByteOffset(int index) => _entries[index].ByteOffset;

    /// <summary>Whether a live row matched this one (keyed) or matched every copy of it (multiset).</summary>
    public bool IsMatched(int index) => _entries[index].LiveCount >= _entries[index].Count;

    /// <summary>Counts a live row matching this one.</summary>
    public void SetMatched(int index) => _entries[index].LiveCount++;

    /// <summary>Copies of this row in the dump (1 with a key; any number in a multiset).</summary>
    public int Copies(int index) => _entries[index].Count;

    /// <summary>Copies of this row the live side holds, up to <see cref="Copies"/>.</summary>
    public int LiveCopies(int index) => _entries[index].LiveCount;

    /// <summary>Forgets every match, so the rows can be diffed again (a retried transaction).</summary>
    public void ResetMatches()
    {
        for (var i = 0; i < _count; i++)
        {
            _entries[i].LiveCount = 0;
        }
    }

    /// <summary>One more copy of an existing row (multiset).</summary>
    public void AddCopy(int index) => _entries[index].Count++;

    private void Link(int index)
    {
        var bucket = _entries[index].Hash & (_buckets.Length - 1);
        _entries[index].Next = _buckets[bucket];
        _buckets[bucket] = index + 1;
    }

    private void Rehash()
    {
        _buckets = new int[_buckets.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            Link(i);
        }
    }

    private struct Entry
    {
        public int Chunk;
        public int Offset;
        public int LineLength;
        public int KeyLength;
        public int Hash;
        public int Next;
        public long LineNumber;
        public long ByteOffset;
        public int Count;
        public int LiveCount;
    }
}
