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
    private static readonly Meter WriteBackMeter = new(PfaTelemetry.WriteBack);
    public static readonly Counter<long> Writes = WriteBackMeter.CreateCounter<long>("pfa.writeback.writes", description: "Outbox writes by outcome (written, conflict, retrying, failed).");
    public static readonly Histogram<double> WriteLatency = WriteBackMeter.CreateHistogram<double>("pfa.writeback.latency", unit: "s", description: "PEMS check-and-write time per delta.");
    public static readonly ActivitySource WriteBackSource = new(PfaTelemetry.WriteBack);

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("pfa.sync.duration", unit: "s", description: "Read sync run duration.");
}
