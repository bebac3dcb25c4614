using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;
using StackExchange.Redis;

namespace Pfa.Tests.Sync;

/// <summary>Idempotence, PEMS edits and deletions, and what a changing run publishes.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncChangeTests(InfrastructureFixture infra)
{
    private const string RowStamps = "SELECT id || ':' || xmin::text FROM pfa_mirror WHERE organization_id = @org ORDER BY id";

    [Fact]
    public async Task A_second_sync_with_no_PEMS_change_writes_no_row_and_keeps_every_version()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await h.RunAsync();
        var orgVersion = await h.OrgMirrorVersionAsync();
        var before = await h.ListAsync(RowStamps, r => r.GetString(0));

        var incremental = await h.RunAsync();

        Assert.Equal(SyncKind.Incremental, incremental.Kind);
        Assert.Equal(SyncOutcome.Completed, incremental.Outcome);
        Assert.Equal((0, 0, 0, 0), (incremental.Inserted, incremental.Updated, incremental.Deleted, incremental.Rejected));
        Assert.Equal(incremental.Fetched, incremental.Unchanged);
        Assert.True(incremental.Fetched < SyncHarness.Records, "incremental must read only recent changes");
        // xmin changes on any row write, so equal xmins prove not a single mirror row was rewritten.
        Assert.Equal(before, await h.ListAsync(RowStamps, r => r.GetString(0)));
        Assert.Equal(orgVersion, await h.OrgMirrorVersionAsync());

        var full = await h.RunAsync(SyncKind.Full);
        Assert.Equal((SyncHarness.Records, 0, 0, 0, SyncHarness.Records), (full.Fetched, full.Inserted, full.Updated, full.Deleted, full.Unchanged));
        // A reconciliation finds deletions through the run's seen set, not by stamping lines: still not one row rewritten,
        // and the set is gone once the run has used it.
        Assert.Equal(before, await h.ListAsync(RowStamps, r => r.GetString(0)));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_sync_seen s JOIN sync_log l ON l.id = s.sync_id WHERE l.organization_id = @org"));
        Assert.Equal(orgVersion, await h.OrgMirrorVersionAsync());
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org AND mirror_version <> 1"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror_history WHERE organization_id = @org"));
    }

    [Fact]
    public async Task PEMS_edits_arrive_incrementally_and_deletions_with_the_next_reconciliation()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infra.RedisConnectionString);
        var events = new List<string>();
        var received = new SemaphoreSlim(0);
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"pfa:events:{h.Code}"), (_, m) => { lock (events) events.Add(m!); received.Release(); });
        var runner = h.Runner(redis: redis);
        await h.RunAsync(runner: runner);
        Assert.True(await received.WaitAsync(TimeSpan.FromSeconds(30), Http.Ct));
        var orgVersion = await h.OrgMirrorVersionAsync();

        var edited = await h.AdminAsync("mutate", 7, seed: 11);
        var afterEdit = await h.RunAsync(runner: runner);

        Assert.Equal(SyncKind.Incremental, afterEdit.Kind);
        Assert.Equal((0, edited.Distinct().Count(), 0), (afterEdit.Inserted, afterEdit.Updated, afterEdit.Deleted));
        Assert.True(afterEdit.Fetched < SyncHarness.Records);
        Assert.Equal(edited.Distinct().Order(), (await h.ListAsync("SELECT pfa_id FROM pfa_mirror WHERE organization_id = @org AND mirror_version = 2", r => r.GetString(0))).Order());
        Assert.Equal(edited.Distinct().Order(), (await h.ListAsync("SELECT m.pfa_id FROM pfa_mirror_history x JOIN pfa_mirror m ON m.id = x.mirror_id WHERE x.organization_id = @org AND x.mirror_version = 1", r => r.GetString(0))).Order());
        Assert.Equal(orgVersion + 1, await h.OrgMirrorVersionAsync());
        Assert.True(await received.WaitAsync(TimeSpan.FromSeconds(30), Http.Ct));
        lock (events) Assert.Contains("\"type\":\"organization-synced\"", events[^1]);

        var deleted = await h.AdminAsync("delete", 4, seed: 12);
        var incremental = await h.RunAsync(runner: runner);
        Assert.Equal(0, incremental.Deleted); // a deletion has no stamp: only a full read can see it
        var full = await h.RunAsync(SyncKind.Full, runner);

        Assert.Equal((SyncHarness.Records - 4, 0, 0, 4), (full.Fetched, full.Inserted, full.Updated, full.Deleted));
        Assert.Equal(deleted.Order(), (await h.ListAsync("SELECT pfa_id FROM pfa_mirror WHERE organization_id = @org AND deleted_in_pems_at IS NOT NULL", r => r.GetString(0))).Order());
        Assert.Equal((long)SyncHarness.Records, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org")); // tombstones, never hard deletes
        Assert.Equal(orgVersion + 2, await h.OrgMirrorVersionAsync());

        var again = await h.RunAsync(SyncKind.Full, runner);
        Assert.Equal(0, again.Deleted);
        Assert.Equal(orgVersion + 2, await h.OrgMirrorVersionAsync());
    }
}
