using System.Net.Http.Json;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Exporter;
using Pfa.Dashboard.Otlp.Proto.Collector.Trace;
using Pfa.Dashboard.Otlp.Proto.Common;
using Pfa.Dashboard.Otlp.Proto.Trace;
using Pfa.Dashboard.Telemetry;
using ProtoResource = Pfa.Dashboard.Otlp.Proto.Resource.Resource;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// OTLP into the dashboard process from the real OpenTelemetry .NET exporter, over gRPC and HTTP/protobuf: stored and
/// queryable with the key; refused (401 / Unauthenticated) and not stored without it or with a wrong one.
/// </summary>
public sealed class OtlpIngestionTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private DashboardProcess Dashboard => fixture.Dashboard;

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Traces_logs_and_metrics_sent_with_the_key_are_stored_and_queryable(OtlpExportProtocol protocol)
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var (web, api) = ($"web-{marker}", $"api-{marker}");
        var sent = new TestTelemetry(Dashboard.OtlpGrpcUrl, Dashboard.OtlpHttpUrl, Dashboard.ApiKey, protocol)
            .SendRequestThroughTwoServices(web, api, marker);
        using var client = await Dashboard.LoginAsync();

        // The trace: five spans from two services, parent links intact, PostgreSQL and Redis spans recognisable.
        var spans = await DashboardProcess.EventuallyAsync<List<SpanEntry>>(client, $"/api/telemetry/traces/{sent.TraceId}", s => s.Count == 5);
        Assert.Equal([api, web], spans.Select(s => s.Resource).Distinct().Order());
        var root = Assert.Single(spans, s => s.ParentSpanId is null);
        Assert.Equal((web, "GET /plan", "Server"), (root.Resource, root.Name, root.Kind));
        var webCall = Assert.Single(spans, s => s.ParentSpanId == root.SpanId);
        var apiServer = Assert.Single(spans, s => s.Resource == api && s.Kind == "Server");
        Assert.Equal(webCall.SpanId, apiServer.ParentSpanId);
        Assert.Equal("http", webCall.Peer);
        Assert.Equal(["postgresql", "redis"], spans.Where(s => s.ParentSpanId == apiServer.SpanId).Select(s => s.Peer).Order());
        var waterfall = TraceWaterfall.Build(spans);
        Assert.Equal([0, 1, 2, 3, 3], waterfall.Rows.Select(r => r.Depth));

        var summaries = await DashboardProcess.EventuallyAsync<Page<TraceSummary>>(client, $"/api/telemetry/traces?resource={api}", p => p.Total == 1);
        var summary = Assert.Single(summaries.Items);
        Assert.Equal((sent.TraceId, "GET /plan", 5, 0), (summary.TraceId, summary.RootName, summary.SpanCount, summary.ErrorCount));

        // The log line: its resource, level, message, category and the trace it was written in.
        var logs = await DashboardProcess.EventuallyAsync<Page<LogEntry>>(client, $"/api/telemetry/logs?resource={api}&text={marker}", p => p.Total == 1);
        var log = Assert.Single(logs.Items);
        Assert.Equal((api, "Warning", sent.LogMessage, "Pfa.Api.Merge", sent.TraceId, apiServer.SpanId),
            (log.Resource, log.Level, log.Message, log.Category, log.TraceId, log.SpanId));
        Assert.Contains(log.Attributes, a => a.Key == "Marker" && a.Value == marker);
        var noWarnings = await client.GetFromJsonAsync<Page<LogEntry>>($"/api/telemetry/logs?resource={api}&level=Error", DashboardProcess.Json, Ct);
        Assert.Equal(0, noWarnings!.Total);

        // The metrics: a histogram with both observations and a counter, by instrument (cumulative: the provider's
        // shutdown may export the same totals once more).
        var instruments = await DashboardProcess.EventuallyAsync<List<InstrumentInfo>>(client, $"/api/telemetry/metrics/{api}", i => i.Count == 2);
        Assert.Equal([("http.server.request.duration", MetricKind.Histogram), ("pfa.sync.records", MetricKind.Sum)],
            instruments.Select(i => (i.Name, i.Kind)));
        var histogram = await client.GetFromJsonAsync<List<MetricPoint>>($"/api/telemetry/metrics/{api}/http.server.request.duration", DashboardProcess.Json, Ct);
        Assert.NotEmpty(histogram!);
        Assert.All(histogram!, point =>
        {
            Assert.Equal((2, "http.route=/api/pfa", "s", true), (point.Count, point.Series, point.Unit, point.Cumulative));
            Assert.Equal(0.162, point.Value, 6);
        });
        var counter = await client.GetFromJsonAsync<List<MetricPoint>>($"/api/telemetry/metrics/{api}/pfa.sync.records", DashboardProcess.Json, Ct);
        Assert.NotEmpty(counter!);
        Assert.All(counter!, point => Assert.Equal((250, "outcome=inserted"), (point.Value, point.Series)));
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task The_real_exporter_without_or_with_a_wrong_key_is_refused_and_nothing_is_stored(OtlpExportProtocol protocol)
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var withoutKey = new TestTelemetry(Dashboard.OtlpGrpcUrl, Dashboard.OtlpHttpUrl, null, protocol).SendRequestThroughTwoServices($"nokey-{marker}", $"nokey-api-{marker}", marker);
        var wrongKey = new TestTelemetry(Dashboard.OtlpGrpcUrl, Dashboard.OtlpHttpUrl, "wrong-" + Dashboard.ApiKey, protocol)
            .SendRequestThroughTwoServices($"badkey-{marker}", $"badkey-api-{marker}", marker);
        // Exports are made in order: once a keyed export sent afterwards is stored, the refused ones had their answer.
        var sentinel = new TestTelemetry(Dashboard.OtlpGrpcUrl, Dashboard.OtlpHttpUrl, Dashboard.ApiKey, protocol)
            .SendRequestThroughTwoServices($"ok-{marker}", $"ok-api-{marker}", marker);
        using var client = await Dashboard.LoginAsync();
        await DashboardProcess.EventuallyAsync<List<SpanEntry>>(client, $"/api/telemetry/traces/{sentinel.TraceId}", s => s.Count == 5);
        await DashboardProcess.EventuallyAsync<Page<LogEntry>>(client, $"/api/telemetry/logs?resource=ok-api-{marker}", p => p.Total == 1);

        foreach (var refused in new[] { withoutKey, wrongKey })
        {
            using var response = await client.GetAsync($"/api/telemetry/traces/{refused.TraceId}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var resources = await client.GetFromJsonAsync<List<string>>("/api/telemetry/resources", DashboardProcess.Json, Ct);
        Assert.DoesNotContain(resources!, r => r.Contains("nokey", StringComparison.Ordinal) || r.Contains("badkey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Otlp_http_answers_401_and_otlp_grpc_unauthenticated_without_the_right_key()
    {
        var traceId = RandomBytes(16);
        var request = OneSpan(traceId);

        using var http = new HttpClient { BaseAddress = new Uri(Dashboard.OtlpHttpUrl) };
        foreach (var key in new[] { null, "wrong", Dashboard.ApiKey + "x" })
        {
            using var content = new ByteArrayContent(request.ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = content };
            if (key is not null) post.Headers.Add("x-otlp-api-key", key);
            using var response = await http.SendAsync(post, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var channel = GrpcChannel.ForAddress(Dashboard.OtlpGrpcUrl);
        var grpc = new TraceService.TraceServiceClient(channel);
        foreach (var key in new[] { null, "wrong" })
        {
            var headers = key is null ? new Metadata() : new Metadata { { "x-otlp-api-key", key } };
            var error = await Assert.ThrowsAsync<RpcException>(() => grpc.ExportAsync(request, headers, cancellationToken: Ct).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }

        // The same request with the key is accepted, and only then is the trace there.
        using var client = await Dashboard.LoginAsync();
        var hex = Convert.ToHexStringLower(traceId);
        using (var missing = await client.GetAsync($"/api/telemetry/traces/{hex}", Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await grpc.ExportAsync(request, new Metadata { { "x-otlp-api-key", Dashboard.ApiKey } }, cancellationToken: Ct);
        var spans = await client.GetFromJsonAsync<List<SpanEntry>>($"/api/telemetry/traces/{hex}", DashboardProcess.Json, Ct);
        Assert.Equal("raw-span", Assert.Single(spans!).Name);
    }

    [Fact]
    public async Task Otlp_http_rejects_json_and_garbage_with_problem_details()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Dashboard.OtlpHttpUrl) };
        http.DefaultRequestHeaders.Add("x-otlp-api-key", Dashboard.ApiKey);
        using var json = await http.PostAsync("/v1/logs", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        using var garbage = new ByteArrayContent([0xff, 0xff, 0xff, 0x01]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var bad = await http.PostAsync("/v1/traces", garbage, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    internal static ExportTraceServiceRequest OneSpan(byte[] traceId)
    {
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var resource = new ProtoResource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "raw-client" } });
        var scope = new ScopeSpans();
        scope.Spans.Add(new Span
        {
            TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(RandomBytes(8)), Name = "raw-span",
            Kind = Span.Types.SpanKind.Internal, StartTimeUnixNano = now, EndTimeUnixNano = now + 1_000_000,
        });
        var spans = new ResourceSpans { Resource = resource };
        spans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(spans);
        return request;
    }

    internal static byte[] RandomBytes(int count) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(count);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
}
