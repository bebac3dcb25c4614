using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>
/// What an operator sees of a run: one trace from the worker's run span through each PEMS call to the PostgreSQL commands,
/// and the run, duration, records-by-outcome, write-back latency and retry metrics. Listeners are process-wide, so
/// everything is filtered to this test's own traces.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncTelemetryTests(InfrastructureFixture infra)
{
    private static readonly string[] Sources = [PfaTelemetry.Sync, PfaTelemetry.WriteBack, PemsTelemetry.SourceName, "Npgsql"];

    [Fact]
    public async Task A_run_is_one_trace_from_the_worker_through_PEMS_to_PostgreSQL_and_every_metric_is_recorded()
    {
        var spans = new ConcurrentBag<Activity>();
        var measurements = new ConcurrentBag<(string Instrument, double Value, ActivityTraceId? Trace, Dictionary<string, object?> Tags)>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => Sources.Contains(s.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (Sources.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        // Measurements are recorded on the thread doing the work, so Activity.Current tells which trace they belong to.
        meters.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Add((i.Name, v, Activity.Current?.TraceId, ToDictionary(tags))));
        meters.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, Activity.Current?.TraceId, ToDictionary(tags))));
        meters.Start();

        await using var h = await SyncHarness.CreateAsync(infra);
        await h.Simulator.QueueFaultsAsync("503"); // the first page is retried once
        var run = await h.RunAsync();
        Assert.Equal(SyncOutcome.Completed, run.Outcome);
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("tele").ToLowerInvariant(), (h.OrgId, "Editor"));
        var (pfaId, rate) = (await h.ListAsync("SELECT pfa_id, monthly_rate FROM pfa_mirror WHERE organization_id = @org AND NOT is_actualized AND source = 'Rental' ORDER BY pfa_id LIMIT 1",
            r => (r.GetString(0), r.GetDecimal(1)))).Single();
        await h.CommitDeltaAsync(user, pfaId, $$"""{"monthlyRate": {{rate + 4m}}}""");
        var written = await new WriteBackRunner(h.Db, h.Simulator.CreatePemsClient(), new PemsRowNormalizer(PemsFieldMapping.Default), NullLogger<WriteBackRunner>.Instance)
            .RunAsync(h.OrgId, h.Code, Http.Ct);
        Assert.Equal(1, written.Written);

        // Trace: sync.run → sync.batch / PEMS grid pages → Npgsql commands, all one trace.
        var root = spans.Single(a => a.OperationName == "sync.run" && Equals(a.GetTagItem("pfa.organization"), h.Code));
        var trace = spans.Where(a => a.TraceId == root.TraceId).ToList();
        Assert.Null(root.Parent);
        var pemsCalls = trace.Where(a => a.Source.Name == PemsTelemetry.SourceName).ToList();
        Assert.True(pemsCalls.Count >= SyncHarness.Records / SyncHarness.PageSize, $"{pemsCalls.Count} PEMS spans");
        Assert.All(pemsCalls, a => Assert.Equal(root.SpanId, a.ParentSpanId));
        Assert.Contains(pemsCalls, a => a.Status == ActivityStatusCode.Unset && Equals(a.GetTagItem("pems.attempts"), 2)); // the retried page
        var batches = trace.Where(a => a.OperationName == "sync.batch").ToList();
        Assert.Equal(SyncHarness.Records / SyncHarness.PageSize + 1, batches.Count);
        var sql = trace.Where(a => a.Source.Name == "Npgsql").ToList();
        Assert.Contains(sql, a => batches.Any(b => b.SpanId == a.ParentSpanId)); // the upsert's commands sit under their batch
        Assert.Contains(sql, a => a.ParentSpanId == root.SpanId); // and the run's own (lock, log, views)

        // Write-back: its span carries the PEMS check, write and re-read, and its SQL.
        var delta = spans.Single(a => a.OperationName == "writeback.delta" && Equals(a.GetTagItem("pfa.pfa_id"), pfaId) && Equals(a.GetTagItem("pfa.organization"), h.Code));
        Assert.Equal("written", delta.GetTagItem("pfa.writeback.outcome"));
        Assert.Equal(3, spans.Count(a => a.Source.Name == PemsTelemetry.SourceName && a.ParentSpanId == delta.SpanId));
        Assert.Contains(spans, a => a.Source.Name == "Npgsql" && a.ParentSpanId == delta.SpanId);

        // Metrics, each from this test's traces.
        double Sum(string instrument, ActivityTraceId trace, string? tag = null, object? value = null) => measurements
            .Where(m => m.Instrument == instrument && m.Trace == trace && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Sum(m => m.Value);
        Assert.Equal(1, Sum("pfa.sync.runs", root.TraceId, "status", "Completed"));
        Assert.True(Sum("pfa.sync.duration", root.TraceId) > 0);
        Assert.Equal(SyncHarness.Records, Sum("pfa.sync.records", root.TraceId, "outcome", "inserted"));
        Assert.Equal(1, Sum("pfa.pems.retries", root.TraceId, "operation", "grid CUPFAG"));
        Assert.Equal(1, Sum("pfa.writeback.writes", delta.TraceId, "outcome", "written"));
        Assert.True(Sum("pfa.writeback.latency", delta.TraceId) > 0);
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in tags) d[k] = v;
        return d;
    }
}
