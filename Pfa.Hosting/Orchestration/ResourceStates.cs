namespace Pfa.Hosting.Orchestration;

/// <summary>Aspire's well-known resource states.</summary>
public static class KnownResourceStates
{
    public const string NotStarted = "NotStarted";
    public const string Waiting = "Waiting";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string RuntimeUnhealthy = "RuntimeUnhealthy";
    public const string FailedToStart = "FailedToStart";
    public const string Stopping = "Stopping";
    public const string Exited = "Exited";
    public const string Finished = "Finished";

    public static bool IsTerminal(string state) => state is FailedToStart or Exited or Finished;
}

public enum ResourceHealth { Unknown, Healthy, Unhealthy }

/// <summary>What the resource table and the tests see of a resource at one moment.</summary>
public sealed record ResourceSnapshot(
    string Name,
    string Kind,
    string State,
    ResourceHealth Health,
    IReadOnlyList<string> Urls,
    int? Pid,
    int? ExitCode = null,
    string? Message = null)
{
    public bool IsReady { get; init; }

    /// <summary>When the current (or last) process was launched.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it stopped or exited; null while it runs.</summary>
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>The latest result of each health check (one per resource today).</summary>
    public IReadOnlyList<ResourceHealthReport> HealthReports { get; init; } = [];
}

/// <summary>One health check's latest result; the description says why it is not healthy.</summary>
public sealed record ResourceHealthReport(string Name, ResourceHealth Status, string? Description);
