using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Pfa.Domain;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Sync;
using StackExchange.Redis;

namespace Pfa.Tests.Api;

/// <summary>
/// GET /events relays the organization's Redis events as Server-Sent Events: a real sync run and a real write-back produce
/// them on the stream; another user's draft events do not reach the caller; a user of another organization gets no stream.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class EventStreamTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task A_sync_and_a_write_back_arrive_on_the_stream_of_a_member_and_never_on_another_organizations()
    {
        await using var h = await SyncHarness.CreateAsync(infra, records: 150);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infra.RedisConnectionString);
        var events = new SyncEvents(NullLogger<SyncEvents>.Instance, redis);
        var pmName = ApiHost.Unique("evpm").ToLowerInvariant();
        var otherName = ApiHost.Unique("evot").ToLowerInvariant();
        var strangerName = ApiHost.Unique("evst").ToLowerInvariant();
        var pm = await h.Api.CreateUserAsync(pmName, (h.OrgId, "PortfolioManager"));
        await h.Api.CreateUserAsync(otherName, (h.OrgId, "Editor"));
        var strangerOrg = await h.Api.CreateOrgAsync(ApiHost.Unique("EVX"));
        await h.Api.CreateUserAsync(strangerName, (strangerOrg, "Admin"));

        using var stranger = await h.Api.LoginAsync(strangerName);
        var refused = await stranger.GetAsync($"/api/orgs/{h.Code}/events", HttpCompletionOption.ResponseHeadersRead, Http.Ct);
        // Not a member: the same answer as for an organization that does not exist (the API never reveals which exist).
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        using var client = await h.Api.LoginAsync(pmName);
        await using var stream = await SseStream.OpenAsync(client, $"/api/orgs/{h.Code}/events");
        Assert.Equal("text/event-stream", stream.ContentType);
        await stream.NextAsync(PfaEvents.Connected);

        // A first (full) sync with 150 lines in pages of 100: started, two progress events with PEMS's total, finished, synced.
        await h.RunAsync(runner: h.Runner(redis: redis));
        var started = await stream.NextAsync(PfaEvents.SyncStarted);
        Assert.Equal("full", started["payload"]!["kind"]!.GetValue<string>());
        var progress1 = await stream.NextAsync(PfaEvents.SyncProgress);
        Assert.Equal((1, 100, 150), (progress1["payload"]!["pages"]!.GetValue<int>(), progress1["payload"]!["fetched"]!.GetValue<int>(), progress1["payload"]!["total"]!.GetValue<int>()));
        var progress2 = await stream.NextAsync(PfaEvents.SyncProgress);
        Assert.Equal((2, 150), (progress2["payload"]!["pages"]!.GetValue<int>(), progress2["payload"]!["fetched"]!.GetValue<int>()));
        var finished = await stream.NextAsync(PfaEvents.SyncFinished);
        Assert.Equal(("Completed", 150), (finished["payload"]!["outcome"]!.GetValue<string>(), finished["payload"]!["inserted"]!.GetValue<int>()));
        await stream.NextAsync(PfaEvents.OrganizationSynced);

        // Another editor's draft: published on the channel, but not for the PM. The PM's own draft and commit are.
        var lines = await h.ListAsync("SELECT pfa_id, monthly_rate FROM pfa_mirror WHERE organization_id = @org AND NOT is_actualized AND NOT is_discontinued ORDER BY pfa_id LIMIT 2",
            r => (PfaId: r.GetString(0), Rate: r.GetDecimal(1)));
        using (var other = await h.Api.LoginAsync(otherName))
            await (await other.PostAsJsonAsync($"/api/orgs/{h.Code}/drafts",
                new { items = new[] { new { pfaId = lines[1].PfaId, changes = new { monthlyRate = lines[1].Rate + 5 } } } }, Http.Ct)).JsonAsync();
        var newRate = lines[0].Rate + 10;
        await (await client.PostAsJsonAsync($"/api/orgs/{h.Code}/drafts",
            new { items = new[] { new { pfaId = lines[0].PfaId, changes = new { monthlyRate = newRate } } } }, Http.Ct)).JsonAsync();
        var saved = await stream.NextAsync(PfaEvents.DraftsSaved);
        Assert.Equal(pm.ToString(), saved["payload"]!["user"]!.GetValue<string>());
        await (await client.PostAsJsonAsync($"/api/orgs/{h.Code}/commit", new { }, Http.Ct)).JsonAsync();
        await stream.NextAsync(PfaEvents.DraftsCommitted);

        // The write-back of the committed line: syncing, then synced, for its owner.
        var result = await new WriteBackRunner(h.Db, h.Simulator.CreatePemsClient(), new PemsRowNormalizer(PemsFieldMapping.Default),
            NullLogger<WriteBackRunner>.Instance, events: events).RunAsync(h.OrgId, h.Code, Http.Ct);
        Assert.Equal(new WriteBackResult(1, 0, 0, 0), result);
        var syncing = await stream.NextAsync(PfaEvents.WriteBackState);
        Assert.Equal((lines[0].PfaId, "syncing"), (syncing["payload"]!["pfaId"]!.GetValue<string>(), syncing["payload"]!["state"]!.GetValue<string>()));
        var synced = await stream.NextAsync(PfaEvents.WriteBackState);
        Assert.Equal((lines[0].PfaId, "synced"), (synced["payload"]!["pfaId"]!.GetValue<string>(), synced["payload"]!["state"]!.GetValue<string>()));

        // Everything the PM received, in order: the other editor's draft never arrived.
        Assert.DoesNotContain(stream.Received, e => e.EventType == PfaEvents.DraftsSaved && e.Data.Contains(lines[1].PfaId, StringComparison.Ordinal));
        Assert.Single(stream.Received, e => e.EventType == PfaEvents.DraftsSaved);
    }

    /// <summary>An open SSE response read in the background; events are handed out in order.</summary>
    private sealed class SseStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _stop = new();
        private readonly Channel<SseItem<string>> _items = Channel.CreateUnbounded<SseItem<string>>();
        private readonly Task _reader;
        public List<SseItem<string>> Received { get; } = [];
        public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

        private SseStream(HttpResponseMessage response)
        {
            _response = response;
            _reader = Task.Run(async () =>
            {
                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync(_stop.Token);
                    await foreach (var item in SseParser.Create(body).EnumerateAsync(_stop.Token))
                        if (item.EventType != PfaEvents.Heartbeat) await _items.Writer.WriteAsync(item, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
                finally { _items.Writer.TryComplete(); }
            });
        }

        public static async Task<SseStream> OpenAsync(HttpClient client, string url)
        {
            var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, Http.Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new SseStream(response);
        }

        /// <summary>The next event; it must be of <paramref name="type"/> (the stream's order is the publishers' order).</summary>
        public async Task<JsonObject> NextAsync(string type)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Http.Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var item = await _items.Reader.ReadAsync(timeout.Token);
            Received.Add(item);
            Assert.True(item.EventType == type, $"Expected '{type}', got '{item.EventType}': {item.Data}");
            return JsonNode.Parse(item.Data)!.AsObject();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reader;
            _stop.Dispose();
        }
    }
}
