namespace Pfa.Hosting.ApplicationModel;

/// <summary>
/// The developer dashboard (Aspire's <c>aspire-dashboard</c> resource): a web project the AppHost launches first in run
/// mode, with its UI, OTLP/gRPC and OTLP/HTTP endpoints. Never part of the app model Program.cs describes, so never published.
/// </summary>
public sealed class DashboardResource : Resource, IResourceWithEndpoints, IResourceWithLifetime
{
    public const string ResourceName = "dashboard";
    public const string UiEndpointName = "http";
    public const string OtlpGrpcEndpointName = "otlp-grpc";
    public const string OtlpHttpEndpointName = "otlp-http";

    public DashboardResource(string projectPath) : base(ResourceName)
    {
        ProjectPath = projectPath;
        LaunchProfile = LaunchProfile.Read(ProjectDirectory);
        // Aspire's standalone defaults; AppHost:Ports:dashboard, dashboard-otlp-grpc and dashboard-otlp-http override them.
        Annotations.Add(new EndpointAnnotation(UiEndpointName, "http", 18888, targetPort: null));
        Annotations.Add(new EndpointAnnotation(OtlpGrpcEndpointName, "http", 18889, targetPort: null, transport: "http2"));
        Annotations.Add(new EndpointAnnotation(OtlpHttpEndpointName, "http", 18890, targetPort: null));
        Annotations.Add(new HttpHealthCheckAnnotation("/health", 200, UiEndpointName));
    }

    public override string Kind => "Dashboard";
    public string ProjectPath { get; }
    public string ProjectDirectory => Path.GetDirectoryName(ProjectPath)!;
    public string AssemblyName => Path.GetFileNameWithoutExtension(ProjectPath);

    /// <summary>Its launch profile's environment is added where the AppHost sets nothing (ASPNETCORE_ENVIRONMENT, …).</summary>
    public LaunchProfile? LaunchProfile { get; }

    public EndpointAnnotation Endpoint(string name) => Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == name);
}
