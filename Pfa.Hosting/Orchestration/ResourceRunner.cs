using Microsoft.Extensions.Configuration;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>Everything runners share: where data lives, how the AppHost was configured, who we run as.</summary>
internal sealed class RunContext
{
    public required string DataDirectory { get; init; }
    public required DistributedApplicationOptions Options { get; init; }
    public required IConfiguration Configuration { get; init; }
    public required string EnvironmentName { get; init; }
    public required StateFile StateFile { get; init; }
    public required string BuildConfiguration { get; init; }
    public required Func<IResource, ResourceRunner> RunnerOf { get; init; }
    public required OtlpTarget Otlp { get; init; }
    public required Dashboard.DashboardSettings Dashboard { get; init; }
    public bool IsRoot { get; } = Native.IsRoot;
    public bool FastUnsafeStorage => Options.FastUnsafeStorage;
}

/// <summary>How one kind of resource is started, checked and stopped in run mode.</summary>
internal abstract class ResourceRunner(IResource resource, RunContext context)
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IResource Resource { get; } = resource;
    protected RunContext Context { get; } = context;
    public ResourceLog Log { get; set; } = null!;
    public ManagedProcess? Process { get; protected set; }

    /// <summary>Completes when the resource is running, healthy and its ready work is done.</summary>
    public Task Ready => _ready.Task;
    internal void MarkReady() => _ready.TrySetResult();
    internal void MarkFailed(Exception e) => _ready.TrySetException(e);

    /// <summary>Null when the resource can run here; otherwise why it is skipped (optional tooling missing).</summary>
    public virtual string? SkipReason => null;

    public virtual bool HasHealthCheck => true;

    public virtual IReadOnlyList<string> Urls => [];

    /// <summary>A resource the application can run without (the dashboard): its failure is reported, not fatal.</summary>
    public virtual bool IsOptional => false;

    /// <summary>Whether stop/start/restart apply (not to a database inside its server, nor to the dashboard itself).</summary>
    public virtual bool SupportsCommands => true;

    /// <summary>What the health check is called in the dashboard's health reports.</summary>
    public virtual string HealthCheckName => $"{Resource.Name}_check";

    /// <summary>The environment of the last launch (the AppHost's own inherited variables included).</summary>
    public IReadOnlyDictionary<string, string> LaunchEnvironment { get; private set; } = new Dictionary<string, string>();

    /// <summary>Serialises commands (stop/start/restart) and the final stop of this resource.</summary>
    internal SemaphoreSlim CommandGate { get; } = new(1, 1);

    /// <summary>Cancels the current run (health monitoring) of this resource; replaced on every start.</summary>
    internal CancellationTokenSource? RunCancellation { get; set; }

    internal Task? RunTask { get; set; }

    /// <summary>Launches the resource; returns once it is running (not necessarily healthy).</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Null when healthy, otherwise a short reason.</summary>
    public abstract Task<string?> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>Work to do once healthy, before dependents are released (Aspire's ResourceReadyEvent).</summary>
    public virtual Task OnReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual async Task StopAsync()
    {
        if (Process is { HasExited: false } process)
        {
            var code = await process.StopAsync().ConfigureAwait(false);
            Log.Notice(code is null ? $"Process {process.Pid} is still running after every stop signal." : $"Stopped (exit code {code}).");
        }
        if (Process is not null) Context.StateFile.Remove(Resource.Name);
    }

    /// <summary>What to try when this resource fails, shown with the error.</summary>
    public virtual string LikelyFix => $"See the full log in {Log.FilePath}.";

    protected ManagedProcess Launch(ProcessLaunch launch)
    {
        Process = ManagedProcess.Start(launch, Log);
        LaunchEnvironment = launch.Environment;
        Context.StateFile.Add(Resource.Name, Process);
        return Process;
    }

    protected void EnsurePortFree(EndpointAnnotation endpoint)
    {
        var port = endpoint.RequirePort();
        if (!PortAllocator.IsFree(port))
        {
            throw new DistributedApplicationException(
                $"Port {port} of '{Resource.Name}' is already in use. Stop the process that holds it (ss -ltnp 'sport = :{port}'), " +
                $"or choose another port with AppHost:Ports:{Resource.Name} (environment variable AppHost__Ports__{Resource.Name}).");
        }
    }

    /// <summary>Runs a short-lived tool to completion, its output going to the resource log.</summary>
    protected async Task RunToolAsync(ProcessLaunch launch, string what, CancellationToken cancellationToken)
    {
        var tool = ManagedProcess.Start(launch, Log);
        using var registration = cancellationToken.Register(() => Native.Signal(tool.Pid, Native.SIGTERM));
        var code = await tool.Exited.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (code != 0) throw new DistributedApplicationException($"{what} failed with exit code {code}.");
    }

    internal static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The AppHost's environment minus what Aspire never lets children inherit.</summary>
    internal static Dictionary<string, string> InheritedEnvironment()
    {
        string[] notInherited = ["ASPNETCORE_URLS", "DOTNET_LAUNCH_PROFILE", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"];
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (!notInherited.Contains(key) && !key.StartsWith("Parameters__", StringComparison.Ordinal)) env[key] = (string?)e.Value ?? "";
        }
        return env;
    }
}
