using System.Threading.Channels;

namespace Pfa.Dashboard.Telemetry;

/// <summary>
/// Moves ingested batches to SQLite off the request path: OTLP handlers only enqueue; this loop drains whatever has
/// accumulated into one transaction, and every minute prunes memory and disk to the retention window and limits.
/// On shutdown it drains the queue before the process exits, so a clean restart loses nothing.
/// </summary>
public sealed class TelemetryWriter(TelemetryDatabase database, TelemetryLimits limits, TimeProvider time, ILogger<TelemetryWriter> logger)
    : BackgroundService, ITelemetrySink
{
    /// <summary>Batches waiting for the disk; beyond this the newest are kept in memory only, and we say so.</summary>
    public const int QueueCapacity = 20_000;
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<TelemetryBatch> _queue = Channel.CreateBounded<TelemetryBatch>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private TelemetryStore? _store;
    private long _written;
    private long _notPersisted;

    /// <summary>Items (logs + spans + points) committed to disk since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The store to prune alongside the database (set once, when the store is built).</summary>
    public void Attach(TelemetryStore store) => _store = store;

    public void Persist(TelemetryBatch batch)
    {
        if (_queue.Writer.TryWrite(batch)) return;
        var lost = Interlocked.Add(ref _notPersisted, batch.Logs.Count + batch.Spans.Count + batch.Metrics.Count);
        logger.LogWarning("The telemetry writer is behind: {Count} items so far are kept in memory but not on disk", lost);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pruning = PruneLoopAsync(stoppingToken);
        var pending = new List<TelemetryBatch>();
        // Runs until the queue is completed in StopAsync, so the last batches still reach the disk.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
            WriteQueued(pending);
        await pruning;
    }

    /// <summary>Writes up to 20,000 queued items in one transaction; false when the queue was empty.</summary>
    private bool WriteQueued(List<TelemetryBatch> pending)
    {
        var items = 0;
        while (items < 20_000 && _queue.Reader.TryRead(out var batch))
        {
            pending.Add(batch);
            items += batch.Logs.Count + batch.Spans.Count + batch.Metrics.Count;
        }
        if (pending.Count == 0) return false;
        try
        {
            database.Write(pending);
            Interlocked.Add(ref _written, items);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Writing {Count} telemetry items to {File} failed; they stay in memory only", items, database.FilePath);
        }
        pending.Clear();
        return true;
    }

    private async Task PruneLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PruneInterval, time);
        try
        {
            do Prune();
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Applies retention and the count limits to memory and disk now.</summary>
    public void Prune()
    {
        var cutoff = time.GetUtcNow().UtcDateTime - limits.Retention;
        try
        {
            _store?.Prune(cutoff);
            database.Prune(limits, cutoff);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Pruning telemetry in {File} failed", database.FilePath);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // No more batches: the loop drains what is queued and ends; the base stops the prune timer and waits for both.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        // A stop that comes before the loop ever ran cancels it unstarted (ExecuteAsync is started through Task.Run with the
        // stopping token), so whatever is still queued is written here.
        var pending = new List<TelemetryBatch>();
        while (WriteQueued(pending)) { }
    }
}
