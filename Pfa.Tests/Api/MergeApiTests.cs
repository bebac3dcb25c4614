using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

internal static class Lines
{
    public static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    public static PfaRecord Rental(string id, string category = "02036", string area = "SILO-1", decimal rate = 3044m, bool actualized = false) => new()
    {
        PfaId = id, Category = category, Class = category[..2], AreaSilo = area, Source = PfaSource.Rental, Dor = Dor.PROJECT,
        MonthlyRate = rate, Manufacturer = "CATERPILLAR", Model = "D6T", Description = $"Line {id}",
        OriginalStart = D("2025-01-01"), OriginalEnd = D("2025-01-31"),
        ForecastStart = D("2025-01-01"), ForecastEnd = D("2025-03-02"),
        IsActualized = actualized, HasActuals = actualized,
        ActualStart = actualized ? D("2025-01-05") : null, ActualEnd = actualized ? D("2025-02-04") : null,
        PemsVersion = "v1",
    };
}

[Collection(InfrastructureCollection.Name)]
public sealed class MergeApiTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private HttpClient _alice = null!, _bob = null!, _viewer = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("M");
        var orgId = await _host.CreateOrgAsync(_org);
        var a = ApiHost.Unique("alice"); var b = ApiHost.Unique("bob"); var v = ApiHost.Unique("viewer");
        await _host.CreateUserAsync(a.ToLowerInvariant(), (orgId, "Editor"));
        await _host.CreateUserAsync(b.ToLowerInvariant(), (orgId, "Editor"));
        await _host.CreateUserAsync(v.ToLowerInvariant(), (orgId, "Viewer"));
        await _host.UpsertMirrorAsync(orgId, Enumerable.Range(1, 10).Select(i => Lines.Rental($"{1000 + i}", i % 2 == 0 ? "02036" : "14500")).ToArray());
        _alice = await _host.LoginAsync(a.ToLowerInvariant());
        _bob = await _host.LoginAsync(b.ToLowerInvariant());
        _viewer = await _host.LoginAsync(v.ToLowerInvariant());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<HttpResponseMessage> Save(HttpClient c, params object[] items) =>
        c.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { sessionId = "s1", items }, Http.Ct);

    [Fact]
    public async Task Filters_apply_to_overlaid_values_and_drafts_stay_private()
    {
        var saved = await (await Save(_alice, new { pfaId = "1001", changes = new { category = "02036" } })).JsonAsync();
        Assert.Equal(1, saved["saved"]!.GetValue<int>());

        var mine = await (await _alice.GetAsync($"/api/orgs/{_org}/pfa?category=02036", Http.Ct)).JsonAsync();
        var ids = mine["items"]!.AsArray().Select(i => i!["pfaId"]!.GetValue<string>()).ToList();
        Assert.Equal(["1001", "1002", "1004", "1006", "1008", "1010"], ids);
        Assert.Equal(6, mine["total"]!.GetValue<long>());
        Assert.False(mine["totalIsEstimate"]!.GetValue<bool>());
        var row = mine["items"]!.AsArray().First(i => i!["pfaId"]!.GetValue<string>() == "1001")!;
        Assert.Equal("draft", row["draftState"]!.GetValue<string>());
        Assert.Equal(["category"], row["changedFields"]!.AsArray().Select(x => x!.GetValue<string>()));

        // Bob sees PEMS as it is: no draft, 1001 still in 14500.
        var bobs = await (await _bob.GetAsync($"/api/orgs/{_org}/pfa?category=02036", Http.Ct)).JsonAsync();
        Assert.Equal(5, bobs["total"]!.GetValue<long>());
        var changedOnly = await (await _alice.GetAsync($"/api/orgs/{_org}/pfa?changedOnly=true", Http.Ct)).JsonAsync();
        Assert.Equal(["1001"], changedOnly["items"]!.AsArray().Select(i => i!["pfaId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Keyset_pages_cover_every_row_once_in_merged_sort_order()
    {
        // Moving 1003 later makes it sort last by forecast start for Alice only.
        await (await Save(_alice, new { pfaId = "1003", changes = new { forecastStart = "2025-02-01" } })).JsonAsync();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var url = $"/api/orgs/{_org}/pfa?sort=forecastStart&limit=3" + (cursor is null ? "" : $"&cursor={cursor}");
            var page = await (await _alice.GetAsync(url, Http.Ct)).JsonAsync();
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["pfaId"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal(10, seen.Count);
        Assert.Equal(10, seen.Distinct().Count());
        Assert.Equal("1003", seen[^1]);
    }

    [Fact]
    public async Task Batch_reports_invalid_items_and_keeps_the_valid_ones()
    {
        var result = await (await Save(_bob,
            new { pfaId = "1004", changes = new { forecastEnd = "2025-04-01" } },
            new { pfaId = "1005", changes = new { forecastStart = "2025-05-01" } },       // after its end
            new { pfaId = "1006", changes = new { originalStart = "2024-01-01" } },      // not editable
            new { pfaId = "9999", changes = new { monthlyRate = 1 } })).JsonAsync();     // no such line
        Assert.Equal(1, result["saved"]!.GetValue<int>());
        var errors = result["errors"]!.AsArray();
        Assert.Equal([1, 2, 3], errors.Select(e => e!["index"]!.GetValue<int>()));
        Assert.NotNull(errors[0]!["errors"]!["forecastEnd"]);
        Assert.NotNull(errors[1]!["errors"]!["originalStart"]);

        // Setting the field back to the mirror value removes the draft entirely.
        var back = await (await Save(_bob, new { pfaId = "1004", changes = new { forecastEnd = "2025-03-02" } })).JsonAsync();
        Assert.Equal(1, back["removed"]!.GetValue<int>());
        var detail = await (await _bob.GetAsync($"/api/orgs/{_org}/pfa/1004", Http.Ct)).JsonAsync();
        Assert.Equal("pristine", detail["draftState"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repeated_saves_keep_one_cumulative_delta_per_user_and_record()
    {
        await (await Save(_bob, new { pfaId = "1007", changes = new { monthlyRate = 4000 } })).JsonAsync();
        await (await Save(_bob, new { pfaId = "1007", changes = new { dor = "BEO" } })).JsonAsync();
        var detail = await (await _bob.GetAsync($"/api/orgs/{_org}/pfa/1007", Http.Ct)).JsonAsync();
        var changes = detail["myDelta"]!["changes"]!.AsObject();
        Assert.Equal(["dor", "monthlyRate"], changes.Select(c => c.Key).Order());
        Assert.Equal(3044m, detail["myDelta"]!["baseValues"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal(4000m, detail["merged"]!["monthlyRate"]!.GetValue<decimal>());
        await using var cmd = _host.Db.CreateCommand("SELECT count(*) FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1 AND m.pfa_id = '1007'");
        cmd.Parameters.AddWithValue(_org);
        Assert.Equal(1L, await cmd.ExecuteScalarAsync(Http.Ct));
    }

    [Fact]
    public async Task Viewers_cannot_write_and_strangers_cannot_see_the_org()
    {
        var denied = await Save(_viewer, new { pfaId = "1001", changes = new { dor = "BEO" } });
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
        var anonymous = await _host.Factory.CreateClient().GetAsync($"/api/orgs/{_org}/pfa", Http.Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var other = await _alice.GetAsync("/api/orgs/NOPE/pfa", Http.Ct);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        var badSort = await _alice.GetAsync($"/api/orgs/{_org}/pfa?sort=password", Http.Ct);
        var problem = await badSort.JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["sort"]);
    }

    [Fact]
    public async Task Status_date_range_and_search_filters_use_merged_values()
    {
        var c = await _host.LoginAsync(await NewEditorAsync());
        await (await c.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new
        {
            items = new object[]
            {
                new { pfaId = "1009", changes = new { isDiscontinued = true } },
                new { pfaId = "1010", changes = new { forecastStart = "2025-02-10", forecastEnd = "2025-05-01", model = "Z-9000" } },
            },
        }, Http.Ct)).JsonAsync();
        async Task<string[]> Ids(string query) => (await (await c.GetAsync($"/api/orgs/{_org}/pfa?{query}", Http.Ct)).JsonAsync())["items"]!
            .AsArray().Select(i => i!["pfaId"]!.GetValue<string>()).ToArray();
        Assert.Equal(["1009"], await Ids("status=discontinued"));
        Assert.Equal(9, (await Ids("status=forecast")).Length);
        Assert.Equal(["1010"], await Ids("forecastStartFrom=2025-02-01&forecastStartTo=2025-02-28"));
        Assert.Equal(["1010"], await Ids("forecastEndFrom=2025-04-01"));
        Assert.Equal(["1010"], await Ids("search=z-90"));
        Assert.Equal(10, (await Ids("search=caterpillar")).Length);
        var bad = await (await c.GetAsync($"/api/orgs/{_org}/pfa?cursor=not-a-cursor", Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(bad["errors"]!["cursor"]);
    }

    [Fact]
    public async Task Drafts_move_lines_out_of_filters_and_search_and_the_total_comes_with_the_first_page()
    {
        var c = await _host.LoginAsync(await NewEditorAsync());
        await (await c.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new
        {
            items = new object[]
            {
                new { pfaId = "1002", changes = new { category = "14500" } },
                new { pfaId = "1004", changes = new { manufacturer = "KOMATSU" } },
            },
        }, Http.Ct)).JsonAsync();
        async Task<JsonObject> Page(string query) => await (await c.GetAsync($"/api/orgs/{_org}/pfa?{query}", Http.Ct)).JsonAsync();
        static string[] Ids(JsonObject page) => page["items"]!.AsArray().Select(i => i!["pfaId"]!.GetValue<string>()).ToArray();

        // 1002 left 02036 by my draft; 1004 (drafted on another field) still matches on its mirror category.
        Assert.Equal(["1004", "1006", "1008", "1010"], Ids(await Page("category=02036")));
        Assert.Equal(["1001", "1002", "1003", "1005", "1007", "1009"], Ids(await Page("category=14500")));
        Assert.Equal(9, Ids(await Page("search=caterpillar")).Length);
        Assert.DoesNotContain("1004", Ids(await Page("search=caterpillar")));
        Assert.Equal(["1004"], Ids(await Page("search=komatsu")));
        Assert.Equal(["1004"], Ids(await Page("search=komatsu&category=02036")));
        Assert.Empty(Ids(await Page("search=komatsu&category=14500")));

        var first = await Page("category=02036&limit=3");
        Assert.Equal(4, first["total"]!.GetValue<long>());
        Assert.False(first["totalIsEstimate"]!.GetValue<bool>());
        var second = await Page($"category=02036&limit=3&cursor={first["nextCursor"]!.GetValue<string>()}");
        Assert.Equal(["1010"], Ids(second));
        Assert.Null(second["total"]);
        Assert.Null(second["nextCursor"]);
    }

    [Fact]
    public async Task The_total_of_all_lines_stays_exact_through_sync_writes_tombstones_deletes_and_new_lines()
    {
        // An organization of its own: the unfiltered total comes from a counter the mirror's triggers keep, so every way a
        // line appears or goes is checked against what the list really holds.
        var org = ApiHost.Unique("T");
        var orgId = await _host.CreateOrgAsync(org);
        var (ed, other) = (ApiHost.Unique("ed").ToLowerInvariant(), ApiHost.Unique("ot").ToLowerInvariant());
        await _host.CreateUserAsync(ed, (orgId, "Editor"));
        await _host.CreateUserAsync(other, (orgId, "Editor"));
        var (e, o) = (await _host.LoginAsync(ed), await _host.LoginAsync(other));
        async Task Expect(HttpClient c, int lines)
        {
            var page = await (await c.GetAsync($"/api/orgs/{org}/pfa?limit=1000", Http.Ct)).JsonAsync();
            Assert.Equal(lines, page["items"]!.AsArray().Count);
            Assert.Equal(lines, page["total"]!.GetValue<long>());
            Assert.False(page["totalIsEstimate"]!.GetValue<bool>());
        }
        async Task Sql(string sql)
        {
            await using var cmd = _host.Db.CreateCommand(sql);
            cmd.Parameters.AddWithValue(orgId);
            await cmd.ExecuteNonQueryAsync(Http.Ct);
        }

        await Expect(e, 0);
        await _host.UpsertMirrorAsync(orgId, Lines.Rental("7001"), Lines.Rental("7002"), Lines.Rental("7003"));
        await Expect(e, 3);
        await _host.UpsertMirrorAsync(orgId, Lines.Rental("7001", rate: 1000m), Lines.Rental("7004")); // one update, one insert
        await Expect(e, 4);
        await Sql("UPDATE pfa_mirror SET deleted_in_pems_at = now() WHERE organization_id = $1 AND pfa_id IN ('7002', '7003')");
        await Expect(e, 2);
        await Sql("UPDATE pfa_mirror SET deleted_in_pems_at = NULL WHERE organization_id = $1 AND pfa_id = '7003'");
        await Expect(e, 3);
        await Sql("DELETE FROM pfa_mirror WHERE organization_id = $1 AND pfa_id = '7004'");
        await Expect(e, 2);

        // New lines count for their author only, and leave with the author's discard.
        await (await e.PostAsJsonAsync($"/api/orgs/{org}/pfa/new", new
        {
            count = 2, description = "Crane 50t", category = "02036", @class = "02", source = "Rental", dor = "PROJECT", areaSilo = "SILO-N",
            forecastStart = "2025-01-01", forecastEnd = "2025-01-31", monthlyRate = 3044m,
        }, Http.Ct)).JsonAsync();
        await Expect(e, 4);
        await Expect(o, 2);
        await (await e.PostAsJsonAsync($"/api/orgs/{org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
        await Expect(e, 2);
    }

    [Fact]
    public async Task Timeline_with_drafts_follows_the_merged_lines_also_when_a_draft_moves_the_extreme_line()
    {
        var code = ApiHost.Unique("T");
        var orgId = await _host.CreateOrgAsync(code);
        PfaRecord Line(string id, string os, string oe, string fs, string fe) => Lines.Rental(id) with
        {
            OriginalStart = Lines.D(os), OriginalEnd = Lines.D(oe), ForecastStart = Lines.D(fs), ForecastEnd = Lines.D(fe),
        };
        await _host.UpsertMirrorAsync(orgId,
            Line("2001", "2025-01-10", "2025-02-10", "2025-01-10", "2025-03-01"),
            Line("2002", "2025-01-01", "2025-03-31", "2025-02-01", "2025-06-30"),
            Line("2003", "2025-01-05", "2025-02-01", "2025-01-05", "2025-02-01"));
        var (a, b) = (ApiHost.Unique("ta").ToLowerInvariant(), ApiHost.Unique("tb").ToLowerInvariant());
        await _host.CreateUserAsync(a, (orgId, "Editor"));
        await _host.CreateUserAsync(b, (orgId, "Editor"));
        var (ca, cb) = (await _host.LoginAsync(a), await _host.LoginAsync(b));
        async Task<string[]> Bounds(HttpClient c)
        {
            var t = await (await c.GetAsync($"/api/orgs/{code}/timeline?includeDrafts=true", Http.Ct)).JsonAsync();
            return [.. new[] { "minOriginalStart", "maxOriginalEnd", "minForecastStart", "maxForecastEnd" }.Select(k => t[k]!.GetValue<string>())];
        }
        async Task Draft(HttpClient c, params object[] items) =>
            await (await c.PostAsJsonAsync($"/api/orgs/{code}/drafts", new { items }, Http.Ct)).JsonAsync();

        // A draft on a line that holds no extreme: the view's bounds widened by the draft.
        await Draft(ca, new { pfaId = "2001", changes = new { forecastStart = "2024-12-01", forecastEnd = "2025-08-01" } });
        Assert.Equal(["2025-01-01", "2025-03-31", "2024-12-01", "2025-08-01"], await Bounds(ca));
        // Drafts that move or discontinue the lines holding the extremes: the bounds come from the remaining lines.
        await Draft(cb, new { pfaId = "2003", changes = new { forecastStart = "2025-03-01", forecastEnd = "2025-04-01" } },
            new { pfaId = "2002", changes = new { isDiscontinued = true } });
        Assert.Equal(["2025-01-05", "2025-02-10", "2025-01-10", "2025-04-01"], await Bounds(cb));
        Assert.Equal(["2025-01-01", "2025-03-31", "2024-12-01", "2025-08-01"], await Bounds(ca));
    }

    private async Task<string> NewEditorAsync()
    {
        var name = ApiHost.Unique("ed").ToLowerInvariant();
        await using var cmd = _host.Db.CreateCommand("SELECT id FROM organizations WHERE code = $1");
        cmd.Parameters.AddWithValue(_org);
        var orgId = (Guid)(await cmd.ExecuteScalarAsync(Http.Ct))!;
        await _host.CreateUserAsync(name, (orgId, "Editor"));
        return name;
    }
}
