using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pfa.Pems;

/// <summary>Spans for PEMS calls, so a sync run's trace shows each page and write; a meter for the calls PEMS made us repeat.</summary>
public static class PemsTelemetry
{
    public const string SourceName = "Pfa.Pems";
    public static readonly ActivitySource ActivitySource = new(SourceName);
    private static readonly Meter Meter = new(SourceName);

    /// <summary>Attempts repeated after a transient failure, by operation and failure kind (RateLimited, ServerError, Timeout, …).</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("pfa.pems.retries", description: "PEMS calls retried after a transient failure.");
}
