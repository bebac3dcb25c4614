using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Pfa.ServiceDefaults;

namespace Pfa.Benchmarks;

/// <summary>
/// The built Pfa.Api run as its own process, as deployed (Production, migrating at start), on a loopback port: the load
/// generator in the benchmark process reaches it over real HTTP, and its CPU time is its own (<see cref="CpuMeter"/>).
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _console = new();

    public Uri BaseAddress { get; }
    public int Pid => _process.Id;

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public static async Task<ApiProcess> StartAsync(string postgres, string redis, string? model, CancellationToken ct)
    {
        var dll = Locate();
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll }, WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false,
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var env = start.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env[$"ConnectionStrings__{PfaResources.Database}"] = postgres;
        env[$"ConnectionStrings__{PfaResources.Redis}"] = redis;
        env["Database__MigrateOnStartup"] = "true";
        if (model is not null) env["ConnectionStrings__ai"] = model; // the benchmark's canned model (no secret: a loopback stub)
        env["Jwt__Key"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        // A limiter rejection would be an error, never latency: out of the way for 50 closed-loop users.
        env["RateLimit__PermitsPerMinute"] = "10000000";
        // Request logging would measure the console, not the API.
        env["Logging__LogLevel__Default"] = "Warning";
        env.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => api.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => api.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await api.WaitHealthyAsync(ct);
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Peak resident set of the API process (VmHWM), in bytes.</summary>
    public long PeakResidentBytes() =>
        File.ReadLines($"/proc/{Pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024).FirstOrDefault();

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = CreateClient();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (_process.HasExited) break;
            try
            {
                if ((await http.GetAsync("/health", ct)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { } // not listening yet (it migrates first)
            await Task.Delay(200, ct);
        }
        throw new InvalidOperationException($"The API did not become healthy (exited: {_process.HasExited}):\n{string.Join('\n', Console())}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_console)
        {
            _console.Enqueue(line);
            if (_console.Count > 200) _console.Dequeue();
        }
    }

    private string[] Console()
    {
        lock (_console) return [.. _console];
    }

    /// <summary>Pfa.Api's own build output next to this benchmark's (same configuration and target framework): its content root and settings.</summary>
    private static string Locate()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "Pfa.Api", "bin", configuration, framework, "Pfa.Api.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException($"Pfa.Api.dll ({configuration}, {framework}) not found above {output.FullName}: build Pfa.Api first.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // the process this object started, by its id
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
