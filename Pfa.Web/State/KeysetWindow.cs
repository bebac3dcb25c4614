namespace Pfa.Web.State;

/// <summary>
/// Serves index ranges (what a virtualized grid asks for) from a keyset-paged source: pages are fetched in order with
/// the cursor and kept, so scrolling back costs nothing and scrolling forward fetches only what is missing.
/// A far jump fetches larger pages. <see cref="Reset"/> on any filter or sort change.
/// </summary>
public sealed class KeysetWindow<T>(Func<string?, int, CancellationToken, Task<(IReadOnlyList<T> Items, string? NextCursor, long? Total)>> fetch,
    int pageSize = 200, int maxPageSize = 1000)
{
    private readonly List<T> _rows = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _cursor;
    private bool _started;
    private int _generation;
    private int _loadedGeneration;

    private long _total;
    private int _fetches;

    // After a Reset the window reads as empty at once, even before the next fetch clears what it holds.
    private bool Current => Volatile.Read(ref _generation) == _loadedGeneration;
    private bool Done => _started && _cursor is null;
    public long Total => Current ? _total : 0;
    public bool Exhausted => Current && Done;
    public int Loaded => Current ? _rows.Count : 0;
    public int Fetches => Current ? _fetches : 0;

    /// <summary>
    /// Never blocks: it runs on the circuit's thread, which a fetch in flight needs to finish. The next
    /// <see cref="GetRangeAsync"/> sees the new generation and starts over; a fetch in flight is discarded.
    /// </summary>
    public void Reset() => Interlocked.Increment(ref _generation);

    public async Task<(IReadOnlyList<T> Items, long Total)> GetRangeAsync(int start, int count, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var generation = _generation;
            if (generation != _loadedGeneration)
            {
                _rows.Clear(); _cursor = null; _started = false; _total = 0; _fetches = 0;
                _loadedGeneration = generation;
            }
            while (_rows.Count < start + count && !Done)
            {
                var missing = start + count - _rows.Count;
                var limit = Math.Clamp(missing, pageSize, maxPageSize);
                var page = await fetch(_cursor, limit, ct);
                if (generation != _generation) break;
                _rows.AddRange(page.Items);
                _cursor = page.NextCursor;
                _started = true;
                if (page.Total is { } total) _total = total; // only the first page carries it
                _fetches++;
            }
            if (Done) _total = _rows.Count;
            var from = Math.Min(start, _rows.Count);
            var items = _rows.GetRange(from, Math.Min(count, _rows.Count - from));
            return (items, Math.Max(_total, _rows.Count));
        }
        finally { _gate.Release(); }
    }
}
