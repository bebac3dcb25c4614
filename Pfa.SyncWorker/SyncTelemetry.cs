using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pfa.SyncWorker;

/// <summary>Spans and metrics of the read sync under the names ServiceDefaults already registers (PfaTelemetry.Sync).</summary>
public static class SyncTelemetry
{
    public static readonly ActivitySource Source = new(PfaTelemetry.Sync);
    private static readonly Meter Meter = new(PfaTelemetry.Sync);

    public static readonly Counter<long> Runs = Meter.CreateCounter<long>("pfa.sync.runs", description: "Read sync runs by kind and status.");
    public static readonly Counter<long> Records = Meter.CreateCounter<long>("pfa.sync.records", description: "Records by outcome (inserted, updated, unchanged, deleted, rejected).");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("pfa.sync.duration", unit: "s", description: "Read sync run duration.");
}
