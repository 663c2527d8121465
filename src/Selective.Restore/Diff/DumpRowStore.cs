namespace Selective.Restore.Diff;

/// <summary>Two dump rows under one key with different text: the table cannot be restored as it is.</summary>
/// <param name="Key">The key's raw text (COPY fields, tab-separated).</param>
/// <param name="FirstLine">The line of the row read first.</param>
/// <param name="SecondLine">The line of the other row.</param>
internal readonly record struct DuplicateKey(string Key, long FirstLine, long SecondLine);

/// <summary>
/// A table's dump rows, held for the diff in hash partitions: in memory (each partition its own small index) while the
/// store fits <see cref="DiffOptions.MemoryBudget"/>, then in files on disk, so memory never grows with the table. The
/// diff handles each partition by where it is (<see cref="KeyedDiff"/>: a live row of a partition in memory is matched
/// as it arrives). Keys are checked as rows arrive (in memory) or when each partition is joined (on disk): a row
/// repeated exactly is kept once and counted; two different rows under one key are recorded as a <see cref="DuplicateKey"/>.
/// </summary>
internal sealed class DumpRowStore : IMemoryHolder, IDisposable
{

    private readonly int[] _keyOrdinals;
    private readonly DiffOptions _options;
    private readonly int _salt;
    private readonly RowArena?[] _resident;
    private readonly SpillFile?[] _files;
    private readonly KeyBuffer _keys = new();
    private int _residentCount;
    private long _residentBytes;

    /// <param name="keyOrdinals">Key fields; none: the table has no usable key and is diffed as a multiset of whole rows.</param>
    /// <param name="options">Memory budget and spill settings.</param>
    /// <param name="problems">Where key problems are counted: another store's, when this one takes over its rows.</param>
    public DumpRowStore(IReadOnlyList<int> keyOrdinals, DiffOptions options, KeyProblems? problems = null)
    {
        Problems = problems ?? new KeyProblems();
        _keyOrdinals = [.. keyOrdinals];
        _options = options.Validate();
        _salt = Random.Shared.Next();
        _resident = new RowArena?[_options.Partitions];
        _files = new SpillFile?[_options.Partitions];
        _residentCount = _options.Partitions;
    }

    /// <summary>No key: rows are matched on their whole text, and a row may occur any number of times on each side.</summary>
    public bool IsMultiset => _keyOrdinals.Length == 0;

    /// <summary>An arena for joining a partition from disk.</summary>
    internal RowArena NewArena(int salt, long expectedRows) => new(salt, _options.MemoryBudget, expectedRows, lineIsKey: IsMultiset);

    /// <summary>Threads that join partitions from disk (each with an arena of its own).</summary>
    internal static int JoinWorkers(int partitions) => Math.Clamp(Environment.ProcessorCount, 1, partitions);

    /// <summary>Key column positions in the dump's rows.</summary>
    public ReadOnlySpan<int> KeyOrdinals => _keyOrdinals;

    internal DiffOptions Options => _options;

    internal int Salt => _salt;

    /// <summary>Rows added (repeats and NULL keys included).</summary>
    public long RowsAdded { get; private set; }

    /// <summary>NULL keys, repeats and duplicate keys found so far (a spilled table finds the last two at the join).</summary>
    public KeyProblems Problems { get; }

    /// <summary>Whether a diff already joined the spilled partitions (and counted their repeats and duplicate keys).</summary>
    internal bool Joined { get; set; }

    /// <summary>Whether rows went to disk (some partitions at least).</summary>
    public bool Spilled => _residentCount < _resident.Length;

    /// <summary>Bytes written to spill files.</summary>
    public long SpillBytes => _files.Sum(p => p?.Length ?? 0);

    /// <summary>The most memory the store held.</summary>
    public long PeakBytes { get; private set; }

    /// <summary>Partitions in memory (null: none of its rows yet, or on disk).</summary>
    internal RowArena?[] Resident => _resident;

    /// <summary>Partitions on disk (null: in memory).</summary>
    internal SpillFile?[] Files => _files;

    /// <summary>Adds a dump row (a COPY text line, without its newline).</summary>
    public void Add(ReadOnlySpan<byte> line, long lineNumber, long byteOffset)
    {
        RowsAdded++;
        var key = _keys.Of(line, _keyOrdinals, lineNumber, out var isNull);
        if (isNull)
        {
            Problems.NullKey(lineNumber);
            return;
        }

        var hash = RowArena.Hash(key, _salt);
        var partition = Partition(hash, _resident.Length);
        if (partition >= _residentCount)
        {
            // Files are made on a partition's first row: an evicted small table opens few.
            (_files[partition] ??= new SpillFile(_options.TempDirectory ?? Path.GetTempPath())).Write(line, lineNumber, byteOffset);
            return;
        }

        // A new arena's own arrays count too.
        var before = _resident[partition]?.Bytes ?? 0;
        var arena = _resident[partition] ??= new RowArena(_salt, _options.MemoryBudget, lineIsKey: IsMultiset, chunkSize: ResidentChunkSize());
        AddTo(arena, line, key, hash, lineNumber, byteOffset);
        var grown = arena.Bytes - before;
        _residentBytes += grown;
        PeakBytes = Math.Max(PeakBytes, _residentBytes);
        if (grown != 0 && _options.Gauge.Change(this, grown, _options.MemoryBudget) is { } largest)
        {
            // The budget is the restore's, not the table's: the store holding the most goes to disk.
            _options.Gauge.Evict(largest);
        }
    }

    /// <summary>Adds a row to an arena, or counts it as a repeat or a duplicate key.</summary>
    internal void AddTo(RowArena arena, ReadOnlySpan<byte> line, ReadOnlySpan<byte> key, int hash, long lineNumber, long byteOffset, bool count = true)
    {
        var existing = arena.Find(key, hash);
        if (existing < 0)
        {
            arena.Add(line, key, hash, lineNumber, byteOffset);
        }
        else if (IsMultiset)
        {
            arena.AddCopy(existing);
        }
        else if (!count)
        {
            // A partition read again (the diff run again after a rollback): its repeats and duplicates were counted the first time.
        }
        else if (arena.Line(existing).SequenceEqual(line))
        {
            Problems.Repeat();
        }
        else
        {
            Problems.Duplicate(key, arena.LineNumber(existing), lineNumber);
        }
    }

    internal static int Partition(int hash, int partitions) => (int)((uint)hash % (uint)partitions);

    /// <summary>Chunks of a partition in memory: small, so 64 partitions' half-filled last chunks waste little of the budget.</summary>
    private int ResidentChunkSize() => (int)Math.Clamp(_options.MemoryBudget / _resident.Length / 16, 4096, 1 << 20);

    /// <summary>
    /// Moves every partition to disk. Keeping some in memory (a hybrid hash join, partitions moved out one by one until
    /// the rest and the join's arenas fit the budget) was measured on 5M rows and did not pay: only 3-6% of the rows
    /// stayed in memory, and building, then moving out, the partitions that did not stay cost more CPU (+1 s) than the
    /// join saved (-0.4 s), and 50 MB more RSS. So a spilled store is all on disk, and the join reuses its arenas.
    /// </summary>
    public void Evict()
    {
        _options.Gauge.Release(this, _residentBytes);
        var directory = _options.TempDirectory ?? Path.GetTempPath();
        while (_residentCount > 0)
        {
            var partition = --_residentCount;
            if (_resident[partition] is { } arena)
            {
                // An empty partition needs no file: a missing file and an empty partition read alike (no rows).
                var file = _files[partition] = new SpillFile(directory);
                for (var i = 0; i < arena.Count; i++)
                {
                    for (var copy = 0; copy < arena.Copies(i); copy++)
                    {
                        file.Write(arena.Line(i), arena.LineNumber(i), arena.ByteOffset(i));
                    }
                }

                _resident[partition] = null;
            }
        }

        var freed = _residentBytes;
        _residentBytes = 0;
        MemoryGauge.Collect(freed);
    }

    /// <summary>Bytes this store holds in memory.</summary>
    public long ResidentBytes => _residentBytes;

    public void Dispose()
    {
        _options.Gauge.Release(this, _residentBytes);
        _residentBytes = 0;
        foreach (var file in _files)
        {
            file?.Dispose();
        }

        Array.Clear(_resident);
    }
}
