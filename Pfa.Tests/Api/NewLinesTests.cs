using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>New forecast lines: validated by the draft rules, drafts of their author only, in KPIs with drafts, discard and undo/redo.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class NewLinesTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private HttpClient _ed = null!, _other = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("N");
        var orgId = await _host.CreateOrgAsync(_org);
        var ed = ApiHost.Unique("ed").ToLowerInvariant();
        var other = ApiHost.Unique("ot").ToLowerInvariant();
        await _host.CreateUserAsync(ed, (orgId, "PortfolioManager"));
        await _host.CreateUserAsync(other, (orgId, "Editor"));
        await _host.UpsertMirrorAsync(orgId, Lines.Rental("8001"), Lines.Rental("8002"));
        _ed = await _host.LoginAsync(ed);
        _other = await _host.LoginAsync(other);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static object Form(string source = "Rental", decimal? rate = 3044m, decimal? price = null, int count = 3, string area = "SILO-N") => new
    {
        count, description = "Crane 50t", category = "02036", @class = "02", source, dor = "PROJECT", areaSilo = area,
        forecastStart = "2025-01-01", forecastEnd = "2025-01-31", monthlyRate = rate, purchasePrice = price,
    };

    private async Task<JsonArray> Items(HttpClient c, string query = "") =>
        (await (await c.GetAsync($"/api/orgs/{_org}/pfa?limit=1000{query}", Http.Ct)).JsonAsync())["items"]!.AsArray();

    private async Task<JsonObject> Kpis(HttpClient c, bool drafts) =>
        (await (await c.GetAsync($"/api/orgs/{_org}/kpis?includeDrafts={drafts}", Http.Ct)).JsonAsync())["total"]!.AsObject();

    [Fact]
    public async Task Validation_names_the_field()
    {
        var rental = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", Form(rate: null), Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(rental["errors"]!["monthlyRate"]);
        var purchase = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", Form("Purchase", rate: null), Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(purchase["errors"]!["purchasePrice"]);
        var count = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", Form(count: 501), Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(count["errors"]!["count"]);
        var dates = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", new
        {
            count = 1, description = "x", category = "02036", source = "Rental", areaSilo = "A", forecastStart = "2025-02-01", forecastEnd = "2025-01-01", monthlyRate = 10,
        }, Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(dates["errors"]!["forecastEnd"]);
    }

    [Fact]
    public async Task New_lines_are_my_drafts_only_count_in_kpis_and_go_with_discard_and_undo()
    {
        var kpiBefore = await Kpis(_ed, true);
        var created = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", Form(), Http.Ct)).JsonAsync();
        var ids = created["pfaIds"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Equal(3, ids.Count);
        Assert.All(ids, id => Assert.StartsWith("NEW-", id));

        var mine = (await Items(_ed)).Where(i => ids.Contains(i!["pfaId"]!.GetValue<string>())).ToList();
        Assert.Equal(3, mine.Count);
        Assert.All(mine, i =>
        {
            Assert.Equal("draft", i!["draftState"]!.GetValue<string>());
            Assert.Equal(3044m, i["record"]!["monthlyRate"]!.GetValue<decimal>());
            Assert.Equal("2025-01-01", i["record"]!["originalStart"]!.GetValue<string>()); // plan = forecast
            Assert.Equal("Crane 50t", i["record"]!["description"]!.GetValue<string>());
        });
        Assert.Equal(3, (await Items(_ed, "&changedOnly=true")).Count(i => ids.Contains(i!["pfaId"]!.GetValue<string>())));
        Assert.Equal(3, (await Items(_ed, "&areaSilo=SILO-N")).Count);

        // Nobody else sees them, not even by id.
        Assert.DoesNotContain(await Items(_other), i => i!["pfaId"]!.GetValue<string>().StartsWith("NEW-", StringComparison.Ordinal));
        await (await _other.GetAsync($"/api/orgs/{_org}/pfa/{ids[0]}", Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        Assert.Equal(2, (await Kpis(_other, true))["lines"]!.GetValue<long>());

        // KPIs with my drafts count them (3 × 30 days × 3044 / 30.44 = 9000), committed figures do not.
        var kpiAfter = await Kpis(_ed, true);
        Assert.Equal(kpiBefore["lines"]!.GetValue<long>() + 3, kpiAfter["lines"]!.GetValue<long>());
        Assert.Equal(kpiBefore["forecast"]!.GetValue<decimal>() + 9000m, kpiAfter["forecast"]!.GetValue<decimal>());
        Assert.Equal(kpiBefore["plan"]!.GetValue<decimal>() + 9000m, kpiAfter["plan"]!.GetValue<decimal>());
        Assert.Equal(2, (await Kpis(_ed, false))["lines"]!.GetValue<long>());

        // Editing a new line is an ordinary draft save on it.
        var saved = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = ids[0], changes = new { monthlyRate = 1000 } } } }, Http.Ct)).JsonAsync();
        Assert.Equal(1, saved["saved"]!.GetValue<int>());

        // Discard one: gone. Undo the discard: back. Undo the edit and the creation: all gone; redo: back.
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { pfaIds = new[] { ids[1] } }, Http.Ct)).JsonAsync();
        Assert.Equal(2, (await Items(_ed, "&areaSilo=SILO-N")).Count);
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(3, (await Items(_ed, "&areaSilo=SILO-N")).Count);
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync();
        var undoCreate = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync();
        Assert.Equal("New 3 lines: Crane 50t", undoCreate["label"]!.GetValue<string>());
        Assert.Empty(await Items(_ed, "&areaSilo=SILO-N"));
        Assert.Equal(kpiBefore["lines"]!.GetValue<long>(), (await Kpis(_ed, true))["lines"]!.GetValue<long>());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/redo", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(3, (await Items(_ed, "&areaSilo=SILO-N")).Count);

        // Discard all removes them; commit then queues nothing for them.
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
        Assert.Empty(await Items(_ed, "&areaSilo=SILO-N"));
    }

    [Fact]
    public async Task Commit_queues_a_new_line_as_an_insert()
    {
        var created = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/pfa/new", Form("Purchase", rate: null, price: 125000m, count: 1, area: "SILO-C"), Http.Ct)).JsonAsync();
        var id = created["pfaIds"]![0]!.GetValue<string>();
        var commit = await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(0, commit["conflicts"]!.GetValue<int>());
        await using var cmd = _host.Db.CreateCommand("SELECT payload::text FROM pfa_outbox WHERE pfa_id = $1");
        cmd.Parameters.AddWithValue(id);
        var payload = JsonNode.Parse((string)(await cmd.ExecuteScalarAsync(Http.Ct))!)!;
        Assert.True(payload["insert"]!.GetValue<bool>());
        Assert.Equal("Purchase", payload["changes"]!["source"]!.GetValue<string>());
    }
}
