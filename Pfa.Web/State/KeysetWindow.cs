namespace Pfa.Web.State;

/// <summary>
/// Serves index ranges (what a virtualized grid asks for) from a keyset-paged source: pages are fetched in order with
/// the cursor and kept, so scrolling back costs nothing and scrolling forward fetches only what is missing.
/// A far jump fetches larger pages. <see cref="Reset"/> on any filter or sort change.
/// </summary>
public sealed class KeysetWindow<T>(Func<string?, int, CancellationToken, Task<(IReadOnlyList<T> Items, string? NextCursor, long Total)>> fetch,
    int pageSize = 200, int maxPageSize = 1000)
{
    private readonly List<T> _rows = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _cursor;
    private bool _started;
    private int _generation;

    public long Total { get; private set; }
    public bool Exhausted => _started && _cursor is null;
    public int Loaded => _rows.Count;
    public int Fetches { get; private set; }

    public void Reset()
    {
        Interlocked.Increment(ref _generation);
        _gate.Wait();
        try { _rows.Clear(); _cursor = null; _started = false; Total = 0; Fetches = 0; }
        finally { _gate.Release(); }
    }

    public async Task<(IReadOnlyList<T> Items, long Total)> GetRangeAsync(int start, int count, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var generation = _generation;
            while (_rows.Count < start + count && !Exhausted)
            {
                var missing = start + count - _rows.Count;
                var limit = Math.Clamp(missing, pageSize, maxPageSize);
                var page = await fetch(_cursor, limit, ct);
                if (generation != _generation) break;
                _rows.AddRange(page.Items);
                _cursor = page.NextCursor;
                _started = true;
                Total = page.Total;
                Fetches++;
            }
            if (Exhausted) Total = _rows.Count;
            var from = Math.Min(start, _rows.Count);
            var items = _rows.GetRange(from, Math.Min(count, _rows.Count - from));
            return (items, Math.Max(Total, _rows.Count));
        }
        finally { _gate.Release(); }
    }
}
