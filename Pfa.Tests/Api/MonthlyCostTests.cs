using System.Net.Http.Json;
using System.Text.Json;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Api.Lines;

namespace Pfa.Tests.Api;

/// <summary>GET /kpis/monthly against the C# cost rules (MonthlyCostRules) on a seeded set: committed, with drafts, filtered.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class MonthlyCostTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Monthly_cost_matches_the_domain_rules_committed_with_my_drafts_and_under_a_filter()
    {
        var host = ApiHost.For(infra);
        var org = ApiHost.Unique("MC");
        var orgId = await host.CreateOrgAsync(org);
        var pmName = ApiHost.Unique("mcpm").ToLowerInvariant();
        await host.CreateUserAsync(pmName, (orgId, "PortfolioManager"));
        // Windows across month and year ends, mid-month starts, purchases, actuals, an empty and a reversed window, excluded lines.
        var mirror = Enumerable.Range(1, 30).Select(i =>
        {
            var r = Rental($"MC-{i:00}", category: i % 3 == 0 ? "14500" : "02036", rate: 1000m + i * 123.45m, actualized: i % 5 == 0) with
            {
                OriginalStart = D("2026-11-01").AddDays(i * 3), OriginalEnd = D("2027-01-15").AddDays(i * 5),
                ForecastStart = D("2026-11-20").AddDays(i * 2), ForecastEnd = D("2027-02-10").AddDays(i * 7),
            };
            if (i % 7 == 0) r = r with { Source = PfaSource.Purchase, PurchasePrice = 25_000m + i };
            if (i == 11) r = r with { ForecastEnd = r.ForecastStart }; // zero days
            if (i == 12) r = r with { ForecastEnd = r.ForecastStart!.Value.AddDays(-3) }; // reversed: nothing
            if (i == 13) r = r with { IsDiscontinued = true };
            if (i == 16) r = r with { IsFundsTransferable = true };
            if (i == 17) r = r with { ForecastStart = null };
            return r;
        }).ToArray();
        await host.UpsertMirrorAsync(orgId, mirror);
        using var pm = await host.LoginAsync(pmName);

        var committed = await MonthsAsync(pm, org, "includeDrafts=false");
        Assert.Equal(MonthlyCostRules.Sum(mirror), committed);
        Assert.True(committed.Count >= 5, "the set spans several months");
        // Summed over months, the rental layers agree with the line totals up to the per-month rounding (a cent per month and line).
        var forecastTotal = mirror.Where(CostRules.CountsInKpis).Sum(CostRules.ForecastCost);
        Assert.InRange(committed.Sum(m => m.Forecast) - forecastTotal, -0.01m * 30 * 6, 0.01m * 30 * 6);

        // My drafts: longer forecast, a new rate, a discontinued line; the merged list is what the rules apply to.
        var items = new object[]
        {
            new { pfaId = "MC-01", changes = new { forecastEnd = "2027-06-30" } },
            new { pfaId = "MC-02", changes = new { monthlyRate = 9999.99m } },
            new { pfaId = "MC-03", changes = new { isDiscontinued = true } },
        };
        await (await pm.PostAsJsonAsync($"/api/orgs/{org}/drafts", new { items }, Http.Ct)).JsonAsync();
        var merged = await MergedAsync(pm, org, "");
        var withDrafts = await MonthsAsync(pm, org, "includeDrafts=true");
        Assert.Equal(MonthlyCostRules.Sum(merged), withDrafts);
        Assert.NotEqual(committed, withDrafts);
        Assert.Equal(committed, await MonthsAsync(pm, org, "includeDrafts=false")); // drafts never leak into the committed figures

        // The list's filters apply: one category, with drafts.
        var filtered = await MonthsAsync(pm, org, "includeDrafts=true&category=14500");
        Assert.Equal(MonthlyCostRules.Sum(merged.Where(r => r.Category == "14500")), filtered);

        var bad = await pm.GetAsync($"/api/orgs/{org}/kpis/monthly?source=Lease", Http.Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("source", await bad.Content.ReadAsStringAsync(Http.Ct));
    }

    private static async Task<List<MonthCost>> MonthsAsync(HttpClient c, string org, string query)
    {
        var body = await (await c.GetAsync($"/api/orgs/{org}/kpis/monthly?{query}", Http.Ct)).JsonAsync();
        return body["months"].Deserialize<List<MonthCost>>(ApiHost.Json)!;
    }

    private static async Task<List<PfaRecord>> MergedAsync(HttpClient c, string org, string query)
    {
        var page = await (await c.GetAsync($"/api/orgs/{org}/pfa?limit=1000&{query}", Http.Ct)).JsonAsync();
        return page["items"]!.AsArray().Select(i => i!["record"].Deserialize<PfaRecord>(ApiHost.Json)!).ToList();
    }
}
