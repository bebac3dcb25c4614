using System.Text;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// Runs the app model as local processes: starts every resource once its WaitFor dependencies are healthy,
/// monitors health, and stops everything in reverse dependency order.
/// </summary>
internal sealed class Orchestrator
{
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromMinutes(2);

    private readonly IReadOnlyList<IResource> _resources;
    private readonly Dictionary<IResource, ResourceRunner> _runners = [];
    private readonly ResourceNotificationService _notifications;
    private readonly RunContext _context;
    private readonly ConsoleWriter? _console;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _running = [];
    private readonly TimeSpan _waitTimeout;
    private int _stopping;
    private bool _started;

    public Orchestrator(IReadOnlyList<IResource> resources, RunContext context, ResourceNotificationService notifications, ConsoleWriter? console)
    {
        _resources = resources;
        _context = context;
        _notifications = notifications;
        _console = console;
        _waitTimeout = context.Options.WaitTimeout ?? DefaultWaitTimeout;
        foreach (var resource in resources) _runners[resource] = CreateRunner(resource);
    }

    public ResourceRunner RunnerOf(IResource resource) => _runners[resource];

    public IReadOnlyCollection<ResourceRunner> Runners => _runners.Values;

    private ResourceRunner CreateRunner(IResource resource) => resource switch
    {
        PostgresServerResource server => new PostgresRunner(server, _context),
        PostgresDatabaseResource database => new DatabaseRunner(database, _context),
        RedisResource redis => new RedisRunner(redis, _context),
        PgAdminResource admin => new PgAdminRunner(admin, _context),
        ProjectResource project => new ProjectRunner(project, _context),
        _ => throw new NotSupportedException($"Run mode cannot start {resource}."),
    };

    /// <summary>What must be running before <paramref name="resource"/> starts: its waits, and a database's server.</summary>
    internal static IEnumerable<IResource> StartDependencies(IResource resource) =>
        resource.WaitDependencies().Concat(resource is IResourceWithParent child ? [child.Parent] : []).Distinct();

    /// <summary>Who uses <paramref name="resource"/> and must therefore stop before it.</summary>
    private IEnumerable<IResource> Dependents(IResource resource) =>
        _resources.Where(r => StartDependencies(r).Contains(resource) || r.ReferencedResources().Contains(resource));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Claim the data directory before touching anything in it (logs included).
        foreach (var notice in await _context.StateFile.ClaimAsync().ConfigureAwait(false)) _console?.WriteBlock($"apphost: {notice}", ConsoleColor.Yellow);

        var logDirectory = Path.Combine(_context.DataDirectory, "logs");
        foreach (var runner in _runners.Values)
        {
            runner.Log = new ResourceLog(runner.Resource.Name, logDirectory, _console);
            var waits = StartDependencies(runner.Resource).Any();
            _notifications.Publish(new ResourceSnapshot(runner.Resource.Name, runner.Resource.Kind,
                waits ? KnownResourceStates.Waiting : KnownResourceStates.NotStarted, ResourceHealth.Unknown, [], null));
        }

        _started = true;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        foreach (var runner in _runners.Values) _running.Add(RunAsync(runner, _lifetime.Token));

        // Fail fast: the first resource that fails stops the start (its dependents fail right after it anyway).
        var pending = _runners.Values.Select(r => r.Ready).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).WaitAsync(linked.Token).ConfigureAwait(false);
            pending.Remove(done);
            if (!done.IsFaulted || cancellationToken.IsCancellationRequested) continue;
            var failure = RootFailure();
            await StopAsync().ConfigureAwait(false);
            throw failure;
        }
    }

    /// <summary>The failure that caused the others (a dependency failure names its cause).</summary>
    private DistributedApplicationException RootFailure()
    {
        var failures = _runners.Values.Where(r => r.Ready.IsFaulted).Select(r => r.Ready.Exception!.InnerException).OfType<DistributedApplicationException>().ToList();
        return failures.FirstOrDefault(f => f.Data["dependency"] is null) ?? failures.FirstOrDefault()
            ?? new DistributedApplicationException("The application stopped before every resource was ready.");
    }

    private async Task RunAsync(ResourceRunner runner, CancellationToken cancellationToken)
    {
        var name = runner.Resource.Name;
        try
        {
            foreach (var dependency in StartDependencies(runner.Resource)) await WaitForDependencyAsync(runner, _runners[dependency], cancellationToken).ConfigureAwait(false);

            if (runner.SkipReason is { } reason)
            {
                runner.Log.Notice($"Not started: {reason}.");
                _console?.WriteBlock($"apphost: '{name}' is not started: {reason}.", ConsoleColor.Yellow);
                _notifications.Update(name, s => s with { State = KnownResourceStates.NotStarted, Message = reason, IsReady = true });
                runner.MarkReady();
                return;
            }

            _notifications.Update(name, s => s with { State = KnownResourceStates.Starting });
            await runner.StartAsync(cancellationToken).ConfigureAwait(false);
            _notifications.Update(name, s => s with { State = KnownResourceStates.Running, Pid = runner.Process?.Pid, Urls = runner.Urls });
            if (runner.Process is { } process) _ = WatchExitAsync(runner, process);

            await WaitUntilHealthyAsync(runner, cancellationToken).ConfigureAwait(false);
            await runner.OnReadyAsync(cancellationToken).ConfigureAwait(false);
            _notifications.Update(name, s => s with { Health = ResourceHealth.Healthy, IsReady = true, Message = null });
            runner.MarkReady();

            await MonitorHealthAsync(runner, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The application is stopping (Ctrl+C, or another resource failed): not this resource's failure.
            if (!_notifications.Get(name).IsReady)
            {
                _notifications.Update(name, s => s with { State = s.Pid is null ? KnownResourceStates.NotStarted : s.State, Message = "the application stopped before it was ready" });
            }
            runner.MarkFailed(new OperationCanceledException($"Start of '{name}' was cancelled."));
        }
        catch (Exception e)
        {
            var message = e is DistributedApplicationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            _notifications.Update(name, s => s with { State = KnownResourceStates.FailedToStart, Message = message });
            var failure = new DistributedApplicationException(Describe(runner, message), e);
            if (e.Data["dependency"] is { } dependency) failure.Data["dependency"] = dependency;
            runner.Log.Notice(message);
            runner.MarkFailed(failure);
        }
    }

    private async Task WaitForDependencyAsync(ResourceRunner runner, ResourceRunner dependency, CancellationToken cancellationToken)
    {
        _notifications.Update(runner.Resource.Name, s => s with { State = KnownResourceStates.Waiting, Message = $"waiting for {dependency.Resource.Name}" });
        try
        {
            await dependency.Ready.WaitAsync(_waitTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var e = new DistributedApplicationException($"Timed out after {_waitTimeout.TotalSeconds:0} s waiting for '{dependency.Resource.Name}' to become healthy.");
            e.Data["dependency"] = dependency.Resource.Name;
            throw e;
        }
        catch (Exception e) when (e is DistributedApplicationException
                                   || (e is OperationCanceledException && dependency.Ready.Exception?.InnerException is DistributedApplicationException))
        {
            // The dependency really failed (its failure is recorded before the shutdown it triggers cancels this wait).
            var failure = new DistributedApplicationException($"Dependency '{dependency.Resource.Name}' failed to start.");
            failure.Data["dependency"] = dependency.Resource.Name;
            throw failure;
        }
    }

    private async Task WaitUntilHealthyAsync(ResourceRunner runner, CancellationToken cancellationToken)
    {
        if (!runner.HasHealthCheck) return;
        var deadline = DateTime.UtcNow + _waitTimeout;
        string? lastReason = null;
        for (var attempt = 1; ; attempt++)
        {
            if (runner.Process is { HasExited: true } exited)
            {
                throw new DistributedApplicationException($"The process exited with code {await exited.Exited.ConfigureAwait(false)} before it became healthy.");
            }
            lastReason = await runner.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            if (lastReason is null) return;
            _notifications.Update(runner.Resource.Name, s => s with { Health = ResourceHealth.Unhealthy });
            if (DateTime.UtcNow > deadline)
            {
                throw new DistributedApplicationException($"Not healthy after {_waitTimeout.TotalSeconds:0} s; last check: {lastReason}");
            }
            // Fast first checks (services are usually up within a second), then Aspire's 1 s × n back-off, at most 5 s.
            await Task.Delay(attempt <= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(Math.Min(5, attempt - 10)), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task MonitorHealthAsync(ResourceRunner runner, CancellationToken cancellationToken)
    {
        if (!runner.HasHealthCheck) return;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested && runner.Process is not { HasExited: true })
        {
            await Task.Delay(failures == 0 ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(Math.Min(5, failures)), cancellationToken).ConfigureAwait(false);
            var reason = await runner.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            failures = reason is null ? 0 : failures + 1;
            var health = reason is null ? ResourceHealth.Healthy : ResourceHealth.Unhealthy;
            if (_notifications.Get(runner.Resource.Name).Health != health)
            {
                runner.Log.Notice(reason is null ? "Healthy again." : $"Unhealthy: {reason}");
                _notifications.Update(runner.Resource.Name, s => s with { Health = health, Message = reason });
            }
        }
    }

    private async Task WatchExitAsync(ResourceRunner runner, ManagedProcess process)
    {
        var code = await process.Exited.ConfigureAwait(false);
        if (Volatile.Read(ref _stopping) == 1) return;
        runner.Log.Notice($"Process {process.Pid} exited with code {code}.");
        _context.StateFile.Remove(runner.Resource.Name);
        _notifications.Update(runner.Resource.Name, s => s with
        {
            State = s.IsReady ? KnownResourceStates.Exited : KnownResourceStates.FailedToStart,
            ExitCode = code, Health = ResourceHealth.Unknown, Pid = null,
        });
        _console?.WriteBlock($"apphost: '{runner.Resource.Name}' exited with code {code}. Full log: {runner.Log.FilePath}", ConsoleColor.Red);
    }

    /// <summary>Stops everything: dependents first, each resource once everything using it has stopped.</summary>
    public async Task StopAsync()
    {
        if (!_started || Interlocked.Exchange(ref _stopping, 1) == 1) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_running).ConfigureAwait(false); } catch (OperationCanceledException) { }

        // Each resource stops once everything that uses it has stopped; a reference cycle is cut where it is found.
        var stopped = new Dictionary<IResource, Task>();
        var visiting = new HashSet<IResource>();
        Task StopOne(IResource resource)
        {
            if (stopped.TryGetValue(resource, out var existing)) return existing;
            visiting.Add(resource);
            var dependents = Dependents(resource).Where(d => !visiting.Contains(d)).Select(StopOne).ToList();
            visiting.Remove(resource);
            return stopped[resource] = StopAfterAsync(resource, dependents);
        }
        foreach (var resource in _resources) _ = StopOne(resource);
        await Task.WhenAll(stopped.Values).ConfigureAwait(false);

        if (_runners.Values.All(r => r.Process is null or { HasExited: true })) _context.StateFile.Delete();
        foreach (var runner in _runners.Values) runner.Log?.Dispose();
    }

    private async Task StopAfterAsync(IResource resource, List<Task> dependents)
    {
        await Task.WhenAll(dependents).ConfigureAwait(false);
        var runner = _runners[resource];
        if (runner.Process is null)
        {
            var state = _notifications.Get(resource.Name).State;
            if (state is KnownResourceStates.Running) _notifications.Update(resource.Name, s => s with { State = KnownResourceStates.Finished, IsReady = false });
            return;
        }
        _notifications.Update(resource.Name, s => s with { State = KnownResourceStates.Stopping });
        try
        {
            await runner.StopAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Keep going: the resources it depends on must still be stopped.
            runner.Log.Notice($"Stopping failed: {e.Message}");
        }
        var code = runner.Process.HasExited ? await runner.Process.Exited.ConfigureAwait(false) : (int?)null;
        _notifications.Update(resource.Name, s => s with { State = KnownResourceStates.Exited, ExitCode = code, Health = ResourceHealth.Unknown, IsReady = false });
    }

    private static string Describe(ResourceRunner runner, string reason)
    {
        var text = new StringBuilder()
            .Append("Resource '").Append(runner.Resource.Name).Append("' (").Append(runner.Resource.Kind).Append(") failed to start: ").AppendLine(reason);
        var tail = runner.Log?.Tail() ?? [];
        if (tail.Count > 0)
        {
            text.AppendLine("Last lines of its output:");
            foreach (var line in tail) text.Append("    ").AppendLine(line);
        }
        text.Append("Likely fix: ").Append(runner.LikelyFix);
        return text.ToString();
    }
}
