namespace Pfa.Dashboard.Resources;

// The resource service's wire contract (JSON, camelCase), duplicated from the AppHost side on purpose:
// the dashboard is a separate process and shares no assembly with the AppHost.
//   GET  /api/v1/resources                              → ResourceSnapshot[]
//   GET  /api/v1/resources/watch                        → SSE, one ResourceSnapshot per data line (all first, then changes)
//   GET  /api/v1/resources/{name}/console?tail&follow    → ConsoleLine[] (follow=false) or SSE of ConsoleLine
//   GET  /api/v1/console?tail&follow                     → the same, all resources interleaved
//   POST /api/v1/resources/{name}/commands/{command}     → CommandResult or ProblemDetails
// Every request carries the header x-resource-service-api-key.

public sealed record ResourceSnapshot
{
    public required string Name { get; init; }
    public string? DisplayName { get; init; }
    public string Kind { get; init; } = "";
    public string State { get; init; } = "";
    /// <summary>"Healthy", "Unhealthy", "Unknown", or null when the resource has no health checks.</summary>
    public string? Health { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public int? ExitCode { get; init; }
    public int? Pid { get; init; }
    public IReadOnlyList<ResourceUrl> Urls { get; init; } = [];
    public IReadOnlyList<ResourceEnvironmentVariable> Environment { get; init; } = [];
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> WaitsFor { get; init; } = [];
    public IReadOnlyList<ResourceHealthReport> HealthReports { get; init; } = [];
    public IReadOnlyList<ResourceCommand> Commands { get; init; } = [];
}

public sealed record ResourceUrl(string Name, string Url, bool IsExternal);

public sealed record ResourceEnvironmentVariable(string Name, string? Value, bool IsSecret);

public sealed record ResourceHealthReport(string Name, string Status, string? Description);

public sealed record ResourceCommand(string Name, string DisplayName, bool Enabled);

public sealed record ConsoleLine(string Resource, long LineNumber, DateTimeOffset Timestamp, string Stream, string Text);

public sealed record CommandResult(bool Success, string? Message);

public static class ResourceCommandNames
{
    public const string Stop = "stop";
    public const string Start = "start";
    public const string Restart = "restart";
}
