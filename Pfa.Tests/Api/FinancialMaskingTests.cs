using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// Financial visibility on every read path: two PortfolioManagers of one organization with the same drafts, commits and
/// conflicts; the system admin revokes ViewFinancials from one of them (per-user override), and every figure that is
/// money must be null (or blank, or refused) for that one and present for the other.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class FinancialMaskingTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private Guid _orgId;
    private HttpClient _full = null!, _masked = null!, _admin = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("FM");
        _orgId = await _host.CreateOrgAsync(_org);
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("R1", rate: 3000m), Lines.Rental("R2", rate: 4000m),
            Lines.Rental("P1") with { Source = Pfa.Domain.PfaSource.Purchase, PurchasePrice = 50000m, MonthlyRate = 0m });
        var full = ApiHost.Unique("full").ToLowerInvariant();
        var masked = ApiHost.Unique("masked").ToLowerInvariant();
        var admin = ApiHost.Unique("sys").ToLowerInvariant();
        await _host.CreateUserAsync(full, (_orgId, "PortfolioManager"));
        var maskedId = await _host.CreateUserAsync(masked, (_orgId, "PortfolioManager"));
        await IdentityTestKit.MakeSystemAdminAsync(_host.Db, await _host.CreateUserAsync(admin));
        _full = await _host.LoginAsync(full);
        _masked = await _host.LoginAsync(masked);
        _admin = await _host.LoginAsync(admin);

        // Both users: a rate draft on R1 committed into a conflict (PEMS changed the rate meanwhile), a date draft on R2.
        foreach (var (client, rate) in new[] { (_full, 3500m), (_masked, 3600m) })
        {
            var saved = await (await client.PostAsJsonAsync($"/api/orgs/{_org}/drafts",
                new { items = new object[] { new { pfaId = "R1", changes = new { monthlyRate = rate } }, new { pfaId = "R2", changes = new { forecastEnd = "2025-04-01" } } } }, Http.Ct)).JsonAsync();
            Assert.Equal(2, saved["saved"]!.GetValue<int>());
        }
        await _host.UpsertMirrorAsync(_orgId, Lines.Rental("R1", rate: 3100m) with { PemsVersion = "v2" });
        foreach (var client in new[] { _full, _masked })
            Assert.Equal(1, (await (await client.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct)).JsonAsync())["conflicts"]!.GetValue<int>());
        // Portfolio for both (system admins may grant it), then the override that hides money from one of them.
        foreach (var (id, revoked) in new[] { (await UserId(full), Array.Empty<string>()), (maskedId, new[] { "ViewFinancials" }) })
            await (await _admin.PutAsJsonAsync($"/api/users/{id}/memberships/{_org}/permissions",
                new { granted = new[] { "ViewAllOrganizations" }, revoked }, Http.Ct)).JsonAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<Guid> UserId(string username)
    {
        await using var cmd = _host.Db.CreateCommand("SELECT id FROM users WHERE username = $1");
        cmd.Parameters.AddWithValue(username);
        return (Guid)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }

    private async Task<JsonObject> Get(HttpClient c, string path) =>
        await (await c.GetAsync(path.StartsWith('/') ? path : $"/api/orgs/{_org}/{path}", Http.Ct)).JsonAsync();

    private static bool IsNull(JsonNode? n) => n is null;

    [Fact]
    public async Task Me_reports_effective_permissions_with_the_override()
    {
        var masked = (await Get(_masked, "/api/me"))["organizations"]!.AsArray().Single(o => (string?)o!["code"] == _org)!;
        Assert.False(masked["canViewFinancials"]!.GetValue<bool>());
        Assert.True(masked["canEdit"]!.GetValue<bool>());
        var names = masked["permissions"]!.AsArray().Select(p => (string?)p).ToList();
        Assert.DoesNotContain("ViewFinancials", names);
        Assert.Contains("Commit", names);
        Assert.Contains("ViewAllOrganizations", names);
        var full = (await Get(_full, "/api/me"))["organizations"]!.AsArray().Single(o => (string?)o!["code"] == _org)!;
        Assert.True(full["canViewFinancials"]!.GetValue<bool>());
    }

    [Fact]
    public async Task List_masks_record_and_base_values()
    {
        JsonObject Row(JsonObject page, string id) => page["items"]!.AsArray().Single(i => (string?)i!["pfaId"] == id)!.AsObject();
        var full = await Get(_full, "pfa?limit=100");
        var masked = await Get(_masked, "pfa?limit=100");
        Assert.Equal(4000m, Row(full, "R2")["record"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal(50000m, Row(full, "P1")["record"]!["purchasePrice"]!.GetValue<decimal>());
        Assert.Equal(3000m, Row(full, "R1")["baseValues"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.True(Row(masked, "R2")["record"]!.AsObject().ContainsKey("monthlyRate"));
        Assert.True(IsNull(Row(masked, "R2")["record"]!["monthlyRate"]));
        Assert.True(IsNull(Row(masked, "P1")["record"]!["purchasePrice"]));
        Assert.True(IsNull(Row(masked, "R1")["record"]!["monthlyRate"]));
        Assert.True(IsNull(Row(masked, "R1")["baseValues"]!["monthlyRate"]));
        // Non-financial fields stay.
        Assert.Equal("2025-04-01", (string?)Row(masked, "R2")["record"]!["forecastEnd"]);
    }

    [Fact]
    public async Task Detail_masks_base_merged_delta_costs_and_history()
    {
        var full = await Get(_full, "pfa/R1");
        Assert.Equal(3100m, full["base"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal(3500m, full["myDelta"]!["changes"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.True(full["mergedCost"]!["forecast"]!.GetValue<decimal>() > 0);
        Assert.Equal(3000m, full["history"]!.AsArray()[0]!["record"]!["monthlyRate"]!.GetValue<decimal>());

        var masked = await Get(_masked, "pfa/R1");
        Assert.True(IsNull(masked["base"]!["monthlyRate"]));
        Assert.True(IsNull(masked["merged"]!["monthlyRate"]));
        Assert.True(IsNull(masked["myDelta"]!["changes"]!["monthlyRate"]));
        Assert.True(IsNull(masked["myDelta"]!["baseValues"]!["monthlyRate"]));
        Assert.True(IsNull(masked["baseCost"]));
        Assert.True(IsNull(masked["mergedCost"]));
        Assert.All(masked["history"]!.AsArray(), h => Assert.True(IsNull(h!["record"]!["monthlyRate"])));
        Assert.NotEmpty(masked["history"]!.AsArray());
    }

    [Fact]
    public async Task Kpis_monthly_and_portfolio_hide_money_but_keep_counts()
    {
        var full = await Get(_full, "kpis?includeDrafts=true&groupBy=source");
        var masked = await Get(_masked, "kpis?includeDrafts=true&groupBy=source");
        Assert.True(full["total"]!["forecast"]!.GetValue<decimal>() > 0);
        Assert.Equal(full["total"]!["lines"]!.GetValue<long>(), masked["total"]!["lines"]!.GetValue<long>());
        foreach (var f in new[] { "plan", "forecast", "actual", "variance", "variancePercent" })
            Assert.True(IsNull(masked["total"]![f]), f);
        Assert.All(masked["groups"]!.AsArray(), g => Assert.True(IsNull(g!["total"]!["forecast"])));
        // The roll-up of a filtered view (the plan page's board) is masked the same way.
        var filtered = await Get(_masked, "kpis?includeDrafts=true&areaSilo=SILO-1");
        Assert.True(filtered["total"]!["lines"]!.GetValue<long>() > 0);
        Assert.True(IsNull(filtered["total"]!["forecast"]));
        Assert.True((await Get(_full, "kpis?includeDrafts=true&areaSilo=SILO-1"))["total"]!["forecast"]!.GetValue<decimal>() > 0);

        Assert.NotEmpty((await Get(_full, "kpis/monthly?includeDrafts=true"))["months"]!.AsArray());
        Assert.Empty((await Get(_masked, "kpis/monthly?includeDrafts=true"))["months"]!.AsArray());

        JsonObject Org(JsonObject p) => p["organizations"]!.AsArray().Single(o => (string?)o!["code"] == _org)!.AsObject();
        var pf = await Get(_full, "/api/portfolio/kpis");
        var pm = await Get(_masked, "/api/portfolio/kpis");
        Assert.True(Org(pf)["total"]!["plan"]!.GetValue<decimal>() > 0);
        Assert.True(IsNull(Org(pm)["total"]!["plan"]));
        Assert.True(IsNull(pm["total"]!["forecast"]));
        Assert.Equal(Org(pf)["total"]!["lines"]!.GetValue<long>(), Org(pm)["total"]!["lines"]!.GetValue<long>());
    }

    [Fact]
    public async Task Conflicts_mask_mine_base_and_pems()
    {
        var full = (await _full.GetFromJsonAsync<JsonArray>($"/api/orgs/{_org}/conflicts", Http.Ct))!.Single()!;
        Assert.Equal(3500m, full["mine"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal(3000m, full["base"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal(3100m, full["pems"]!["monthlyRate"]!.GetValue<decimal>());
        var masked = (await _masked.GetFromJsonAsync<JsonArray>($"/api/orgs/{_org}/conflicts", Http.Ct))!.Single()!;
        Assert.Equal("R1", (string?)masked["pfaId"]);
        foreach (var side in new[] { "mine", "base", "pems" }) Assert.True(IsNull(masked[side]!["monthlyRate"]), side);
    }

    [Fact]
    public async Task Bulk_preview_hides_forecast_cost()
    {
        var body = new { operation = "ShiftForecast", pfaIds = new[] { "R2", "P1" }, days = 7 };
        var full = await (await _full.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview", body, Http.Ct)).JsonAsync();
        var masked = await (await _masked.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview", body, Http.Ct)).JsonAsync();
        Assert.True(full["forecastBefore"]!.GetValue<decimal>() > 0);
        Assert.Equal(full["changing"]!.GetValue<int>(), masked["changing"]!.GetValue<int>());
        foreach (var f in new[] { "forecastBefore", "forecastAfter", "forecastImpact" }) Assert.True(IsNull(masked[f]), f);
    }

    [Fact]
    public async Task Csv_export_leaves_the_rate_column_blank()
    {
        static string[] Rows(string csv) => csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var full = Rows(await _full.GetStringAsync($"/api/orgs/{_org}/export/forecast.csv", Http.Ct));
        var masked = Rows(await _masked.GetStringAsync($"/api/orgs/{_org}/export/forecast.csv", Http.Ct));
        Assert.Equal("PFA ID,Start Date,End Date,Monthly Rate", masked[0]);
        Assert.EndsWith(",3500", full.Single(r => r.StartsWith("R1,", StringComparison.Ordinal)));
        Assert.EndsWith(",", masked.Single(r => r.StartsWith("R1,", StringComparison.Ordinal)));
        Assert.EndsWith(",", masked.Single(r => r.StartsWith("R2,", StringComparison.Ordinal)));
        Assert.EndsWith(",4000", full.Single(r => r.StartsWith("R2,", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Writing_or_sorting_by_money_is_refused_naming_the_field()
    {
        await (await _masked.GetAsync($"/api/orgs/{_org}/pfa?sort=monthlyRate", Http.Ct)).ProblemNamingAsync(HttpStatusCode.BadRequest, "sort");
        await (await _masked.PostAsJsonAsync($"/api/orgs/{_org}/drafts",
            new { items = new[] { new { pfaId = "R2", changes = new { purchasePrice = 1 } } } }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "items[0].changes.purchasePrice");
        await (await _masked.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk", new { operation = "SetRate", pfaIds = new[] { "R2" }, amount = 1 }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "operation");
        await (await _masked.PostAsJsonAsync($"/api/orgs/{_org}/drafts/bulk/preview", new { operation = "SetPrice", pfaIds = new[] { "P1" }, amount = 1 }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "operation");
        // The one who sees money may sort and set it.
        var sorted = await Get(_full, "pfa?sort=monthlyRate&desc=true&limit=1");
        Assert.Equal("R2", (string?)sorted["items"]![0]!["pfaId"]);
    }

    [Fact]
    public async Task Line_history_masks_money_in_versions_and_changes()
    {
        foreach (var (client, visible) in new[] { (_full, true), (_masked, false) })
        {
            var history = await Get(client, "pfa/R1/history");
            var entries = history["entries"]!.AsArray();
            var version = entries.First(e => (string?)e!["kind"] == "version")!;
            Assert.Equal(visible, !IsNull(version["record"]!["monthlyRate"]));
            Assert.NotNull(version["record"]!["pfaId"]);
            var rateChange = entries.Where(e => (string?)e!["kind"] == "change")
                .SelectMany(e => e!["fields"]!.AsArray()).First(f => (string?)f!["field"] == "monthlyRate")!;
            Assert.Equal(visible, !IsNull(rateChange["to"]));
        }
    }

    [Fact]
    public async Task Spreadsheet_exports_leave_money_cells_empty()
    {
        foreach (var (client, visible) in new[] { (_full, true), (_masked, false) })
        {
            using var grid = await client.GetAsync($"/api/orgs/{_org}/export/grid.xlsx?sort=pfaId", Http.Ct);
            Assert.Equal(HttpStatusCode.OK, grid.StatusCode);
            var rows = MiniExcelLibs.MiniExcel.Query(new MemoryStream(await grid.Content.ReadAsByteArrayAsync(Http.Ct)), useHeaderRow: true)
                .Cast<IDictionary<string, object?>>().ToList();
            var r2 = rows.Single(r => (string?)r["PFA ID"] == "R2");
            Assert.Equal(visible, r2["Rate / month"] is not null);
            Assert.NotNull(r2["Forecast end"]);

            using var changes = await client.GetAsync($"/api/orgs/{_org}/export/changes.xlsx", Http.Ct);
            var changeRows = MiniExcelLibs.MiniExcel.Query(new MemoryStream(await changes.Content.ReadAsByteArrayAsync(Http.Ct)), useHeaderRow: true)
                .Cast<IDictionary<string, object?>>().ToList();
            var rate = changeRows.Single(r => (string?)r["PFA ID"] == "R1" && (string?)r["Field"] == "Rate / month");
            Assert.Equal(visible, rate["My value"] is not null);
        }
    }

    [Fact]
    public async Task Import_and_new_lines_refuse_money_for_whoever_cannot_see_it()
    {
        var csv = System.Text.Encoding.UTF8.GetBytes("PFA ID,Rate / month\r\nR2,4100\r\n");
        using var file = new ByteArrayContent(csv);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        using var form = new MultipartFormDataContent { { file, "file", "rates.csv" } };
        var preview = await (await _masked.PostAsync($"/api/orgs/{_org}/import/preview", form, Http.Ct)).JsonAsync();
        var row = preview["items"]!.AsArray().Single()!;
        Assert.NotNull(row["errors"]!["monthlyRate"]);
        Assert.Equal(0, preview["changing"]!.GetValue<int>());

        using var newLines = await _masked.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", new
        {
            count = 1, description = "Hidden crane", source = "Rental", category = "02036", @class = "CRANE", dor = "BEO", areaSilo = "A",
            forecastStart = "2027-01-01", forecastEnd = "2027-02-01", monthlyRate = 1000m,
        }, Http.Ct);
        await newLines.ProblemNamingAsync(HttpStatusCode.BadRequest, "monthlyRate");
    }
}
