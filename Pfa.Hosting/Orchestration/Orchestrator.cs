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
    private int _startCompleted;
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
        DashboardResource dashboard => new DashboardRunner(dashboard, _context),
        _ => throw new NotSupportedException($"Run mode cannot start {resource}."),
    };

    /// <summary>What must be running before <paramref name="resource"/> starts: its waits, and a database's server.</summary>
    internal static IEnumerable<IResource> StartDependencies(IResource resource) =>
        resource.WaitDependencies().Concat(resource is IResourceWithParent child ? [child.Parent] : []).Distinct();

    /// <summary>Who uses <paramref name="resource"/> and must therefore stop before it (everything uses the dashboard: it sees the shutdown).</summary>
    private IEnumerable<IResource> Dependents(IResource resource) =>
        resource is DashboardResource
            ? _resources.Where(r => r != resource)
            : _resources.Where(r => StartDependencies(r).Contains(resource) || r.ReferencedResources().Contains(resource));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Claim the data directory before touching anything in it (logs included).
        foreach (var notice in await _context.StateFile.ClaimAsync().ConfigureAwait(false)) _console?.WriteBlock($"apphost: {notice}", ConsoleColor.Yellow);

        var logDirectory = Path.Combine(_context.DataDirectory, "logs");
        foreach (var runner in _runners.Values)
        {
            runner.Log = new ResourceLog(runner.Resource.Name, logDirectory, _console,
                _context.Dashboard.Enabled ? _context.Dashboard.ConsoleLines : 200);
            var waits = StartDependencies(runner.Resource).Any();
            _notifications.Publish(new ResourceSnapshot(runner.Resource.Name, runner.Resource.Kind,
                waits ? KnownResourceStates.Waiting : KnownResourceStates.NotStarted, ResourceHealth.Unknown, [], null));
        }

        _started = true;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        // Model order: the dashboard (first) is launched before anything else, so it receives their telemetry from the start.
        foreach (var runner in _runners.Values) StartRun(runner, initial: true, launched: null);

        // Fail fast: the first resource that fails stops the start (its dependents fail right after it anyway).
        var pending = _runners.Values.ToDictionary(r => r.Ready);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending.Keys).WaitAsync(linked.Token).ConfigureAwait(false);
            var runner = pending[done];
            pending.Remove(done);
            if (!done.IsFaulted || cancellationToken.IsCancellationRequested) continue;
            if (runner.IsOptional)
            {
                _console?.WriteBlock($"apphost: '{runner.Resource.Name}' failed to start; the application runs without it.{Environment.NewLine}{done.Exception!.InnerException!.Message}", ConsoleColor.Yellow);
                continue;
            }
            var failure = RootFailure();
            await StopAsync().ConfigureAwait(false);
            throw failure;
        }
        Volatile.Write(ref _startCompleted, 1);
    }

    /// <summary>Starts (or restarts) one resource's run: launch, health, monitoring; cancellable on its own.</summary>
    private void StartRun(ResourceRunner runner, bool initial, TaskCompletionSource? launched)
    {
        runner.RunCancellation?.Dispose();
        runner.RunCancellation = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        var task = RunAsync(runner, runner.RunCancellation.Token, initial, launched);
        runner.RunTask = task;
        lock (_running) _running.Add(task);
    }

    /// <summary>The failure that caused the others (a dependency failure names its cause).</summary>
    private DistributedApplicationException RootFailure()
    {
        var failures = _runners.Values.Where(r => r.Ready.IsFaulted && !r.IsOptional).Select(r => r.Ready.Exception!.InnerException).OfType<DistributedApplicationException>().ToList();
        return failures.FirstOrDefault(f => f.Data["dependency"] is null) ?? failures.FirstOrDefault()
            ?? new DistributedApplicationException("The application stopped before every resource was ready.");
    }

    /// <param name="initial">The application's start (waits for dependencies); otherwise a start command.</param>
    /// <param name="launched">Completed once the process runs, or faulted with why it could not start (start commands).</param>
    private async Task RunAsync(ResourceRunner runner, CancellationToken cancellationToken, bool initial, TaskCompletionSource? launched)
    {
        var name = runner.Resource.Name;
        try
        {
            if (initial)
            {
                foreach (var dependency in StartDependencies(runner.Resource)) await WaitForDependencyAsync(runner, _runners[dependency], cancellationToken).ConfigureAwait(false);
            }

            if (runner.SkipReason is { } reason)
            {
                runner.Log.Notice($"Not started: {reason}.");
                _console?.WriteBlock($"apphost: '{name}' is not started: {reason}.", ConsoleColor.Yellow);
                _notifications.Update(name, s => s with { State = KnownResourceStates.NotStarted, Message = reason, IsReady = true });
                runner.MarkReady();
                launched?.TrySetException(new DistributedApplicationException($"'{name}' is not started: {reason}."));
                return;
            }

            _notifications.Update(name, s => s with
            {
                State = KnownResourceStates.Starting, Health = ResourceHealth.Unknown, ExitCode = null, Message = null, StoppedAt = null, IsReady = false,
            });
            await runner.StartAsync(cancellationToken).ConfigureAwait(false);
            _notifications.Update(name, s => s with { State = KnownResourceStates.Running, Pid = runner.Process?.Pid, Urls = runner.Urls, StartedAt = DateTimeOffset.Now });
            launched?.TrySetResult();
            if (runner.Process is { } process) _ = WatchExitAsync(runner, process);

            await WaitUntilHealthyAsync(runner, cancellationToken).ConfigureAwait(false);
            await runner.OnReadyAsync(cancellationToken).ConfigureAwait(false);
            _notifications.Update(name, s => s with
            {
                Health = ResourceHealth.Healthy, IsReady = true, Message = null,
                HealthReports = runner.HasHealthCheck ? [new ResourceHealthReport(runner.HealthCheckName, ResourceHealth.Healthy, null)] : [],
            });
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
            launched?.TrySetException(new DistributedApplicationException($"Start of '{name}' was cancelled."));
        }
        catch (Exception e)
        {
            var message = e is DistributedApplicationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            _notifications.Update(name, s => s with { State = KnownResourceStates.FailedToStart, Message = message });
            var failure = new DistributedApplicationException(Describe(runner, message), e);
            if (e.Data["dependency"] is { } dependency) failure.Data["dependency"] = dependency;
            runner.Log.Notice(message);
            runner.MarkFailed(failure);
            launched?.TrySetException(new DistributedApplicationException(message, e));
            // At the application's start a failure stops everything; an optional resource or a start command stops only itself.
            if ((!initial || runner.IsOptional) && runner.Process is { HasExited: false })
            {
                try { await runner.StopAsync().ConfigureAwait(false); }
                catch (Exception stopFailure) { runner.Log.Notice($"Stopping failed: {stopFailure.Message}"); }
            }
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
            var report = new ResourceHealthReport(runner.HealthCheckName, ResourceHealth.Unhealthy, lastReason);
            if (_notifications.Get(runner.Resource.Name) is var current && (current.Health != ResourceHealth.Unhealthy || !current.HealthReports.SequenceEqual([report])))
            {
                _notifications.Update(runner.Resource.Name, s => s with { Health = ResourceHealth.Unhealthy, HealthReports = [report] });
            }
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
                _notifications.Update(runner.Resource.Name, s => s with
                {
                    Health = health, Message = reason, HealthReports = [new ResourceHealthReport(runner.HealthCheckName, health, reason)],
                });
            }
        }
    }

    private async Task WatchExitAsync(ResourceRunner runner, ManagedProcess process)
    {
        var code = await process.Exited.ConfigureAwait(false);
        // Stopped on purpose (shutdown or a command), or already replaced by a restart: not a crash.
        if (Volatile.Read(ref _stopping) == 1 || process.StopRequested || !ReferenceEquals(runner.Process, process)) return;
        runner.Log.Notice($"Process {process.Pid} exited with code {code}.");
        _context.StateFile.Remove(runner.Resource.Name);
        _notifications.Update(runner.Resource.Name, s => s with
        {
            State = s.IsReady ? KnownResourceStates.Exited : KnownResourceStates.FailedToStart,
            ExitCode = code, Health = ResourceHealth.Unknown, Pid = null, StoppedAt = DateTimeOffset.Now, HealthReports = [],
        });
        _console?.WriteBlock($"apphost: '{runner.Resource.Name}' exited with code {code}. Full log: {runner.Log.FilePath}", ConsoleColor.Red);
    }

    /// <summary>Stops everything: dependents first, each resource once everything using it has stopped.</summary>
    public async Task StopAsync()
    {
        if (!_started || Interlocked.Exchange(ref _stopping, 1) == 1) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_running) running = [.. _running];
        try { await Task.WhenAll(running).ConfigureAwait(false); } catch (OperationCanceledException) { }

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
        // A command in flight finishes first, so a process it launched is the one stopped here.
        await runner.CommandGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (runner.Process is null)
            {
                var state = _notifications.Get(resource.Name).State;
                if (state is KnownResourceStates.Running) _notifications.Update(resource.Name, s => s with { State = KnownResourceStates.Finished, IsReady = false });
                return;
            }
            if (runner.Process.HasExited && _notifications.Get(resource.Name).State is KnownResourceStates.Exited or KnownResourceStates.FailedToStart) return;
            await StopProcessAsync(runner).ConfigureAwait(false);
        }
        finally
        {
            runner.CommandGate.Release();
        }
    }

    private async Task StopProcessAsync(ResourceRunner runner)
    {
        var name = runner.Resource.Name;
        _notifications.Update(name, s => s with { State = KnownResourceStates.Stopping });
        try
        {
            await runner.StopAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Keep going: the resources it depends on must still be stopped.
            runner.Log.Notice($"Stopping failed: {e.Message}");
        }
        var code = runner.Process is { HasExited: true } process ? await process.Exited.ConfigureAwait(false) : (int?)null;
        _notifications.Update(name, s => s with
        {
            State = KnownResourceStates.Exited, ExitCode = code, Health = ResourceHealth.Unknown, IsReady = false, Pid = null,
            StoppedAt = DateTimeOffset.Now, HealthReports = [], Message = null,
        });
    }

    /// <summary>
    /// Stop, start or restart one resource (the dashboard's commands). Dependents are left alone, as in Aspire; a
    /// restart reuses the resource's ports and environment. The state file follows every new PID.
    /// </summary>
    public async Task<ResourceCommandResult> ExecuteCommandAsync(ResourceRunner runner, string command)
    {
        var name = runner.Resource.Name;
        if (!runner.SupportsCommands) throw new ResourceCommandException($"'{name}' offers no commands (a database lives in its server's process; the dashboard cannot stop itself).");
        if (command is not (ResourceCommands.Stop or ResourceCommands.Start or ResourceCommands.Restart))
        {
            throw new ResourceCommandException($"Unknown command '{command}'; use {ResourceCommands.Stop}, {ResourceCommands.Start} or {ResourceCommands.Restart}.");
        }
        if (Volatile.Read(ref _startCompleted) == 0) throw new ResourceCommandException("The application is still starting; try again once every resource is ready.");

        await runner.CommandGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _stopping) == 1) throw new ResourceCommandException("The application is stopping.");
            var state = _notifications.Get(name).State;
            var running = ResourceCommands.IsRunning(state);
            switch (command)
            {
                case ResourceCommands.Stop when running:
                    await StopCommandAsync(runner).ConfigureAwait(false);
                    return new ResourceCommandResult(true, $"Stopped '{name}'.");
                case ResourceCommands.Start when !running:
                    if (runner.SkipReason is { } reason) throw new ResourceCommandException($"'{name}' cannot start here: {reason}.");
                    return await StartCommandAsync(runner, "Started").ConfigureAwait(false);
                case ResourceCommands.Restart when running:
                    await StopCommandAsync(runner).ConfigureAwait(false);
                    return await StartCommandAsync(runner, "Restarted").ConfigureAwait(false);
                default:
                    throw new ResourceCommandException(running ? $"'{name}' is already running." : $"'{name}' is not running (state {state}).");
            }
        }
        finally
        {
            runner.CommandGate.Release();
        }
    }

    private async Task StopCommandAsync(ResourceRunner runner)
    {
        runner.Log.Notice("Stop requested from the dashboard.");
        if (runner.RunCancellation is { } run) await run.CancelAsync().ConfigureAwait(false);
        if (runner.RunTask is { } task) await task.ConfigureAwait(false); // RunAsync handles its own failures
        await StopProcessAsync(runner).ConfigureAwait(false);
    }

    private async Task<ResourceCommandResult> StartCommandAsync(ResourceRunner runner, string verb)
    {
        runner.Log.Notice($"{verb[..^2]} requested from the dashboard.");
        var launched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StartRun(runner, initial: false, launched);
        try
        {
            await launched.Task.ConfigureAwait(false);
        }
        catch (DistributedApplicationException e)
        {
            return new ResourceCommandResult(false, $"'{runner.Resource.Name}' did not start: {e.Message}");
        }
        return new ResourceCommandResult(true, $"{verb} '{runner.Resource.Name}' (PID {runner.Process?.Pid}).");
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

/// <summary>The commands every resource with a process offers, as in Aspire's dashboard.</summary>
internal static class ResourceCommands
{
    public const string Stop = "stop";
    public const string Start = "start";
    public const string Restart = "restart";

    /// <summary>States in which there is a process to stop or restart.</summary>
    public static bool IsRunning(string state) =>
        state is KnownResourceStates.Starting or KnownResourceStates.Running or KnownResourceStates.RuntimeUnhealthy;
}

internal sealed record ResourceCommandResult(bool Success, string Message);

/// <summary>A command that does not apply to the resource in its current state (HTTP 400).</summary>
internal sealed class ResourceCommandException(string message) : Exception(message);
