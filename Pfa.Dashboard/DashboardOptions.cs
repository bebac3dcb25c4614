namespace Pfa.Dashboard;

public enum OtlpAuthMode { Unsecured, ApiKey }

public enum FrontendAuthMode { Unsecured, BrowserToken }

/// <summary>
/// The dashboard's settings, read under Aspire's names so an AppHost can launch it the way Aspire launches its own:
/// URLs from <c>ASPNETCORE_URLS</c>, <c>DOTNET_DASHBOARD_OTLP_ENDPOINT_URL</c>, <c>DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL</c>,
/// <c>DOTNET_RESOURCE_SERVICE_ENDPOINT_URL</c>; the rest from the <c>Dashboard</c> section (<c>DASHBOARD__OTLP__AUTHMODE</c>, …).
/// </summary>
public sealed class DashboardOptions
{
    public const string DefaultUiUrl = "http://localhost:18888";

    public IReadOnlyList<Uri> UiUrls { get; init; } = [new(DefaultUiUrl)];
    public Uri? OtlpGrpcUrl { get; init; }
    public Uri? OtlpHttpUrl { get; init; }
    public OtlpAuthMode OtlpAuthMode { get; init; }
    public string? OtlpPrimaryApiKey { get; init; }
    public string? OtlpSecondaryApiKey { get; init; }
    public FrontendAuthMode FrontendAuthMode { get; init; }
    public string? BrowserToken { get; init; }
    public Uri? ResourceServiceUrl { get; init; }
    public string? ResourceServiceApiKey { get; init; }
    public string ApplicationName { get; init; } = "Pfa";
    public TelemetryLimits Telemetry { get; init; } = new();
    public string StoragePath { get; init; } = "";

    public static DashboardOptions From(IConfiguration config)
    {
        var dashboard = config.GetSection("Dashboard");
        var options = new DashboardOptions
        {
            UiUrls = ParseUrls(config["urls"] ?? config["ASPNETCORE_URLS"] ?? DefaultUiUrl, "ASPNETCORE_URLS"),
            OtlpGrpcUrl = OptionalUrl(config, "DOTNET_DASHBOARD_OTLP_ENDPOINT_URL", "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"),
            OtlpHttpUrl = OptionalUrl(config, "DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"),
            OtlpAuthMode = ParseEnum<OtlpAuthMode>(dashboard["Otlp:AuthMode"], "Dashboard:Otlp:AuthMode"),
            OtlpPrimaryApiKey = NullIfEmpty(dashboard["Otlp:PrimaryApiKey"]),
            OtlpSecondaryApiKey = NullIfEmpty(dashboard["Otlp:SecondaryApiKey"]),
            FrontendAuthMode = ParseEnum<FrontendAuthMode>(dashboard["Frontend:AuthMode"], "Dashboard:Frontend:AuthMode"),
            BrowserToken = NullIfEmpty(dashboard["Frontend:BrowserToken"]),
            ResourceServiceUrl = OptionalUrl(config, "DOTNET_RESOURCE_SERVICE_ENDPOINT_URL", "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"),
            ResourceServiceApiKey = NullIfEmpty(dashboard["ResourceServiceClient:ApiKey"]),
            ApplicationName = NullIfEmpty(dashboard["ApplicationName"]) ?? "Pfa",
            Telemetry = dashboard.GetSection("Telemetry").Get<TelemetryLimits>() ?? new TelemetryLimits(),
            StoragePath = NullIfEmpty(dashboard["Storage:Path"])
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pfa-dashboard"),
        };
        options.Validate();
        return options;
    }

    private void Validate()
    {
        // Refuse to start half-secured: a key mode without a key would let everything in (or nothing).
        if (OtlpAuthMode == OtlpAuthMode.ApiKey && OtlpPrimaryApiKey is null)
            throw new InvalidOperationException("Dashboard:Otlp:AuthMode is ApiKey but Dashboard:Otlp:PrimaryApiKey (DASHBOARD__OTLP__PRIMARYAPIKEY) is not set.");
        if (FrontendAuthMode == FrontendAuthMode.BrowserToken && BrowserToken is null)
            throw new InvalidOperationException("Dashboard:Frontend:AuthMode is BrowserToken but Dashboard:Frontend:BrowserToken (DASHBOARD__FRONTEND__BROWSERTOKEN) is not set.");
        Telemetry.Validate();
    }

    private static IReadOnlyList<Uri> ParseUrls(string value, string name) =>
        value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => ParseUrl(u, name)).ToList();

    private static Uri? OptionalUrl(IConfiguration config, string name, string aspireName) =>
        (NullIfEmpty(config[name]) ?? NullIfEmpty(config[aspireName])) is { } value ? ParseUrl(value, name) : null;

    private static Uri ParseUrl(string value, string name)
    {
        // Kestrel's wildcard hosts are not valid URI hosts; read them as "any address".
        var normalized = value.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new InvalidOperationException($"{name}: '{value}' is not an http(s) URL.");
        return uri;
    }

    private static T ParseEnum<T>(string? value, string name) where T : struct, Enum =>
        string.IsNullOrEmpty(value) ? default
        : Enum.TryParse<T>(value, ignoreCase: true, out var parsed) ? parsed
        : throw new InvalidOperationException($"{name}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>Bounds on what the dashboard keeps, in memory and on disk (section <c>Dashboard:Telemetry</c>).</summary>
public sealed class TelemetryLimits
{
    public int MaxLogCount { get; set; } = 10_000;
    public int MaxTraceCount { get; set; } = 10_000;
    public int MaxMetricPoints { get; set; } = 50_000;
    public int MaxAttributeCount { get; set; } = 128;
    public int MaxAttributeLength { get; set; } = 4_096;
    public double RetentionHours { get; set; } = 24;

    public TimeSpan Retention => TimeSpan.FromHours(RetentionHours);

    public void Validate()
    {
        if (MaxLogCount < 1 || MaxTraceCount < 1 || MaxMetricPoints < 1 || MaxAttributeCount < 1 || MaxAttributeLength < 16)
            throw new InvalidOperationException("Dashboard:Telemetry limits must be positive (MaxAttributeLength at least 16).");
        if (RetentionHours <= 0)
            throw new InvalidOperationException("Dashboard:Telemetry:RetentionHours must be positive.");
    }
}
