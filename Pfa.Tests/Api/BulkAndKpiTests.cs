using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

[Collection(InfrastructureCollection.Name)]
public sealed class BulkAndKpiTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private HttpClient _ed = null!, _other = null!;
    private PfaRecord[] _mirror = [];
    private Guid _orgId;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("B");
        var orgId = _orgId = await _host.CreateOrgAsync(_org);
        var ed = ApiHost.Unique("ed").ToLowerInvariant(); var other = ApiHost.Unique("ot").ToLowerInvariant();
        await _host.CreateUserAsync(ed, (orgId, "Editor"));
        await _host.CreateUserAsync(other, (orgId, "Editor"));
        // 40 lines in SILO-4 (4 actualized), 10 elsewhere, some purchases, one discontinued, one funds-transferable.
        _mirror = Enumerable.Range(1, 50).Select(i =>
        {
            var r = Lines.Rental($"{3000 + i}", area: i <= 40 ? "SILO-4" : "YARD-A", rate: 1000m + i * 37.5m, actualized: i % 10 == 0);
            if (i % 7 == 0) r = r with { Source = PfaSource.Purchase, PurchasePrice = 10_000m + i };
            if (i == 41) r = r with { IsDiscontinued = true };
            if (i == 42) r = r with { IsFundsTransferable = true };
            return r;
        }).ToArray();
        await _host.UpsertMirrorAsync(orgId, _mirror);
        _ed = await _host.LoginAsync(ed);
        _other = await _host.LoginAsync(other);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<List<PfaRecord>> MergedAsync(HttpClient c)
    {
        var page = await (await c.GetAsync($"/api/orgs/{_org}/pfa?limit=1000", Http.Ct)).JsonAsync();
        return page["items"]!.AsArray().Select(i => i!["record"].Deserialize<PfaRecord>(ApiHost.Json)!).ToList();
    }

    private async Task<JsonObject> Kpis(HttpClient c, bool drafts, string? groupBy = null) =>
        await (await c.GetAsync($"/api/orgs/{_org}/kpis?includeDrafts={drafts}" + (groupBy is null ? "" : $"&groupBy={groupBy}"), Http.Ct)).JsonAsync();

    private static void AssertFigures(LineCost expected, int lines, JsonNode actual)
    {
        Assert.Equal(expected.Plan, actual["plan"]!.GetValue<decimal>());
        Assert.Equal(expected.Forecast, actual["forecast"]!.GetValue<decimal>());
        Assert.Equal(expected.Actual, actual["actual"]!.GetValue<decimal>());
        Assert.Equal(expected.Variance, actual["variance"]!.GetValue<decimal>());
        Assert.Equal(lines, actual["lines"]!.GetValue<long>());
    }

    [Fact]
    public async Task Weather_delay_shifts_one_area_in_one_request_and_kpis_follow_the_domain_rules()
    {
        var before = KpiTotals.Compute(_mirror);
        var baseKpi = await Kpis(_ed, drafts: false);
        AssertFigures(before.Total, before.LineCount, baseKpi["total"]!);
        AssertFigures(before.Rental, 0 + _mirror.Count(r => CostRules.CountsInKpis(r) && r.Source == PfaSource.Rental), baseKpi["rental"]!);

        var shift = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk",
            new { operation = "ShiftForecast", days = 14, filter = new { areaSilo = new[] { "SILO-4" } } }, Http.Ct)).JsonAsync();
        Assert.Equal(40, shift["matched"]!.GetValue<int>());
        Assert.Equal(36, shift["changed"]!.GetValue<int>());
        Assert.Equal(4, shift["skipped"]!.GetValue<int>()); // actualized lines keep their start

        // Discontinue two more lines and change a rate by hand, on top of the shift.
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk", new { operation = "Discontinue", pfaIds = new[] { "3001", "3002" } }, Http.Ct)).JsonAsync();
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "3003", changes = (object)new { monthlyRate = 2222.22m } } } }, Http.Ct)).JsonAsync();

        var merged = await MergedAsync(_ed);
        var m5 = merged.Single(r => r.PfaId == "3005");
        Assert.Equal(Lines.D("2025-01-15"), m5.ForecastStart);
        Assert.Equal(Lines.D("2025-03-16"), m5.ForecastEnd);
        Assert.Equal(Lines.D("2025-01-01"), merged.Single(r => r.PfaId == "3010").ForecastStart);
        Assert.Equal(Lines.D("2025-01-01"), merged.Single(r => r.PfaId == "3045").ForecastStart);

        // KPIs with drafts equal the C# rules over the merged lines; the other user still sees the mirror figures.
        var expected = KpiTotals.Compute(merged);
        var withDrafts = await Kpis(_ed, drafts: true);
        AssertFigures(expected.Total, expected.LineCount, withDrafts["total"]!);
        AssertFigures(expected.Purchase, merged.Count(r => CostRules.CountsInKpis(r) && r.Source == PfaSource.Purchase), withDrafts["purchase"]!);
        AssertFigures(before.Total, before.LineCount, (await Kpis(_other, drafts: true))["total"]!);

        // Roll-up by area: each group equals the rule applied to that group's lines.
        var byArea = (await Kpis(_ed, drafts: true, "areaSilo"))["groups"]!.AsArray();
        foreach (var g in byArea)
        {
            var area = g!["group"]!.GetValue<string>();
            var k = KpiTotals.Compute(merged.Where(r => r.AreaSilo == area));
            AssertFigures(k.Total, k.LineCount, g["total"]!);
        }

        // Second identical read comes from Redis; an edit moves to a new key.
        Assert.True((await Kpis(_ed, drafts: true))["cached"]!.GetValue<bool>());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk", new { operation = "ResetToPlan", pfaIds = new[] { "3005" } }, Http.Ct)).JsonAsync();
        var afterReset = await Kpis(_ed, drafts: true);
        Assert.False(afterReset["cached"]!.GetValue<bool>());
        var reset = KpiTotals.Compute(await MergedAsync(_ed));
        AssertFigures(reset.Total, reset.LineCount, afterReset["total"]!);

        // Discard everything (36 rows: the later edits folded into the shifted lines' deltas): back to the mirror figures.
        var discarded = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
        Assert.Equal(36, discarded["discarded"]!.GetValue<int>());
        AssertFigures(before.Total, before.LineCount, (await Kpis(_ed, drafts: true))["total"]!);
    }

    /// <summary>Category codes come with their PEMS description (issue #19, "words people use"): the most common non-empty one.</summary>
    [Fact]
    public async Task Categories_carry_the_most_common_pems_description_of_each_code_for_members_only()
    {
        PfaRecord Cat(string id, string code, string? description) => Lines.Rental(id, category: code) with { CategoryDescription = description };
        await _host.UpsertMirrorAsync(_orgId, Cat("8001", "08850", "TANK FRAC WATER TRAILER"), Cat("8002", "08850", "TANK FRAC"),
            Cat("8003", "08850", "TANK FRAC WATER TRAILER"), Cat("8004", "08850", " "), Cat("8005", "09000", "  "));

        Assert.Equal(new Dictionary<string, string?> { ["02036"] = null, ["08850"] = "TANK FRAC WATER TRAILER", ["09000"] = null }, await Labels(_ed, _org));

        // Another organization's member learns nothing about this one.
        var outsiderCode = ApiHost.Unique("X");
        var outsiderOrg = await _host.CreateOrgAsync(outsiderCode);
        var outsider = ApiHost.Unique("out").ToLowerInvariant();
        await _host.CreateUserAsync(outsider, (outsiderOrg, "Editor"));
        var outsiderClient = await _host.LoginAsync(outsider);
        var refused = await outsiderClient.GetAsync($"/api/orgs/{_org}/categories", Http.Ct);
        Assert.Contains(refused.StatusCode, new[] { System.Net.HttpStatusCode.Forbidden, System.Net.HttpStatusCode.NotFound });

        // The same code described otherwise in the other organization: each organization gets its own label (the cache is per organization).
        await _host.UpsertMirrorAsync(outsiderOrg, Cat("8101", "08850", "CRANE MOBILE 50T"));
        Assert.Equal(new Dictionary<string, string?> { ["08850"] = "CRANE MOBILE 50T" }, await Labels(outsiderClient, outsiderCode));
        Assert.Equal("TANK FRAC WATER TRAILER", (await Labels(_ed, _org))["08850"]);

        // A mirror change (a described 09000 line, the mirror version moves) shows at once, though the previous answer was cached.
        await _host.UpsertMirrorAsync(_orgId, Cat("8006", "09000", "LIGHT TOWER"));
        Assert.Equal(new Dictionary<string, string?> { ["02036"] = null, ["08850"] = "TANK FRAC WATER TRAILER", ["09000"] = "LIGHT TOWER" }, await Labels(_ed, _org));
        Assert.Equal(new Dictionary<string, string?> { ["08850"] = "CRANE MOBILE 50T" }, await Labels(outsiderClient, outsiderCode));
    }

    private static async Task<Dictionary<string, string?>> Labels(HttpClient client, string org)
    {
        var response = await client.GetAsync($"/api/orgs/{org}/categories", Http.Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!
            .ToDictionary(n => n!["code"]!.GetValue<string>(), n => n!["description"]?.GetValue<string>());
    }

    /// <summary>
    /// A category filter alone is answered from the KPI summaries (PfaFilter.OnlyKpiDimensions) adjusted by my drafts: a line
    /// my draft moves into or out of the category must count exactly as the merged lines say.
    /// </summary>
    [Fact]
    public async Task Category_filtered_kpis_with_drafts_count_the_lines_my_draft_moves_into_and_out_of_the_category()
    {
        var frac = new[] { Lines.Rental("8101", category: "08850", rate: 2500m), Lines.Rental("8102", category: "08850", rate: 4100m),
            Lines.Rental("8103", category: "08850", rate: 1234.5m, actualized: true) };
        await _host.UpsertMirrorAsync(_orgId, frac);
        var mirror = _mirror.Concat(frac).ToArray();
        async Task<JsonNode> Filtered(HttpClient c, bool drafts, string category) =>
            (await (await c.GetAsync($"/api/orgs/{_org}/kpis?includeDrafts={drafts}&category={category}", Http.Ct)).JsonAsync())["total"]!;
        static void AssertCategory(IEnumerable<PfaRecord> lines, string category, JsonNode actual)
        {
            var expected = KpiTotals.Compute(lines.Where(r => r.Category == category));
            AssertFigures(expected.Total, expected.LineCount, actual);
        }
        AssertCategory(mirror, "08850", await Filtered(_ed, false, "08850"));

        // 3005 moves in with a new rate, 8102 moves out.
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new
        {
            items = new[]
            {
                new { pfaId = "3005", changes = (object)new { category = "08850", monthlyRate = 7777m } },
                new { pfaId = "8102", changes = (object)new { category = "02036" } },
            },
        }, Http.Ct)).JsonAsync();
        var moved = mirror.Select(r => r.PfaId switch
        {
            "3005" => r with { Category = "08850", MonthlyRate = 7777m },
            "8102" => r with { Category = "02036" },
            _ => r,
        }).ToArray();
        foreach (var category in new[] { "08850", "02036" })
        {
            AssertCategory(moved, category, await Filtered(_ed, true, category));
            AssertCategory(mirror, category, await Filtered(_ed, false, category));
            AssertCategory(mirror, category, await Filtered(_other, true, category));
        }
        Assert.NotEqual(KpiTotals.Compute(mirror.Where(r => r.Category == "08850")).Total, KpiTotals.Compute(moved.Where(r => r.Category == "08850")).Total);
    }

    /// <summary>The plan page's board follows the grid (issue #19): the roll-up takes the list's filter and counts only those lines.</summary>
    [Fact]
    public async Task Kpis_with_the_list_filter_roll_up_the_matching_lines_with_only_my_drafts()
    {
        var silo = _mirror.Where(r => r.AreaSilo == "SILO-4").ToArray();
        var committed = KpiTotals.Compute(silo);
        var url = $"/api/orgs/{_org}/kpis?areaSilo=SILO-4&includeDrafts=";
        AssertFigures(committed.Total, committed.LineCount, (await (await _ed.GetAsync(url + "false", Http.Ct)).JsonAsync())["total"]!);
        Assert.NotEqual(KpiTotals.Compute(_mirror).LineCount, committed.LineCount);

        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "3005", changes = (object)new { monthlyRate = 9999m } } } }, Http.Ct)).JsonAsync();
        var mine = KpiTotals.Compute(silo.Select(r => r.PfaId == "3005" ? r with { MonthlyRate = 9999m } : r));
        AssertFigures(mine.Total, mine.LineCount, (await (await _ed.GetAsync(url + "true", Http.Ct)).JsonAsync())["total"]!);
        AssertFigures(committed.Total, committed.LineCount, (await (await _ed.GetAsync(url + "false", Http.Ct)).JsonAsync())["total"]!);
        // Another editor's filtered view does not carry my draft.
        AssertFigures(committed.Total, committed.LineCount, (await (await _other.GetAsync(url + "true", Http.Ct)).JsonAsync())["total"]!);
        // A filter on a merged value (my draft moved 3005's rate, the search matches its id) and grouping work together.
        var grouped = await (await _ed.GetAsync($"/api/orgs/{_org}/kpis?includeDrafts=true&search=3005&groupBy=areaSilo", Http.Ct)).JsonAsync();
        var one = KpiTotals.Compute(silo.Where(r => r.PfaId == "3005").Select(r => r with { MonthlyRate = 9999m }));
        AssertFigures(one.Total, 1, grouped["total"]!);
        Assert.Equal("SILO-4", grouped["groups"]!.AsArray().Single()!["group"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bulk_set_dates_skips_lines_whose_window_would_invert()
    {
        var result = await (await _other.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk",
            new { operation = "SetForecastDates", end = "2025-01-10", pfaIds = new[] { "3011", "3012" } }, Http.Ct)).JsonAsync();
        Assert.Equal(2, result["changed"]!.GetValue<int>());
        var invalid = await (await _other.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk",
            new { operation = "SetForecastDates", start = "2025-02-01", pfaIds = new[] { "3011" } }, Http.Ct)).JsonAsync();
        Assert.Equal(1, invalid["skipped"]!.GetValue<int>());
        var problem = await (await _other.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk",
            new { operation = "SetRate", amount = -5, pfaIds = new[] { "3011" } }, Http.Ct)).JsonAsync(System.Net.HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["amount"]);
    }

    [Fact]
    public async Task Preview_predicts_the_forecast_impact_that_applying_then_produces_and_saves_nothing()
    {
        var durationOnSilo4 = new { operation = "SetDuration", days = 90, filter = new { areaSilo = new[] { "SILO-4" } } };
        var preview = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview", durationOnSilo4, Http.Ct)).JsonAsync();

        // Expected from the C# rules: the 36 SILO-4 lines that are not actualized get end = start + 90 days.
        var eligible = _mirror.Where(r => r.AreaSilo == "SILO-4" && !r.IsActualized).ToList();
        var counted = eligible.Where(CostRules.CountsInKpis).ToList();
        var before = counted.Sum(CostRules.ForecastCost);
        var after = counted.Sum(r => CostRules.ForecastCost(r with { ForecastEnd = r.ForecastStart!.Value.AddDays(90) }));
        Assert.Equal((40, 36, 36, 4), (Int(preview, "matched"), Int(preview, "eligible"), Int(preview, "changing"), Int(preview, "skipped")));
        // The skipped lines are named, each with the rule that skipped it: the actualized ones.
        var skipped = preview["skippedLines"]!.AsArray().Select(l => (l!["pfaId"]!.GetValue<string>(), l["reason"]!.GetValue<string>())).ToList();
        Assert.Equal(_mirror.Where(r => r.AreaSilo == "SILO-4" && r.IsActualized).Select(r => (r.PfaId, Pfa.Data.Queries.BulkOps.Rule(Pfa.Data.Queries.BulkKind.SetDuration))),
            skipped);
        Assert.Equal(before, preview["forecastBefore"]!.GetValue<decimal>());
        Assert.Equal(after, preview["forecastAfter"]!.GetValue<decimal>());
        Assert.Equal(after - before, preview["forecastImpact"]!.GetValue<decimal>());
        Assert.NotEqual(0m, after - before);

        // A preview saves nothing; applying moves my KPI forecast by exactly the previewed impact.
        var committed = (await Kpis(_ed, drafts: false))["total"]!["forecast"]!.GetValue<decimal>();
        Assert.Equal(committed, (await Kpis(_ed, drafts: true))["total"]!["forecast"]!.GetValue<decimal>());
        var applied = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk", durationOnSilo4, Http.Ct)).JsonAsync();
        Assert.Equal(36, Int(applied, "changed"));
        Assert.Equal(committed + (after - before), (await Kpis(_ed, drafts: true))["total"]!["forecast"]!.GetValue<decimal>());

        // The same preview again changes nothing more; discontinuing takes the lines' merged forecast out of the KPIs.
        var again = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview", durationOnSilo4, Http.Ct)).JsonAsync();
        Assert.Equal((0, 0m), (Int(again, "changing"), again["forecastImpact"]!.GetValue<decimal>()));
        var merged = await MergedAsync(_ed);
        var discontinue = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview",
            new { operation = "Discontinue", pfaIds = new[] { "3001", "3002" } }, Http.Ct)).JsonAsync();
        Assert.Equal(-merged.Where(r => r.PfaId is "3001" or "3002").Sum(CostRules.ForecastCost), discontinue["forecastImpact"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Shift_by_months_follows_the_calendar_and_bad_amounts_are_field_errors()
    {
        var moved = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk",
            new { operation = "ShiftForecast", months = 1, pfaIds = new[] { "3001" } }, Http.Ct)).JsonAsync();
        Assert.Equal(1, Int(moved, "changed"));
        var line = (await MergedAsync(_ed)).Single(r => r.PfaId == "3001");
        Assert.Equal((Lines.D("2025-02-01"), Lines.D("2025-04-02")), (line.ForecastStart, line.ForecastEnd));
        var history = await (await _ed.GetAsync($"/api/orgs/{_org}/drafts/history", Http.Ct)).JsonAsync();
        Assert.Equal("Shift 1 line +1 mo", history["undoLabel"]!.GetValue<string>());

        foreach (var (body, field) in new (object, string)[]
        {
            (new { operation = "ShiftForecast", pfaIds = new[] { "3001" } }, "days"),
            (new { operation = "ShiftForecast", months = 500, pfaIds = new[] { "3001" } }, "months"),
            (new { operation = "SetDuration", days = 0, pfaIds = new[] { "3001" } }, "days"),
        })
        {
            foreach (var route in new[] { "bulk", "bulk/preview" })
            {
                var problem = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/{route}", body, Http.Ct)).JsonAsync(System.Net.HttpStatusCode.BadRequest);
                Assert.NotNull(problem["errors"]![field]);
            }
        }
    }

    private static int Int(JsonObject o, string name) => o[name]!.GetValue<int>();
}
