using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.Tests.Api;

namespace Pfa.Tests.Sso;

/// <summary>
/// Organizations administration against the real stack: PEMS's list from the simulator through the API, adding one
/// (the worker then syncs it in full on its own), duplicates and unknown codes refused, the schedule and status patched,
/// every change audited, and nobody but a system admin allowed. The schedule's effect: Sync/SyncScheduleTests.
/// </summary>
[Collection(SsoStackCollection.Name)]
public sealed class OrganizationsAdminTests(SsoStackFixture stack)
{
    [Fact]
    public async Task Admin_adds_an_organization_from_PEMS_and_the_worker_syncs_it()
    {
        using var admin = await stack.ApiAsAsync("admin");

        var pems = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/pems/organizations", Http.Ct))!;
        var byCode = pems.ToDictionary(o => o!["code"]!.GetValue<string>(), o => o!["added"]!.GetValue<bool>());
        Assert.True(byCode["RIO"]);
        Assert.False(byCode[SsoStackFixture.NewOrg]);

        // Case-insensitive code; the name is PEMS's description.
        var added = await (await admin.PostAsJsonAsync("/api/admin/organizations", new { code = SsoStackFixture.NewOrg.ToLowerInvariant() }, Http.Ct))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(SsoStackFixture.NewOrg, added["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(added["name"]!.GetValue<string>()));
        Assert.True(added["isActive"]!.GetValue<bool>() && added["syncEnabled"]!.GetValue<bool>());

        await (await admin.PostAsJsonAsync("/api/admin/organizations", new { code = SsoStackFixture.NewOrg }, Http.Ct)).JsonAsync(HttpStatusCode.Conflict);
        var unknown = await (await admin.PostAsJsonAsync("/api/admin/organizations", new { code = "NOSUCHORG" }, Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(unknown["errors"]!["code"]);
        var empty = await (await admin.PostAsJsonAsync("/api/admin/organizations", new { }, Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(empty["errors"]!["code"]);
        pems = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/pems/organizations", Http.Ct))!;
        Assert.True(pems.Single(o => o!["code"]!.GetValue<string>() == SsoStackFixture.NewOrg)!["added"]!.GetValue<bool>());

        // Nobody asks for it: the worker's next poll finds an organization that never ran and syncs it in full.
        var row = await WaitForAsync(admin, o => o["lastSyncStatus"]?.GetValue<string>() == "completed" && o["lineCount"]!.GetValue<long>() > 0);
        Assert.Equal("full", row["lastSyncKind"]!.GetValue<string>());
        Assert.Equal(SsoStackFixture.RecordsPerOrganization, await ScalarAsync<long>(
            "SELECT count(*) FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1 AND m.deleted_in_pems_at IS NULL", SsoStackFixture.NewOrg));

        var bad = await (await admin.PatchAsJsonAsync($"/api/admin/organizations/{SsoStackFixture.NewOrg}", new { syncIntervalMinutes = 3, serviceStatus = "gone" }, Http.Ct))
            .JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(bad["errors"]!["syncIntervalMinutes"]);
        Assert.NotNull(bad["errors"]!["serviceStatus"]);
        var patched = await (await admin.PatchAsJsonAsync($"/api/admin/organizations/{SsoStackFixture.NewOrg}",
            new { syncIntervalMinutes = 30, syncEnabled = false, serviceStatus = "suspended" }, Http.Ct)).JsonAsync();
        Assert.Equal((30, false, "suspended", true), (patched["syncIntervalMinutes"]!.GetValue<int>(), patched["syncEnabled"]!.GetValue<bool>(),
            patched["serviceStatus"]!.GetValue<string>(), patched["isActive"]!.GetValue<bool>()));
        await (await admin.PatchAsJsonAsync("/api/admin/organizations/NOSUCHORG", new { syncEnabled = true }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);

        Assert.Equal(2L, await ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE entity = 'organization' AND entity_id = $1 AND action IN ('organization.add', 'organization.update')", SsoStackFixture.NewOrg));
    }

    [Fact]
    public async Task Only_system_admins_manage_organizations()
    {
        using var pm = await stack.ApiAsAsync("pm");
        foreach (var response in new[]
        {
            await pm.GetAsync("/api/admin/organizations", Http.Ct),
            await pm.GetAsync("/api/admin/pems/organizations", Http.Ct),
            await pm.PostAsJsonAsync("/api/admin/organizations", new { code = SsoStackFixture.UiOrg }, Http.Ct),
            await pm.PatchAsJsonAsync("/api/admin/organizations/RIO", new { syncEnabled = false }, Http.Ct),
        })
        {
            using (response) await response.JsonAsync(HttpStatusCode.Forbidden);
        }
        using var anonymous = stack.Api();
        using var noToken = await anonymous.GetAsync("/api/admin/organizations", Http.Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
    }

    private async Task<JsonObject> WaitForAsync(HttpClient admin, Func<JsonObject, bool> done)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Http.Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(90));
        while (true)
        {
            var list = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/organizations", limit.Token))!;
            var row = list.Single(o => o!["code"]!.GetValue<string>() == SsoStackFixture.NewOrg)!.AsObject();
            if (done(row)) return row;
            await Task.Delay(300, limit.Token);
        }
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = stack.Db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }
}
