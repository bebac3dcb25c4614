using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using Pfa.Dashboard.Otlp.Proto.Collector.Logs;
using Pfa.Dashboard.Otlp.Proto.Collector.Trace;
using Pfa.Dashboard.Otlp.Proto.Common;
using Pfa.Dashboard.Otlp.Proto.Logs;
using Pfa.Dashboard.Otlp.Proto.Trace;
using ProtoResource = Pfa.Dashboard.Otlp.Proto.Resource.Resource;

namespace Pfa.Benchmarks;

/// <summary>
/// <c>--dashboard</c>: Pfa.Dashboard's OTLP/HTTP ingestion rate (spans/s, log records/s accepted, SQLite writer running
/// behind) and the response time of its queries and pages once the ring buffers are full at their default limits. The
/// dashboard runs as the AppHost runs it (<c>dotnet Pfa.Dashboard.dll</c>, Release build, API key, browser token).
/// </summary>
public static class DashboardLoad
{
    private const int SpansPerTrace = 5;
    private const int TracesPerRequest = 100;
    private const int LogsPerRequest = 500;
    private const int Senders = 4;
    private const string ApiKey = "bench-otlp-key";
    private const string Token = "bench-browser-token";

    public static async Task<int> RunAsync(string[] args, Action<string> log)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var spans = int.Parse(Arg("--spans") ?? "200000", CultureInfo.InvariantCulture);
        var logs = int.Parse(Arg("--logs") ?? "200000", CultureInfo.InvariantCulture);
        var bin = Arg("--dashboard-bin") ?? DefaultBin();
        var storage = Directory.CreateTempSubdirectory("pfa-dashboard-bench-").FullName;
        var (ui, otlp) = ($"http://127.0.0.1:{FreePort()}", $"http://127.0.0.1:{FreePort()}");
        using var process = Start(bin, ui, $"http://127.0.0.1:{FreePort()}", otlp, storage);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(otlp), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Add("x-otlp-api-key", ApiKey);
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(ui), Timeout = TimeSpan.FromMinutes(2) };
            await WaitHealthyAsync(browser, process);
            (await browser.GetAsync($"/login?t={Token}")).EnsureSuccessStatusCode();

            log($"Dashboard {bin}, {Senders} concurrent OTLP/HTTP senders, {Environment.ProcessorCount} cores");
            var traceRequests = Enumerable.Range(0, spans / (TracesPerRequest * SpansPerTrace)).Select(_ => TraceRequest().ToByteArray()).ToList();
            var spanRate = await SendAsync(http, "/v1/traces", traceRequests) * TracesPerRequest * SpansPerTrace;
            log($"spans: {spans:N0} in {traceRequests.Count} requests of {TracesPerRequest * SpansPerTrace} → {spanRate:N0} spans/s accepted");
            var logRequests = Enumerable.Range(0, logs / LogsPerRequest).Select(i => LogRequest(i).ToByteArray()).ToList();
            var logRate = await SendAsync(http, "/v1/logs", logRequests) * LogsPerRequest;
            log($"logs: {logs:N0} in {logRequests.Count} requests of {LogsPerRequest} → {logRate:N0} log records/s accepted");

            // The buffers are full now (10,000 traces of 5 spans, 10,000 logs): the UI's queries and pages at the limit.
            var newest = await browser.GetStringAsync("/api/telemetry/traces?take=1");
            var traceId = newest.Split("\"traceId\":\"")[1][..32];
            log("| Request at full buffers | median ms | p95 ms |");
            log("|---|---|---|");
            foreach (var path in new[]
            {
                "/api/telemetry/logs?take=100", "/api/telemetry/logs?text=no-such-text&take=100", "/api/telemetry/logs?level=Warning&take=100",
                "/api/telemetry/traces?take=100", "/api/telemetry/traces?text=no-such-span&take=100", $"/api/telemetry/traces/{traceId}",
                "/structuredlogs", "/traces", $"/traces/{traceId}",
            })
            {
                var (median, p95) = await TimeAsync(browser, path);
                log($"| GET {path} | {median:F1} | {p95:F1} |");
            }
            return 0;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            Directory.Delete(storage, recursive: true);
        }
    }

    /// <summary>Requests per second over the whole run, <see cref="Senders"/> at a time; every answer must be 200.</summary>
    private static async Task<double> SendAsync(HttpClient http, string path, List<byte[]> bodies)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                using var response = await http.PostAsync(path, content);
                response.EnsureSuccessStatusCode();
            }
        }));
        return bodies.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double Median, double P95)> TimeAsync(HttpClient client, string path)
    {
        const int runs = 30;
        (await client.GetAsync(path)).EnsureSuccessStatusCode(); // warm-up
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            times.Add(clock.Elapsed.TotalMilliseconds);
            response.EnsureSuccessStatusCode();
        }
        times.Sort();
        return (times[runs / 2], times[(int)(runs * 0.95)]);
    }

    /// <summary>Traces shaped like a sign-in: web server → web client → api server → two PostgreSQL commands.</summary>
    private static ExportTraceServiceRequest TraceRequest()
    {
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var web = new ScopeSpans();
        var api = new ScopeSpans();
        for (var t = 0; t < TracesPerRequest; t++)
        {
            var traceId = ByteString.CopyFrom(Random(16));
            var ids = Enumerable.Range(0, SpansPerTrace).Select(_ => ByteString.CopyFrom(Random(8))).ToArray();
            Span Span(int i, int? parent, string name, Span.Types.SpanKind kind, params (string, string)[] attributes)
            {
                var span = new Span
                {
                    TraceId = traceId, SpanId = ids[i], ParentSpanId = parent is { } p ? ids[p] : ByteString.Empty, Name = name, Kind = kind,
                    StartTimeUnixNano = now + (ulong)i * 1_000_000, EndTimeUnixNano = now + 50_000_000 - (ulong)i * 1_000_000,
                };
                span.Attributes.AddRange(attributes.Select(a => Attribute(a.Item1, a.Item2)));
                return span;
            }
            web.Spans.Add(Span(0, null, "POST /account/login", Pfa.Dashboard.Otlp.Proto.Trace.Span.Types.SpanKind.Server,
                ("http.request.method", "POST"), ("url.path", "/account/login"), ("http.response.status_code", "302"), ("http.route", "/account/login")));
            web.Spans.Add(Span(1, 0, "POST", Pfa.Dashboard.Otlp.Proto.Trace.Span.Types.SpanKind.Client,
                ("http.request.method", "POST"), ("url.full", "http://localhost:5300/api/auth/login"), ("server.address", "localhost"), ("http.response.status_code", "200")));
            api.Spans.Add(Span(2, 1, "POST /api/auth/login", Pfa.Dashboard.Otlp.Proto.Trace.Span.Types.SpanKind.Server,
                ("http.request.method", "POST"), ("url.path", "/api/auth/login"), ("http.response.status_code", "200"), ("http.route", "/api/auth/login")));
            for (var q = 3; q < SpansPerTrace; q++)
                api.Spans.Add(Span(q, 2, "postgresql", Pfa.Dashboard.Otlp.Proto.Trace.Span.Types.SpanKind.Client,
                    ("db.system.name", "postgresql"), ("db.namespace", "pfadb"), ("db.query.text", "SELECT u.id, u.username, u.password_hash FROM users AS u WHERE lower(u.username) = @p")));
        }
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(Resource("web", web));
        request.ResourceSpans.Add(Resource("api", api));
        return request;
    }

    private static ExportLogsServiceRequest LogRequest(int batch)
    {
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Pfa.SyncWorker.SyncRunner" } };
        for (var i = 0; i < LogsPerRequest; i++)
        {
            var record = new LogRecord
            {
                TimeUnixNano = now + (ulong)i, SeverityNumber = i % 10 == 0 ? 13 : 9, // WARN, INFO SeverityText = i % 10 == 0 ? "Warning" : "Information",
                Body = new AnyValue { StringValue = $"Sync {batch * LogsPerRequest + i} of RIO (Incremental) completed: fetched 100, inserted 0, updated 3, unchanged 97 in 42 ms" },
                TraceId = ByteString.CopyFrom(Random(16)), SpanId = ByteString.CopyFrom(Random(8)),
            };
            record.Attributes.Add(Attribute("SyncId", (batch * LogsPerRequest + i).ToString(CultureInfo.InvariantCulture)));
            record.Attributes.Add(Attribute("Org", "RIO"));
            record.Attributes.Add(Attribute("Kind", "Incremental"));
            record.Attributes.Add(Attribute("Fetched", "100"));
            scope.LogRecords.Add(record);
        }
        var logs = new ResourceLogs { Resource = ServiceResource("syncworker") };
        logs.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(logs);
        return request;
    }

    private static ResourceSpans Resource(string service, ScopeSpans spans)
    {
        var resource = new ResourceSpans { Resource = ServiceResource(service) };
        resource.ScopeSpans.Add(spans);
        return resource;
    }

    private static ProtoResource ServiceResource(string service)
    {
        var resource = new ProtoResource();
        resource.Attributes.Add(Attribute("service.name", service));
        resource.Attributes.Add(Attribute("service.instance.id", service + "-1"));
        return resource;
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static byte[] Random(int count) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(count);

    private static Process Start(string bin, string ui, string grpc, string otlpHttp, string storage)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = bin, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(bin, "Pfa.Dashboard.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = ui;
        info.Environment["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = grpc;
        info.Environment["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = otlpHttp;
        info.Environment["DASHBOARD__OTLP__AUTHMODE"] = "ApiKey";
        info.Environment["DASHBOARD__OTLP__PRIMARYAPIKEY"] = ApiKey;
        info.Environment["DASHBOARD__FRONTEND__AUTHMODE"] = "BrowserToken";
        info.Environment["DASHBOARD__FRONTEND__BROWSERTOKEN"] = Token;
        info.Environment["Dashboard__Storage__Path"] = storage;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("dashboard: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient client, Process process)
    {
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"The dashboard exited ({process.ExitCode}).");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The dashboard did not become healthy.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Pfa.Dashboard's build output next to this one (same configuration).</summary>
    private static string DefaultBin()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pfa.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Pass --dashboard-bin: Pfa.sln not found above " + AppContext.BaseDirectory);
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<configuration>/net10.0
        return Path.Combine(dir.FullName, "Pfa.Dashboard", "bin", configuration, "net10.0");
    }
}
