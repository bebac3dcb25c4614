using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Pems;

namespace Pfa.Tests.Sync;

/// <summary>The worker's PEMS throttle: a burst of write-backs stays under PEMS's rate, and a 429's Retry-After holds every request back.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class WriteBackThrottleTests(InfrastructureFixture infra)
{
    private const int Burst = 12;
    private const int PemsRateLimit = 10;

    [Fact]
    public async Task A_burst_of_committed_lines_is_paced_under_PEMS_rate_and_every_line_syncs_without_a_429()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await h.RunAsync();
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("wbth").ToLowerInvariant(), (h.OrgId, "Editor"));
        var lines = await h.ListAsync($"""
            SELECT pfa_id, monthly_rate FROM pfa_mirror
            WHERE organization_id = @org AND NOT is_actualized AND NOT is_discontinued AND source = 'Rental' ORDER BY pfa_id LIMIT {Burst}
            """, r => (PfaId: r.GetString(0), Rate: r.GetDecimal(1)));
        Assert.Equal(Burst, lines.Count);
        var deltas = new List<Guid>();
        foreach (var line in lines) deltas.Add(await h.CommitDeltaAsync(user, line.PfaId, $$"""{"monthlyRate": {{line.Rate + 3m}}}"""));
        using var admin = h.Simulator.CreateClient();
        (await admin.PutAsJsonAsync("/admin/faults", new { rateLimitPerSecond = PemsRateLimit }, Http.Ct)).EnsureSuccessStatusCode();
        var rateLimitedBefore = await Served429Async(admin);
        h.Simulator.Attempts.Reset();

        using var throttle = new PemsThrottle(SyncWorkerExtensions.DefaultMaxRequestsPerSecond);
        var client = h.Simulator.CreatePemsClient(outer: throttle.CreateHandler());
        var result = await new WriteBackRunner(h.Db, client, new PemsRowNormalizer(PemsFieldMapping.Default), NullLogger<WriteBackRunner>.Instance)
            .RunAsync(h.OrgId, h.Code, Http.Ct);

        Assert.Equal(new WriteBackResult(Burst, 0, 0, 0), result);
        Assert.Equal(Burst, await h.ScalarAsync<long>($"SELECT count(*) FROM pfa_modification WHERE organization_id = @org AND state = 'synced' AND id = ANY(ARRAY['{string.Join("','", deltas)}']::uuid[])"));
        // Every line took a check, a write and a re-read, at most 9 of them in any clock second: PEMS never had to refuse one.
        Assert.Equal(3 * Burst, h.Simulator.Attempts.Count);
        Assert.Equal(0, await Served429Async(admin) - rateLimitedBefore);
        (await admin.PutAsJsonAsync("/admin/faults", new { rateLimitPerSecond = 0 }, Http.Ct)).EnsureSuccessStatusCode();
        foreach (var line in lines)
            Assert.Equal(line.Rate + 3m, PemsWriteMapping.Default.FromUds(await h.Simulator.CreatePemsClient().GetRecordAsync(h.Code, line.PfaId, Http.Ct), ["monthlyRate"])["monthlyRate"]);
    }

    [Fact]
    public async Task A_429_holds_back_every_request_for_its_Retry_After_and_a_shorter_one_never_cuts_the_pause()
    {
        var time = new SimulatorHost.ManualTime(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        using var throttle = new PemsThrottle(100, time);
        var pems = new StubPems();
        using var http = new HttpClient(Chain(throttle.CreateHandler(), pems));

        pems.Next = () => RateLimited(r => r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.GetAsync("http://pems.test/axis", Http.Ct)).StatusCode);
        Assert.Equal(time.GetUtcNow().AddSeconds(7), throttle.PausedUntil);

        throttle.PauseUntil(time.GetUtcNow().AddSeconds(2)); // never shortens
        Assert.Equal(time.GetUtcNow().AddSeconds(7), throttle.PausedUntil);

        time.Advance(TimeSpan.FromSeconds(7)); // the pause is over: the next request goes, and a dated Retry-After sets the next pause
        pems.Next = () => RateLimited(r => r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(30)));
        await http.GetAsync("http://pems.test/axis", Http.Ct);
        Assert.Equal(2, pems.Calls);
        Assert.Equal(time.GetUtcNow().AddSeconds(30), throttle.PausedUntil);

        pems.Next = () => new HttpResponseMessage(HttpStatusCode.OK);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://pems.test/axis", Http.Ct)).StatusCode);
        Assert.Equal((3, time.GetUtcNow()), (pems.Calls, throttle.PausedUntil)); // an OK answer sets no new pause
    }

    private static async Task<int> Served429Async(HttpClient admin)
    {
        var stats = (await admin.GetFromJsonAsync<JsonObject>("/admin/stats", Http.Ct))!;
        return stats["faultsServed"]?["429"]?.GetValue<int>() ?? 0;
    }

    private static HttpResponseMessage RateLimited(Action<HttpResponseMessage> headers)
    {
        var r = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        headers(r);
        return r;
    }

    private static DelegatingHandler Chain(DelegatingHandler outer, HttpMessageHandler inner)
    {
        outer.InnerHandler = inner;
        return outer;
    }

    private sealed class StubPems : HttpMessageHandler
    {
        public Func<HttpResponseMessage> Next { get; set; } = () => new HttpResponseMessage(HttpStatusCode.OK);
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(Next());
        }
    }
}
