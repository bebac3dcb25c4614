using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// Issue 17: one set of field rules for single drafts, bulk edits, new lines and conflicts, and malformed requests as
/// 400 ProblemDetails naming the culprit. Each test reproduces a request that used to store bad data or answer 500.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ValidationTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private HttpClient _ed = null!, _pm = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("V");
        var orgId = await _host.CreateOrgAsync(_org);
        var ed = ApiHost.Unique("ed").ToLowerInvariant(); var pm = ApiHost.Unique("pm").ToLowerInvariant();
        await _host.CreateUserAsync(ed, (orgId, "Editor"));
        await _host.CreateUserAsync(pm, (orgId, "PortfolioManager"));
        await _host.UpsertMirrorAsync(orgId,
            Lines.Rental("7001") with { ForecastStart = Lines.D("9999-12-01"), ForecastEnd = Lines.D("9999-12-20") },
            Lines.Rental("7002") with { ForecastStart = Lines.D("0001-01-03"), ForecastEnd = Lines.D("0001-02-01") },
            Lines.Rental("7003"), Lines.Rental("7004"), Lines.Rental("7005"));
        _ed = await _host.LoginAsync(ed);
        _pm = await _host.LoginAsync(pm);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<HttpResponseMessage> Post(HttpClient c, string path, object body) => c.PostAsJsonAsync($"/api/orgs/{_org}{path}", body, Http.Ct);

    private static async Task<JsonObject> Problem(HttpResponseMessage r, string culprit)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)r.StatusCode}: {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        var keys = problem["errors"]?.AsObject().Select(e => e.Key).ToList() ?? [];
        Assert.True(keys.Any(k => k.Contains(culprit, StringComparison.OrdinalIgnoreCase)), $"'{culprit}' not named: {body}");
        Assert.DoesNotContain("   at ", body); // no stack trace
        return problem;
    }

    [Fact]
    public async Task A_shift_past_9999_12_31_skips_the_line_with_a_reason_and_the_grid_still_reads()
    {
        // The single edit moves the end to the last representable day; the bulk shift would have stored year 10000.
        var save = await (await Post(_ed, "/drafts", new { items = new[] { new { pfaId = "7001", changes = new { forecastEnd = "9999-12-31" } } } })).JsonAsync();
        Assert.Equal(1, save["saved"]!.GetValue<int>());

        var body = new { operation = "ShiftForecast", pfaIds = new[] { "7001", "7003" }, days = 5 };
        var preview = await (await Post(_ed, "/drafts/bulk/preview", body)).JsonAsync();
        Assert.Equal(1, preview["skipped"]!.GetValue<int>());
        Assert.Equal(1, preview["skippedReasons"]!["dateOutOfRange"]!.GetValue<int>());

        var applied = await (await Post(_ed, "/drafts/bulk", body)).JsonAsync();
        Assert.Equal(1, applied["changed"]!.GetValue<int>());
        Assert.Equal(1, applied["skippedReasons"]!["dateOutOfRange"]!.GetValue<int>());

        var line = await (await _ed.GetAsync($"/api/orgs/{_org}/pfa/7001", Http.Ct)).JsonAsync();
        Assert.Equal("9999-12-31", line["merged"]!["forecastEnd"]!.GetValue<string>());
        await (await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=100", Http.Ct)).JsonAsync();
    }

    [Fact]
    public async Task A_shift_before_0001_01_01_skips_the_line_instead_of_wrapping_the_year()
    {
        var body = new { operation = "ShiftForecast", pfaIds = new[] { "7002" }, months = -1 };
        var applied = await (await Post(_ed, "/drafts/bulk", body)).JsonAsync();
        Assert.Equal(0, applied["changed"]!.GetValue<int>());
        Assert.Equal(1, applied["skippedReasons"]!["dateOutOfRange"]!.GetValue<int>());
        var line = await (await _ed.GetAsync($"/api/orgs/{_org}/pfa/7002", Http.Ct)).JsonAsync();
        Assert.Equal("0001-01-03", line["merged"]!["forecastStart"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("SetRate", "amount", "1e15", null)]
    [InlineData("SetPrice", "amount", "-1", null)]
    [InlineData("SetCategory", "value", null, "long")]
    [InlineData("SetCategory", "value", null, "nul")]
    [InlineData("SetSource", "value", null, "1")]
    [InlineData("SetDor", "value", null, "0")]
    public async Task Bulk_refuses_what_a_single_edit_refuses(string operation, string field, string? amount, string? value)
    {
        var text = value switch { "long" => new string('x', 500), "nul" => "A\u0000B", _ => value };
        var body = new JsonObject { ["operation"] = operation, ["pfaIds"] = new JsonArray("7003") };
        if (amount is not null) body["amount"] = decimal.Parse(amount, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
        if (text is not null) body["value"] = text;
        await Problem(await Post(_ed, "/drafts/bulk", body), field);
        await Problem(await Post(_ed, "/drafts/bulk/preview", body), field);
    }

    [Theory]
    [InlineData("99")]
    [InlineData("\"Explode\"")]
    [InlineData("\"1\"")]
    public async Task An_undefined_bulk_operation_is_a_400_naming_operation(string operation)
    {
        var content = new StringContent($$"""{"operation":{{operation}},"pfaIds":["7003"],"days":1}""", Encoding.UTF8, "application/json");
        await Problem(await _ed.PostAsync($"/api/orgs/{_org}/drafts/bulk", content, Http.Ct), "operation");
    }

    [Theory]
    [InlineData("source", "1")]
    [InlineData("dor", "0")]
    [InlineData("category", "A\u0000B")]
    [InlineData("monthlyRate", "1e15")]
    public async Task A_single_draft_refuses_numeric_enums_nul_and_huge_amounts(string field, string value)
    {
        var save = await (await Post(_ed, "/drafts", new { items = new[] { new { pfaId = "7004", changes = new Dictionary<string, string> { [field] = value } } } })).JsonAsync();
        Assert.Equal(0, save["saved"]!.GetValue<int>());
        Assert.True(save["errors"]![0]!["errors"]![field] is not null, save.ToJsonString());
    }

    [Fact]
    public async Task A_cursor_made_for_one_sort_is_refused_with_another()
    {
        var first = await (await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=1&sort=pfaId", Http.Ct)).JsonAsync();
        var cursor = first["nextCursor"]!.GetValue<string>();
        await Problem(await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=1&sort=monthlyRate&cursor={cursor}", Http.Ct), "cursor");
        await Problem(await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=1&sort=pfaId&desc=true&cursor={cursor}", Http.Ct), "cursor");
        // The same sort still pages.
        var second = await (await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=1&sort=pfaId&cursor={cursor}", Http.Ct)).JsonAsync();
        Assert.Single(second["items"]!.AsArray());
    }

    [Theory]
    [InlineData("monthlyRate", "not-a-number")]
    [InlineData("forecastStart", "2025-99-99")]
    [InlineData("category", "A\u0000B")]
    public async Task A_forged_cursor_of_the_right_sort_is_a_400_naming_it(string sort, string value)
    {
        // The cursor format is opaque but not secret: a client can build one; its value must still be one the sort produces.
        var forged = Convert.ToBase64String(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new[] { value, "X-1", "+" + sort.ToLowerInvariant() }))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await Problem(await _ed.GetAsync($"/api/orgs/{_org}/pfa?limit=1&sort={sort}&cursor={forged}", Http.Ct), "cursor");
    }

    [Theory]
    [InlineData("/pfa?limit=abc", "limit")]
    [InlineData("/pfa?changedOnly=maybe", "changedOnly")]
    [InlineData("/pfa?forecastStartFrom=2025-13-45", "forecastStartFrom")]
    [InlineData("/kpis/monthly?forecastStartFrom=notadate", "forecastStartFrom")]
    [InlineData("/kpis?includeDrafts=yes", "includeDrafts")]
    [InlineData("/pfa?search=a%00b", "search")]
    public async Task Unbindable_query_values_are_400_naming_the_parameter(string path, string parameter) =>
        await Problem(await _ed.GetAsync($"/api/orgs/{_org}{path}", Http.Ct), parameter);

    [Theory]
    [InlineData("{", "request")]
    [InlineData("", "request")]
    [InlineData("[]", "request")]
    [InlineData("{\"items\": 5}", "items")]
    [InlineData("{\"items\": [{\"pfaId\": 7, \"changes\": {}}]}", "items[0].pfaId")]
    [InlineData("{\"sessionId\": \"a\\u0000b\", \"items\": []}", "sessionId")]
    public async Task Malformed_draft_bodies_are_400_naming_the_path(string body, string culprit)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/json");
        await Problem(await _ed.PostAsync($"/api/orgs/{_org}/drafts", content, Http.Ct), culprit);
    }

    [Fact]
    public async Task Very_deep_json_is_a_400_not_a_500()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);
        var content = new StringContent($"{{\"items\":[{{\"pfaId\":\"7003\",\"changes\":{deep}}}]}}", Encoding.UTF8, "application/json");
        await Problem(await _ed.PostAsync($"/api/orgs/{_org}/drafts", content, Http.Ct), "items");
    }

    [Theory]
    [InlineData("{\"strategy\":\"Explode\"}", "strategy")]
    [InlineData("{\"strategy\":2}", "strategy")]
    [InlineData("{\"strategy\":\"Merge\",\"keepMine\":[\"pfaId\"]}", "keepMine[0]")]
    public async Task Conflict_resolution_refuses_unknown_strategies_and_fields(string body, string culprit)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/json");
        await Problem(await _pm.PostAsync($"/api/orgs/{_org}/conflicts/7003/resolve", content, Http.Ct), culprit);
    }
}
