using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// The AppHost's real app model through Aspire.Hosting.Testing, as tests run it: data stores as local processes in an
/// ephemeral data directory, throw-away storage settings, random ports (the testing builder's default), and an observer
/// that keeps every resource's state changes and console lines so tests can read them.
/// </summary>
public static class PfaApp
{
    /// <summary>The OTLP collector address handed to the services (nothing listens; exporters just retry).</summary>
    public const string OtlpEndpoint = "http://127.0.0.1:4317";

    private static readonly ConditionalWeakTable<DistributedApplication, AppObserver> Observers = new();

    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string dataDirectory, params string[] args)
    {
        Directory.CreateDirectory(dataDirectory);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(
        [
            $"--AppHost:DataDirectory={dataDirectory}",
            "--AppHost:DataStores=LocalProcesses",
            "--AppHost:FastUnsafeStorage=true",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL={OtlpEndpoint}",
            .. args,
        ], TestContext.Current.CancellationToken);
        // Nothing collects telemetry here: with the exporters' default 10 s timeout, the final flush on shutdown makes every
        // service take ~12 s to stop, about as long as DCP waits before it calls a stop failed.
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000");
        }
        // The simulator journals PEMS edits under its project directory by default: a test's edits (and the reset command's
        // deletion of the journal) would reach the developer's own simulator data. Each test run keeps its own.
        builder.WithEnvironment(PfaResources.PemsSimulator, ("PemsSimulator__DataDirectory", Path.Combine(dataDirectory, PfaResources.PemsSimulator)));
        return builder;
    }

    /// <summary>Keeps only the named resources (and the parameters they use): for tests that need just the data stores.</summary>
    public static IDistributedApplicationTestingBuilder KeepOnly(this IDistributedApplicationTestingBuilder builder, params string[] names)
    {
        foreach (var resource in builder.Resources.Where(r => r is not ParameterResource && !names.Contains(r.Name)).ToList())
        {
            builder.Resources.Remove(resource);
        }
        return builder;
    }

    /// <summary>Adds environment variables to a project resource of the model.</summary>
    public static IDistributedApplicationTestingBuilder WithEnvironment(this IDistributedApplicationTestingBuilder builder, string resource, params (string Name, string Value)[] variables)
    {
        var project = builder.CreateResourceBuilder((ProjectResource)builder.Resources.Single(r => r.Name == resource));
        foreach (var (name, value) in variables) project.WithEnvironment(name, value);
        return builder;
    }

    /// <summary>Builds and starts, observed, without waiting for health: for tests of what happens when something fails.</summary>
    public static async Task<DistributedApplication> StartUnwaitedAsync(IDistributedApplicationTestingBuilder builder)
    {
        var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        Observers.Add(app, new AppObserver(app));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    /// <summary>Builds, starts and waits until every resource that has a health check is healthy; disposes on failure.</summary>
    public static async Task<DistributedApplication> StartAsync(IDistributedApplicationTestingBuilder builder)
    {
        var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        var observer = new AppObserver(app);
        Observers.Add(app, observer);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(4));
            await app.StartAsync(timeout.Token);
            // Child resources are helpers of their parents (e.g. a project's hidden rebuilder), except the databases.
            foreach (var resource in builder.Resources.Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any() && (r is not IResourceWithParent || r is PostgresDatabaseResource)))
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token);
            }
            return app;
        }
        catch (Exception e)
        {
            var logs = observer.Describe();
            await app.DisposeAsync();
            throw new InvalidOperationException($"The app model did not start: {e.Message}\n{logs}", e);
        }
    }

    private static AppObserver Observer(DistributedApplication app) =>
        Observers.TryGetValue(app, out var o) ? o : throw new InvalidOperationException("Start the app with PfaApp.StartAsync to observe it.");

    /// <summary>Every state change seen so far, in order.</summary>
    public static IReadOnlyList<(DateTime At, ResourceEvent Event)> Timeline(this DistributedApplication app) => Observer(app).Timeline;

    /// <summary>The newest snapshot of a resource (its first replica).</summary>
    public static CustomResourceSnapshot Snapshot(this DistributedApplication app, string resource) => Observer(app).Latest(resource).Snapshot;

    /// <summary>The OS process of a running executable or project (the program itself, not <c>dotnet run</c>), if any.</summary>
    public static int? GetProcessId(this DistributedApplication app, string resource) =>
        Observer(app).TryLatest(resource) is { } e
        && e.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } pid
        && int.TryParse(pid.ToString(), out var value) && ProcessInspector.IsAlive(value) ? ProcessInspector.ServiceProcess(value) : null;

    /// <summary>Every resource's state, health and last console lines: for failure messages.</summary>
    public static string Describe(this DistributedApplication app) => Observer(app).Describe();

    /// <summary>The console output of a resource so far (what the dashboard's console page shows).</summary>
    public static string ConsoleLog(this DistributedApplication app, string resource) => Observer(app).Console(resource);

    /// <summary>Creates a temporary data directory that postgres (when the tests run as root) can enter.</summary>
    public static string NewDataDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pfa-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void DeleteDataDirectory(string directory)
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class AppObserver
    {
        private readonly List<(DateTime, ResourceEvent)> _timeline = [];
        private readonly ConcurrentDictionary<string, StringBuilder> _console = new();
        private readonly ConcurrentDictionary<string, byte> _watched = new();
        private readonly ResourceLoggerService _loggers;

        public AppObserver(DistributedApplication app)
        {
            _loggers = app.Services.GetRequiredService<ResourceLoggerService>();
            var stopping = app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in app.ResourceNotifications.WatchAsync(stopping))
                    {
                        lock (_timeline) _timeline.Add((DateTime.UtcNow, e));
                        if (_watched.TryAdd(e.ResourceId, 0)) _ = WatchConsoleAsync(e.Resource.Name, e.ResourceId, stopping);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        private async Task WatchConsoleAsync(string name, string resourceId, CancellationToken ct)
        {
            var text = _console.GetOrAdd(name, _ => new StringBuilder());
            try
            {
                await foreach (var batch in _loggers.WatchAsync(resourceId).WithCancellation(ct))
                {
                    lock (text) foreach (var line in batch) text.AppendLine(line.Content);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public IReadOnlyList<(DateTime At, ResourceEvent Event)> Timeline
        {
            get { lock (_timeline) return [.. _timeline]; }
        }

        public ResourceEvent? TryLatest(string name)
        {
            lock (_timeline) return _timeline.LastOrDefault(t => t.Item2.Resource.Name == name).Item2;
        }

        public ResourceEvent Latest(string name) => TryLatest(name) ?? throw new InvalidOperationException($"No state was seen for resource '{name}'.");

        public string Console(string name)
        {
            if (!_console.TryGetValue(name, out var text)) return "";
            lock (text) return text.ToString();
        }

        public string Describe()
        {
            var names = Timeline.Select(t => t.Event.Resource.Name).Distinct();
            return string.Join('\n', names.Select(n =>
            {
                var s = Latest(n).Snapshot;
                var tail = string.Join('\n', Console(n).Split('\n').TakeLast(15).Select(l => "    " + l));
                return $"{n}: {s.State?.Text} {s.HealthStatus}\n{tail}";
            }));
        }
    }
}
