using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>Line history (PEMS versions + committed changes) and restoring a version as an undoable draft.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LineHistoryTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private Guid _orgId;
    private string _org = "";
    private HttpClient _pm = null!, _viewer = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("H");
        _orgId = await _host.CreateOrgAsync(_org);
        var pm = ApiHost.Unique("pm").ToLowerInvariant();
        var viewer = ApiHost.Unique("vw").ToLowerInvariant();
        await _host.CreateUserAsync(pm, (_orgId, "PortfolioManager"));
        await _host.CreateUserAsync(viewer, (_orgId, "Viewer"));
        // Three PEMS versions of 7001: rate 1000 → 1500 → 2000 (dates move with the second).
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("7001", rate: 1000m), Lines.Rental("7002"));
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("7001", rate: 1500m) with { ForecastEnd = Lines.D("2025-04-01"), PemsVersion = "v2" });
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("7001", rate: 2000m) with { ForecastEnd = Lines.D("2025-04-01"), PemsVersion = "v3" });
        // 7003 was discontinued in PEMS after version 1: the domain never reinstates a discontinued line.
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("7003"));
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("7003") with { IsDiscontinued = true, PemsVersion = "v2" });
        _pm = await _host.LoginAsync(pm);
        _viewer = await _host.LoginAsync(viewer);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<JsonObject> History(HttpClient c, string pfaId) =>
        await (await c.GetAsync($"/api/orgs/{_org}/pfa/{pfaId}/history", Http.Ct)).JsonAsync();

    private async Task<JsonObject> Line(HttpClient c, string pfaId) =>
        (await (await c.GetAsync($"/api/orgs/{_org}/pfa?limit=1000", Http.Ct)).JsonAsync())["items"]!.AsArray()
        .Single(i => i!["pfaId"]!.GetValue<string>() == pfaId)!.AsObject();

    [Fact]
    public async Task History_lists_pems_versions_and_committed_changes_side_by_side()
    {
        // A committed change of 7002 by the PM shows in its history (with the PM's name), drafts do not.
        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "7002", changes = new { monthlyRate = 4000 } } } }, Http.Ct)).JsonAsync();
        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct)).JsonAsync();
        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "7002", changes = new { dor = "BEO" } } } }, Http.Ct)).JsonAsync(HttpStatusCode.OK);

        var h1 = await History(_viewer, "7001");
        Assert.Equal(3, h1["currentVersion"]!.GetValue<int>());
        var versions = h1["entries"]!.AsArray().Where(e => e!["kind"]!.GetValue<string>() == "version").ToList();
        Assert.Equal([3, 2, 1], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.True(versions[0]!["isCurrent"]!.GetValue<bool>());
        Assert.Equal(1000m, versions[2]!["record"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Contains(versions[1]!["fields"]!.AsArray(), f => f!["field"]!.GetValue<string>() == "forecastEnd");

        var h2 = await History(_viewer, "7002");
        var change = Assert.Single(h2["entries"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "change")!;
        Assert.Equal("committed", change["state"]!.GetValue<string>());
        Assert.StartsWith("pm", change["who"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var field = Assert.Single(change["fields"]!.AsArray())!;
        Assert.Equal("monthlyRate", field["field"]!.GetValue<string>());
        Assert.Equal(3044m, field["from"]!.GetValue<decimal>());
        Assert.Equal(4000m, field["to"]!.GetValue<decimal>());
        // Sorted by time, newest first.
        var times = h2["entries"]!.AsArray().Select(e => e!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);

        await (await _viewer.GetAsync($"/api/orgs/{_org}/pfa/NOPE/history", Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Restore_creates_an_undoable_draft_of_the_old_values_only_where_they_differ()
    {
        var restore = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/pfa/7001/history/1/restore", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(["forecastEnd", "monthlyRate"], restore["fields"]!.AsArray().Select(f => f!.GetValue<string>()));

        var line = await Line(_pm, "7001");
        Assert.Equal("draft", line["draftState"]!.GetValue<string>());
        Assert.Equal(1000m, line["record"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("2025-03-02", line["record"]!["forecastEnd"]!.GetValue<string>());
        Assert.Equal(2000m, line["baseValues"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("Restore 7001 to version 1", (await (await _pm.GetAsync($"/api/orgs/{_org}/drafts/history", Http.Ct)).JsonAsync())["undoLabel"]!.GetValue<string>());

        // Never PEMS: nothing queued.
        await using (var cmd = _host.Db.CreateCommand("SELECT count(*) FROM pfa_outbox o JOIN organizations g ON g.id = o.organization_id WHERE g.code = $1"))
        {
            cmd.Parameters.AddWithValue(_org);
            Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync(Http.Ct))!);
        }

        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync();
        line = await Line(_pm, "7001");
        Assert.Equal("pristine", line["draftState"]!.GetValue<string>());
        Assert.Equal(2000m, line["record"]!["monthlyRate"]!.GetValue<decimal>());

        // Restoring the current version changes nothing; a viewer may not restore; an unknown version is a 404.
        Assert.Empty((await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/pfa/7001/history/3/restore", new { }, Http.Ct)).JsonAsync())["fields"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await _viewer.PostAsJsonAsync($"/api/orgs/{_org}/pfa/7001/history/1/restore", new { }, Http.Ct)).StatusCode);
        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/pfa/7001/history/9/restore", new { }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Restoring_a_version_the_rules_refuse_is_a_400_naming_the_field_and_leaves_no_draft()
    {
        var problem = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/pfa/7003/history/1/restore", new { }, Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["isDiscontinued"]);
        Assert.Equal("pristine", (await Line(_pm, "7003"))["draftState"]!.GetValue<string>());
    }
}
