namespace Pfa.Dashboard.Telemetry;

/// <summary>A fixed-capacity FIFO: adding to a full buffer drops the oldest item. Not thread-safe (the store locks).</summary>
public sealed class RingBuffer<T>(int capacity)
{
    private readonly T[] _items = new T[capacity];
    private int _head; // index of the oldest item
    private int _count;

    public int Count => _count;
    public int Capacity => _items.Length;

    /// <summary>Item <paramref name="index"/> in arrival order (0 = oldest).</summary>
    public T this[int index] => _items[(_head + index) % _items.Length];

    public void Add(T item)
    {
        if (_count == _items.Length)
        {
            _items[_head] = item;
            _head = (_head + 1) % _items.Length;
        }
        else
        {
            _items[(_head + _count) % _items.Length] = item;
            _count++;
        }
    }

    /// <summary>Drops items from the oldest end while <paramref name="predicate"/> holds; returns how many.</summary>
    public int DropOldestWhile(Func<T, bool> predicate)
    {
        var dropped = 0;
        while (_count > 0 && predicate(_items[_head]))
        {
            _items[_head] = default!;
            _head = (_head + 1) % _items.Length;
            _count--;
            dropped++;
        }
        return dropped;
    }

    /// <summary>Newest first.</summary>
    public IEnumerable<T> Newest()
    {
        for (var i = _count - 1; i >= 0; i--) yield return this[i];
    }
}
