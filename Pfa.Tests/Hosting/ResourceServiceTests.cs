using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Pfa.Hosting;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Dashboard;
using Pfa.Hosting.Orchestration;
using Pfa.Hosting.Testing;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>
/// An AppHost with its dashboard: pfadb, cache, api and pems, plus a stand-in dashboard. The dashboard UI is its own
/// project (tested there); any web project serving /health can take its place to show how the AppHost launches it.
/// </summary>
public sealed class DashboardAppFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(configure: o =>
        {
            o.DashboardEnabled = true;
            o.OnlyResources = [PfaResources.Api, PfaResources.PemsSimulator];
            o.ConfigurationOverrides["AppHost:Dashboard:ProjectPath"] = new Projects.Pfa_PemsSimulator().ProjectPath;
        });
        // The stand-in does not listen for OTLP, and exporters with nowhere to send take their whole stop timeout:
        // the variables are still injected (and checked below), the SDK just stays off.
        foreach (var project in builder.Resources.OfType<ProjectResource>()) builder.CreateResourceBuilder(project).WithEnvironment("OTEL_SDK_DISABLED", "true");
        App = builder.Build();
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await App.DisposeAsync(); // the resource service and ephemeral data go too
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = App.Dashboard.ResourceServiceUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(ResourceServiceContract.ApiKeyHeader, apiKey ?? App.Dashboard.ResourceServiceApiKey);
        return client;
    }
}

public sealed class ResourceServiceTests(DashboardAppFixture fixture) : IClassFixture<DashboardAppFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private DistributedApplication App => fixture.App;

    [Fact]
    public async Task Calls_without_the_key_or_with_a_wrong_one_are_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = App.Dashboard.ResourceServiceUrl };
        using var wrong = fixture.Client("not-the-key");
        using var right = fixture.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/resources", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/resources", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync("/api/v1/resources/pems/commands/stop", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/console?tail=5", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/api/v1/resources", Ct)).StatusCode);
        Assert.Equal(KnownResourceStates.Running, App.ResourceNotifications.Get(PfaResources.PemsSimulator).State);
    }

    [Fact]
    public async Task Lists_every_resource_running_and_healthy_with_urls_references_and_commands()
    {
        foreach (var resource in App.Resources) await App.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, Ct);
        using var client = fixture.Client();

        var resources = (await client.GetFromJsonAsync<List<ResourceDto>>("/api/v1/resources", Ct))!;

        Assert.Equal(["dashboard", "pg", "pfadb", "cache", "pems", "api"], resources.Select(r => r.Name));
        Assert.All(resources, r =>
        {
            Assert.Equal(KnownResourceStates.Running, r.State);
            Assert.Equal("Healthy", r.Health);
            Assert.NotNull(r.StartedAt);
            Assert.Null(r.StoppedAt);
        });
        var api = resources.Single(r => r.Name == PfaResources.Api);
        Assert.Equal("project", api.Kind);
        Assert.Equal(App.GetProcessId(PfaResources.Api), api.Pid);
        Assert.Equal([new ResourceUrlDto("http", App.GetEndpoint(PfaResources.Api).ToString().TrimEnd('/'), false)], api.Urls);
        Assert.Equal([PfaResources.Database, PfaResources.Redis], api.References);
        Assert.Equal([PfaResources.Database, PfaResources.Redis], api.WaitsFor);
        Assert.Equal([new HealthReportDto("GET /health", "Healthy", null)], api.HealthReports);
        Assert.Equal(["stop:True", "start:False", "restart:True"], api.Commands.Select(c => $"{c.Name}:{c.Enabled}"));
        Assert.Empty(resources.Single(r => r.Name == PfaResources.Database).Commands); // lives in pg: no process of its own

        // The dashboard comes first, is launched before anything else, and lists its UI and OTLP endpoints.
        var dashboard = resources[0];
        Assert.Equal("Dashboard", dashboard.Kind);
        Assert.All(resources.Skip(1), r => Assert.True(dashboard.StartedAt <= r.StartedAt, $"{r.Name} started before the dashboard"));
        Assert.Equal(["http", "otlp-grpc", "otlp-http"], dashboard.Urls.Select(u => u.Name));
        Assert.Empty(dashboard.Commands); // stopping it from itself would leave nothing to start it again with
    }

    [Fact]
    public async Task Secrets_in_the_environment_are_masked()
    {
        using var client = fixture.Client();
        var json = await client.GetStringAsync("/api/v1/resources", Ct);
        var api = JsonSerializer.Deserialize<List<ResourceDto>>(json, ResourceServiceContract.JsonOptions)!.Single(r => r.Name == PfaResources.Api);
        var env = api.Environment.ToDictionary(e => e.Name);

        var pgPassword = new NpgsqlConnectionStringBuilder(await App.GetConnectionStringAsync(PfaResources.Database, Ct)).Password!;
        var cachePassword = (await App.GetConnectionStringAsync(PfaResources.Redis, Ct))!.Split("password=")[1];
        var jwtKey = ProcessInspector.Environment(App.GetProcessId(PfaResources.Api)!.Value)["Jwt__Key"];
        foreach (var secret in new[] { pgPassword, Uri.EscapeDataString(pgPassword), cachePassword, jwtKey, App.Dashboard.OtlpApiKey })
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }

        Assert.Equal(new EnvironmentVariableDto("PFADB_PASSWORD", "********", true), env["PFADB_PASSWORD"]);
        Assert.Equal(new EnvironmentVariableDto("Jwt__Key", "********", true), env["Jwt__Key"]);
        Assert.True(env["ConnectionStrings__pfadb"].IsSecret);
        Assert.Matches(@"^Host=localhost;Port=\d+;Username=postgres;Password=\*{8};Database=pfadb$", env["ConnectionStrings__pfadb"].Value);
        Assert.Matches(@"^postgresql://postgres:\*{8}@localhost:\d+/pfadb$", env["PFADB_URI"].Value);
        Assert.Matches(@"^localhost:\d+,password=\*{8}$", env["ConnectionStrings__cache"].Value);
        Assert.Equal("x-otlp-api-key=********", env["OTEL_EXPORTER_OTLP_HEADERS"].Value);
        // Ordinary variables are shown as they are; what the AppHost merely passed on from its own environment is not listed.
        Assert.Equal(new EnvironmentVariableDto("OTEL_SERVICE_NAME", "api", false), env["OTEL_SERVICE_NAME"]);
        Assert.Equal("localhost", env["PFADB_HOST"].Value);
        Assert.DoesNotContain("PATH", env.Keys);
    }

    [Fact]
    public async Task Console_returns_a_services_output_alone_and_interleaved()
    {
        using var client = fixture.Client();

        var api = (await client.GetFromJsonAsync<List<ConsoleLineDto>>("/api/v1/resources/api/console", Ct))!;
        var listening = Assert.Single(api, l => l.Text.Contains($"Now listening on: {App.GetEndpoint(PfaResources.Api).ToString().TrimEnd('/')}", StringComparison.Ordinal));
        Assert.Equal("api", listening.Resource);
        Assert.Equal("stdout", listening.Stream);
        Assert.Equal(Enumerable.Range(1, api.Count).Select(i => (long)i), api.Select(l => l.LineNumber).Order()); // nothing dropped below the limit

        var tail = (await client.GetFromJsonAsync<List<ConsoleLineDto>>("/api/v1/resources/api/console?tail=3", Ct))!;
        Assert.Equal(3, tail.Count);
        Assert.True(tail[0].LineNumber >= api[^1].LineNumber - 2);

        var all = (await client.GetFromJsonAsync<List<ConsoleLineDto>>("/api/v1/console", Ct))!;
        Assert.Contains(all, l => l.Resource == "api" && l.Text.Contains("Now listening on", StringComparison.Ordinal));
        Assert.Contains(all, l => l.Resource == "pg" && l.Text.Contains("database system is ready to accept connections", StringComparison.Ordinal));
        Assert.Equal(all.OrderBy(l => l.Timestamp).Select(l => l.Timestamp), all.Select(l => l.Timestamp));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/resources/nope/console", Ct)).StatusCode);
        var badTail = await client.GetAsync("/api/v1/console?tail=-1", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badTail.StatusCode);
        Assert.Contains("tail", await badTail.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_then_start_a_resource_with_live_state_and_console_streams()
    {
        using var client = fixture.Client();
        using var watch = await SseStream.OpenAsync(client, "/api/v1/resources/watch");
        using var console = await SseStream.OpenAsync(client, "/api/v1/resources/pems/console?tail=0&follow=true");
        // Every resource's snapshot first.
        var first = new List<ResourceDto>();
        for (var i = 0; i < App.Resources.Count; i++) first.Add(await watch.NextAsync<ResourceDto>());
        Assert.Equal(App.Resources.Select(r => r.Name).Order(), first.Select(r => r.Name).Order());

        var pid = App.GetProcessId(PfaResources.PemsSimulator)!.Value;
        var stop = await client.PostAsync("/api/v1/resources/pems/commands/stop", null, Ct);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.True((await stop.Content.ReadFromJsonAsync<CommandResultDto>(Ct))!.Success);
        Assert.False(ProcessInspector.IsAlive(pid));
        var stopped = await watch.NextMatchingAsync<ResourceDto>(r => r.Name == "pems" && r.State == KnownResourceStates.Exited);
        Assert.Null(stopped.Pid);
        Assert.NotNull(stopped.StoppedAt);
        Assert.Equal(["stop:False", "start:True", "restart:False"], stopped.Commands.Select(c => $"{c.Name}:{c.Enabled}"));
        // The api does not depend on pems: it keeps running (dependents are never stopped with it anyway).
        Assert.Equal(KnownResourceStates.Running, App.ResourceNotifications.Get(PfaResources.Api).State);

        var again = await client.PostAsync("/api/v1/resources/pems/commands/stop", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("not running", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var start = await client.PostAsync("/api/v1/resources/pems/commands/start", null, Ct);
        Assert.True((await start.Content.ReadFromJsonAsync<CommandResultDto>(Ct))!.Success);
        var healthy = await watch.NextMatchingAsync<ResourceDto>(r => r.Name == "pems" && r.Health == "Healthy");
        Assert.NotEqual(pid, healthy.Pid);
        Assert.Equal(healthy.Pid, App.GetProcessId(PfaResources.PemsSimulator));
        await console.NextMatchingAsync<ConsoleLineDto>(l => l.Text.Contains("Now listening on", StringComparison.Ordinal));
        using var pems = App.CreateHttpClient(PfaResources.PemsSimulator);
        Assert.Equal(HttpStatusCode.OK, (await pems.GetAsync("/health", Ct)).StatusCode);

        var unknown = await client.PostAsync("/api/v1/resources/pems/commands/explode", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("\"command\"", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/v1/resources/nope/commands/stop", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/v1/resources/pfadb/commands/stop", null, Ct)).StatusCode);
    }

    [Fact]
    public void The_dashboard_gets_its_endpoints_and_keys_and_services_export_to_it_with_the_key()
    {
        var dashboard = (DashboardResource)App.GetResource("dashboard");
        var env = ProcessInspector.Environment(App.GetProcessId("dashboard")!.Value);
        var ui = dashboard.Endpoint(DashboardResource.UiEndpointName).Url;
        var grpc = dashboard.Endpoint(DashboardResource.OtlpGrpcEndpointName).Url;

        Assert.Equal(ui, env["ASPNETCORE_URLS"]);
        Assert.Equal(grpc, env["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"]);
        Assert.Equal(dashboard.Endpoint(DashboardResource.OtlpHttpEndpointName).Url, env["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"]);
        Assert.Equal("ApiKey", env["DASHBOARD__OTLP__AUTHMODE"]);
        Assert.Equal(App.Dashboard.OtlpApiKey, env["DASHBOARD__OTLP__PRIMARYAPIKEY"]);
        Assert.Equal("BrowserToken", env["DASHBOARD__FRONTEND__AUTHMODE"]);
        Assert.Equal(App.Dashboard.BrowserToken, env["DASHBOARD__FRONTEND__BROWSERTOKEN"]);
        Assert.Equal(App.Dashboard.ResourceServiceUrl.ToString().TrimEnd('/'), env["DOTNET_RESOURCE_SERVICE_ENDPOINT_URL"]);
        Assert.Equal("ApiKey", env["DASHBOARD__RESOURCESERVICECLIENT__AUTHMODE"]);
        Assert.Equal(App.Dashboard.ResourceServiceApiKey, env["DASHBOARD__RESOURCESERVICECLIENT__APIKEY"]);
        Assert.Equal(Path.Combine(App.DataDirectory, "dashboard"), env["Dashboard__Storage__Path"]);
        Assert.True(Directory.Exists(env["Dashboard__Storage__Path"]));
        Assert.Equal("PFA Vanguard", env["Dashboard__ApplicationName"]);
        Assert.Equal($"{ui}/login?t={App.Dashboard.BrowserToken}", App.Dashboard.LoginUrl);
        Assert.Matches("^[0-9a-f]{64}$", App.Dashboard.OtlpApiKey);
        Assert.NotEqual(App.Dashboard.OtlpApiKey, App.Dashboard.ResourceServiceApiKey);

        foreach (var service in new[] { PfaResources.Api, PfaResources.PemsSimulator })
        {
            var serviceEnv = ProcessInspector.Environment(App.GetProcessId(service)!.Value);
            Assert.Equal(grpc, serviceEnv["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("grpc", serviceEnv["OTEL_EXPORTER_OTLP_PROTOCOL"]);
            Assert.Equal($"x-otlp-api-key={App.Dashboard.OtlpApiKey}", serviceEnv["OTEL_EXPORTER_OTLP_HEADERS"]);
            Assert.DoesNotContain(serviceEnv.Keys, k => k.StartsWith("DASHBOARD__", StringComparison.Ordinal));
        }
    }
}

/// <summary>Restart needs an application of its own: the test ends by stopping it.</summary>
public sealed class ResourceRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restart_of_the_api_gives_a_new_healthy_process_that_the_shutdown_stops()
    {
        var data = Path.Combine(Path.GetTempPath(), "pfa-restart-cmd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)Convert.ToInt32("755", 8));
        try
        {
            var app = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(o =>
            {
                o.DashboardEnabled = true;
                o.OnlyResources = [PfaResources.Api];
                o.DataDirectory = data;
                o.EphemeralData = false;
            }, Ct);
            int newPid;
            var children = new Dictionary<string, int>();
            await using (app)
            {
                var oldPid = app.GetProcessId(PfaResources.Api)!.Value;
                var oldEnv = ProcessInspector.Environment(oldPid);
                using var client = new HttpClient { BaseAddress = app.Dashboard.ResourceServiceUrl, Timeout = TimeSpan.FromSeconds(60) };
                client.DefaultRequestHeaders.Add(ResourceServiceContract.ApiKeyHeader, app.Dashboard.ResourceServiceApiKey);

                var response = await client.PostAsync("/api/v1/resources/api/commands/restart", null, Ct);
                var result = (await response.Content.ReadFromJsonAsync<CommandResultDto>(Ct))!;
                Assert.True(result.Success, result.Message);

                await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Api, Ct);
                newPid = app.GetProcessId(PfaResources.Api)!.Value;
                Assert.NotEqual(oldPid, newPid);
                Assert.False(ProcessInspector.IsAlive(oldPid));
                // Same port, same environment (instance id included).
                Assert.Equal(oldEnv, ProcessInspector.Environment(newPid));
                using var api = app.CreateHttpClient(PfaResources.Api);
                Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health", Ct)).StatusCode);

                var listed = (await client.GetFromJsonAsync<List<ResourceDto>>("/api/v1/resources", Ct))!.Single(r => r.Name == PfaResources.Api);
                Assert.Equal(newPid, listed.Pid);
                Assert.Equal("Healthy", listed.Health);
                // The state file knows the new process, so a killed AppHost's successor would stop it.
                foreach (var (name, pid) in AppHostProcess.ChildPids(data)) children[name] = pid;
                Assert.Equal(newPid, children[PfaResources.Api]);
                var console = (await client.GetFromJsonAsync<List<ConsoleLineDto>>("/api/v1/resources/api/console", Ct))!;
                Assert.Equal(2, console.Count(l => l.Text.Contains("Now listening on", StringComparison.Ordinal)));
            }

            foreach (var (name, pid) in children) Assert.False(ProcessInspector.IsAlive(pid), $"{name} (PID {pid}) outlived the AppHost");
            Assert.False(File.Exists(Path.Combine(data, "apphost-state.json")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

/// <summary>Reads Server-Sent Events (<c>data:</c> lines) from a response stream.</summary>
internal sealed class SseStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseStream(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _reader = new StreamReader(stream);
    }

    public static async Task<SseStream> OpenAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseStream(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
    }

    public async Task<T> NextAsync<T>()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return JsonSerializer.Deserialize<T>(line["data: ".Length..], ResourceServiceContract.JsonOptions)!;
        }
        throw new EndOfStreamException("The event stream ended.");
    }

    public async Task<T> NextMatchingAsync<T>(Func<T, bool> predicate)
    {
        while (true)
        {
            var next = await NextAsync<T>();
            if (predicate(next)) return next;
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
