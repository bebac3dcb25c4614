using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// Sends telemetry with the unmodified OpenTelemetry .NET SDK and OTLP exporter, the way the services do, over gRPC or
/// HTTP/protobuf. Each call builds its own providers and flushes them, so when it returns the export has been made.
/// </summary>
public sealed class TestTelemetry(string grpcUrl, string httpUrl, string? apiKey, OtlpExportProtocol protocol)
{
    public sealed record Sent(string TraceId, string LogMessage, string MeterName);

    private void Configure(OtlpExporterOptions o, string signalPath)
    {
        o.Protocol = protocol;
        // Set in code, the HTTP exporter takes the endpoint as the full signal URL.
        o.Endpoint = protocol == OtlpExportProtocol.Grpc ? new Uri(grpcUrl) : new Uri($"{httpUrl}/v1/{signalPath}");
        if (apiKey is not null) o.Headers = $"x-otlp-api-key={apiKey}";
    }

    /// <summary>
    /// A request through two services: web's server span → its HTTP client call → api's server span → a PostgreSQL
    /// query and a Redis command; a warning log inside the api span; an HTTP duration histogram and a counter.
    /// </summary>
    public Sent SendRequestThroughTwoServices(string webService, string apiService, string marker)
    {
        var webSource = new ActivitySource($"test.{webService}.{marker}");
        var apiSource = new ActivitySource($"test.{apiService}.{marker}");
        using var web = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(webService))
            .AddSource(webSource.Name).AddOtlpExporter(o => Configure(o, "traces")).Build();
        using var api = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(apiService))
            .AddSource(apiSource.Name).AddOtlpExporter(o => Configure(o, "traces")).Build();
        using var logs = LoggerFactory.Create(b => b.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(apiService));
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter(e => Configure(e, "logs"));
        }));
        var meterName = $"Test.Dashboard.{marker}";
        using var meter = new Meter(meterName);
        using var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(apiService))
            .AddMeter(meterName).AddOtlpExporter(o => Configure(o, "metrics")).Build();

        string traceId;
        var message = $"Slow merge for {marker}";
        var duration = meter.CreateHistogram<double>("http.server.request.duration", "s", "Duration of HTTP server requests.");
        var records = meter.CreateCounter<long>("pfa.sync.records", "{record}", "Records synchronised.");
        using (var root = webSource.StartActivity("GET /plan", ActivityKind.Server)!)
        {
            traceId = root.TraceId.ToHexString();
            root.SetTag("http.request.method", "GET").SetTag("url.path", "/plan");
            using (var call = webSource.StartActivity("GET", ActivityKind.Client)!)
            {
                call.SetTag("http.request.method", "GET").SetTag("server.address", "localhost");
                using (var server = apiSource.StartActivity("GET /api/pfa", ActivityKind.Server)!)
                {
                    server.SetTag("http.request.method", "GET").SetTag("http.route", "/api/pfa");
                    using (var db = apiSource.StartActivity("SELECT pfadb", ActivityKind.Client)!)
                    {
                        db.SetTag("db.system", "postgresql").SetTag("db.query.text", "SELECT * FROM pfa_records WHERE org_id = $1");
                    }
                    using (var redis = apiSource.StartActivity("GET", ActivityKind.Client)!)
                    {
                        redis.SetTag("db.system", "redis").SetTag("db.operation.name", "GET");
                    }
                    logs.CreateLogger("Pfa.Api.Merge").LogWarning("Slow merge for {Marker}", marker);
                    duration.Record(0.042, new KeyValuePair<string, object?>("http.route", "/api/pfa"));
                    duration.Record(0.120, new KeyValuePair<string, object?>("http.route", "/api/pfa"));
                    records.Add(250, new KeyValuePair<string, object?>("outcome", "inserted"));
                }
            }
        }
        // Refused exports (a wrong key) only make the flush report false; tests assert on what the dashboard stored.
        web.ForceFlush();
        api.ForceFlush();
        metrics.ForceFlush();
        return new Sent(traceId, message, meterName);
    }
}
