using System.Diagnostics;
using System.Text;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// The AppHost run exactly as a developer runs it (<c>dotnet Pfa.AppHost.dll</c>), as a separate process,
/// optionally as another OS user. For tests of what only a real process shows: signals, kills, users.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private AppHostProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    /// <summary>The AppHost's build output, next to the test's own configuration.</summary>
    public static string AppHostBinDirectory()
    {
        var configuration = typeof(AppHostProcess).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Pfa.sln"))) root = root.Parent;
        return Path.Combine(root?.FullName ?? throw new InvalidOperationException("Pfa.sln not found above the test output."), "Pfa.AppHost", "bin", configuration, "net10.0");
    }

    public static AppHostProcess Start(string dataDirectory, IEnumerable<string> args, string? runAsUser = null, string? appHostDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(appHostDirectory ?? AppHostBinDirectory(), "Pfa.AppHost.dll");
        var dotnet = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        var info = new ProcessStartInfo(runAsUser is null ? dotnet : "setpriv")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        if (runAsUser is not null)
        {
            foreach (var a in new[] { $"--reuid={runAsUser}", $"--regid={runAsUser}", "--init-groups", "--", dotnet }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        // What the AppHost's launch profile gives `dotnet run`: plain-http dashboard on the README's ports.
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = "http://localhost:18888";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://localhost:18889";
        info.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://localhost:18890";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://localhost:18891";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["AppHost__DataDirectory"] = dataDirectory;
        info.Environment["AppHost__DataStores"] = "LocalProcesses";
        // Explicit parameters: a test must never write the developer's user secrets.
        info.Environment["Parameters__pg-password"] = "Test-Passw0rd-" + Guid.NewGuid().ToString("N")[..12];
        info.Environment["Parameters__cache-password"] = "TestPassw0rd" + Guid.NewGuid().ToString("N")[..12];
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;

        var process = new Process { StartInfo = info };
        var host = new AppHostProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (host._gate) host._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (host._gate) host._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited) throw new InvalidOperationException($"The AppHost exited ({_process.ExitCode}) before printing '{text}'. Output:\n{Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The AppHost did not print '{text}' within {timeout}. Output:\n{Output}");
            await Task.Delay(100);
        }
    }

    public Task WaitUntilDashboardAsync() => WaitForOutputAsync("Login to the dashboard at", TimeSpan.FromSeconds(120));

    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(2);
            try { await WaitForExitAsync(TimeSpan.FromSeconds(60)); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}
