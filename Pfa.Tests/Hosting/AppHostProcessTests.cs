using System.Net;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>The AppHost as a developer runs it (<c>dotnet Pfa.AppHost.dll</c>): up on its README ports, and Ctrl+C leaves nothing behind.</summary>
[Collection(Name)]
public sealed class AppHostProcessTests
{
    /// <summary>Alone, after the parallel collections: it runs on the README's fixed ports.</summary>
    public const string Name = "apphost-process";

    private const int SIGINT = 2;

    [Fact]
    public async Task Ctrl_c_stops_the_whole_stack_dcp_and_its_children_included()
    {
        var data = PfaApp.NewDataDirectory();
        File.SetUnixFileMode(data, (UnixFileMode)Convert.ToInt32("755", 8));
        var marker = "pfa-process-test-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await using var host = AppHostProcess.Start(data, [], environment: new Dictionary<string, string> { ["PFA_TEST_MARKER"] = marker });
            await host.WaitUntilDashboardAsync();
            Assert.Matches(@"Login to the dashboard at http://localhost:18888/login\?t=[0-9a-f]{32}", host.Output);

            // The README's URLs answer once everything is healthy.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (var url in new[] { "http://localhost:5310/health", "http://localhost:5320/health", "http://localhost:5330/health", "http://localhost:5300/health", "http://localhost:5350/" })
            {
                await SyncWait(async () => { try { return (await http.GetAsync(url)).StatusCode == HttpStatusCode.OK; } catch (HttpRequestException) { return false; } catch (TaskCanceledException) { return false; } },
                    $"{url} to answer 200", () => host.Output);
            }
            var stack = StackProcesses(marker, data);
            Assert.Contains(stack, p => p.Command.Contains("postgres", StringComparison.Ordinal));
            Assert.Contains(stack, p => p.Command.Contains("redis-server", StringComparison.Ordinal));

            // Every service exports its telemetry to the dashboard, with the run's API key, at Aspire's development intervals.
            var api = stack.Single(p => p.Command.EndsWith("/Pfa.Api", StringComparison.Ordinal));
            var env = ProcessInspector.Environment(api.Pid);
            Assert.Equal("http://localhost:18889", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.StartsWith("x-otlp-api-key=", env["OTEL_EXPORTER_OTLP_HEADERS"], StringComparison.Ordinal);
            Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
            Assert.Equal("api", env["OTEL_SERVICE_NAME"]);
            Assert.Equal("1000", env["OTEL_BSP_SCHEDULE_DELAY"]);
            Assert.Equal("1000", env["OTEL_METRIC_EXPORT_INTERVAL"]);
            Assert.DoesNotContain(env["OTEL_EXPORTER_OTLP_HEADERS"]["x-otlp-api-key=".Length..], host.Output, StringComparison.Ordinal);

            host.Signal(SIGINT);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            // DCP keeps children a little after its AppHost exits (it notices through its monitor): bounded, not forever.
            await SyncWait(() => Task.FromResult(StackProcesses(marker, data).Count == 0), "every process of the stack to stop",
                () => string.Join('\n', StackProcesses(marker, data).Select(p => $"{p.Pid} {p.Command}")), TimeSpan.FromSeconds(75));
            // PostgreSQL was shut down, not killed: no crash recovery on the next start.
            Assert.Contains("Database cluster state:               shut down", ControlData(Path.Combine(data, "pg", "data")), StringComparison.Ordinal);
        }
        finally
        {
            PfaApp.DeleteDataDirectory(data);
        }
    }

    private static string ControlData(string cluster)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_controldata")).First(File.Exists);
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(bin, [cluster]) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>Every live process started for this run: the AppHost's environment marker (inherited through DCP) or the data directory in its command line.</summary>
    private static List<(int Pid, string Command)> StackProcesses(string marker, string data)
    {
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId || !ProcessInspector.IsAlive(pid)) continue;
            try
            {
                var command = string.Join(' ', ProcessInspector.CommandLine(pid));
                var environ = File.ReadAllText($"/proc/{pid}/environ");
                var cwd = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(false)?.FullName ?? "";
                if (environ.Contains(marker, StringComparison.Ordinal) || command.Contains(data, StringComparison.Ordinal) || cwd.StartsWith(data, StringComparison.Ordinal))
                {
                    found.Add((pid, command));
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static async Task SyncWait(Func<Task<bool>> condition, string what, Func<string> explain, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(3));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up waiting for {what}.\n{explain()}");
            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(AppHostProcessTests.Name, DisableParallelization = true)]
public sealed class AppHostProcessCollection;
