using System.Net;
using System.Net.Http.Json;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

[Collection(InfrastructureCollection.Name)]
public sealed class WorkflowTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private Guid _orgId;
    private HttpClient _pm = null!, _viewer = null!;
    private string _pmName = "";

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("W");
        _orgId = await _host.CreateOrgAsync(_org);
        _pmName = ApiHost.Unique("pm").ToLowerInvariant(); var v = ApiHost.Unique("vw").ToLowerInvariant();
        await _host.CreateUserAsync(_pmName, (_orgId, "PortfolioManager"));
        await _host.CreateUserAsync(v, (_orgId, "Viewer"));
        await _host.UpsertMirrorAsync(_orgId, Enumerable.Range(1, 4).Select(i => Lines.Rental($"{4000 + i}")).ToArray());
        _pm = await _host.LoginAsync(_pmName);
        _viewer = await _host.LoginAsync(v);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task Draft(string pfaId, object changes) =>
        await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId, changes } } }, Http.Ct)).JsonAsync();

    [Fact]
    public async Task Conflicts_can_be_listed_and_resolved_per_field()
    {
        await Draft("4001", new { forecastEnd = "2025-04-01", monthlyRate = 5000 });
        await Draft("4002", new { forecastEnd = "2025-04-01" });
        await _host.UpsertMirrorAsync(_orgId,
            Lines.Rental("4001") with { ForecastEnd = Lines.D("2025-03-20"), MonthlyRate = 4500m, PemsVersion = "v2" },
            Lines.Rental("4002") with { ForecastEnd = Lines.D("2025-03-20"), PemsVersion = "v2" });
        var commit = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(2, commit["conflicts"]!.GetValue<int>());

        var list = await (await _pm.GetAsync($"/api/orgs/{_org}/conflicts", Http.Ct)).Content.ReadFromJsonAsync<List<ConflictItem>>(ApiHost.Json, Http.Ct);
        var c1 = list!.Single(c => c.PfaId == "4001");
        Assert.Equal(["forecastEnd", "monthlyRate"], c1.Fields.Order());
        Assert.Equal("2025-03-20", c1.Pems["forecastEnd"]!.ToString());

        // Keep my rate, take PEMS's end date: one field re-queued.
        var merged = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/conflicts/4001/resolve", new { strategy = "Merge", keepMine = new[] { "monthlyRate" } }, Http.Ct)).JsonAsync();
        Assert.Equal("requeued", merged["outcome"]!.GetValue<string>());
        var taken = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/conflicts/4002/resolve", new { strategy = "TakePems" }, Http.Ct)).JsonAsync();
        Assert.Equal("dropped", taken["outcome"]!.GetValue<string>());

        var d1 = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/4001", Http.Ct)).JsonAsync();
        Assert.Equal("committed", d1["draftState"]!.GetValue<string>());
        Assert.Equal(["monthlyRate"], d1["myDelta"]!["changes"]!.AsObject().Select(k => k.Key));
        Assert.Equal(5000m, d1["merged"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("2025-03-20", d1["merged"]!["forecastEnd"]!.GetValue<string>());
        var d2 = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/4002", Http.Ct)).JsonAsync();
        Assert.Equal("pristine", d2["draftState"]!.GetValue<string>());
        Assert.NotEmpty(d2["history"]!.AsArray());
    }

    [Fact]
    public async Task Export_lists_changed_lines_in_the_forecast_layout()
    {
        await Draft("4003", new { forecastStart = "2025-01-10", forecastEnd = "2025-02-10" });
        var csv = await _pm.GetStringAsync($"/api/orgs/{_org}/export/forecast.csv", Http.Ct);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("PFA ID,Start Date,End Date,Monthly Rate", lines[0]);
        Assert.Contains("4003,2025-01-10,2025-02-10,3044", lines);
    }

    [Fact]
    public async Task Sync_trigger_is_for_managers_and_is_idempotent()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await _viewer.PostAsync($"/api/orgs/{_org}/sync/trigger", null, Http.Ct)).StatusCode);
        var first = await (await _pm.PostAsync($"/api/orgs/{_org}/sync/trigger", null, Http.Ct)).JsonAsync();
        var second = await (await _pm.PostAsync($"/api/orgs/{_org}/sync/trigger", null, Http.Ct)).JsonAsync();
        Assert.Equal(first["requestId"]!.GetValue<long>(), second["requestId"]!.GetValue<long>());
        Assert.True(second["alreadyRequested"]!.GetValue<bool>());
        var status = await (await _viewer.GetAsync($"/api/orgs/{_org}/sync", Http.Ct)).JsonAsync();
        Assert.Equal(4, status["mirrorLines"]!.GetValue<long>());
        Assert.Equal("requested", status["history"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Timeline_and_me()
    {
        var t = await (await _viewer.GetAsync($"/api/orgs/{_org}/timeline?includeDrafts=false", Http.Ct)).JsonAsync();
        Assert.Equal("2025-01-01", t["minForecastStart"]!.GetValue<string>());
        var me = await (await _pm.GetAsync("/api/me", Http.Ct)).JsonAsync();
        Assert.Equal(_pmName, me["username"]!.GetValue<string>());
        Assert.Equal("PortfolioManager", me["organizations"]![0]!["role"]!.GetValue<string>());
    }

    private sealed record ConflictItem(string PfaId, string[] Fields, System.Text.Json.Nodes.JsonObject Mine, System.Text.Json.Nodes.JsonObject Base, System.Text.Json.Nodes.JsonObject Pems);
}
