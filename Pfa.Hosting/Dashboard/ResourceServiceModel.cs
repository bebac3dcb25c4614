using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Orchestration;

namespace Pfa.Hosting.Dashboard;

/// <summary>The resource service's view of the running application: resources as <see cref="ResourceDto"/>, console lines, commands.</summary>
internal sealed class ResourceServiceModel
{
    private readonly Orchestrator _orchestrator;
    private readonly IReadOnlyList<IResource> _resources;
    private readonly IReadOnlyDictionary<string, string> _inherited = ResourceRunner.InheritedEnvironment();
    private readonly SecretMasker _masker;

    public ResourceServiceModel(Orchestrator orchestrator, ResourceNotificationService notifications, IReadOnlyList<IResource> resources,
        IEnumerable<ParameterResource> parameters, DashboardSettings dashboard)
    {
        _orchestrator = orchestrator;
        Notifications = notifications;
        _resources = resources;
        _masker = new SecretMasker(parameters.Where(p => p.Secret && p.HasValue).Select(p => p.Value)
            .Concat([dashboard.OtlpApiKey, dashboard.ResourceServiceApiKey, dashboard.BrowserToken]));
    }

    public ResourceNotificationService Notifications { get; }

    public IReadOnlyList<IResource> Resources => _resources;

    public IResource? Find(string name) => _resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public ResourceLog? LogOf(IResource resource) => _orchestrator.RunnerOf(resource).Log;

    public Task<ResourceCommandResult> ExecuteCommandAsync(IResource resource, string command) =>
        _orchestrator.ExecuteCommandAsync(_orchestrator.RunnerOf(resource), command);

    public IReadOnlyList<ResourceDto> All() => _resources.Select(Project).ToList();

    public ResourceDto Project(IResource resource)
    {
        var runner = _orchestrator.RunnerOf(resource);
        var s = Notifications.TryGet(resource.Name) ?? new ResourceSnapshot(resource.Name, resource.Kind, KnownResourceStates.NotStarted, ResourceHealth.Unknown, [], null);
        var running = ResourceCommands.IsRunning(s.State);
        return new ResourceDto(
            resource.Name, resource.Name, resource.Kind, s.State,
            running ? s.Health.ToString() : null,
            s.StartedAt, s.StoppedAt, s.ExitCode, s.Pid,
            Urls(resource, s),
            Environment(runner),
            resource.ReferencedResources().Select(r => r.Name).ToList(),
            Orchestrator.StartDependencies(resource).Select(r => r.Name).ToList(),
            s.HealthReports.Select(h => new HealthReportDto(h.Name, h.Status.ToString(), h.Description is null ? null : _masker.Mask("", h.Description).Value)).ToList(),
            Commands(runner, s.State, running));
    }

    private static List<ResourceUrlDto> Urls(IResource resource, ResourceSnapshot snapshot)
    {
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        return snapshot.Urls.Select(url =>
        {
            var port = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Port : -1;
            var endpoint = endpoints.FirstOrDefault(e => e.AllocatedPort == port);
            return new ResourceUrlDto(endpoint?.Name ?? uri?.Scheme ?? "url", url, endpoint?.IsExternal ?? false);
        }).ToList();
    }

    /// <summary>What the AppHost set for the process: the launch environment minus what it merely inherited from the AppHost.</summary>
    private List<EnvironmentVariableDto> Environment(ResourceRunner runner) =>
        runner.LaunchEnvironment
            .Where(kv => !_inherited.TryGetValue(kv.Key, out var inherited) || inherited != kv.Value)
            .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .Select(kv =>
            {
                var (value, secret) = _masker.Mask(kv.Key, kv.Value);
                return new EnvironmentVariableDto(kv.Key, value, secret);
            })
            .ToList();

    private static List<ResourceCommandDto> Commands(ResourceRunner runner, string state, bool running)
    {
        if (!runner.SupportsCommands) return [];
        var startable = KnownResourceStates.IsTerminal(state) || (state == KnownResourceStates.NotStarted && runner.SkipReason is null);
        return
        [
            new(ResourceCommands.Stop, "Stop", running),
            new(ResourceCommands.Start, "Start", startable),
            new(ResourceCommands.Restart, "Restart", running),
        ];
    }
}
