namespace Pfa.Hosting.ApplicationModel;

/// <summary>Generated per project reference marked <c>IsAspireProjectResource</c> (class <c>Projects.Pfa_Api</c>, …).</summary>
public interface IProjectMetadata
{
    string ProjectPath { get; }
}

/// <summary>A .NET project launched from its build output (<c>AddProject</c>).</summary>
public sealed class ProjectResource(string name, string projectPath)
    : Resource(name), IResourceWithEndpoints, IResourceWithLifetime, IResourceWithEnvironment
{
    public override string Kind => "project";
    public string ProjectPath { get; } = projectPath;
    public string ProjectDirectory => System.IO.Path.GetDirectoryName(ProjectPath)!;
    public string AssemblyName => System.IO.Path.GetFileNameWithoutExtension(ProjectPath);

    /// <summary>The launch profile whose environment is copied in (add-if-absent) and named in DOTNET_LAUNCH_PROFILE.</summary>
    public LaunchProfile? LaunchProfile { get; internal set; }

    public IEnumerable<EndpointAnnotation> Endpoints => Annotations.OfType<EndpointAnnotation>();

    public EndpointAnnotation GetEndpoint(string endpointName) =>
        Endpoints.FirstOrDefault(e => e.Name == endpointName)
        ?? throw new InvalidOperationException($"Project '{Name}' has no endpoint '{endpointName}'.");
}
