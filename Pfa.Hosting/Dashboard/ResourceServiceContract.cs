using System.Text.Json;

namespace Pfa.Hosting.Dashboard;

/// <summary>
/// The resource service's wire contract (JSON, camelCase), between the AppHost and the dashboard. Every request carries
/// <see cref="ApiKeyHeader"/> with the key the AppHost gave the dashboard (<c>DASHBOARD__RESOURCESERVICECLIENT__APIKEY</c>).
/// <list type="bullet">
/// <item><c>GET /api/v1/resources</c> → <see cref="ResourceDto"/>[]</item>
/// <item><c>GET /api/v1/resources/watch</c> → Server-Sent Events, each <c>data:</c> one <see cref="ResourceDto"/>; every resource first, then each change</item>
/// <item><c>GET /api/v1/resources/{name}/console?tail=N&amp;follow=true|false</c>, <c>GET /api/v1/console?…</c> (all resources) →
///   <see cref="ConsoleLineDto"/>[] or, with follow, Server-Sent Events of <see cref="ConsoleLineDto"/></item>
/// <item><c>POST /api/v1/resources/{name}/commands/{stop|start|restart}</c> → <see cref="CommandResultDto"/>, 400/404 ProblemDetails</item>
/// </list>
/// </summary>
public static class ResourceServiceContract
{
    public const string ApiKeyHeader = "x-resource-service-api-key";

    /// <summary>What masked values read as.</summary>
    public const string MaskedValue = "********";

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);
}

/// <summary>One resource as the dashboard shows it. <c>health</c> is null while the resource is not running.</summary>
public sealed record ResourceDto(
    string Name,
    string DisplayName,
    string Kind,
    string State,
    string? Health,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    int? ExitCode,
    int? Pid,
    IReadOnlyList<ResourceUrlDto> Urls,
    IReadOnlyList<EnvironmentVariableDto> Environment,
    IReadOnlyList<string> References,
    IReadOnlyList<string> WaitsFor,
    IReadOnlyList<HealthReportDto> HealthReports,
    IReadOnlyList<ResourceCommandDto> Commands);

public sealed record ResourceUrlDto(string Name, string Url, bool IsExternal);

/// <summary>A variable the AppHost set; secrets (and passwords inside connection strings or URIs) read <see cref="ResourceServiceContract.MaskedValue"/>.</summary>
public sealed record EnvironmentVariableDto(string Name, string Value, bool IsSecret);

/// <summary><c>status</c>: Healthy, Unhealthy or Unknown.</summary>
public sealed record HealthReportDto(string Name, string Status, string? Description);

/// <summary><c>name</c>: stop, start or restart.</summary>
public sealed record ResourceCommandDto(string Name, string DisplayName, bool Enabled);

/// <summary><c>stream</c>: stdout or stderr. Line numbers count per resource from the AppHost's start.</summary>
public sealed record ConsoleLineDto(string Resource, long LineNumber, DateTimeOffset Timestamp, string Stream, string Text);

public sealed record CommandResultDto(bool Success, string Message);
