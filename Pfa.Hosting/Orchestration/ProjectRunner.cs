using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// A .NET project launched from its build output (<c>dotnet X.dll</c>, not <c>dotnet run</c>: saves ~1 s and ~117 MB
/// per service), working directory = project directory, environment = Aspire's contract.
/// </summary>
internal sealed class ProjectRunner(ProjectResource project, RunContext context) : ResourceRunner(project, context)
{
    // Built once: a restart reuses the environment (same instance id, same ports), as a restarted Aspire replica does.
    private Dictionary<string, string>? _environment;

    public override IReadOnlyList<string> Urls => project.Endpoints.Where(e => e.IsHttp).Select(e => e.Url).ToList();

    public override bool HasHealthCheck => project.Annotations.OfType<HttpHealthCheckAnnotation>().Any();

    public override string HealthCheckName => project.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault() is { } check ? $"GET {check.Path}" : base.HealthCheckName;

    public override string LikelyFix =>
        $"See the output above and the full log in {Log.FilePath}. A service that stops right away usually lacks configuration or cannot reach a dependency.";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var assembly = DotnetProjects.FindAssembly(project.Name, project.ProjectDirectory, project.AssemblyName, Context.BuildConfiguration);
        project.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault()?.ResolveEndpoint(project); // fail before launching, not at the first probe
        foreach (var endpoint in project.Endpoints) EnsurePortFree(endpoint);
        _environment ??= ProjectEnvironment.Build(project, InheritedEnvironment(), Context.Otlp, Context.EnvironmentName);
        Launch(DotnetProjects.Launch(assembly, project.ProjectDirectory, _environment));
        return Task.CompletedTask;
    }

    public override Task<string?> CheckHealthAsync(CancellationToken cancellationToken) => DotnetProjects.CheckHealthAsync(project, cancellationToken);
}

/// <summary>What launching a .NET project from its build output takes; shared by services and the dashboard.</summary>
internal static class DotnetProjects
{
    /// <summary>The build output of the project for the AppHost's own configuration (Debug/Release).</summary>
    public static string FindAssembly(string resourceName, string projectDirectory, string assemblyName, string buildConfiguration)
    {
        var bin = Path.Combine(projectDirectory, "bin", buildConfiguration);
        var candidates = Directory.Exists(bin)
            ? Directory.GetDirectories(bin).Select(d => Path.Combine(d, assemblyName + ".dll")).Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new DistributedApplicationException(
            $"The build output of '{resourceName}' was not found ({assemblyName}.dll under {bin}). " +
            "Build the solution first: dotnet build (the AppHost project builds every service it references).");
    }

    public static ProcessLaunch Launch(string assembly, string projectDirectory, IReadOnlyDictionary<string, string> environment) =>
        new(DotnetHost(), [assembly], projectDirectory)
        {
            Environment = environment,
            StopSequence = [(Native.SIGTERM, TimeSpan.FromSeconds(10)), (Native.SIGKILL, TimeSpan.FromSeconds(5))],
        };

    public static Task<string?> CheckHealthAsync(IResource resource, CancellationToken cancellationToken)
    {
        var check = resource.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault();
        if (check is null) return Task.FromResult<string?>(null);
        var endpoint = check.ResolveEndpoint(resource);
        return HttpProbe.CheckAsync($"{endpoint.Scheme}://127.0.0.1:{endpoint.RequirePort()}{check.Path}", check.StatusCode, cancellationToken);
    }

    /// <summary>The dotnet host that runs us (dotnet test / dotnet run set DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return ResourceRunner.FindOnPath("dotnet") ?? throw new DistributedApplicationException("The dotnet host was not found on PATH.");
    }
}
