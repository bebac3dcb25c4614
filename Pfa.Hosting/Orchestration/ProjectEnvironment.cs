using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// The environment Aspire injects into a project in run mode (aspire-contract.md §1), spelled exactly as Aspire does,
/// so a service cannot tell our AppHost from the real one.
/// </summary>
internal static class ProjectEnvironment
{
    public static Dictionary<string, string> Build(ProjectResource project, IReadOnlyDictionary<string, string> inherited, OtlpTarget otlp, string appHostEnvironment)
    {
        var env = new Dictionary<string, string>(inherited, StringComparer.Ordinal);

        // Connection strings, connection properties and service discovery from WithReference.
        foreach (var reference in project.Annotations.OfType<ReferenceAnnotation>())
        {
            switch (reference.Target)
            {
                case IResourceWithConnectionString source:
                    var connectionName = reference.ConnectionName ?? source.Name;
                    env[$"ConnectionStrings__{connectionName}"] = source.GetConnectionString();
                    foreach (var (property, value) in source.GetConnectionProperties()) env[$"{EncodeName(connectionName)}_{property.ToUpperInvariant()}"] = value;
                    break;
                case ProjectResource target:
                    foreach (var group in target.Endpoints.GroupBy(e => e.Scheme))
                    {
                        var index = 0;
                        foreach (var endpoint in group) env[$"services__{target.Name}__{group.Key}__{index++}"] = endpoint.Url;
                    }
                    foreach (var endpoint in target.Endpoints) env[$"{EncodeName(target.Name)}_{EncodeName(endpoint.Name)}"] = endpoint.Url;
                    break;
            }
        }

        // Kestrel listens on exactly the allocated endpoints; HTTPS redirection must use the public https port.
        var httpEndpoints = project.Endpoints.Where(e => e.IsHttp).ToList();
        if (httpEndpoints.Count > 0 && !env.ContainsKey("ASPNETCORE_URLS")) env["ASPNETCORE_URLS"] = string.Join(';', httpEndpoints.Select(e => e.Url));
        if (httpEndpoints.FirstOrDefault(e => e.Scheme == "https") is { } https) env["ASPNETCORE_HTTPS_PORT"] = https.RequirePort().ToString(CultureInfo.InvariantCulture);

        AddOpenTelemetry(env, project, otlp, appHostEnvironment);

        // Colourful simple console logs survive redirection, as under Aspire's dashboard.
        env["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "true";
        env["LOGGING__CONSOLE__FORMATTERNAME"] = "simple";

        foreach (var annotation in project.Annotations.OfType<EnvironmentAnnotation>()) env[annotation.Name] = annotation.Value();

        // The launch profile comes last and only adds: the model's values win (Aspire runs with --no-launch-profile).
        if (project.LaunchProfile is { } profile)
        {
            env["DOTNET_LAUNCH_PROFILE"] = profile.Name;
            foreach (var (key, value) in profile.EnvironmentVariables) env.TryAdd(key, value);
        }
        return env;
    }

    private static void AddOpenTelemetry(Dictionary<string, string> env, ProjectResource project, OtlpTarget otlp, string appHostEnvironment)
    {
        env["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory";

        if (otlp.GrpcUrl is not null || otlp.HttpUrl is not null)
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.GrpcUrl ?? otlp.HttpUrl!;
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = otlp.GrpcUrl is not null ? "grpc" : "http/protobuf";
            if (otlp.ApiKey is { Length: > 0 } apiKey) env["OTEL_EXPORTER_OTLP_HEADERS"] = $"x-otlp-api-key={apiKey}";
        }
        env["OTEL_SERVICE_NAME"] = project.Name;
        env["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={InstanceSuffix()}";

        if (string.Equals(appHostEnvironment, "Development", StringComparison.OrdinalIgnoreCase))
        {
            env["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
            env["OTEL_TRACES_SAMPLER"] = "always_on";
            env["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based";
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true";
            env["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true";
            env["OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION"] = "true";
        }
    }

    /// <summary>Aspire's DCP name suffix: 8 random lowercase letters, one per replica.</summary>
    private static string InstanceSuffix()
    {
        Span<char> chars = stackalloc char[8];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)('a' + RandomNumberGenerator.GetInt32(26));
        return new string(chars);
    }

    /// <summary>Aspire's EnvironmentVariableNameEncoder: upper case, non-alphanumerics → '_', leading digit prefixed.</summary>
    public static string EncodeName(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0])) builder.Append('_');
        foreach (var c in name) builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return builder.ToString();
    }
}

/// <summary>Where services send telemetry: our dashboard when it runs, else a collector named in configuration (or nowhere).</summary>
internal sealed record OtlpTarget(string? GrpcUrl, string? HttpUrl, string? ApiKey)
{
    public static OtlpTarget FromConfiguration(IConfiguration config) => new(
        NullIfEmpty(config["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] ?? config["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"]),
        NullIfEmpty(config["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] ?? config["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"]),
        NullIfEmpty(config["AppHost:OtlpApiKey"]));

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
