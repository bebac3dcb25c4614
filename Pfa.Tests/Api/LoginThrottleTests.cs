using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pfa.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// Failed-sign-in limits on <c>POST /api/auth/login</c> (Infrastructure/LoginThrottle.cs) on the real Redis: per account
/// (5 failures) and per address (8 here), 429 ProblemDetails with Retry-After, the right password refused during the lock,
/// other accounts and addresses unaffected, unknown and wrong alike, a success resets, audit rows and metrics. The test
/// server has no client address, so a startup filter gives each request the one in <see cref="TestAddress"/>.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LoginThrottleTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private const string TestAddress = "X-Test-Remote-Address";
    private const int AccountFailures = 5, AddressFailures = 8;
    /// <summary>Where the test's ingress proxies live (trusted through ForwardedHeaders:KnownNetworks).</summary>
    private const string IngressNetwork = "10.0.0.0/8";
    private readonly ApiHost _host = ApiHost.For(infra);
    private WebApplicationFactory<ApiMarker> _api = null!;
    private readonly ConcurrentDictionary<string, long> _measurements = new();
    private MeterListener? _listener;

    public ValueTask InitializeAsync()
    {
        _api = _host.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Auth:Throttle:AccountFailures", AccountFailures.ToString(CultureInfo.InvariantCulture));
            b.UseSetting("Auth:Throttle:AddressFailures", AddressFailures.ToString(CultureInfo.InvariantCulture));
            b.UseSetting("ForwardedHeaders:KnownNetworks:0", IngressNetwork);
            b.ConfigureServices(s => s.AddSingleton<IStartupFilter, RemoteAddressFromHeader>());
        });
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Pfa.Auth") listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _measurements.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        _listener.Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _listener?.Dispose();
        await _api.DisposeAsync();
    }

    /// <summary>A fresh documentation-range address per test run, so no other test's failures count against it.</summary>
    private static string NewAddress() => $"198.51.{Random.Shared.Next(0, 256)}.{Random.Shared.Next(1, 255)}";

    private async Task<HttpResponseMessage> LoginAsync(string username, string password, string address, string? forwardedFor = null)
    {
        using var client = _api.CreateClient();
        client.DefaultRequestHeaders.Add(TestAddress, address);
        if (forwardedFor is not null) client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return await client.PostAsJsonAsync("/api/auth/login", new { username, password }, Http.Ct);
    }

    private async Task<string> UserAsync(string prefix)
    {
        var name = ApiHost.Unique(prefix).ToLowerInvariant();
        await _host.CreateUserAsync(name);
        return name;
    }

    private static async Task<JsonObject> ThrottledAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 15 * 60);
        Assert.Equal(429, body["status"]!.GetValue<int>());
        Assert.Equal(retryAfter, body["retryAfterSeconds"]!.GetValue<int>());
        return body;
    }

    private async Task<Dictionary<string, long>> SignInAuditAsync(string username)
    {
        await using var cmd = _host.Db.CreateCommand("SELECT outcome, count(*) FROM audit_log WHERE action = 'auth.sign-in' AND actor_name = $1 GROUP BY outcome");
        cmd.Parameters.AddWithValue(username);
        var rows = new Dictionary<string, long>();
        await using var reader = await cmd.ExecuteReaderAsync(Http.Ct);
        while (await reader.ReadAsync(Http.Ct)) rows[reader.GetString(0)] = reader.GetInt64(1);
        return rows;
    }

    [Fact]
    public async Task Failures_lock_the_account_with_retry_after_even_for_the_right_password_and_other_accounts_still_sign_in()
    {
        var (victim, bystander, other) = (await UserAsync("tv"), await UserAsync("tb"), await UserAsync("to"));
        var (attacker, elsewhere) = (NewAddress(), NewAddress());
        var throttledBefore = _measurements.GetValueOrDefault("pfa.auth.throttled");
        var failuresBefore = _measurements.GetValueOrDefault("pfa.auth.failures");

        for (var i = 0; i < AccountFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(victim, "wrong-" + i, attacker)).StatusCode);

        var locked = await ThrottledAsync(await LoginAsync(victim, "wrong-again", attacker));
        Assert.Contains("minute", locked["detail"]!.GetValue<string>());
        // The right password during the lock is refused too (else the lock would tell the guesser when they got it right),
        // from another address as well: the lock is the account's.
        await ThrottledAsync(await LoginAsync(victim, ApiHost.Password, attacker));
        await ThrottledAsync(await LoginAsync(victim, ApiHost.Password, elsewhere));

        // Another account: from the same address (below its own limit) and from another address.
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(bystander, ApiHost.Password, attacker)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(other, ApiHost.Password, elsewhere)).StatusCode);

        var audit = await SignInAuditAsync(victim);
        Assert.Equal(AccountFailures, audit.GetValueOrDefault("failure"));
        Assert.Equal(3, audit.GetValueOrDefault("denied"));
        Assert.False(audit.ContainsKey("success"));
        Assert.True(_measurements.GetValueOrDefault("pfa.auth.failures") - failuresBefore >= AccountFailures);
        Assert.True(_measurements.GetValueOrDefault("pfa.auth.throttled") - throttledBefore >= 3);
    }

    [Fact]
    public async Task Unknown_user_and_wrong_password_answer_alike_before_and_during_the_lock()
    {
        var known = await UserAsync("tk");
        var unknown = ApiHost.Unique("nobody").ToLowerInvariant();
        var address = NewAddress();

        for (var i = 0; i < AccountFailures; i++)
        {
            var wrong = await LoginAsync(known, "wrong-" + i, address);
            var absent = await LoginAsync(unknown, "wrong-" + i, NewAddress());
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal(wrong.StatusCode, absent.StatusCode);
            Assert.Equal(Comparable(await wrong.Content.ReadAsStringAsync(Http.Ct)), Comparable(await absent.Content.ReadAsStringAsync(Http.Ct)));
        }
        // Both names are locked the same way: the lock does not reveal which one exists.
        var knownLocked = await ThrottledAsync(await LoginAsync(known, "x", address));
        var unknownLocked = await ThrottledAsync(await LoginAsync(unknown, "x", NewAddress()));
        Assert.Equal(knownLocked["title"]!.GetValue<string>(), unknownLocked["title"]!.GetValue<string>());
        Assert.Equal(knownLocked["detail"]!.GetValue<string>(), unknownLocked["detail"]!.GetValue<string>());

        static string Comparable(string body)
        {
            var json = JsonNode.Parse(body)!.AsObject();
            json.Remove("traceId"); // per request by design
            return json.ToJsonString();
        }
    }

    [Fact]
    public async Task A_successful_sign_in_resets_the_accounts_failures()
    {
        var user = await UserAsync("tr");
        for (var round = 0; round < 2; round++)
        {
            var address = NewAddress(); // one per round: 8 failures from one address would reach the address's limit
            for (var i = 0; i < AccountFailures - 1; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(user, "wrong-" + i, address)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await LoginAsync(user, ApiHost.Password, address)).StatusCode);
        }
        // 8 failures in all, never 5 in a row: never locked.
        Assert.False((await SignInAuditAsync(user)).ContainsKey("denied"));
    }

    [Fact]
    public async Task Failures_across_accounts_lock_the_address_but_not_other_addresses()
    {
        var address = NewAddress();
        var sprayed = new List<string>();
        for (var i = 0; i < AddressFailures / 2; i++) sprayed.Add(await UserAsync("ts"));
        // Two failures per account: each account stays below its own limit, the address reaches its.
        foreach (var name in sprayed)
            for (var i = 0; i < 2; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(name, "wrong-" + i, address)).StatusCode);

        var fresh = await UserAsync("tf");
        await ThrottledAsync(await LoginAsync(fresh, ApiHost.Password, address));
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(fresh, ApiHost.Password, NewAddress())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(sprayed[0], ApiHost.Password, NewAddress())).StatusCode);

        await using var cmd = _host.Db.CreateCommand(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.sign-in' AND outcome = 'denied' AND ip = $1 AND details->>'scope' = 'address'");
        cmd.Parameters.AddWithValue(address);
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync(Http.Ct))!);
    }

    [Fact]
    public async Task Behind_the_web_app_and_an_ingress_each_browser_has_its_own_limit_and_outsiders_cannot_borrow_one()
    {
        // browser → web (X-Forwarded-For: browser) → ingress (appends the web app) → API, as in Container Apps.
        const string ingress = "10.20.0.1", web = "10.20.0.7";
        var (browser, neighbour) = (NewAddress(), NewAddress());
        for (var i = 0; i < AddressFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(await UserAsync("tb"), "wrong", ingress, $"{browser}, {web}")).StatusCode);

        var user = await UserAsync("tn");
        await ThrottledAsync(await LoginAsync(user, ApiHost.Password, ingress, $"{browser}, {web}"));
        // Another browser behind the same web app and ingress is not locked out with it.
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(user, ApiHost.Password, ingress, $"{neighbour}, {web}")).StatusCode);
        // A caller outside the trusted networks is counted as itself, whatever it claims to forward.
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(user, ApiHost.Password, NewAddress(), browser)).StatusCode);

        await using var cmd = _host.Db.CreateCommand(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.sign-in' AND outcome = 'denied' AND ip = $1 AND details->>'scope' = 'address'");
        cmd.Parameters.AddWithValue(browser);
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync(Http.Ct))!);
    }

    [Fact]
    public async Task Api_responses_carry_nosniff_on_success_not_found_and_unauthorized()
    {
        using var client = _host.Factory.CreateClient();
        var ok = await client.GetAsync("/openapi/v1.json", Http.Ct);
        var notFound = await client.GetAsync("/api/no-such-route", Http.Ct);
        var unauthorized = await client.GetAsync("/api/me", Http.Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        foreach (var response in new[] { ok, notFound, unauthorized })
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    /// <summary>The test server leaves the client address empty; this sets it from a request header, first in the pipeline.</summary>
    private sealed class RemoteAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Request.Headers.TryGetValue(TestAddress, out var value) && IPAddress.TryParse(value, out var address))
                    http.Connection.RemoteIpAddress = address;
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
