namespace Selective.Restore.Diff;

/// <summary>
/// A keyed table's dump rows in dump order, for an <see cref="OrderedDiff"/>: the rows go to a <see cref="SpillFile"/>
/// (in memory while small), rows with a NULL key are counted and not kept, and each key's 64-bit hash goes to one of
/// 64 buckets (chunks in memory; one file when the shared budget says so). <see cref="Complete"/> finds keys that
/// occur twice without holding any key: each bucket's hashes go through an open-addressing table (buckets on both
/// cores), only rows whose hash occurs twice are read again, and their keys and rows are compared byte for byte (an
/// exact repeat is kept once, different rows under one key are named with both dump lines). A table with too many
/// such rows (two dumps of it concatenated) goes through a <see cref="DumpRowStore"/> instead.
/// </summary>
internal sealed class DumpSequence : IMemoryHolder, IDisposable
{
    // Rows whose hash occurs twice that are checked one by one; past it, a hash-partitioned store does the work.
    private const int MaxCollisions = 65_536;

    private readonly int[] _keyOrdinals;
    private readonly DiffOptions _options;
    private readonly SpillFile _rows;
    private readonly KeyBuffer _keys = new();
    private readonly int _salt = Random.Shared.Next();
    private KeyHashes? _hashes;
    private HashSet<long>? _skip;

    /// <param name="keyOrdinals">Key fields (at least one).</param>
    /// <param name="options">Memory budget (shared) and temp directory.</param>
    public DumpSequence(IReadOnlyList<int> keyOrdinals, DiffOptions options)
    {
        if (keyOrdinals.Count == 0)
        {
            throw new ArgumentException("A dump sequence needs a key.", nameof(keyOrdinals));
        }

        _keyOrdinals = [.. keyOrdinals];
        _options = options.Validate();
        _rows = new SpillFile(options.TempDirectory ?? Path.GetTempPath());
        _hashes = new KeyHashes(options.TempDirectory ?? Path.GetTempPath());
    }

    /// <summary>The rows (NULL keys left out), in dump order; their position slot holds the row's ordinal.</summary>
    public SpillFile Rows => _rows;

    public ReadOnlySpan<int> KeyOrdinals => _keyOrdinals;

    public DiffOptions Options => _options;

    /// <summary>Rows added (NULL keys included).</summary>
    public long RowsAdded { get; private set; }

    /// <summary>NULL keys as rows come; repeats (which the diff skips) and duplicate keys after <see cref="Complete"/>.</summary>
    public KeyProblems Problems { get; } = new();

    /// <summary>Set by <see cref="Complete"/> when too many keys occur twice: the table is diffed through this store instead.</summary>
    public DumpRowStore? Fallback { get; private set; }

    public bool Completed { get; private set; }

    public long ResidentBytes => (_hashes?.ResidentBytes ?? 0) + _rows.BufferBytes;

    /// <summary>Whether the diff skips the row with this ordinal (a repeat of an earlier row).</summary>
    public bool IsSkipped(long ordinal) => _skip?.Contains(ordinal) == true;

    /// <summary>Adds a dump row (a COPY text line, without its newline); <paramref name="ordinal"/> is the row's ordinal in the table.</summary>
    public void Add(ReadOnlySpan<byte> line, long lineNumber, long ordinal)
    {
        if (Completed)
        {
            throw new InvalidOperationException("The dump sequence is complete.");
        }

        RowsAdded++;
        var key = _keys.Of(line, _keyOrdinals, lineNumber, out var isNull);
        if (isNull)
        {
            Problems.NullKey(lineNumber);
            return;
        }

        var grown = _hashes!.Add(Hash(key));
        if (grown > 0 && _options.Gauge.Change(this, grown, _options.MemoryBudget) is { } largest)
        {
            _options.Gauge.Evict(largest);
        }

        var buffer = _rows.BufferBytes;
        _rows.Write(line, lineNumber, ordinal);
        if (_rows.BufferBytes != buffer && _options.Gauge.Change(this, _rows.BufferBytes - buffer, _options.MemoryBudget) is { } over)
        {
            // A small table's rows live in their buffer: thousands of tables count against the budget like any data.
            _options.Gauge.Evict(over);
        }
    }

    /// <summary>After the table's last row: finds keys that occur twice. Idempotent.</summary>
    public void Complete()
    {
        if (Completed)
        {
            return;
        }

        Completed = true;
        var colliding = _hashes!.Colliding(MaxCollisions);
        ReleaseHashes();
        if (colliding is null)
        {
            // Too many keys twice to check one by one: a hash-partitioned store finds repeats and duplicates.
            // Its repeats and duplicates are counted with this sequence's NULL keys (rows with one never reach it).
            var store = new DumpRowStore(_keyOrdinals, _options, Problems);
            _rows.Rewind();
            while (_rows.TryRead(out var line, out var lineNumber, out var ordinal))
            {
                store.Add(line, lineNumber, ordinal);
            }

            Fallback = store;
            return;
        }

        if (colliding.Count > 0)
        {
            CheckCollisions(colliding);
        }
    }

    /// <summary>Reads the rows whose key hash collides and compares their keys and rows on the bytes.</summary>
    private void CheckCollisions(HashSet<long> colliding)
    {
        var first = new Dictionary<string, (byte[] Line, long LineNumber)>(StringComparer.Ordinal);
        _rows.Rewind();
        var keys = new KeyBuffer();
        while (_rows.TryRead(out var line, out var lineNumber, out var ordinal))
        {
            var key = keys.Of(line, _keyOrdinals, lineNumber, out _);
            if (!colliding.Contains(Hash(key)))
            {
                continue;
            }

            // Latin-1 keeps every byte as one char: an exact, reversible key for the dictionary.
            var text = System.Text.Encoding.Latin1.GetString(key);
            if (!first.TryGetValue(text, out var earlier))
            {
                first.Add(text, (line.ToArray(), lineNumber));
            }
            else if (line.SequenceEqual(earlier.Line))
            {
                Problems.Repeat();
                (_skip ??= []).Add(ordinal);
            }
            else
            {
                Problems.Duplicate(key, earlier.LineNumber, lineNumber);
            }
        }
    }

    private long Hash(ReadOnlySpan<byte> key)
    {
        // Two 32-bit hashes with different seeds: 64 bits keep the rows read twice few (about n²/2⁶⁵ by chance).
        var low = RowArena.Hash(key, _salt);
        var high = RowArena.Hash(key, ~_salt);
        return ((long)high << 32) | (uint)low;
    }

    /// <summary>The key hashes go to disk; the rows are on disk (or small) already.</summary>
    public void Evict()
    {
        long freed = _rows.BufferBytes;
        _rows.Spill();
        if (_hashes is { } hashes)
        {
            freed += hashes.Evict();
        }

        _options.Gauge.Release(this, freed);
        MemoryGauge.Collect(freed);
    }

    private void ReleaseHashes()
    {
        if (_hashes is { } hashes)
        {
            var freed = hashes.ResidentBytes;
            _options.Gauge.Release(this, freed);
            hashes.Dispose();
            _hashes = null;
            MemoryGauge.Collect(freed);
        }
    }

    public void Dispose()
    {
        ReleaseHashes();
        _options.Gauge.Release(this, _rows.BufferBytes);
        _rows.Dispose();
        Fallback?.Dispose();
    }
}
