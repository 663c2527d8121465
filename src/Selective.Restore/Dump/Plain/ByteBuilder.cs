using System.Buffers;

namespace Selective.Restore.Dump.Plain;

/// <summary>A growable byte buffer whose array can be handed to a <see cref="DumpRow"/> without copying.</summary>
internal sealed class ByteBuilder : IBufferWriter<byte>
{
    private byte[] _array;

    public ByteBuilder(int capacity) => _array = new byte[capacity];

    public byte[] Array => _array;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, Count);

    public void Reset() => Count = 0;

    public void Advance(int count) => Count += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(Count);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(Count);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Count + Math.Max(sizeHint, 1);
        if (needed > _array.Length)
        {
            System.Array.Resize(ref _array, Math.Max(needed, _array.Length * 2));
        }
    }
}
