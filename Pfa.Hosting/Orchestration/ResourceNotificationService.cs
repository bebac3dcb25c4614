using System.Collections.Concurrent;

namespace Pfa.Hosting.Orchestration;

/// <summary>Publishes resource snapshots and lets callers wait for states, as Aspire's service of the same name.</summary>
public sealed class ResourceNotificationService
{
    private readonly ConcurrentDictionary<string, ResourceSnapshot> _snapshots = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly List<(string Name, Func<ResourceSnapshot, bool> Predicate, TaskCompletionSource<ResourceSnapshot> Tcs)> _waiters = [];

    public event Action<ResourceSnapshot>? SnapshotChanged;

    public IReadOnlyCollection<ResourceSnapshot> Snapshots => _snapshots.Values.ToList();

    public ResourceSnapshot? TryGet(string name) => _snapshots.GetValueOrDefault(name);

    public ResourceSnapshot Get(string name) =>
        TryGet(name) ?? throw new ArgumentException($"No resource named '{name}' is part of this application.", nameof(name));

    internal void Publish(ResourceSnapshot snapshot)
    {
        List<TaskCompletionSource<ResourceSnapshot>> completed = [];
        lock (_gate)
        {
            _snapshots[snapshot.Name] = snapshot;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var w = _waiters[i];
                if (string.Equals(w.Name, snapshot.Name, StringComparison.OrdinalIgnoreCase) && w.Predicate(snapshot))
                {
                    completed.Add(w.Tcs);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var tcs in completed) tcs.TrySetResult(snapshot);
        SnapshotChanged?.Invoke(snapshot);
    }

    internal void Update(string name, Func<ResourceSnapshot, ResourceSnapshot> change)
    {
        lock (_gate) Publish(change(Get(name)));
    }

    /// <summary>Waits until the resource's snapshot satisfies <paramref name="predicate"/>.</summary>
    public async Task<ResourceSnapshot> WaitForResourceAsync(string name, Func<ResourceSnapshot, bool> predicate, CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<ResourceSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var current = Get(name);
            if (predicate(current)) return current;
            _waiters.Add((name, predicate, tcs));
        }
        await using var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        return await tcs.Task.ConfigureAwait(false);
    }

    public Task<ResourceSnapshot> WaitForResourceAsync(string name, string state, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(name, s => s.State == state, cancellationToken);

    /// <summary>Waits until the resource is running, healthy and its ready work (e.g. database creation) is done.</summary>
    public async Task<ResourceSnapshot> WaitForResourceHealthyAsync(string name, CancellationToken cancellationToken = default)
    {
        var snapshot = await WaitForResourceAsync(name, s => s.IsReady || KnownResourceStates.IsTerminal(s.State), cancellationToken).ConfigureAwait(false);
        return snapshot.IsReady
            ? snapshot
            : throw new DistributedApplicationException($"Resource '{name}' is {snapshot.State}{(snapshot.Message is null ? "" : ": " + snapshot.Message)}");
    }
}
