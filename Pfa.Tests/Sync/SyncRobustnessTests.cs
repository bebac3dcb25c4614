using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Pems;

namespace Pfa.Tests.Sync;

/// <summary>Malformed rows, garbage pages, failures mid-run, the per-organization lock and the API's manual trigger.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncRobustnessTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Malformed_rows_are_rejected_with_the_reason_and_never_lost_or_tombstoned()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        // A mapping that calls actual start required makes every not-yet-actualized PEMS row malformed for this run.
        var strict = PemsFieldMapping.Default;
        strict.Rules.Single(r => r.Target == PfaFieldNames.ActualStart).Required = true;
        var strictRunner = h.Runner(mapping: strict);

        var first = await h.RunAsync(SyncKind.Full, strictRunner);

        Assert.Equal(SyncOutcome.Completed, first.Outcome);
        Assert.InRange(first.Rejected, 1, SyncHarness.Records - 1);
        Assert.Equal(SyncHarness.Records - first.Rejected, first.Inserted);
        var (rejected, details) = (await h.ListAsync("SELECT rejected, error_details::text FROM sync_log WHERE organization_id = @org", r => (r.GetInt32(0), r.GetString(1)))).Single();
        Assert.Equal(first.Rejected, rejected);
        var listed = JsonNode.Parse(details)!["rejected"]!.AsArray();
        Assert.Equal(Math.Min(first.Rejected, 200), listed.Count);
        Assert.All(listed, x => Assert.Equal("actualStart (pfs_a_startdate) is missing", x!["reasons"]![0]!.GetValue<string>()));
        Assert.All(listed, x => Assert.False(string.IsNullOrEmpty(x!["pfaId"]?.GetValue<string>())));

        var fixedRun = await h.RunAsync(SyncKind.Full);
        Assert.Equal((first.Rejected, 0, 0), (fixedRun.Inserted, fixedRun.Rejected, fixedRun.Deleted));

        // Rows PEMS still has are "seen" even when rejected, so reconciliation does not tombstone them.
        var strictAgain = await h.RunAsync(SyncKind.Full, strictRunner);
        Assert.Equal((0, first.Rejected), (strictAgain.Deleted, strictAgain.Rejected));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org AND deleted_in_pems_at IS NOT NULL"));
    }

    [Fact]
    public async Task Garbage_pages_and_server_errors_are_retried_and_nothing_is_lost()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        // Four bad answers in a row (the client's fifth attempt succeeds), all on the first page.
        await h.Simulator.QueueFaultsAsync("malformed", "truncate", "500", "503");
        h.Simulator.Attempts.Reset();

        var result = await h.RunAsync();

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal((SyncHarness.Records, SyncHarness.Records), (result.Fetched, result.Inserted));
        Assert.Equal(3 + 4, h.Simulator.Attempts.Count); // three pages, four retried attempts
    }

    [Fact]
    public async Task A_run_that_fails_midway_keeps_its_committed_pages_records_why_and_the_next_run_completes()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        // Page one arrives, page two is garbage on every attempt (the test client makes five).
        await h.Simulator.QueueFaultsAsync("none", "malformed", "malformed", "malformed", "malformed", "malformed");

        var failed = await h.RunAsync();

        Assert.Equal(SyncOutcome.Failed, failed.Outcome);
        Assert.Equal(SyncHarness.PageSize, failed.Inserted);
        var (status, error) = (await h.ListAsync("SELECT status, error_message FROM sync_log WHERE organization_id = @org", r => (r.GetString(0), r.GetString(1)))).Single();
        Assert.Equal("failed", status);
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
        Assert.Equal((long)SyncHarness.PageSize, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org"));
        // The committed page is visible to readers: views refreshed and version bumped despite the failure.
        Assert.Equal(2, await h.OrgMirrorVersionAsync());

        var next = await h.RunAsync();
        Assert.Equal((SyncOutcome.Completed, SyncKind.Full), (next.Outcome, next.Kind)); // the failed run did not count as a full read
        Assert.Equal((SyncHarness.Records - SyncHarness.PageSize, 0), (next.Inserted, next.Updated));
    }

    [Fact]
    public async Task A_run_killed_midway_is_marked_interrupted_by_the_next_which_completes_the_work()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Http.Ct);
        var gate = new GateHandler(blockAt: 2);
        var runner = h.Runner(GatedClient(h, gate));
        var run = runner.RunAsync(h.OrgId, h.Code, null, "test", cts.Token);
        await gate.Entered.WaitAsync(Http.Ct);
        // Page two is asked for while page one is still being written (the read is pipelined): wait for page one's commit.
        await SyncStackFixture.WaitUntilAsync(async () => await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org") == SyncHarness.PageSize,
            "page one committed", TimeSpan.FromSeconds(60));
        // As a kill would: page one is committed, the row says 'running'. Cancelling stands in for the process dying.
        cts.Cancel();
        gate.Release();
        var cancelled = await run;
        Assert.Equal(SyncOutcome.Failed, cancelled.Outcome);
        Assert.Equal((long)SyncHarness.PageSize, await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org"));
        // A real kill leaves the row 'running' (no finally runs); make it so and let the next run find it.
        await using (var cmd = h.Db.CreateCommand("UPDATE sync_log SET status = 'running', completed_at = NULL WHERE organization_id = @org"))
        {
            cmd.Parameters.AddWithValue("org", h.OrgId);
            await cmd.ExecuteNonQueryAsync(Http.Ct);
        }

        var next = await h.RunAsync();

        Assert.Equal(SyncOutcome.Completed, next.Outcome);
        Assert.Equal(SyncHarness.Records - SyncHarness.PageSize, next.Inserted);
        var log = await h.ListAsync("SELECT status, coalesce(error_message, '') FROM sync_log WHERE organization_id = @org ORDER BY id", r => (r.GetString(0), r.GetString(1)));
        Assert.Equal(2, log.Count);
        Assert.Equal("failed", log[0].Item1);
        Assert.StartsWith("Interrupted", log[0].Item2);
        Assert.Equal("completed", log[1].Item1);
        Assert.Equal((long)SyncHarness.Records, await h.ScalarAsync<long>("SELECT count(DISTINCT pfa_id) FROM pfa_mirror WHERE organization_id = @org"));
    }

    [Fact]
    public async Task Two_syncs_of_one_organization_never_run_together()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        var gate = new GateHandler(blockAt: 1);
        var first = h.Runner(GatedClient(h, gate)).RunAsync(h.OrgId, h.Code, null, "replica-1", Http.Ct);
        await gate.Entered.WaitAsync(Http.Ct); // replica 1 holds the lock and is reading PEMS

        var second = await h.RunAsync();

        Assert.Equal(SyncOutcome.Skipped, second.Outcome);
        Assert.Null(second.SyncId);
        gate.Release();
        var done = await first;
        Assert.Equal((SyncOutcome.Completed, SyncHarness.Records), (done.Outcome, done.Inserted));
        Assert.Equal(["replica-1"], await h.ListAsync("SELECT triggered_by FROM sync_log WHERE organization_id = @org", r => r.GetString(0)));

        // Held from another session (another replica's connection), the lock also stops a run; released, the org syncs again.
        var (space, key) = SyncRunner.AdvisoryLock(h.OrgId);
        await using var other = await h.Db.OpenConnectionAsync(Http.Ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({space}, {key})", other)) await take.ExecuteNonQueryAsync(Http.Ct);
        Assert.Equal(SyncOutcome.Skipped, (await h.RunAsync()).Outcome);
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({space}, {key})", other)) await release.ExecuteNonQueryAsync(Http.Ct);
        Assert.Equal(SyncOutcome.Completed, (await h.RunAsync()).Outcome);
    }

    [Fact]
    public async Task A_manual_trigger_from_the_API_is_picked_up_and_its_request_row_becomes_the_run()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        var admin = ApiHost.Unique("syncadmin").ToLowerInvariant();
        await h.Api.CreateUserAsync(admin, (h.OrgId, "Admin"));
        using var client = await h.Api.LoginAsync(admin);
        var trigger = await (await client.PostAsync($"/api/orgs/{h.Code}/sync/trigger", null, Http.Ct)).JsonAsync();
        var requestId = trigger["requestId"]!.GetValue<long>();

        var due = await SyncScheduler.DueOrganizationsAsync(h.Db, new SyncOptions(), DateTimeOffset.UtcNow, Http.Ct);
        Assert.Contains(new SyncScheduler.DueOrganization(h.OrgId, h.Code, Requested: true), due);
        var result = await h.Runner().RunAsync(h.OrgId, h.Code, null, "manual", Http.Ct);

        Assert.Equal(requestId, result.SyncId);
        var status = await (await client.GetAsync($"/api/orgs/{h.Code}/sync", Http.Ct)).JsonAsync();
        var run = Assert.Single(status["history"]!.AsArray())!;
        Assert.Equal(("completed", SyncHarness.Records, admin), (run["status"]!.GetValue<string>(), run["inserted"]!.GetValue<int>(), run["triggeredBy"]!.GetValue<string>()));
        Assert.Equal(SyncHarness.Records, status["mirrorLines"]!.GetValue<long>());
        // Just synced, no request waiting: not due again until the interval passes.
        Assert.DoesNotContain((await SyncScheduler.DueOrganizationsAsync(h.Db, new SyncOptions(), DateTimeOffset.UtcNow, Http.Ct)), d => d.Id == h.OrgId);
        Assert.Contains((await SyncScheduler.DueOrganizationsAsync(h.Db, new SyncOptions(), DateTimeOffset.UtcNow.AddMinutes(16), Http.Ct)), d => d.Id == h.OrgId);
    }

    private static PemsClient GatedClient(SyncHarness h, GateHandler gate)
    {
        var http = h.Simulator.CreateDefaultClient(gate);
        http.Timeout = Timeout.InfiniteTimeSpan;
        return new PemsClient(http, new PemsClientOptions
        {
            BaseAddress = new Uri(http.BaseAddress!, "axis/restservices/"),
            Tenant = SimulatorHost.Tenant, UserName = SimulatorHost.User, Password = SimulatorHost.Password,
            BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5),
        });
    }

    /// <summary>Holds the n-th PEMS request until released, so a test knows a run is mid-flight without relying on timing.</summary>
    private sealed class GateHandler(int blockAt) : DelegatingHandler
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;
        public Task Entered => _entered.Task;
        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _count) == blockAt)
            {
                _entered.TrySetResult();
                await _release.Task;
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
