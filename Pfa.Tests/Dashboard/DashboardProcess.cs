using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pfa.Hosting.Orchestration;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// Pfa.Dashboard run as the AppHost will run it: <c>dotnet Pfa.Dashboard.dll</c> from its build output, configured only
/// through Aspire's environment variables, on free loopback ports, with an OTLP key and a browser token.
/// </summary>
public sealed class DashboardProcess : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private DashboardProcess(Process process, string uiUrl, string grpcUrl, string httpUrl, string apiKey, string token)
    {
        _process = process;
        UiUrl = uiUrl;
        OtlpGrpcUrl = grpcUrl;
        OtlpHttpUrl = httpUrl;
        ApiKey = apiKey;
        BrowserToken = token;
    }

    public string UiUrl { get; }
    public string OtlpGrpcUrl { get; }
    public string OtlpHttpUrl { get; }
    public string ApiKey { get; }
    public string BrowserToken { get; }
    public string LoginUrl => $"{UiUrl}/login?t={Uri.EscapeDataString(BrowserToken)}";

    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    public static string BinDirectory() => Infrastructure.AppHostProcess.BinDirectoryOf(new Projects.Pfa_Dashboard());

    public static async Task<DashboardProcess> StartAsync(string storagePath, string? resourceServiceUrl = null, string? resourceServiceApiKey = null,
        IDictionary<string, string>? environment = null, string? apiKey = null, string? browserToken = null)
    {
        string Url() => "http://127.0.0.1:" + PortAllocator.GetFreePort().ToString(CultureInfo.InvariantCulture);
        var (ui, grpc, http) = (Url(), Url(), Url());
        apiKey ??= "otlp-" + Guid.NewGuid().ToString("N");
        browserToken ??= "token-" + Guid.NewGuid().ToString("N");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        var dir = BinDirectory();
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = dir,
        };
        info.ArgumentList.Add(Path.Combine(dir, "Pfa.Dashboard.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = ui;
        info.Environment["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = grpc;
        info.Environment["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = http;
        info.Environment["DASHBOARD__OTLP__AUTHMODE"] = "ApiKey";
        info.Environment["DASHBOARD__OTLP__PRIMARYAPIKEY"] = apiKey;
        info.Environment["DASHBOARD__FRONTEND__AUTHMODE"] = "BrowserToken";
        info.Environment["DASHBOARD__FRONTEND__BROWSERTOKEN"] = browserToken;
        info.Environment["Dashboard__Storage__Path"] = storagePath;
        info.Environment["Dashboard__ApplicationName"] = "Pfa";
        if (resourceServiceUrl is not null) info.Environment["DOTNET_RESOURCE_SERVICE_ENDPOINT_URL"] = resourceServiceUrl;
        if (resourceServiceApiKey is not null) info.Environment["DASHBOARD__RESOURCESERVICECLIENT__APIKEY"] = resourceServiceApiKey;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;

        var process = new Process { StartInfo = info };
        var dashboard = new DashboardProcess(process, ui, grpc, http, apiKey, browserToken);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (dashboard._gate) dashboard._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (dashboard._gate) dashboard._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await dashboard.WaitHealthyAsync();
        return dashboard;
    }

    private async Task WaitHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The dashboard exited ({_process.ExitCode}). Output:\n{Output}");
            try
            {
                if ((await http.GetAsync($"{UiUrl}/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The dashboard did not become healthy. Output:\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>An HttpClient that went through the login link (so it carries the auth cookie) and does not follow redirects.</summary>
    public async Task<HttpClient> LoginAsync()
    {
        var client = NewClient();
        using var response = await client.GetAsync($"/login?t={Uri.EscapeDataString(BrowserToken)}");
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Login answered {(int)response.StatusCode}, not a redirect.");
        return client;
    }

    public HttpClient NewClient() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(UiUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Polls a telemetry query until <paramref name="found"/> holds (exports and ingestion are asynchronous).</summary>
    public static async Task<T> EventuallyAsync<T>(HttpClient client, string path, Func<T, bool> found, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await client.GetFromJsonAsync<T>(path, Json);
            if (value is not null && found(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} never matched; last answer: {JsonSerializer.Serialize(value, Json)}");
            await Task.Delay(200);
        }
    }

    /// <summary>SIGTERM, as the AppHost stops it: the dashboard flushes its telemetry queue to disk before exiting.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
