using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;

namespace Pfa.Tests.Sync;

/// <summary>
/// The sync as it runs: simulator, PostgreSQL, Redis, the worker as its own process, the API and the web, started by the
/// AppHost test entry point. Tests drive it only the way users and PEMS would: the API (trigger, drafts, commit, reads),
/// the simulator's wire and admin APIs, and signals to worker processes. SQL is used to observe, and to add the
/// organizations the demo seed does not have.
/// </summary>
[Collection(SyncStackCollection.Name)]
public sealed class SyncEndToEndTests(SyncStackFixture stack)
{
    private const string Admin = "admin";
    private static readonly PemsFieldMapping Mapping = PemsFieldMapping.Default;

    [Fact]
    public async Task Every_mapped_field_arrives_in_the_API_record_as_PEMS_has_it()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "RIO");
        var rows = await PemsRowsAsync("RIO");
        Assert.Equal(SyncStackFixture.RecordsPerOrganization, rows.Count + await DeletedInPemsAsync("RIO"));

        // A sample spread over the whole organization, every stored mapped field of each.
        var sample = rows.Values.OrderBy(r => r[CupfagGrid.PfaId], StringComparer.Ordinal).Where((_, i) => i % 80 == 0).ToList();
        var compared = 0;
        foreach (var row in sample) compared += await AssertApiMatchesPemsAsync(api, "RIO", row);
        Assert.Equal(sample.Count * ReadSyncTests.StoredRules(Mapping).Count, compared);
        Assert.True(sample.Count >= 20);
    }

    [Fact]
    public async Task A_second_sync_with_no_PEMS_change_writes_no_row_and_changes_no_version()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "RIO");
        var before = await MirrorRowVersionsAsync("RIO");
        var orgVersion = await OrgVersionAsync("RIO");
        var history = await stack.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror_history h JOIN organizations o ON o.id = h.organization_id WHERE o.code = $1", "RIO");

        var run = await TriggerAndWaitAsync(api, "RIO");

        Assert.Equal(("completed", 0, 0, 0, 0), (Str(run, "status"), Int(run, "inserted"), Int(run, "updated"), Int(run, "deleted"), Int(run, "rejected")));
        Assert.Equal(before, await MirrorRowVersionsAsync("RIO")); // same xmin and mirror_version on every row: nothing rewritten
        Assert.Equal(orgVersion, await OrgVersionAsync("RIO"));
        Assert.Equal(history, await stack.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror_history h JOIN organizations o ON o.id = h.organization_id WHERE o.code = $1", "RIO"));
    }

    [Fact]
    public async Task PEMS_edits_arrive_with_the_next_incremental_run_and_deletions_with_the_next_reconciliation()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "RIO");

        var edited = (await AdminAsync("mutate", "RIO", 6, seed: 41)).Distinct().ToList();
        var incremental = await TriggerAndWaitAsync(api, "RIO");

        Assert.Equal(("incremental", "completed", edited.Count, 0), (Str(incremental, "kind"), Str(incremental, "status"), Int(incremental, "updated"), Int(incremental, "deleted")));
        var rows = await PemsRowsAsync("RIO");
        foreach (var id in edited) await AssertApiMatchesPemsAsync(api, "RIO", rows[id]);

        var deleted = (await AdminAsync("delete", "RIO", 3, seed: 42)).Distinct().ToList();
        var quiet = await TriggerAndWaitAsync(api, "RIO");
        Assert.Equal(("incremental", 0), (Str(quiet, "kind"), Int(quiet, "deleted"))); // an incremental read cannot see a deletion
        // The daily reconciliation becomes due (as if a day had passed since the last one).
        await using (var due = stack.Db.CreateCommand("UPDATE organizations SET last_full_sync_at = now() - interval '2 days' WHERE code = 'RIO'"))
            await due.ExecuteNonQueryAsync(Http.Ct);
        var full = await TriggerAndWaitAsync(api, "RIO");

        Assert.Equal(("full", "completed", deleted.Count, 0), (Str(full, "kind"), Str(full, "status"), Int(full, "deleted"), Int(full, "updated")));
        foreach (var id in deleted)
        {
            using var gone = await api.GetAsync($"/api/orgs/RIO/pfa/{id}", Http.Ct);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        // Tombstoned, not hard-deleted: a line with drafts keeps its row.
        Assert.Equal(deleted.Count, await stack.ScalarAsync<long>(
            "SELECT count(*) FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = 'RIO' AND m.pfa_id = ANY($1) AND m.deleted_in_pems_at IS NOT NULL", (object)deleted.ToArray()));
    }

    [Fact]
    public async Task A_draft_committed_through_the_API_reaches_PEMS_with_exactly_its_fields_and_the_line_ends_synced()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "PORTARTHUR");
        var (pfaId, rate) = await FreeRentalLineAsync("PORTARTHUR", offset: 10);
        var pems = stack.Pems();
        var writable = PemsWriteMapping.Default.Rules.Select(r => r.Target).Where(PemsWriteMapping.EditableFields.Contains).ToList();
        var before = PemsWriteMapping.Default.FromUds(await pems.GetRecordAsync("PORTARTHUR", pfaId, Http.Ct), writable);
        var newRate = rate + 321.25m;

        await SaveDraftAsync(api, "PORTARTHUR", pfaId, new JsonObject { ["monthlyRate"] = newRate, ["forecastEnd"] = "2031-03-15" });
        var commit = await PostAsync(api, "/api/orgs/PORTARTHUR/commit", new { });
        Assert.Equal((1, 0), (Int(commit, "committed"), Int(commit, "conflicts")));

        Assert.Equal(("synced", "done"), await SettledStateAsync("PORTARTHUR", pfaId));
        var after = PemsWriteMapping.Default.FromUds(await pems.GetRecordAsync("PORTARTHUR", pfaId, Http.Ct), writable);
        Assert.Equal(newRate, after["monthlyRate"]);
        Assert.Equal(new DateOnly(2031, 3, 15), after["forecastEnd"]);
        foreach (var field in writable.Except(["monthlyRate", "forecastEnd"]))
            Assert.True(Equals(before[field], after[field]), $"{field} changed in PEMS: {before[field]} → {after[field]}");
        // The mirror line was refreshed from PEMS: the API's base (PEMS's side) now holds the written values.
        var detail = await GetAsync(api, $"/api/orgs/PORTARTHUR/pfa/{pfaId}");
        Assert.Equal(newRate, detail["base"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("2031-03-15", Str(detail["base"]!, "forecastEnd"));
    }

    [Fact]
    public async Task A_committed_new_line_is_added_to_PEMS_once_even_when_the_ADD_answer_is_lost_and_takes_PEMS_id()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "PORTARTHUR");
        var description = $"E2E crane {Guid.NewGuid():N}"[..22];
        var created = await PostAsync(api, "/api/orgs/PORTARTHUR/pfa/new", new
        {
            count = 1, description, category = "02036", @class = "02", source = "Rental", dor = "PROJECT", areaSilo = "SILO-E2E",
            forecastStart = "2031-01-01", forecastEnd = "2031-03-01", monthlyRate = 4321.5m,
        });
        var provisional = created["pfaIds"]![0]!.GetValue<string>();
        var modification = (await stack.ListAsync("SELECT d.id FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id WHERE m.pfa_id = $1",
            r => r.GetGuid(0), provisional)).Single();

        // PEMS applies the ADD but its answer is cut mid-JSON: the worker cannot know the line exists.
        using (var admin = stack.SimulatorAdmin())
            (await admin.PostAsJsonAsync("/admin/faults/queue", new[] { "truncate" }, Http.Ct)).EnsureSuccessStatusCode();
        var commit = await PostAsync(api, "/api/orgs/PORTARTHUR/commit", new { });
        Assert.Equal(1, Int(commit, "committed"));
        const string state = "SELECT d.state, x.status, x.attempts FROM pfa_modification d JOIN pfa_outbox x ON x.modification_id = d.id WHERE d.id = $1";
        await SyncStackFixture.WaitUntilAsync(async () => (await stack.ListAsync(state, r => (r.GetString(0), r.GetInt32(2)), modification)).Single() is ("queued", 1),
            "the lost ADD answer to be rescheduled");
        // Skip the back-off (30 s) instead of waiting for it.
        await stack.ScalarAsync<int>("WITH u AS (UPDATE pfa_outbox SET next_attempt_at = now() WHERE modification_id = $1 RETURNING 1) SELECT count(*)::int FROM u", modification);
        await SyncStackFixture.WaitUntilAsync(async () => (await stack.ListAsync(state, r => r.GetString(0), modification)).Single() is not ("committed" or "queued" or "syncing"),
            "the retried write-back of the new line");
        Assert.Equal(("synced", "done"), (await stack.ListAsync(state, r => (r.GetString(0), r.GetString(1)), modification)).Single());

        // Exactly one line in PEMS, and the mirror row now carries PEMS's id, visible to the organization.
        var pems = stack.Pems();
        var inPems = await pems.ReadGridPageAsync("PORTARTHUR", new GridQuery { Filters = [new() { AliasName = "description", Operator = "CONTAINS", Value = description }] }, 0, Http.Ct);
        var row = Assert.Single(inPems.Rows);
        var pfsId = row[CupfagGrid.PfaId]!;
        Assert.DoesNotContain("NEW-", pfsId);
        Assert.Equal((pfsId, false), (await stack.ListAsync("SELECT m.pfa_id, m.new_line_owner IS NOT NULL FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id WHERE d.id = $1",
            r => (r.GetString(0), r.GetBoolean(1)), modification)).Single());
        var detail = await GetAsync(api, $"/api/orgs/PORTARTHUR/pfa/{pfsId}");
        Assert.Equal(4321.5m, detail["base"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("2031-03-01", Str(detail["base"]!, "forecastEnd"));
        Assert.Equal("SILO-E2E", Str(detail["base"]!, "areaSilo"));
        using (var missing = await api.GetAsync($"/api/orgs/PORTARTHUR/pfa/{provisional}", Http.Ct))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_PEMS_edit_to_the_same_field_before_the_write_back_is_a_conflict_and_PEMS_keeps_its_value()
    {
        await EnsureWorkerAsync();
        using var api = await stack.ApiAsUserAsync(Admin);
        await TriggerAndWaitAsync(api, "PORTARTHUR");
        var (pfaId, rate) = await FreeRentalLineAsync("PORTARTHUR", offset: 20);
        var pems = stack.Pems();

        await SaveDraftAsync(api, "PORTARTHUR", pfaId, new JsonObject { ["monthlyRate"] = rate + 1m });
        // Someone changes the same field in PEMS; the mirror has not seen it, so the commit passes and the write-back must catch it.
        await pems.UpdateRecordAsync("PORTARTHUR", pfaId, PemsWriteMapping.Default.ToUds(new Dictionary<string, object?> { ["monthlyRate"] = rate + 999m }), Http.Ct);
        var commit = await PostAsync(api, "/api/orgs/PORTARTHUR/commit", new { });
        Assert.Equal((1, 0), (Int(commit, "committed"), Int(commit, "conflicts")));

        Assert.Equal(("conflict", "failed"), await SettledStateAsync("PORTARTHUR", pfaId));
        Assert.Equal(["monthlyRate"], await stack.ListAsync(
            "SELECT unnest(d.conflict_fields) FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id JOIN organizations o ON o.id = d.organization_id WHERE o.code = $1 AND m.pfa_id = $2",
            r => r.GetString(0), "PORTARTHUR", pfaId));
        Assert.Equal(rate + 999m, PemsWriteMapping.Default.FromUds(await pems.GetRecordAsync("PORTARTHUR", pfaId, Http.Ct), ["monthlyRate"])["monthlyRate"]);
    }

    [Fact]
    public async Task A_worker_killed_mid_sync_leaves_a_consistent_mirror_that_a_restarted_worker_completes()
    {
        await EnsureWorkerAsync();
        const string org = SyncStackFixture.KillOrg;
        await AddOrganizationAsync(org);
        using var api = await stack.ApiAsUserAsync(Admin);
        await SetLatencyAsync(150); // 20 pages of 100: a run long enough to be killed in the middle
        try
        {
            await EnableSyncAsync(org);
            await SyncStackFixture.WaitUntilAsync(async () => await MirrorCountAsync(org) >= 3 * SyncStackFixture.PageSize, "three committed pages");
            // SIGKILL every worker: the one running the org gets no chance to clean up.
            var killed = stack.LiveWorkerPids();
            foreach (var pid in killed) Signal(pid, 9);
            foreach (var pid in killed) Assert.True(await Infrastructure.ProcessInspector.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await SetLatencyAsync(0);
        }

        var partial = await MirrorCountAsync(org);
        Assert.InRange(partial, 3 * SyncStackFixture.PageSize, SyncStackFixture.RecordsPerOrganization - 1);
        Assert.Equal(0, partial % SyncStackFixture.PageSize); // whole pages only: one transaction per batch
        await AssertMirrorRowsMatchPemsAsync(org, expectComplete: false);
        Assert.Equal(["running"], await stack.ListAsync("SELECT l.status FROM sync_log l JOIN organizations o ON o.id = l.organization_id WHERE o.code = $1", r => r.GetString(0), org));
        Assert.True(await stack.ScalarAsync<bool>("SELECT last_incremental_sync_at IS NULL FROM organizations WHERE code = $1", org)); // watermark untouched

        await stack.StartExtraWorker().WaitUntilStartedAsync();
        var run = await TriggerAndWaitAsync(api, org);

        Assert.Equal(("full", "completed", SyncStackFixture.RecordsPerOrganization), (Str(run, "kind"), Str(run, "status"), Int(run, "fetched")));
        Assert.Equal(SyncStackFixture.RecordsPerOrganization - partial, Int(run, "inserted"));
        Assert.Equal(SyncStackFixture.RecordsPerOrganization, await MirrorCountAsync(org));
        await AssertMirrorRowsMatchPemsAsync(org, expectComplete: true);
        var killedRun = (await stack.ListAsync("SELECT l.status, l.error_message FROM sync_log l JOIN organizations o ON o.id = l.organization_id WHERE o.code = $1 AND l.id <> $2",
            r => (r.GetString(0), r.GetString(1)), org, Long(run, "id"))).Single();
        Assert.Equal("failed", killedRun.Item1);
        Assert.StartsWith("Interrupted", killedRun.Item2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_worker_processes_never_sync_one_organization_at_once_the_second_skips_it()
    {
        while (stack.LiveWorkerPids().Count < 2) await stack.StartExtraWorker().WaitUntilStartedAsync();
        const string org = SyncStackFixture.TwinOrg;
        await AddOrganizationAsync(org);
        using var api = await stack.ApiAsUserAsync(Admin);
        var skipped = $"Sync of {org} skipped: another worker holds it";
        await SetLatencyAsync(200); // a run of several seconds, so the other worker polls while it holds the lock
        try
        {
            await EnableSyncAsync(org);
            await SyncStackFixture.WaitUntilAsync(async () => await stack.ScalarAsync<long>(
                "SELECT count(*) FROM sync_log l JOIN organizations o ON o.id = l.organization_id WHERE o.code = $1 AND l.status = 'running'", org) == 1, "a run of the organization");
            // A manual request while one worker runs the org: the idle worker picks it up, cannot take the lock, and skips.
            await PostAsync(api, $"/api/orgs/{org}/sync/trigger", new { });
            await SyncStackFixture.WaitUntilAsync(() => Task.FromResult(stack.WorkerLogs().Contains(skipped, StringComparison.Ordinal)), "a worker skipping the busy organization", explain: stack.WorkerLogs);
        }
        finally
        {
            await SetLatencyAsync(0);
        }
        await SyncStackFixture.WaitUntilAsync(async () => await stack.ScalarAsync<long>(
            "SELECT count(*) FROM sync_log l JOIN organizations o ON o.id = l.organization_id WHERE o.code = $1 AND l.status IN ('requested', 'running')", org) == 0, "every run of the organization to finish");

        var runs = await stack.ListAsync("SELECT l.status, l.started_at, l.completed_at FROM sync_log l JOIN organizations o ON o.id = l.organization_id WHERE o.code = $1 ORDER BY l.started_at",
            r => (Status: r.GetString(0), Start: r.GetFieldValue<DateTimeOffset>(1), End: r.GetFieldValue<DateTimeOffset>(2)), org);
        Assert.True(runs.Count >= 2, $"{runs.Count} run(s)");
        Assert.All(runs, r => Assert.Equal("completed", r.Status));
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].Start >= runs[i - 1].End, $"run {i} started at {runs[i].Start:O} before run {i - 1} ended at {runs[i - 1].End:O}");
        Assert.Equal(SyncStackFixture.RecordsPerOrganization, await MirrorCountAsync(org));
    }

    // ---- helpers ----

    private async Task EnsureWorkerAsync()
    {
        if (stack.LiveWorkerPids().Count == 0) await stack.StartExtraWorker().WaitUntilStartedAsync();
    }

    /// <summary>Requests a sync through the API and waits for the worker to finish it; returns the run as the API's history shows it.</summary>
    private async Task<JsonObject> TriggerAndWaitAsync(HttpClient api, string org)
    {
        var request = await PostAsync(api, $"/api/orgs/{org}/sync/trigger", new { });
        var id = Long(request, "requestId");
        await SyncStackFixture.WaitUntilAsync(async () => await stack.ScalarAsync<string>("SELECT status FROM sync_log WHERE id = $1", id) is "completed" or "failed",
            $"sync request {id} of {org}");
        var status = await GetAsync(api, $"/api/orgs/{org}/sync");
        return status["history"]!.AsArray().Select(h => h!.AsObject()).Single(h => Long(h, "id") == id);
    }

    private async Task<Dictionary<string, GridRow>> PemsRowsAsync(string org)
    {
        var rows = new Dictionary<string, GridRow>(StringComparer.Ordinal);
        await foreach (var page in stack.Pems().ReadGridPagesAsync(org, new GridQuery { KeysetPaging = true }, Http.Ct))
            foreach (var row in page.Rows) rows[row[CupfagGrid.PfaId]!] = row;
        return rows;
    }

    private Task<long> DeletedInPemsAsync(string org) => stack.ScalarAsync<long>(
        "SELECT count(*) FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1 AND m.deleted_in_pems_at IS NOT NULL", org);

    /// <summary>Every stored mapped field of the API's merged record equals the value derived from PEMS's raw cell; returns how many were compared.</summary>
    private static async Task<int> AssertApiMatchesPemsAsync(HttpClient api, string org, GridRow row)
    {
        var id = row[CupfagGrid.PfaId]!;
        var detail = await GetAsync(api, $"/api/orgs/{org}/pfa/{id}");
        var merged = detail["merged"]!.AsObject();
        var compared = 0;
        foreach (var rule in ReadSyncTests.StoredRules(Mapping))
        {
            var cell = row[rule.Source];
            var expected = ReadSyncTests.Expected(rule, string.IsNullOrWhiteSpace(cell) ? rule.Default : cell, Mapping);
            var actual = merged[ReadSyncTests.JsonKey(rule.Target)];
            Assert.True(SameValue(expected, actual), $"{org}/{id} {rule.Target}: PEMS '{cell}' → expected {expected?.ToJsonString() ?? "null"}, API {actual?.ToJsonString() ?? "null"}");
            compared++;
        }
        Assert.Equal(row[CupfagGrid.LastModified], Str(detail, "pemsVersion"));
        return compared;
    }

    /// <summary>Each mirror row's content hash is the hash of PEMS's current record: no row is half-written or stale.</summary>
    private async Task AssertMirrorRowsMatchPemsAsync(string org, bool expectComplete)
    {
        var normalizer = new PemsRowNormalizer(Mapping);
        var pems = (await PemsRowsAsync(org)).Values.Select(r => MirrorRecord.From(normalizer.Normalize(r))).ToDictionary(r => r.PfaId, r => Convert.ToHexString(r.ContentHash));
        var mirror = await stack.ListAsync("SELECT m.pfa_id, m.content_hash FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1",
            r => (r.GetString(0), Convert.ToHexString(r.GetFieldValue<byte[]>(1))), org);
        foreach (var (id, hash) in mirror) Assert.True(pems.TryGetValue(id, out var expected) && expected == hash, $"{org}/{id} differs from PEMS");
        if (expectComplete) Assert.Equal(pems.Count, mirror.Count);
    }

    private Task<List<(string, string, int)>> MirrorRowVersionsAsync(string org) => stack.ListAsync(
        "SELECT m.pfa_id, m.xmin::text, m.mirror_version FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1 ORDER BY m.pfa_id",
        r => (r.GetString(0), r.GetString(1), r.GetInt32(2)), org);

    private Task<long> OrgVersionAsync(string org) => stack.ScalarAsync<long>("SELECT mirror_version FROM organizations WHERE code = $1", org);

    private Task<long> MirrorCountAsync(string org) => stack.ScalarAsync<long>(
        "SELECT count(*) FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1", org);

    /// <summary>A live, not actualized rental line with no open change by anyone, different per test through the offset.</summary>
    private async Task<(string PfaId, decimal Rate)> FreeRentalLineAsync(string org, int offset) =>
        (await stack.ListAsync("""
            SELECT m.pfa_id, m.monthly_rate FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id
            WHERE o.code = $1 AND m.deleted_in_pems_at IS NULL AND NOT m.is_actualized AND NOT m.is_discontinued AND m.source = 'Rental'
              AND NOT EXISTS (SELECT 1 FROM pfa_modification d WHERE d.mirror_id = m.id)
            ORDER BY m.pfa_id OFFSET $2 LIMIT 1
            """, r => (r.GetString(0), r.GetDecimal(1)), org, offset)).Single();

    /// <summary>Waits until the worker has settled the line's committed delta; returns (delta state, outbox status).</summary>
    private async Task<(string, string)> SettledStateAsync(string org, string pfaId)
    {
        const string sql = """
            SELECT d.state, x.status FROM pfa_modification d JOIN pfa_outbox x ON x.modification_id = d.id
            JOIN pfa_mirror m ON m.id = d.mirror_id JOIN organizations o ON o.id = d.organization_id
            WHERE o.code = $1 AND m.pfa_id = $2
            """;
        await SyncStackFixture.WaitUntilAsync(async () => (await stack.ListAsync(sql, r => r.GetString(0), org, pfaId)).Single() is not ("committed" or "queued" or "syncing"),
            $"the write-back of {org}/{pfaId}");
        return (await stack.ListAsync(sql, r => (r.GetString(0), r.GetString(1)), org, pfaId)).Single();
    }

    private static async Task SaveDraftAsync(HttpClient api, string org, string pfaId, JsonObject changes)
    {
        var saved = await PostAsync(api, $"/api/orgs/{org}/drafts", new { items = new[] { new { pfaId, changes } } });
        Assert.True(Int(saved, "saved") == 1, saved.ToJsonString());
    }

    /// <summary>An organization the demo seed lacks, sync off until <see cref="EnableSyncAsync"/>; the demo admin is its Admin.</summary>
    private async Task AddOrganizationAsync(string code)
    {
        await using var cmd = stack.Db.CreateCommand("""
            WITH o AS (
              INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version)
              VALUES (gen_random_uuid(), $1, $1, true, false, 'active', 1) RETURNING id
            )
            INSERT INTO memberships (user_id, organization_id, role, draft_version) SELECT u.id, o.id, 'Admin', 0 FROM users u, o WHERE u.username = 'admin'
            """);
        cmd.Parameters.AddWithValue(code);
        await cmd.ExecuteNonQueryAsync(Http.Ct);
    }

    private async Task EnableSyncAsync(string code)
    {
        await using var cmd = stack.Db.CreateCommand("UPDATE organizations SET sync_enabled = true WHERE code = $1");
        cmd.Parameters.AddWithValue(code);
        await cmd.ExecuteNonQueryAsync(Http.Ct);
    }

    private async Task SetLatencyAsync(int ms)
    {
        using var admin = stack.SimulatorAdmin();
        using var response = await admin.PutAsJsonAsync("/admin/faults", new { latencyMs = ms }, Http.Ct);
        response.EnsureSuccessStatusCode();
    }

    private async Task<List<string>> AdminAsync(string action, string org, int count, int seed)
    {
        using var admin = stack.SimulatorAdmin();
        using var response = await admin.PostAsync($"/admin/{action}?organization={org}&count={count}&seed={seed}", null, Http.Ct);
        response.EnsureSuccessStatusCode();
        return [.. (await response.Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!.Select(n => n!["pfaId"]!.GetValue<string>())];
    }

    private static void Signal(int pid, int signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task<JsonObject> PostAsync(HttpClient api, string path, object body)
    {
        using var response = await api.PostAsJsonAsync(path, body, Http.Ct);
        var text = await response.Content.ReadAsStringAsync(Http.Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<JsonObject> GetAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path, Http.Ct);
        var text = await response.Content.ReadAsStringAsync(Http.Ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static string? Str(JsonNode o, string name) => o[name]?.GetValue<string>();
    private static int Int(JsonNode o, string name) => o[name]!.GetValue<int>();
    private static long Long(JsonNode o, string name) => o[name]!.GetValue<long>();

    /// <summary>JSON equality where 100 and 100.00 are one number.</summary>
    private static bool SameValue(JsonNode? a, JsonNode? b)
    {
        bool IsNull(JsonNode? n) => n is null || n.GetValueKind() == JsonValueKind.Null;
        if (IsNull(a) || IsNull(b)) return IsNull(a) && IsNull(b);
        if (a!.GetValueKind() == JsonValueKind.Number && b!.GetValueKind() == JsonValueKind.Number) return a.GetValue<decimal>() == b.GetValue<decimal>();
        return JsonNode.DeepEquals(a, b);
    }
}
