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
    private readonly int _chunkSize;
    private readonly bool _lineIsKey;
    private int _salt;
    private int _chunk = -1;
    private int _chunkUsed;
    private Entry[] _entries = new Entry[16];
    private int[] _buckets = new int[32];
    private int _count;
    private long _chunkBytes;
    private long _rowBytes;

    /// <param name="salt">Seeds the hash (each spill level has its own).</param>
    /// <param name="budget">The memory budget: chunks are a small part of it (1/16, from 4 KiB to 1 MiB), so a small budget is not spent on one chunk.</param>
    /// <param name="expectedRows">Rows expected (a spilled partition knows): the index is sized once instead of growing.</param>
    /// <param name="lineIsKey">The whole line is the key (a table without a key, diffed as a multiset): not stored twice.</param>
    /// <param name="chunkSize">Chunk size; 0: from the budget.</param>
    public RowArena(int salt, long budget, long expectedRows = 0, bool lineIsKey = false, int chunkSize = 0)
    {
        _salt = salt;
        _lineIsKey = lineIsKey;
        Presize(expectedRows);
        _chunkSize = chunkSize > 0 ? chunkSize : (int)Math.Clamp(budget / 16, 4096, 1 << 20);
    }

    /// <summary>
    /// Empties the arena for another partition, keeping its chunks and arrays: a join reuses one arena per thread, so
    /// its memory is allocated (and faulted in) once instead of once per partition.
    /// </summary>
    public void Reset(int salt, long expectedRows)
    {
        _salt = salt;
        _count = 0;
        _rowBytes = 0;
        _chunk = -1;
        _chunkUsed = 0;
        if (!Presize(expectedRows))
        {
            Array.Clear(_buckets);
        }
    }

    /// <summary>Sizes the index for the rows expected; false when the arrays held are large enough already.</summary>
    private bool Presize(long expectedRows)
    {
        if (expectedRows <= 0)
        {
            return false;
        }

        var rows = (int)Math.Min(expectedRows, 1 << 24);
        var buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(rows + (rows / 3) + 1));
        if (rows <= _entries.Length && buckets <= _buckets.Length)
        {
            return false;
        }

        _entries = new Entry[Math.Max(rows, _entries.Length)];
        _buckets = new int[Math.Max(buckets, _buckets.Length)];
        return true;
    }

    public int Count => _count;

    /// <summary>Bytes the rows stored need (their text, structs and index share), whatever capacity a reused arena keeps.</summary>
    public long UsedBytes => _rowBytes + ((long)_count * (System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>() + (2 * sizeof(int))));

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
        for (var i = _buckets[Bucket(hash)] - 1; i >= 0; i = _entries[i].Next - 1)
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
        _rowBytes += size;
        if (_chunk < 0 || size > _chunks[_chunk].Length - _chunkUsed)
        {
            NextChunk(size);
        }

        var chunk = _chunks[_chunk];
        line.CopyTo(chunk.AsSpan(_chunkUsed));
        key.CopyTo(chunk.AsSpan(_chunkUsed + line.Length));
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        var index = _count++;
        _entries[index] = new Entry
        {
            Chunk = _chunk,
            Offset = _chunkUsed,
            LineLength = line.Length,
            KeyLength = key.Length,
            Hash = hash,
            LineNumber = lineNumber,
            ByteOffset = byteOffset,
            Count = 1,
        };
        _chunkUsed += size;

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

    /// <summary>Moves to the next chunk (one held from before a <see cref="Reset"/> when it is large enough).</summary>
    private void NextChunk(int size)
    {
        // Chunks grow from 4 KiB to the chunk size (a small table holds little); a row longer than a chunk gets a chunk
        // of its own.
        _chunk++;
        var length = Math.Max(size, Math.Min(_chunkSize, 4096 << Math.Min(_chunk, 16)));
        if (_chunk == _chunks.Count)
        {
            _chunks.Add(NewChunk(length));
            _chunkBytes += length;
        }
        else if (_chunks[_chunk].Length < length)
        {
            _chunkBytes += length - _chunks[_chunk].Length;
            _chunks[_chunk] = NewChunk(length);
        }

        _chunkUsed = 0;
    }

    // On the pinned heap: the garbage collector never copies a chunk from one generation to the next, and bytes are
    // always written before they are read, so they need no zeroing.
    private static byte[] NewChunk(int length) => GC.AllocateUninitializedArray<byte>(length, pinned: true);

    private void Link(int index)
    {
        var bucket = Bucket(_entries[index].Hash);
        _entries[index].Next = _buckets[bucket];
        _buckets[bucket] = index + 1;
    }

    // Fibonacci hashing: a bucket from the hash's high bits, mixed. The rows of one partition share the low bits their
    // partition was picked by, so those alone would crowd a few buckets.
    private int Bucket(int hash) => (int)(((uint)hash * 0x9E3779B9u) >> (32 - System.Numerics.BitOperations.Log2((uint)_buckets.Length)));

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
