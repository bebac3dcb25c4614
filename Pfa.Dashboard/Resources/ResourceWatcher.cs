namespace Pfa.Dashboard.Resources;

/// <summary>
/// Keeps the current resource snapshots from the resource service's watch stream (reconnecting after failures).
/// Pages read <see cref="Resources"/> and poll <see cref="Version"/>, so many open tabs cost one stream.
/// </summary>
public sealed class ResourceWatcher(ResourceServiceClient client, ILogger<ResourceWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResourceSnapshot> _resources = new(StringComparer.OrdinalIgnoreCase);
    private long _version;

    public bool IsConfigured => client.IsConfigured;

    /// <summary>Null while connected (or not configured); otherwise why the resource service cannot be reached.</summary>
    public string? Error { get; private set; }

    public long Version => Interlocked.Read(ref _version);

    public IReadOnlyList<ResourceSnapshot> Resources
    {
        get { lock (_gate) return [.. _resources.Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)]; }
    }

    public ResourceSnapshot? Find(string name)
    {
        lock (_gate) return _resources.GetValueOrDefault(name);
    }

    /// <summary>For the first render (prerendering included): one plain GET when the stream has not delivered yet.</summary>
    public async Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (!client.IsConfigured) return;
        lock (_gate)
        {
            if (_resources.Count > 0) return;
        }
        try
        {
            Apply(await client.GetResourcesAsync(ct));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            Error = e.Message;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!client.IsConfigured) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in client.WatchAsync(stoppingToken))
                {
                    Error = null;
                    Apply([snapshot]);
                }
                Error = "The resource service closed the watch stream.";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (Error != e.Message) logger.LogWarning("Resource service watch failed: {Message}", e.Message);
                Error = e.Message;
            }
            Interlocked.Increment(ref _version);
            await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Apply(IEnumerable<ResourceSnapshot> snapshots)
    {
        lock (_gate)
        {
            foreach (var s in snapshots) _resources[s.Name] = s;
        }
        Interlocked.Increment(ref _version);
    }
}
