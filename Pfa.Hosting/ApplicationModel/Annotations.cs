namespace Pfa.Hosting.ApplicationModel;

/// <summary>A network endpoint of a resource. We never proxy, so the allocated port is also the target port.</summary>
public sealed class EndpointAnnotation(string name, string scheme, int? port, int? targetPort, string transport = "http") : IResourceAnnotation
{
    public string Name { get; } = name;
    public string Scheme { get; } = scheme;

    /// <summary>Preferred port (launch profile or stable default); null means any free port.</summary>
    public int? Port { get; } = port;

    /// <summary>The port the process listens on inside its container (publish mode); null lets the platform decide.</summary>
    public int? TargetPort { get; } = targetPort;

    public string Transport { get; } = transport;
    public bool IsExternal { get; set; }
    public string TargetHost { get; init; } = "localhost";

    /// <summary>The port chosen when the application was built; set once by the orchestrator.</summary>
    public int? AllocatedPort { get; internal set; }

    public bool IsHttp => Scheme is "http" or "https";

    public int RequirePort() => AllocatedPort ?? throw new InvalidOperationException($"Endpoint '{Name}' has no allocated port yet.");

    public string Url => $"{Scheme}://{TargetHost}:{RequirePort()}";
}

/// <summary><c>WithReference(target)</c>: inject the target's connection string and/or service-discovery variables.</summary>
public sealed record ReferenceAnnotation(IResource Target, string? ConnectionName = null) : IResourceAnnotation;

/// <summary><c>WaitFor(dependency)</c>: do not start until the dependency is running and healthy.</summary>
public sealed record WaitAnnotation(IResource Dependency) : IResourceAnnotation;

/// <summary>
/// <c>WithHttpHealthCheck(path)</c>: healthy when GET path on the endpoint answers the status code. Without an endpoint
/// name the https endpoint, else the http one, is chosen when the check runs: the model is described before a partial
/// run or a copied AppHost knows every project's endpoints.
/// </summary>
public sealed record HttpHealthCheckAnnotation(string Path, int StatusCode, string? EndpointName) : IResourceAnnotation
{
    public EndpointAnnotation ResolveEndpoint(IResource resource)
    {
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        return (EndpointName is null
                   ? endpoints.OrderByDescending(e => e.Scheme == "https").FirstOrDefault(e => e.IsHttp)
                   : endpoints.FirstOrDefault(e => e.Name == EndpointName))
               ?? throw new DistributedApplicationException(
                   $"Resource '{resource.Name}' has no {EndpointName ?? "http"} endpoint for its health check (check the applicationUrl of its launch profile).");
    }
}

/// <summary>Environment variables added by the app model author (values resolved at start).</summary>
public sealed record EnvironmentAnnotation(string Name, Func<string> Value) : IResourceAnnotation
{
    /// <summary>What the manifest writes for this variable (a literal or a <c>{resource.property}</c> expression); null if it cannot be published.</summary>
    public string? ManifestValue { get; init; }
}

/// <summary>The persistent data directory of a server (Aspire's data volume).</summary>
public sealed record DataDirectoryAnnotation(string? Path) : IResourceAnnotation;
