using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Pfa.AppHost.Hosting;

/// <summary>How the data stores (PostgreSQL, its web admin, Redis) run in run mode. Setting: <c>AppHost:DataStores</c>.</summary>
public enum DataStoreMode
{
    /// <summary>Containers when a container runtime answers, local processes otherwise.</summary>
    Auto,
    /// <summary>Aspire's stock containers, with data volumes.</summary>
    Containers,
    /// <summary>Local server processes under DCP: installed PostgreSQL binaries, redis-server, Adminer on PHP.</summary>
    LocalProcesses,
}

/// <summary>Settings shared by the data stores that run as local processes.</summary>
public static class LocalDataStores
{
    public const string ModeKey = "AppHost:DataStores";
    public const string DataDirectoryKey = "AppHost:DataDirectory";
    /// <summary>fsync off and no snapshots: for throw-away data directories (tests, benchmarks), never for data you keep.</summary>
    public const string FastUnsafeStorageKey = "AppHost:FastUnsafeStorage";

    private static readonly Dictionary<IDistributedApplicationBuilder, bool> Decisions = [];

    /// <summary>True when this run should start the data stores as local processes instead of containers.</summary>
    public static bool UseLocalProcesses(IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode) return false; // publish mode always describes the stock resources
        lock (Decisions)
        {
            if (!Decisions.TryGetValue(builder, out var local))
            {
                var mode = builder.Configuration.GetValue(ModeKey, DataStoreMode.Auto);
                local = mode switch
                {
                    DataStoreMode.LocalProcesses => true,
                    DataStoreMode.Containers => false,
                    _ => !ContainerRuntimeAnswers(builder.Configuration),
                };
                Decisions[builder] = local;
            }
            return local;
        }
    }

    /// <summary>Where local servers keep their data: survives restarts like a container's data volume.</summary>
    public static string DataDirectory(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration[DataDirectoryKey] is { Length: > 0 } configured ? configured
            : Pfa.Data.Backups.BackupFiles.DefaultDataDirectory()); // shared with ./pfa backup, which finds the backups folder under it

    public static bool FastUnsafeStorage(IDistributedApplicationBuilder builder) => builder.Configuration.GetValue(FastUnsafeStorageKey, false);

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>
    /// Asks the runtime DCP would use (docker unless ASPIRE_CONTAINER_RUNTIME says podman) whether its engine is up.
    /// A client without an engine (this is what makes containers hang as "Runtime unhealthy") answers non-zero at once.
    /// </summary>
    private static bool ContainerRuntimeAnswers(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DcpPublisher:ContainerRuntime"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null) return false;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such program
        }
    }

    /// <summary>
    /// Runs a stand-in's setup step; a failure goes to the resource's own console (what the dashboard shows beside it)
    /// before it fails the start, so the reason and the fix are where the developer looks.
    /// </summary>
    internal static async Task ReportFailureAsync(Microsoft.Extensions.Logging.ILogger logger, Func<Task> setup)
    {
        try
        {
            await setup().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, "{Message}", e.Message);
            throw;
        }
    }

    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    internal static string InstallHint(string packages) => $"{(IsRoot ? "" : "sudo ")}apt-get install -y --no-install-recommends {packages}";
}
