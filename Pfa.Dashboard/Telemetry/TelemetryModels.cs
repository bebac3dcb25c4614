using System.Text.Json.Serialization;

namespace Pfa.Dashboard.Telemetry;

/// <summary>One attribute, its value already rendered as text (the dashboard only shows and filters them).</summary>
public sealed record TelemetryAttribute(string Key, string Value);

public sealed record LogEntry
{
    /// <summary>Arrival order, assigned by the store; newest has the highest.</summary>
    public long Sequence { get; set; }
    public required DateTime Timestamp { get; init; }
    public required string Resource { get; init; }
    public string? InstanceId { get; init; }
    public int SeverityNumber { get; init; }
    public required string Level { get; init; }
    public required string Message { get; init; }
    public string Category { get; init; } = "";
    public string? TraceId { get; init; }
    public string? SpanId { get; init; }
    public IReadOnlyList<TelemetryAttribute> Attributes { get; init; } = [];
}

public enum SpanStatus { Unset, Ok, Error }

public sealed record SpanEvent(DateTime Timestamp, string Name, IReadOnlyList<TelemetryAttribute> Attributes);

public sealed record SpanEntry
{
    public required string TraceId { get; init; }
    public required string SpanId { get; init; }
    public string? ParentSpanId { get; init; }
    public required string Name { get; init; }
    public string Kind { get; init; } = "Internal";
    public required string Resource { get; init; }
    public string? InstanceId { get; init; }
    public string Scope { get; init; } = "";
    public required DateTime Start { get; init; }
    public required DateTime End { get; init; }
    public SpanStatus Status { get; init; }
    public string? StatusMessage { get; init; }
    public IReadOnlyList<TelemetryAttribute> Attributes { get; init; } = [];
    public IReadOnlyList<SpanEvent> Events { get; init; } = [];

    [JsonIgnore] public TimeSpan Duration => End >= Start ? End - Start : TimeSpan.Zero;

    public string? Attribute(string key) => Attributes.FirstOrDefault(a => a.Key == key)?.Value;

    /// <summary>What the span talks to, for the waterfall's badge: a database, a cache, or an HTTP call.</summary>
    [JsonIgnore]
    public string? Peer =>
        Attribute("db.system.name") ?? Attribute("db.system")
        ?? (Attribute("http.request.method") is not null && Kind == "Client" ? "http" : null);
}

public enum MetricKind { Gauge, Sum, Histogram }

/// <summary>One exported data point of one instrument, for one attribute set.</summary>
public sealed record MetricPoint
{
    public required string Resource { get; init; }
    public string Scope { get; init; } = "";
    public required string Name { get; init; }
    public string Unit { get; init; } = "";
    public string Description { get; init; } = "";
    public MetricKind Kind { get; init; }
    public bool IsMonotonic { get; init; }
    /// <summary>Cumulative points carry totals since <see cref="Start"/>; delta points the change since the previous export.</summary>
    public bool Cumulative { get; init; }
    public DateTime Start { get; init; }
    public required DateTime Time { get; init; }
    /// <summary>Gauge or sum value; the sum of observations for a histogram.</summary>
    public double Value { get; init; }
    /// <summary>Histogram observation count.</summary>
    public long Count { get; init; }
    public double[]? Bounds { get; init; }
    public long[]? BucketCounts { get; init; }
    /// <summary>The attribute set, rendered canonically ("k=v, k=v"): one time series per value.</summary>
    public string Series { get; init; } = "";
}

/// <summary>An instrument seen from a resource.</summary>
public sealed record InstrumentInfo(string Resource, string Scope, string Name, string Unit, string Description, MetricKind Kind, bool IsMonotonic);

/// <summary>A trace as listed: computed from its spans.</summary>
public sealed record TraceSummary(
    string TraceId, string RootName, string RootResource, DateTime Start, TimeSpan Duration, int SpanCount, int ErrorCount,
    IReadOnlyList<string> Resources);

[JsonSerializable(typeof(LogEntry))]
[JsonSerializable(typeof(SpanEntry))]
[JsonSerializable(typeof(MetricPoint))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class TelemetryJson : JsonSerializerContext;
