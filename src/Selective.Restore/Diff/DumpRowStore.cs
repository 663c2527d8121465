namespace Selective.Restore.Diff;

/// <summary>Two dump rows under one key with different text: the table cannot be restored as it is.</summary>
/// <param name="Key">The key's raw text (COPY fields, tab-separated).</param>
/// <param name="FirstLine">The line of the row read first.</param>
/// <param name="SecondLine">The line of the other row.</param>
internal readonly record struct DuplicateKey(string Key, long FirstLine, long SecondLine);

/// <summary>
/// A table's dump rows, held for the diff: in memory while they fit <see cref="DiffOptions.MemoryBudget"/>, then spilled
/// to hash partitions on disk, so memory never grows with the table. Keys are checked as rows arrive (in memory) or
/// when each partition is joined (spilled): a row repeated exactly is kept once and counted; two different rows under
/// one key are recorded as a <see cref="DuplicateKey"/>.
/// </summary>
internal sealed class DumpRowStore : IDisposable
{
    private const int MaxDuplicatesKept = 10;

    private readonly int[] _keyOrdinals;
    private readonly DiffOptions _options;
    private readonly int _salt;
    private readonly List<DuplicateKey> _duplicates = [];
    private RowArena? _arena;
    private SpillFile[]? _partitions;
    private readonly KeyBuffer _keys = new();

    /// <param name="keyOrdinals">Key fields; none: the table has no usable key and is diffed as a multiset of whole rows.</param>
    /// <param name="options">Memory budget and spill settings.</param>
    public DumpRowStore(IReadOnlyList<int> keyOrdinals, DiffOptions options)
    {
        _keyOrdinals = [.. keyOrdinals];
        _options = options.Validate();
        _salt = Random.Shared.Next();
        _arena = NewArena(_salt, 0);
    }

    /// <summary>No key: rows are matched on their whole text, and a row may occur any number of times on each side.</summary>
    public bool IsMultiset => _keyOrdinals.Length == 0;

    internal RowArena NewArena(int salt, long expectedRows) => new(salt, _options.MemoryBudget, expectedRows, lineIsKey: IsMultiset);

    /// <summary>Key column positions in the dump's rows.</summary>
    public ReadOnlySpan<int> KeyOrdinals => _keyOrdinals;

    internal DiffOptions Options => _options;

    internal int Salt => _salt;

    /// <summary>Rows added (repeats and NULL keys included).</summary>
    public long RowsAdded { get; private set; }

    /// <summary>Rows that repeated an earlier row exactly (found so far: a spilled table finds them at the join).</summary>
    public long Repeats { get; internal set; }

    /// <summary>Rows with a NULL key field: they never match anything (they are not kept).</summary>
    public long NullKeyRows { get; private set; }

    /// <summary>Lines of the first rows with a NULL key field (up to 10).</summary>
    public List<long> NullKeyLines { get; } = [];

    /// <summary>Different rows under one key (up to 10 examples; <see cref="DuplicateCount"/> counts all).</summary>
    public IReadOnlyList<DuplicateKey> Duplicates => _duplicates;

    public long DuplicateCount { get; private set; }

    /// <summary>Whether a diff already joined the spilled partitions (and counted their repeats and duplicate keys).</summary>
    internal bool Joined { get; set; }

    /// <summary>Whether the rows went to disk.</summary>
    public bool Spilled => _partitions is not null;

    /// <summary>Bytes written to spill files.</summary>
    public long SpillBytes => _partitions?.Sum(p => p.Length) ?? 0;

    /// <summary>The most memory the store held.</summary>
    public long PeakBytes { get; private set; }

    internal RowArena? Arena => _arena;

    internal SpillFile[]? Partitions => _partitions;

    /// <summary>Adds a dump row (a COPY text line, without its newline).</summary>
    public void Add(ReadOnlySpan<byte> line, long lineNumber, long byteOffset)
    {
        RowsAdded++;
        var key = _keys.Of(line, _keyOrdinals, lineNumber, out var isNull);
        if (isNull)
        {
            NullKeyRows++;
            if (NullKeyLines.Count < MaxDuplicatesKept)
            {
                NullKeyLines.Add(lineNumber);
            }

            return;
        }

        var hash = RowArena.Hash(key, _salt);
        if (_arena is { } arena)
        {
            AddTo(arena, line, key, hash, lineNumber, byteOffset);
            PeakBytes = Math.Max(PeakBytes, arena.Bytes);
            if (arena.Bytes > _options.MemoryBudget)
            {
                Spill(arena);
            }

            return;
        }

        _partitions![Partition(hash, _partitions.Length)].Write(line, lineNumber, byteOffset);
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
            // Partitions may be joined on several threads; repeats are rare, so a lock costs nothing.
            lock (_duplicates)
            {
                Repeats++;
            }
        }
        else
        {
            var first = arena.LineNumber(existing);
            var duplicate = new DuplicateKey(System.Text.Encoding.UTF8.GetString(key), Math.Min(first, lineNumber), Math.Max(first, lineNumber));
            lock (_duplicates)
            {
                DuplicateCount++;
                if (_duplicates.Count < MaxDuplicatesKept)
                {
                    _duplicates.Add(duplicate);
                }
            }
        }
    }

    internal static int Partition(int hash, int partitions) => (int)((uint)hash % (uint)partitions);

    private void Spill(RowArena arena)
    {
        var directory = _options.TempDirectory ?? Path.GetTempPath();
        _partitions = new SpillFile[_options.Partitions];
        try
        {
            for (var i = 0; i < _partitions.Length; i++)
            {
                _partitions[i] = new SpillFile(directory);
            }
        }
        catch
        {
            foreach (var file in _partitions)
            {
                file?.Dispose();
            }

            _partitions = null;
            throw;
        }

        for (var i = 0; i < arena.Count; i++)
        {
            for (var copy = 0; copy < arena.Copies(i); copy++)
            {
                _partitions[Partition(arena.HashAt(i), _partitions.Length)].Write(arena.Line(i), arena.LineNumber(i), arena.ByteOffset(i));
            }
        }

        _arena = null;
    }

    public void Dispose()
    {
        if (_partitions is not null)
        {
            foreach (var file in _partitions)
            {
                file.Dispose();
            }
        }

        _arena = null;
    }
}
