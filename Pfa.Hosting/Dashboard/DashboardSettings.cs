using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Orchestration;

namespace Pfa.Hosting.Dashboard;

/// <summary>
/// The dashboard of one AppHost run (section <c>AppHost:Dashboard</c>): whether it runs, which project it is, and the
/// secrets generated for this run (OTLP API key, resource-service API key, browser token). Secrets are never printed,
/// except the browser token inside the login link.
/// </summary>
public sealed class DashboardSettings
{
    public const string ProjectPathMetadataKey = "PfaDashboardProjectPath";
    public const int DefaultConsoleLines = 10_000;

    internal DashboardSettings() { }

    /// <summary>Dashboard and resource service run (default in run mode; off under the testing builder unless a test turns it on).</summary>
    public bool Enabled { get; private init; }

    /// <summary>The launched dashboard; null when disabled or when the AppHost references no dashboard project.</summary>
    public DashboardResource? Resource { get; private init; }

    /// <summary>Console lines kept in memory per resource for the dashboard (<c>AppHost:Dashboard:ConsoleLines</c>).</summary>
    public int ConsoleLines { get; private init; } = DefaultConsoleLines;

    public string ApplicationName { get; private init; } = "";

    /// <summary>Services send it as <c>x-otlp-api-key</c>; the dashboard refuses OTLP without it.</summary>
    public string OtlpApiKey { get; private init; } = "";

    /// <summary>The dashboard sends it as <c>x-resource-service-api-key</c>; the resource service refuses calls without it.</summary>
    public string ResourceServiceApiKey { get; private init; } = "";

    /// <summary>The one-time token of the login link (<c>/login?t=…</c>).</summary>
    public string BrowserToken { get; private init; } = "";

    public int ResourceServicePort { get; private init; }

    public Uri ResourceServiceUrl => new($"http://localhost:{ResourceServicePort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>What the AppHost prints: the dashboard's URL with the browser token.</summary>
    public string? LoginUrl => Resource is null ? null : $"{Resource.Endpoint(DashboardResource.UiEndpointName).Url}/login?t={BrowserToken}";

    internal static DashboardSettings Resolve(IConfiguration configuration, DistributedApplicationOptions options, string appHostDirectory)
    {
        if (options.DashboardEnabled == false) return new DashboardSettings();
        var section = configuration.GetSection("AppHost:Dashboard");
        var projectPath = section["ProjectPath"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, appHostDirectory)
            : options.AppHostAssembly?.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == ProjectPathMetadataKey)?.Value;
        var consoleLines = int.TryParse(section["ConsoleLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var lines) && lines > 0 ? lines : DefaultConsoleLines;
        var port = !options.RandomizePorts && int.TryParse(section["ResourceServicePort"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0
            ? p : PortAllocator.GetFreePort();
        return new DashboardSettings
        {
            Enabled = true,
            Resource = projectPath is { Length: > 0 } ? new DashboardResource(projectPath) : null,
            ConsoleLines = consoleLines,
            ApplicationName = section["ApplicationName"] is { Length: > 0 } name ? name : configuration["AppHost:Name"] ?? "AppHost",
            OtlpApiKey = configuration["AppHost:OtlpApiKey"] is { Length: > 0 } key ? key : NewSecret(32),
            ResourceServiceApiKey = NewSecret(32),
            BrowserToken = NewSecret(16),
            ResourceServicePort = port,
        };
    }

    private static string NewSecret(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
