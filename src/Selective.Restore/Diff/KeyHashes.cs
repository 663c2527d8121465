using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Selective.Restore.Diff;

/// <summary>
/// The 64-bit hashes of a table's keys, for finding the keys that occur twice in bounded memory: 64 buckets (by the
/// hash's top bits) of chunks in memory, moved to one file when the budget says so; each bucket is then checked on
/// its own with an open-addressing table, buckets on every core. No sort, no chunk ever copied once full.
/// </summary>
internal sealed class KeyHashes(string directory) : IDisposable
{
    private const int BucketBits = 6;
    private const int Buckets = 1 << BucketBits;
    private const int FirstChunk = 64;
    private const int MaxChunk = 16 * 1024;

    private readonly List<long[]>?[] _full = new List<long[]>?[Buckets];
    private readonly long[]?[] _current = new long[]?[Buckets];
    private readonly int[] _used = new int[Buckets];
    private readonly long[] _counts = new long[Buckets];
    private readonly List<(long Offset, int Count)>?[] _segments = new List<(long, int)>?[Buckets];
    private SafeFileHandle? _file;
    private long _fileLength;

    /// <summary>Bytes of hashes in memory.</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>Adds a hash; returns the bytes newly allocated for it (0 mostly), for the memory gauge.</summary>
    public long Add(long hash)
    {
        var bucket = (int)((ulong)hash >> (64 - BucketBits));
        var current = _current[bucket];
        long grown = 0;
        if (current is null || _used[bucket] == current.Length)
        {
            if (current is { Length: MaxChunk })
            {
                (_full[bucket] ??= []).Add(current);
                current = new long[MaxChunk];
                _used[bucket] = 0;
                grown = MaxChunk * sizeof(long);
            }
            else
            {
                // Small tables stay small: a bucket's first chunk grows to the full size before chunks are chained.
                var larger = new long[current is null ? FirstChunk : current.Length * 2];
                current?.CopyTo(larger, 0);
                grown = (long)(larger.Length - (current?.Length ?? 0)) * sizeof(long);
                current = larger;
            }

            _current[bucket] = current;
            ResidentBytes += grown;
        }

        current[_used[bucket]++] = hash;
        _counts[bucket]++;
        return grown;
    }

    /// <summary>Moves every hash in memory to the file (appended); returns the bytes freed.</summary>
    public long Evict()
    {
        _file ??= File.OpenHandle(Path.Combine(directory, $"selective-restore-{Guid.NewGuid():N}.keys"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        for (var bucket = 0; bucket < Buckets; bucket++)
        {
            foreach (var chunk in _full[bucket] ?? [])
            {
                Append(bucket, chunk);
            }

            if (_current[bucket] is { } current && _used[bucket] > 0)
            {
                Append(bucket, current.AsSpan(0, _used[bucket]));
            }

            _full[bucket] = null;
            _current[bucket] = null;
            _used[bucket] = 0;
        }

        var freed = ResidentBytes;
        ResidentBytes = 0;
        return freed;
    }

    private void Append(int bucket, ReadOnlySpan<long> values)
    {
        RandomAccess.Write(_file!, MemoryMarshal.AsBytes(values), _fileLength);
        (_segments[bucket] ??= []).Add((_fileLength, values.Length));
        _fileLength += (long)values.Length * sizeof(long);
    }

    /// <summary>The hashes that occur more than once; null when there are more than <paramref name="max"/>.</summary>
    public HashSet<long>? Colliding(int max)
    {
        var colliding = new HashSet<long>();
        var overflow = false;
        var workers = Math.Clamp(Environment.ProcessorCount, 1, Buckets);
        var next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            long[] table = [];
            var buffer = new long[MaxChunk];
            int bucket;
            while ((bucket = Interlocked.Increment(ref next)) < Buckets && !Volatile.Read(ref overflow))
            {
                var size = (int)Math.Max(64, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)(_counts[bucket] * 2)));
                if (table.Length < size)
                {
                    table = new long[size];
                }
                else
                {
                    table.AsSpan(0, size).Clear();
                }

                var set = new OpenSet(table.AsSpan(0, size));
                foreach (var (offset, count) in _segments[bucket] ?? [])
                {
                    for (var read = 0; read < count;)
                    {
                        var chunk = Math.Min(buffer.Length, count - read);
                        var bytes = RandomAccess.Read(_file!, MemoryMarshal.AsBytes(buffer.AsSpan(0, chunk)), offset + ((long)read * sizeof(long)));
                        var values = bytes / sizeof(long);
                        if (values == 0)
                        {
                            throw new InvalidDataException("the file of key hashes ends early");
                        }

                        Check(ref set, buffer.AsSpan(0, values));
                        read += values;
                    }
                }

                foreach (var chunk in _full[bucket] ?? [])
                {
                    Check(ref set, chunk);
                }

                if (_current[bucket] is { } current)
                {
                    Check(ref set, current.AsSpan(0, _used[bucket]));
                }
            }

            void Check(ref OpenSet set, ReadOnlySpan<long> values)
            {
                foreach (var value in values)
                {
                    if (!set.Add(value))
                    {
                        lock (colliding)
                        {
                            if (colliding.Add(value) && colliding.Count > max)
                            {
                                Volatile.Write(ref overflow, true);
                            }
                        }
                    }
                }
            }
        });

        return overflow ? null : colliding;
    }

    public void Dispose()
    {
        _file?.Dispose();
        Array.Clear(_full);
        Array.Clear(_current);
        ResidentBytes = 0;
    }

    /// <summary>A set of longs in a span, linear probing; 0 is kept aside (it marks empty slots).</summary>
    private ref struct OpenSet(Span<long> slots)
    {
        private readonly Span<long> _slots = slots;
        private bool _zero;

        /// <summary>False when the value was there already.</summary>
        public bool Add(long value)
        {
            if (value == 0)
            {
                var had = _zero;
                _zero = true;
                return !had;
            }

            // The low bits: the top ones chose the bucket, so they are the same for every value here.
            var mask = _slots.Length - 1;
            var index = (int)value & mask;
            while (_slots[index] != 0)
            {
                if (_slots[index] == value)
                {
                    return false;
                }

                index = (index + 1) & mask;
            }

            _slots[index] = value;
            return true;
        }
    }
}
