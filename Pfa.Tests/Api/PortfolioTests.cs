using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>The BEO analysts' cross-organization view: every organization's committed figures, alerts, and who may see it.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class PortfolioTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _home = "", _over = "", _onPlan = "";
    private Guid _overId, _onPlanId;
    private PfaRecord[] _overLines = [], _onPlanLines = [];
    private HttpClient _beo = null!, _editor = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        (_home, _over, _onPlan) = (ApiHost.Unique("PH"), ApiHost.Unique("PO"), ApiHost.Unique("PP"));
        var homeId = await _host.CreateOrgAsync(_home);
        _overId = await _host.CreateOrgAsync(_over);
        _onPlanId = await _host.CreateOrgAsync(_onPlan);
        // The analyst is a member of one organization only; the editor is a member of the over-plan one.
        var beo = ApiHost.Unique("beo").ToLowerInvariant(); var editor = ApiHost.Unique("ed").ToLowerInvariant();
        await _host.CreateUserAsync(beo, (homeId, "BeoAnalyst"));
        await _host.CreateUserAsync(editor, (_overId, "Editor"));

        // Forecast windows twice the plan: far over plan. One discontinued line must not count.
        _overLines = Enumerable.Range(1, 12).Select(i => Lines.Rental($"{7100 + i}", rate: 1500m + i * 11m) with
        {
            Source = i % 4 == 0 ? PfaSource.Purchase : PfaSource.Rental, PurchasePrice = 20_000m + i,
            IsDiscontinued = i == 5,
        }).ToArray();
        _onPlanLines = Enumerable.Range(1, 6).Select(i => Lines.Rental($"{7200 + i}", rate: 900m) with
        {
            ForecastStart = Lines.D("2025-01-01"), ForecastEnd = Lines.D("2025-01-31"),
        }).ToArray();
        await _host.UpsertMirrorAsync(_overId, _overLines);
        await _host.UpsertMirrorAsync(_onPlanId, _onPlanLines);
        await using (var log = _host.Db.CreateCommand("""
            INSERT INTO sync_log (organization_id, direction, kind, status, started_at, completed_at, error_message,
                                  fetched, inserted, updated, unchanged, deleted, rejected)
            SELECT org, 'read', kind, status, now() - age, now() - age, error, 0, 0, 0, 0, 0, 0
            FROM (VALUES ($1, 'full', 'completed', interval '2 hours', NULL),
                         ($2, 'full', 'completed', interval '3 hours', NULL),
                         ($2, 'incremental', 'failed', interval '1 hour', 'PEMS returned 503')) v(org, kind, status, age, error)
            """))
        {
            log.Parameters.AddWithValue(_onPlanId);
            log.Parameters.AddWithValue(_overId);
            await log.ExecuteNonQueryAsync(Http.Ct);
        }
        _beo = await _host.LoginAsync(beo);
        _editor = await _host.LoginAsync(editor);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<JsonObject> PortfolioAsync(HttpClient c) => await (await c.GetAsync("/api/portfolio/kpis", Http.Ct)).JsonAsync();

    private static JsonObject Org(JsonObject portfolio, string code) =>
        portfolio["organizations"]!.AsArray().Single(o => o!["code"]!.GetValue<string>() == code)!.AsObject();

    private static void AssertFigures(LineCost expected, int lines, JsonNode actual)
    {
        Assert.Equal(expected.Plan, actual["plan"]!.GetValue<decimal>());
        Assert.Equal(expected.Forecast, actual["forecast"]!.GetValue<decimal>());
        Assert.Equal(expected.Actual, actual["actual"]!.GetValue<decimal>());
        Assert.Equal(lines, actual["lines"]!.GetValue<long>());
    }

    [Fact]
    public async Task Analyst_sees_organizations_she_is_not_a_member_of_with_figures_from_the_domain_rules()
    {
        var portfolio = await PortfolioAsync(_beo);

        var expected = KpiTotals.Compute(_overLines);
        var over = Org(portfolio, _over);
        AssertFigures(expected.Total, expected.LineCount, over["total"]!);
        AssertFigures(expected.Rental, _overLines.Count(l => l.Source == PfaSource.Rental && CostRules.CountsInKpis(l)), over["rental"]!);
        AssertFigures(expected.Purchase, _overLines.Count(l => l.Source == PfaSource.Purchase && CostRules.CountsInKpis(l)), over["purchase"]!);
        var home = Org(portfolio, _home);
        Assert.Equal(0, home["total"]!["lines"]!.GetValue<long>());

        // The grand total is the sum of the organizations listed.
        var orgs = portfolio["organizations"]!.AsArray();
        Assert.Equal(orgs.Sum(o => o!["total"]!["forecast"]!.GetValue<decimal>()), portfolio["total"]!["forecast"]!.GetValue<decimal>());
        Assert.Equal(orgs.Sum(o => o!["total"]!["lines"]!.GetValue<long>()), portfolio["total"]!["lines"]!.GetValue<long>());
    }

    [Fact]
    public async Task Alerts_flag_forecast_over_plan_failed_and_missing_syncs()
    {
        var portfolio = await PortfolioAsync(_beo);
        static string[] Alerts(JsonObject org) => org["alerts"]!.AsArray().Select(a => a!["kind"]!.GetValue<string>()).Order().ToArray();

        Assert.Equal(["forecastOverPlan", "syncFailed"], Alerts(Org(portfolio, _over)));
        Assert.Equal("failed", Org(portfolio, _over)["lastSyncStatus"]!.GetValue<string>());
        Assert.Contains("503", Org(portfolio, _over)["alerts"]!.AsArray().Single(a => a!["kind"]!.GetValue<string>() == "syncFailed")!["message"]!.GetValue<string>());
        Assert.Empty(Alerts(Org(portfolio, _onPlan)));
        Assert.Equal(["syncStale"], Alerts(Org(portfolio, _home)));
    }

    [Fact]
    public async Task Drafts_stay_out_and_a_sync_refreshes_the_cached_figures()
    {
        var before = await PortfolioAsync(_beo);
        Assert.True((await PortfolioAsync(_beo))["cached"]!.GetValue<bool>());

        // Someone's draft in the organization does not move the committed portfolio.
        var save = await _editor.PostAsJsonAsync($"/api/orgs/{_over}/drafts",
            new { items = new[] { new { pfaId = _overLines[0].PfaId, changes = new { monthlyRate = 99_999m } } } }, Http.Ct);
        await save.JsonAsync();
        Assert.Equal(Org(before, _over)["total"]!.ToJsonString(), Org(await PortfolioAsync(_beo), _over)["total"]!.ToJsonString());

        // A mirror change (a sync) bumps the organization's mirror version: the next read is fresh and shows it.
        var changed = _onPlanLines[0] with { MonthlyRate = 1800m, PemsVersion = "v2" };
        await _host.UpsertMirrorAsync(_onPlanId, changed);
        var after = await PortfolioAsync(_beo);
        Assert.False(after["cached"]!.GetValue<bool>());
        var expected = KpiTotals.Compute(_onPlanLines.Skip(1).Append(changed));
        AssertFigures(expected.Total, expected.LineCount, Org(after, _onPlan)["total"]!);
    }

    [Fact]
    public async Task Only_analysts_and_admins_get_the_portfolio_and_me_says_so()
    {
        var denied = await _editor.GetAsync("/api/portfolio/kpis", Http.Ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);

        Assert.True((await (await _beo.GetAsync("/api/me", Http.Ct)).JsonAsync())["canViewPortfolio"]!.GetValue<bool>());
        Assert.False((await (await _editor.GetAsync("/api/me", Http.Ct)).JsonAsync())["canViewPortfolio"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _host.Factory.CreateClient().GetAsync("/api/portfolio/kpis", Http.Ct)).StatusCode);
    }
}
