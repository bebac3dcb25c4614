using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pfa.Dashboard.Resources;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// A stand-in for the AppHost's resource service (the other side of the dashboard's contract), in process on a free port:
/// resource snapshots, the SSE watch stream, console lines (tail and follow) and stop/start/restart commands that change state.
/// Requests without the API key get 401, as the real one must.
/// </summary>
public sealed class FakeResourceService : IAsyncDisposable
{
    public const string ApiKey = "resource-service-test-key";
    public const string SecretValue = "Host=localhost;Password=Sup3r-Secret-pg";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResourceSnapshot> _resources = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ConsoleLine> _console = [];
    private readonly List<Channel<ResourceSnapshot>> _watchers = [];
    private readonly List<Channel<ConsoleLine>> _followers = [];

    public List<string> Commands { get; } = [];
    public string Url { get; private set; } = "";

    private FakeResourceService(WebApplication app) => _app = app;

    public static async Task<FakeResourceService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var service = new FakeResourceService(app);
        service.Seed();
        service.Map();
        await app.StartAsync();
        service.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return service;
    }

    private void Seed()
    {
        var started = DateTimeOffset.UtcNow.AddMinutes(-3);
        ResourceSnapshot Project(string name, int pid, string url, params ResourceEnvironmentVariable[] env) => new()
        {
            Name = name, Kind = "Project", State = "Running", Health = "Healthy", StartedAt = started, Pid = pid,
            Urls = [new ResourceUrl("http", url, IsExternal: name == "web")],
            Environment = [new("ASPNETCORE_ENVIRONMENT", "Development", false), .. env],
            HealthReports = [new ResourceHealthReport("/health", "Healthy", null)],
            Commands = [new("stop", "Stop", true), new("start", "Start", false), new("restart", "Restart", true)],
        };
        Put(new ResourceSnapshot
        {
            Name = "pg", Kind = "PostgresServer", State = "Running", Health = "Healthy", StartedAt = started, Pid = 4101,
            Urls = [new ResourceUrl("tcp", "tcp://localhost:54320", false)],
            HealthReports = [new ResourceHealthReport("pg_isready", "Healthy", "accepting connections")],
            Commands = [new("stop", "Stop", true), new("start", "Start", false), new("restart", "Restart", true)],
        });
        Put(Project("api", 4201, "http://localhost:5310",
            new ResourceEnvironmentVariable("ConnectionStrings__pfadb", SecretValue, true)) with { References = ["pfadb", "cache"], WaitsFor = ["pfadb", "cache"] });
        Put(Project("web", 4301, "http://localhost:5300") with { References = ["api"], WaitsFor = ["api"] });
        Put(Project("syncworker", 4401, "http://localhost:5320") with { References = ["pfadb", "pems"] });
        var t = DateTimeOffset.UtcNow.AddSeconds(-30);
        AddConsole("pg", "stdout", "database system is ready to accept connections", t);
        AddConsole("api", "stdout", "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5310", t.AddSeconds(1));
        AddConsole("web", "stdout", "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5300", t.AddSeconds(2));
        AddConsole("api", "stderr", "warn: Pfa.Api[0] Slow query on pfa_records (812 ms)", t.AddSeconds(3));
        AddConsole("syncworker", "stdout", "info: Pfa.Sync[0] Sync of RIO completed: 20000 records", t.AddSeconds(4));
    }

    private void Put(ResourceSnapshot snapshot)
    {
        lock (_gate)
        {
            _resources[snapshot.Name] = snapshot;
            foreach (var w in _watchers) w.Writer.TryWrite(snapshot);
        }
    }

    public void AddConsole(string resource, string stream, string text, DateTimeOffset? at = null)
    {
        lock (_gate)
        {
            var line = new ConsoleLine(resource, _console.Count(l => l.Resource == resource) + 1, at ?? DateTimeOffset.UtcNow, stream, text);
            _console.Add(line);
            foreach (var f in _followers) f.Writer.TryWrite(line);
        }
    }

    public ResourceSnapshot Get(string name)
    {
        lock (_gate) return _resources[name];
    }

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            if (context.Request.Headers[ResourceServiceClient.ApiKeyHeader] != ApiKey)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        var api = _app.MapGroup("/api/v1");
        api.MapGet("/resources", () =>
        {
            lock (_gate) return Results.Json(_resources.Values.OrderBy(r => r.Name).ToList(), Json);
        });
        api.MapGet("/resources/watch", (CancellationToken ct) => TypedResults.ServerSentEvents(WatchAsync(ct)));
        api.MapGet("/resources/{name}/console", (string name, int? tail, bool? follow, CancellationToken ct) => Console(name, tail, follow, ct));
        api.MapGet("/console", (int? tail, bool? follow, CancellationToken ct) => Console(null, tail, follow, ct));
        api.MapPost("/resources/{name}/commands/{command}", (string name, string command) =>
        {
            lock (_gate)
            {
                if (!_resources.TryGetValue(name, out var r))
                    return Results.Problem(statusCode: 404, title: "Unknown resource", detail: $"No resource named '{name}'.");
                Commands.Add($"{command}:{name}");
                var running = command != "stop";
                Put(r with
                {
                    State = running ? "Running" : "Exited", ExitCode = running ? null : 0, Health = running ? "Healthy" : null,
                    StartedAt = command is "start" or "restart" ? DateTimeOffset.UtcNow : r.StartedAt,
                    Commands = [new("stop", "Stop", running), new("start", "Start", !running), new("restart", "Restart", running)],
                });
            }
            AddConsole(name, "stdout", $"{command} requested from the dashboard");
            return Results.Json(new CommandResult(true, null), Json);
        });
    }

    private IResult Console(string? resource, int? tail, bool? follow, CancellationToken ct)
    {
        List<ConsoleLine> lines;
        lock (_gate) lines = [.. _console.Where(l => resource is null || l.Resource == resource).TakeLast(tail ?? 1000)];
        return follow == true
            ? TypedResults.ServerSentEvents(FollowAsync(resource, lines, ct))
            : Results.Json(lines, Json);
    }

    private async IAsyncEnumerable<string> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<ResourceSnapshot>();
        lock (_gate)
        {
            foreach (var r in _resources.Values) channel.Writer.TryWrite(r);
            _watchers.Add(channel);
        }
        try
        {
            await foreach (var r in channel.Reader.ReadAllAsync(ct)) yield return JsonSerializer.Serialize(r, Json);
        }
        finally
        {
            lock (_gate) _watchers.Remove(channel);
        }
    }

    private async IAsyncEnumerable<string> FollowAsync(string? resource, List<ConsoleLine> backlog, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<ConsoleLine>();
        lock (_gate) _followers.Add(channel);
        try
        {
            foreach (var line in backlog) yield return JsonSerializer.Serialize(line, Json);
            await foreach (var line in channel.Reader.ReadAllAsync(ct))
            {
                if (resource is null || line.Resource == resource) yield return JsonSerializer.Serialize(line, Json);
            }
        }
        finally
        {
            lock (_gate) _followers.Remove(channel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Writer.TryComplete();
            foreach (var f in _followers) f.Writer.TryComplete();
        }
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }
}
