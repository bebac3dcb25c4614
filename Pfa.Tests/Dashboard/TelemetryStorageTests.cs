using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Exporter;
using Pfa.Dashboard;
using Pfa.Dashboard.Telemetry;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// What the dashboard keeps: the newest items within the count limits and the retention window, in memory and in the
/// SQLite file, and everything again after a restart of the process on the same storage path.
/// </summary>
public sealed class TelemetryStorageTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "pfa-dashboard-tests", Guid.NewGuid().ToString("N"));
    // Relative to the clock: the writer prunes against the real time.
    private static readonly DateTime Now = DateTime.UtcNow.AddMinutes(-10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LogEntry Log(int i, DateTime? at = null) => new()
    {
        Timestamp = at ?? Now.AddSeconds(i), Resource = "api", Level = "Information", SeverityNumber = 9, Message = $"log {i}",
    };

    private static SpanEntry Span(int trace, int span, DateTime? at = null) => new()
    {
        TraceId = $"{trace:x32}", SpanId = $"{trace * 100 + span:x16}", ParentSpanId = span == 0 ? null : $"{trace * 100:x16}",
        Name = $"span {trace}.{span}", Resource = span == 0 ? "web" : "api", Start = at ?? Now.AddSeconds(trace), End = (at ?? Now.AddSeconds(trace)).AddMilliseconds(5),
    };

    private static MetricPoint Point(int i, DateTime? at = null) => new()
    {
        Resource = "api", Name = "pfa.sync.runs", Kind = MetricKind.Sum, IsMonotonic = true, Cumulative = true, Time = at ?? Now.AddSeconds(i), Value = i,
    };

    private static TelemetryLimits Limits() => new() { MaxLogCount = 5, MaxTraceCount = 3, MaxMetricPoints = 4 };

    [Fact]
    public void Memory_keeps_the_newest_items_within_the_count_limits()
    {
        var store = new TelemetryStore(Limits());
        store.AddLogs([.. Enumerable.Range(1, 8).Select(i => Log(i))]);
        for (var t = 1; t <= 5; t++) store.AddSpans([Span(t, 0), Span(t, 1)]);
        store.AddMetrics([.. Enumerable.Range(1, 6).Select(i => Point(i))]);

        Assert.Equal(["log 8", "log 7", "log 6", "log 5", "log 4"], store.QueryLogs(new LogQuery(), 0, 100).Items.Select(l => l.Message));
        var traces = store.QueryTraces(new TraceQuery(), 0, 100);
        Assert.Equal([$"{5:x32}", $"{4:x32}", $"{3:x32}"], traces.Items.Select(t => t.TraceId));
        Assert.All(traces.Items, t => Assert.Equal((2, "web"), (t.SpanCount, t.RootResource)));
        Assert.Null(store.GetTrace($"{1:x32}"));
        Assert.Equal([3.0, 4, 5, 6], store.MetricPoints("api", "pfa.sync.runs", DateTime.MinValue).Select(p => p.Value));

        // A late span of a kept trace joins it; paging and filters see the same newest-first order.
        store.AddSpans([Span(3, 2)]);
        Assert.Equal(3, store.GetTrace($"{3:x32}")!.Count);
        Assert.Equal(["log 6", "log 5"], store.QueryLogs(new LogQuery(Resource: "API"), 2, 2).Items.Select(l => l.Message));
        Assert.Equal(5, store.QueryLogs(new LogQuery(Text: "LOG"), 0, 1).Total);
    }

    [Fact]
    public void The_database_prunes_to_the_limits_and_the_retention_window_and_loads_the_newest()
    {
        var limits = Limits();
        using (var db = new TelemetryDatabase(_path))
        {
            var old = Now.AddHours(-30);
            db.Write([new TelemetryBatch(
                [Log(0, old), .. Enumerable.Range(1, 8).Select(i => Log(i))],
                [Span(0, 0, old), .. Enumerable.Range(1, 5).SelectMany(t => new[] { Span(t, 0), Span(t, 1) })],
                [Point(0, old), .. Enumerable.Range(1, 6).Select(i => Point(i))])]);
            Assert.Equal((9, 6, 11, 7), db.Counts());

            // Loading applies the same rules even before a prune.
            var loaded = db.Load(limits, Now - limits.Retention);
            Assert.Equal(["log 4", "log 5", "log 6", "log 7", "log 8"], loaded.Logs.Select(l => l.Message));

            db.Prune(limits, Now - limits.Retention);
            Assert.Equal((5, 3, 6, 4), db.Counts());
        }

        using var reopened = new TelemetryDatabase(_path);
        var batch = reopened.Load(limits, Now - limits.Retention);
        Assert.Equal(["log 4", "log 5", "log 6", "log 7", "log 8"], batch.Logs.Select(l => l.Message));
        Assert.Equal([3, 3, 4, 4, 5, 5], batch.Spans.Select(s => int.Parse(s.TraceId, System.Globalization.NumberStyles.HexNumber)));
        Assert.Equal([3.0, 4, 5, 6], batch.Metrics.Select(p => p.Value));

        // Retention alone: a shorter window drops what is older than it.
        var store = new TelemetryStore(limits);
        store.Restore(batch);
        store.Prune(Now.AddSeconds(5));
        Assert.Equal(["log 8", "log 7", "log 6", "log 5"], store.QueryLogs(new LogQuery(), 0, 10).Items.Select(l => l.Message));
        Assert.Equal([$"{5:x32}"], store.QueryTraces(new TraceQuery(), 0, 10).Items.Select(t => t.TraceId));
    }

    [Fact]
    public async Task The_writer_persists_batches_off_the_request_path_and_flushes_them_on_stop()
    {
        var limits = new TelemetryLimits();
        using var db = new TelemetryDatabase(_path);
        var writer = new TelemetryWriter(db, limits, TimeProvider.System, NullLogger<TelemetryWriter>.Instance);
        var store = new TelemetryStore(limits, writer);
        writer.Attach(store);
        await writer.StartAsync(Ct);
        for (var i = 0; i < 200; i++)
        {
            store.AddLogs([.. Enumerable.Range(0, 10).Select(j => Log(i * 10 + j))]);
            store.AddSpans([Span(i + 1, 0), Span(i + 1, 1)]);
        }
        await writer.StopAsync(Ct);
        Assert.Equal(2_000 + 400, writer.Written);
        Assert.Equal((2_000, 200, 400, 0), db.Counts());
    }

    [Fact]
    public async Task A_restarted_dashboard_process_still_shows_the_telemetry_it_received()
    {
        string traceId, marker = Guid.NewGuid().ToString("N")[..8];
        var api = $"api-{marker}";
        await using (var first = await DashboardProcess.StartAsync(_path))
        {
            traceId = new TestTelemetry(first.OtlpGrpcUrl, first.OtlpHttpUrl, first.ApiKey, OtlpExportProtocol.HttpProtobuf)
                .SendRequestThroughTwoServices($"web-{marker}", api, marker).TraceId;
            using var client = await first.LoginAsync();
            await DashboardProcess.EventuallyAsync<List<SpanEntry>>(client, $"/api/telemetry/traces/{traceId}", s => s.Count == 5);
            await DashboardProcess.EventuallyAsync<Page<LogEntry>>(client, $"/api/telemetry/logs?resource={api}", p => p.Total == 1);
            await DashboardProcess.EventuallyAsync<List<InstrumentInfo>>(client, $"/api/telemetry/metrics/{api}", i => i.Count == 2);
            await first.StopAsync();
        }
        Assert.True(File.Exists(Path.Combine(_path, TelemetryDatabase.FileName)));

        // A new process on the same storage path, with new keys: the data is there before anything new arrives.
        await using var second = await DashboardProcess.StartAsync(_path);
        using var again = await second.LoginAsync();
        var spans = await again.GetFromJsonAsync<List<SpanEntry>>($"/api/telemetry/traces/{traceId}", DashboardProcess.Json, Ct);
        Assert.Equal(5, spans!.Count);
        Assert.Equal(["postgresql", "redis"], spans.Select(s => s.Peer).Where(p => p is "postgresql" or "redis").Order());
        var logs = await again.GetFromJsonAsync<Page<LogEntry>>($"/api/telemetry/logs?resource={api}", DashboardProcess.Json, Ct);
        Assert.Equal(traceId, Assert.Single(logs!.Items).TraceId);
        var points = await again.GetFromJsonAsync<List<MetricPoint>>($"/api/telemetry/metrics/{api}/http.server.request.duration?minutes=60", DashboardProcess.Json, Ct);
        Assert.NotEmpty(points!);
        Assert.All(points!, p => Assert.Equal(2, p.Count));
    }

    [Fact]
    public void Bad_limits_are_refused_at_start()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Telemetry:MaxLogCount"] = "0",
        }).Build();
        Assert.Contains("positive", Assert.Throws<InvalidOperationException>(() => DashboardOptions.From(config)).Message);
        var keyless = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:Otlp:AuthMode"] = "ApiKey",
        }).Build();
        Assert.Contains("PRIMARYAPIKEY", Assert.Throws<InvalidOperationException>(() => DashboardOptions.From(keyless)).Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_path, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
