using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// A .NET project launched from its build output (<c>dotnet X.dll</c>, not <c>dotnet run</c>: saves ~1 s and ~117 MB
/// per service), working directory = project directory, environment = Aspire's contract.
/// </summary>
internal sealed class ProjectRunner(ProjectResource project, RunContext context) : ResourceRunner(project, context)
{
    public override IReadOnlyList<string> Urls => project.Endpoints.Where(e => e.IsHttp).Select(e => e.Url).ToList();

    public override bool HasHealthCheck => project.Annotations.OfType<HttpHealthCheckAnnotation>().Any();

    public override string LikelyFix =>
        $"See the output above and the full log in {Log.FilePath}. A service that stops right away usually lacks configuration or cannot reach a dependency.";

    /// <summary>The build output of the project for the AppHost's own configuration (Debug/Release).</summary>
    public string FindAssembly()
    {
        var bin = Path.Combine(project.ProjectDirectory, "bin", Context.BuildConfiguration);
        var candidates = Directory.Exists(bin)
            ? Directory.GetDirectories(bin).Select(d => Path.Combine(d, project.AssemblyName + ".dll")).Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new DistributedApplicationException(
            $"The build output of '{project.Name}' was not found ({project.AssemblyName}.dll under {bin}). " +
            "Build the solution first: dotnet build (the AppHost project builds every service it references).");
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var assembly = FindAssembly();
        project.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault()?.ResolveEndpoint(project); // fail before launching, not at the first probe
        foreach (var endpoint in project.Endpoints) EnsurePortFree(endpoint);
        var environment = ProjectEnvironment.Build(project, InheritedEnvironment(), Context.Configuration, Context.EnvironmentName);
        Launch(new ProcessLaunch(DotnetHost(), [assembly], project.ProjectDirectory)
        {
            Environment = environment,
            StopSequence = [(Native.SIGTERM, TimeSpan.FromSeconds(10)), (Native.SIGKILL, TimeSpan.FromSeconds(5))],
        });
        return Task.CompletedTask;
    }

    public override Task<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var check = project.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault();
        if (check is null) return Task.FromResult<string?>(null);
        var endpoint = check.ResolveEndpoint(project);
        return HttpProbe.CheckAsync($"{endpoint.Scheme}://127.0.0.1:{endpoint.RequirePort()}{check.Path}", check.StatusCode, cancellationToken);
    }

    /// <summary>The dotnet host that runs us (dotnet test / dotnet run set DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return FindOnPath("dotnet") ?? throw new DistributedApplicationException("The dotnet host was not found on PATH.");
    }
}
