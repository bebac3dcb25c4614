using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using Pfa.Dashboard.Otlp.Proto.Collector.Trace;
using Pfa.Dashboard.Telemetry;
using Pfa.Hosting.ApplicationModel;
using Pfa.ServiceDefaults;
using Pfa.Tests.Web;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// The dashboard the AppHost launched, fed by the real services: a sign-in through web → api → PostgreSQL is one trace
/// across both services; the sync worker's log lines arrive under its resource name; OTLP without the AppHost's key is refused.
/// </summary>
[Collection(DashboardStackCollection.Name)]
public sealed partial class DashboardStackTests(DashboardStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sign_in_through_web_and_api_is_one_trace_with_both_services_and_postgresql()
    {
        var traceId = await SignInThroughWebAsync(stack, "trace");

        using var dashboard = await stack.LoginAsync();
        // Each service exports its own batches: wait until web's request span and the API's query under the login are both in.
        var spans = await DashboardStackFixture.EventuallyAsync<List<SpanEntry>>(dashboard, $"/api/telemetry/traces/{traceId}", IsWebApiPostgresTrace);

        var byId = spans.ToDictionary(s => s.SpanId);
        var webServer = Assert.Single(spans, s => s.Resource == PfaResources.Web && s.Kind == "Server");
        Assert.Equal("POST /account/login", webServer.Name);
        var apiLogin = Assert.Single(spans, s => s.Resource == PfaResources.Api && s.Kind == "Server" && s.Name == "POST /api/auth/login");
        // The API's server span hangs under web's HTTP client call, which hangs under web's request: propagation works.
        var webCall = byId[apiLogin.ParentSpanId!];
        Assert.Equal((PfaResources.Web, "Client"), (webCall.Resource, webCall.Kind));
        Assert.True(IsAncestor(byId, webServer, webCall), "web's HTTP call to the API is not inside web's request span");
        // The user is read from PostgreSQL inside the API's request.
        var query = Assert.Single(spans, s => IsPostgres(s) && IsAncestor(byId, apiLogin, s));
        Assert.Equal(PfaResources.Api, query.Resource);

        // The traces list shows it as one trace across both services.
        var listed = await DashboardStackFixture.EventuallyAsync<Page<TraceSummary>>(dashboard, "/api/telemetry/traces?resource=web&text=" + traceId,
            p => p.Items.Count == 1);
        Assert.Equal([PfaResources.Api, PfaResources.Web], listed.Items[0].Resources.Order());
        Assert.Equal("POST /account/login", listed.Items[0].RootName);

        // Health probes (every few seconds from the AppHost) leave no traces: not even their checks' database commands.
        var roots = await dashboard.GetFromJsonAsync<Page<TraceSummary>>($"/api/telemetry/traces?resource={PfaResources.Api}&take=1000", DashboardProcess.Json, Ct);
        foreach (var orphan in roots!.Items.Where(t => t.RootName != "POST /account/login" && t.SpanCount == 1))
        {
            var only = Assert.Single((await dashboard.GetFromJsonAsync<List<SpanEntry>>($"/api/telemetry/traces/{orphan.TraceId}", DashboardProcess.Json, Ct))!);
            Assert.NotEqual("SELECT 1", only.Attribute("db.query.text") ?? only.Attribute("db.statement"));
        }
    }

    [Fact]
    public async Task A_log_line_of_the_sync_worker_arrives_with_its_resource_name()
    {
        // An organization the simulator does not know: the worker's next poll syncs it and logs the outcome either way.
        var code = "WL" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        await using (var cmd = db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES ($1, $2, $2, true, true, 'active', 1)"))
        {
            cmd.Parameters.AddWithValue(Guid.NewGuid());
            cmd.Parameters.AddWithValue(code);
            await cmd.ExecuteNonQueryAsync(Ct);
        }

        using var dashboard = await stack.LoginAsync();
        var logs = await DashboardStackFixture.EventuallyAsync<Page<LogEntry>>(dashboard, $"/api/telemetry/logs?resource={PfaResources.SyncWorker}&text={code}",
            p => p.Items.Count > 0);
        var line = logs.Items[^1];
        Assert.Equal(PfaResources.SyncWorker, line.Resource);
        Assert.StartsWith("Pfa.SyncWorker", line.Category, StringComparison.Ordinal);
        Assert.Contains(code, line.Message, StringComparison.Ordinal);
        // A resource filter that is not the worker does not show it.
        var elsewhere = await dashboard.GetFromJsonAsync<Page<LogEntry>>($"/api/telemetry/logs?resource={PfaResources.Api}&text={code}", DashboardProcess.Json, Ct);
        Assert.Equal(0, elsewhere!.Total);
    }

    [Fact]
    public async Task Otlp_without_the_apphosts_key_or_with_a_wrong_one_is_refused()
    {
        var dashboard = stack.App.GetResource(DashboardResource.ResourceName);
        var otlpHttp = stack.App.GetEndpoint(DashboardResource.ResourceName, DashboardResource.OtlpHttpEndpointName);
        var otlpGrpc = stack.App.GetEndpoint(DashboardResource.ResourceName, DashboardResource.OtlpGrpcEndpointName);
        Assert.Equal("Dashboard", dashboard.Kind);
        var traceId = OtlpIngestionTests.RandomBytes(16);
        var request = OtlpIngestionTests.OneSpan(traceId);

        using var http = new HttpClient { BaseAddress = otlpHttp };
        async Task<HttpStatusCode> PostAsync(string? key)
        {
            using var content = new ByteArrayContent(request.ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = content };
            if (key is not null) post.Headers.Add("x-otlp-api-key", key);
            using var response = await http.SendAsync(post, Ct);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync("wrong-" + stack.App.Dashboard.OtlpApiKey));

        using var channel = GrpcChannel.ForAddress(otlpGrpc);
        var grpc = new TraceService.TraceServiceClient(channel);
        foreach (var headers in new[] { new Metadata(), new Metadata { { "x-otlp-api-key", "wrong" } } })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => grpc.ExportAsync(request, headers, cancellationToken: Ct).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }

        // Nothing refused was stored; the same span with the key the AppHost handed the services is.
        using var ui = await stack.LoginAsync();
        var hex = Convert.ToHexStringLower(traceId);
        using (var missing = await ui.GetAsync($"/api/telemetry/traces/{hex}", Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(stack.App.Dashboard.OtlpApiKey));
        var spans = await DashboardStackFixture.EventuallyAsync<List<SpanEntry>>(ui, $"/api/telemetry/traces/{hex}", s => s.Count == 1);
        Assert.Equal("raw-span", spans[0].Name);
    }

    /// <summary>
    /// A new user signs in through web's form: web calls the API (login, me), which reads the user from PostgreSQL. Our own
    /// traceparent makes web's server span (and so everything below it) join a trace id we know; returned.
    /// </summary>
    internal static async Task<string> SignInThroughWebAsync(DashboardStackFixture stack, string prefix)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var org = await BrowserJourneyTests.CreateOrgAsync(db, prefix.ToUpperInvariant() + suffix.ToUpperInvariant());
        var user = prefix + suffix;
        await BrowserJourneyTests.CreateUserAsync(db, user, org, "Viewer");

        // No propagator on this client: when another test in this process has a tracer listening to HttpClient, the handler
        // would otherwise start its own trace for the request and send its traceparent instead of ours.
        using var web = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, ActivityHeadersPropagator = null })
        {
            BaseAddress = stack.App.GetEndpoint(PfaResources.Web),
        };
        var form = await web.GetStringAsync("/login", Ct);
        var antiforgery = AntiforgeryField().Match(form);
        Assert.True(antiforgery.Success, "The sign-in form carries no antiforgery token.");
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(antiforgery.Groups[1].Value),
                ["username"] = user,
                ["password"] = BrowserJourneyTests.Password,
                ["returnUrl"] = "/",
            }),
        };
        post.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var signedIn = await web.SendAsync(post, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location?.OriginalString); // not /login?error=…
        return traceId;
    }

    private static bool IsPostgres(SpanEntry span) => span.Peer == "postgresql";

    /// <summary>web's request span, and under the API's login request a PostgreSQL query.</summary>
    internal static bool IsWebApiPostgresTrace(List<SpanEntry> spans)
    {
        var byId = spans.ToDictionary(s => s.SpanId);
        return spans.Any(s => s.Resource == PfaResources.Web && s.Kind == "Server")
               && spans.FirstOrDefault(s => s.Resource == PfaResources.Api && s.Kind == "Server" && s.Name == "POST /api/auth/login") is { } login
               && spans.Any(s => IsPostgres(s) && IsAncestor(byId, login, s));
    }

    private static bool IsAncestor(Dictionary<string, SpanEntry> byId, SpanEntry ancestor, SpanEntry span)
    {
        for (var s = span; s.ParentSpanId is { } parent && byId.TryGetValue(parent, out var p); s = p)
            if (p.SpanId == ancestor.SpanId) return true;
        return false;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
