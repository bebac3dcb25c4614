using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration.UserSecrets;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Dashboard;
using Pfa.Hosting.Orchestration;

namespace Pfa.Hosting;

/// <summary>
/// The running (or publishing) application built from the app model. Mirrors Aspire's <c>DistributedApplication</c>:
/// <c>Run()</c> for the AppHost's Program.cs, <c>StartAsync</c>/<c>StopAsync</c> and resource helpers for tests.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly DistributedApplicationBuilder? _builder;
    private readonly Orchestrator? _orchestrator;
    private readonly ConsoleWriter? _console;
    private readonly List<IResource> _selected = [];
    private ResourceService? _resourceService;
    private int _disposed;

    public static IDistributedApplicationBuilder CreateBuilder(string[] args) => CreateBuilder(new DistributedApplicationOptions { Args = args });

    public static IDistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions options)
    {
        TestingHook.Current?.Apply(options);
        return new DistributedApplicationBuilder(options);
    }

    private DistributedApplication() { }

    internal static DistributedApplication Captured() => new() { IsCaptured = true };

    private bool IsCaptured { get; init; }

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        _builder = builder;
        Options = builder.Options;
        if (builder.ExecutionContext.IsPublishMode) return;

        DataDirectory = ResolveDataDirectory(builder);
        Dashboard = DashboardSettings.Resolve(builder.Configuration, Options, builder.AppHostDirectory);
        // The dashboard is added here, not by Program.cs: run mode only, never in the manifest, first to start.
        if (Dashboard.Resource is { } dashboard) _selected.Add(dashboard);
        _selected.AddRange(SelectResources(builder.Resources, Options.OnlyResources).Where(r => r is not ParameterResource));
        AllocatePorts(builder);
        var parameters = builder.Resources.OfType<ParameterResource>();
        new ParameterStore(ParameterStorePath(builder)).Resolve(parameters, builder.Configuration);

        _console = Options.ConsoleOutput ? new ConsoleWriter() : null;
        _console?.Register(_selected.Select(r => r.Name));
        var context = new RunContext
        {
            DataDirectory = DataDirectory,
            Options = Options,
            Configuration = builder.Configuration,
            EnvironmentName = builder.EnvironmentName,
            StateFile = new StateFile(Path.Combine(DataDirectory, "apphost-state.json")),
            BuildConfiguration = Options.AppHostAssembly!.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug",
            RunnerOf = r => _orchestrator!.RunnerOf(r),
            Otlp = Dashboard.Resource is { } d
                ? new OtlpTarget(d.Endpoint(DashboardResource.OtlpGrpcEndpointName).Url, d.Endpoint(DashboardResource.OtlpHttpEndpointName).Url, Dashboard.OtlpApiKey)
                : OtlpTarget.FromConfiguration(builder.Configuration),
            Dashboard = Dashboard,
        };
        _orchestrator = new Orchestrator(_selected, context, ResourceNotifications, _console);
    }

    public DistributedApplicationOptions Options { get; } = new();

    /// <summary>Where this run keeps server data, logs and its state file.</summary>
    public string DataDirectory { get; } = "";

    public ResourceNotificationService ResourceNotifications { get; } = new();

    /// <summary>The dashboard and resource service of this run (URLs and the keys they require).</summary>
    public DashboardSettings Dashboard { get; } = new();

    public IReadOnlyList<IResource> Resources => _selected;

    public void Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>Publishes (manifest) or starts everything, then waits for Ctrl+C / SIGTERM and stops in order.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (IsCaptured) return;
        if (_builder!.ExecutionContext.IsPublishMode)
        {
            Publishing.Publisher.Publish(_builder);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        _console?.WriteBlock($"PFA AppHost ({_builder.EnvironmentName}) — data directory {DataDirectory}");
        if (Dashboard.LoginUrl is { } login) _console?.WriteBlock($"Dashboard: {login}", ConsoleColor.Cyan);
        using var table = _console is null ? null : new ResourceTablePrinter(ResourceNotifications, _console, _selected.Select(r => r.Name).ToList());
        try
        {
            await StartAsync(stop.Token).ConfigureAwait(false);
            table?.PrintReady(this);
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: fall through to an orderly stop.
        }
        catch (DistributedApplicationException e)
        {
            _console?.WriteBlock(e.Message, ConsoleColor.Red);
            Environment.ExitCode = 1;
            return;
        }
        _console?.WriteBlock("apphost: stopping…");
        await StopAsync().ConfigureAwait(false);
        _console?.WriteBlock("apphost: stopped.");
    }

    /// <summary>Starts every resource; returns when all are running, healthy and ready. On failure everything is stopped and the error names the resource.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_orchestrator is null) throw new InvalidOperationException("A publishing application cannot be started.");
        // Up before the dashboard is launched: it connects right away.
        if (Dashboard.Enabled) _resourceService ??= await ResourceService.StartAsync(Dashboard, new ResourceServiceModel(_orchestrator, ResourceNotifications, _selected, _builder!.Resources.OfType<ParameterResource>(), Dashboard), cancellationToken).ConfigureAwait(false);
        await _orchestrator.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync()
    {
        if (_orchestrator is not null) await _orchestrator.StopAsync().ConfigureAwait(false);
        if (_resourceService is { } service)
        {
            _resourceService = null;
            await service.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync().ConfigureAwait(false);
        if (Options.EphemeralData && Directory.Exists(DataDirectory))
        {
            try { Directory.Delete(DataDirectory, recursive: true); }
            catch (IOException) { /* a straggling file handle: the OS temp cleaner takes it */ }
        }
    }

    public IResource GetResource(string name) =>
        _selected.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Resource '{name}' is not part of this application (started: {string.Join(", ", _selected.Select(r => r.Name))}).", nameof(name));

    public Task<string?> GetConnectionStringAsync(string resourceName, CancellationToken cancellationToken = default) =>
        Task.FromResult(GetResource(resourceName) is IResourceWithConnectionString r ? r.GetConnectionString() : null);

    public Uri GetEndpoint(string resourceName, string endpointName = "http") =>
        new(GetResource(resourceName).Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == endpointName)?.Url
            ?? throw new ArgumentException($"Resource '{resourceName}' has no endpoint '{endpointName}'."));

    /// <summary>An HttpClient addressed at the resource's endpoint, as Aspire.Hosting.Testing offers.</summary>
    public HttpClient CreateHttpClient(string resourceName, string endpointName = "http") =>
        new() { BaseAddress = GetEndpoint(resourceName, endpointName) };

    /// <summary>The OS process behind a resource, if it has one running.</summary>
    public int? GetProcessId(string resourceName) => _orchestrator?.RunnerOf(GetResource(resourceName)).Process is { HasExited: false } p ? p.Pid : null;

    /// <summary>The file the resource's full output is written to.</summary>
    public string GetLogPath(string resourceName) => Path.Combine(DataDirectory, "logs", $"{GetResource(resourceName).Name}.log");

    private static IEnumerable<IResource> SelectResources(IReadOnlyList<IResource> all, IReadOnlyCollection<string>? only)
    {
        if (only is null || only.Count == 0) return all;
        var selected = new HashSet<IResource>();
        void Visit(IResource r)
        {
            if (!selected.Add(r)) return;
            foreach (var d in Orchestrator.StartDependencies(r).Concat(r.ReferencedResources())) Visit(d);
        }
        foreach (var name in only)
        {
            Visit(all.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
                  ?? throw new DistributedApplicationException($"AppHost:Only names '{name}', which is not a resource of this app ({string.Join(", ", all.Select(r => r.Name))})."));
        }
        return all.Where(selected.Contains); // model order
    }

    private void AllocatePorts(DistributedApplicationBuilder builder)
    {
        foreach (var resource in _selected)
        {
            var first = true;
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                // AppHost:Ports:<resource> sets the first endpoint, AppHost:Ports:<resource>-<endpoint> any other (dashboard-otlp-grpc).
                var key = first ? $"AppHost:Ports:{resource.Name}" : $"AppHost:Ports:{resource.Name}-{endpoint.Name}";
                var configured = int.TryParse(builder.Configuration[key], out var p) ? p : (int?)null;
                endpoint.AllocatedPort = Options.RandomizePorts ? PortAllocator.GetFreePort() : configured ?? endpoint.Port ?? PortAllocator.GetFreePort();
                first = false;
            }
        }
    }

    private static string ResolveDataDirectory(DistributedApplicationBuilder builder)
    {
        var options = builder.Options;
        if (options.DataDirectory is { Length: > 0 } configured)
        {
            Directory.CreateDirectory(configured);
            return Path.GetFullPath(configured);
        }
        if (options.EphemeralData)
        {
            // Short (Unix socket paths are limited to 107 bytes) and traversable by the postgres user.
            var temp = Directory.CreateTempSubdirectory("pfa-");
            File.SetUnixFileMode(temp.FullName, File.GetUnixFileMode(temp.FullName) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            return temp.FullName;
        }
        var name = builder.Configuration["AppHost:Name"] ?? AppName(options.AppHostAssembly!);
        var root = Native.IsRoot
            ? "/var/lib"
            : Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string AppName(Assembly assembly) =>
        (assembly.GetName().Name ?? "apphost").Replace(".AppHost", "", StringComparison.OrdinalIgnoreCase).ToLowerInvariant();

    private string ParameterStorePath(DistributedApplicationBuilder builder) =>
        !Options.IsTesting && builder.UserSecretsId is { } id
            ? PathHelper.GetSecretsPathFromSecretsId(id)
            : Path.Combine(DataDirectory, "parameters.json");
}
