using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Dashboard;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// Launches the dashboard project like a service, with the variables Aspire's AppHost gives its dashboard: where to
/// listen (UI, OTLP gRPC/HTTP), the keys for OTLP and the resource service, the browser token, and where to keep telemetry.
/// </summary>
internal sealed class DashboardRunner(DashboardResource dashboard, RunContext context) : ResourceRunner(dashboard, context)
{
    private Dictionary<string, string>? _environment;

    public override bool IsOptional => true;

    /// <summary>Stopping the dashboard from itself would leave nothing to start it again with.</summary>
    public override bool SupportsCommands => false;

    public override IReadOnlyList<string> Urls => dashboard.Annotations.OfType<EndpointAnnotation>().Select(e => e.Url).ToList();

    public override string HealthCheckName => "GET /health";

    public override string LikelyFix =>
        $"See {Log.FilePath}. The application runs without its dashboard; turn it off with AppHost:Dashboard:Enabled=false, " +
        $"or free its ports (AppHost:Ports:{dashboard.Name}, {dashboard.Name}-{DashboardResource.OtlpGrpcEndpointName}, {dashboard.Name}-{DashboardResource.OtlpHttpEndpointName}).";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var assembly = DotnetProjects.FindAssembly(dashboard.Name, dashboard.ProjectDirectory, dashboard.AssemblyName, Context.BuildConfiguration);
        foreach (var endpoint in dashboard.Annotations.OfType<EndpointAnnotation>()) EnsurePortFree(endpoint);
        _environment ??= Environment(InheritedEnvironment(), Context.Dashboard, dashboard, Context.DataDirectory, Context.EnvironmentName);
        Launch(DotnetProjects.Launch(assembly, dashboard.ProjectDirectory, _environment));
        return Task.CompletedTask;
    }

    public override Task<string?> CheckHealthAsync(CancellationToken cancellationToken) => DotnetProjects.CheckHealthAsync(dashboard, cancellationToken);

    internal static Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> inherited, DashboardSettings settings, DashboardResource dashboard,
        string dataDirectory, string appHostEnvironment)
    {
        var storage = Path.Combine(dataDirectory, "dashboard");
        Directory.CreateDirectory(storage);
        var env = new Dictionary<string, string>(inherited, StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = dashboard.Endpoint(DashboardResource.UiEndpointName).Url,
            ["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = dashboard.Endpoint(DashboardResource.OtlpGrpcEndpointName).Url,
            ["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = dashboard.Endpoint(DashboardResource.OtlpHttpEndpointName).Url,
            ["DASHBOARD__OTLP__AUTHMODE"] = "ApiKey",
            ["DASHBOARD__OTLP__PRIMARYAPIKEY"] = settings.OtlpApiKey,
            ["DASHBOARD__FRONTEND__AUTHMODE"] = "BrowserToken",
            ["DASHBOARD__FRONTEND__BROWSERTOKEN"] = settings.BrowserToken,
            ["DOTNET_RESOURCE_SERVICE_ENDPOINT_URL"] = settings.ResourceServiceUrl.ToString().TrimEnd('/'),
            ["DASHBOARD__RESOURCESERVICECLIENT__AUTHMODE"] = "ApiKey",
            ["DASHBOARD__RESOURCESERVICECLIENT__APIKEY"] = settings.ResourceServiceApiKey,
            ["Dashboard__Storage__Path"] = storage,
            ["Dashboard__ApplicationName"] = settings.ApplicationName,
            ["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "true",
            ["LOGGING__CONSOLE__FORMATTERNAME"] = "simple",
        };
        // The dashboard exports nothing about itself (it would ingest its own telemetry).
        foreach (var key in env.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList()) env.Remove(key);
        if (dashboard.LaunchProfile is { } profile)
        {
            env["DOTNET_LAUNCH_PROFILE"] = profile.Name;
            foreach (var (key, value) in profile.EnvironmentVariables) env.TryAdd(key, value);
        }
        env.TryAdd("ASPNETCORE_ENVIRONMENT", appHostEnvironment);
        return env;
    }
}
