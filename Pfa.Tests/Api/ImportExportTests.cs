using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MiniExcelLibs;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>CSV/.xlsx import (preview, apply as one undo entry) and typed .xlsx export of the grid and of my changes.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ImportExportTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "";
    private HttpClient _ed = null!, _viewer = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("I");
        var orgId = await _host.CreateOrgAsync(_org);
        var ed = ApiHost.Unique("ed").ToLowerInvariant();
        var viewer = ApiHost.Unique("vw").ToLowerInvariant();
        await _host.CreateUserAsync(ed, (orgId, "Editor"));
        await _host.CreateUserAsync(viewer, (orgId, "Viewer"));
        await _host.UpsertMirrorAsync(orgId, Enumerable.Range(1, 12).Select(i => Lines.Rental($"{9000 + i}", area: i <= 6 ? "SILO-I" : "YARD-I", rate: 1000m + i))
            .Append(Lines.Rental("9099", actualized: true)).ToArray());
        _ed = await _host.LoginAsync(ed);
        _viewer = await _host.LoginAsync(viewer);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static MultipartFormDataContent Upload(byte[] bytes, string name)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".xlsx") ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv");
        form.Add(file, "file", name);
        return form;
    }

    private Task<HttpResponseMessage> Post(string path, byte[] bytes, string name) => _ed.PostAsync($"/api/orgs/{_org}/import/{path}", Upload(bytes, name), Http.Ct);

    private async Task<JsonArray> Items(HttpClient c, string query = "") =>
        (await (await c.GetAsync($"/api/orgs/{_org}/pfa?limit=1000{query}", Http.Ct)).JsonAsync())["items"]!.AsArray();

    private static JsonObject Row(JsonArray items, string id) => items.Single(i => i!["pfaId"]!.GetValue<string>() == id)!.AsObject();

    [Fact]
    public async Task Csv_with_grid_labels_previews_per_row_and_applies_as_one_undoable_operation()
    {
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "9003", changes = new { dor = "BEO" } } } }, Http.Ct)).JsonAsync();
        var before = (await Items(_ed)).ToJsonString();
        var csv = """
            PFA ID,Forecast start,"Rate / month",DOR,Discontinued,Plan start,Colour
            9001,2025-02-01,"$1,234.50",BEO,no,,red
            9002,2025-03-01,,,yes,,
            9003,2025-13-01,100,,,,
            9004,2025-02-01,100,,,2024-01-01,
            NOPE,2025-02-01,100,,,,
            9099,2025-02-01,,,,,
            """u8.ToArray();

        var preview = await (await Post("preview", csv, "forecast.csv")).JsonAsync();
        Assert.Equal(6, preview["rows"]!.GetValue<int>());
        Assert.Equal(2, preview["valid"]!.GetValue<int>());
        Assert.Equal(["Colour"], preview["unmatchedHeaders"]!.AsArray().Select(h => h!.GetValue<string>()));
        var rows = preview["items"]!.AsArray();
        var r1 = rows[0]!;
        Assert.Equal(2, r1["row"]!.GetValue<int>());
        var changes = r1["changes"]!.AsArray().ToDictionary(c => c!["field"]!.GetValue<string>(), c => c!);
        Assert.Equal(1001m, changes["monthlyRate"]!["from"]!.GetValue<decimal>());
        Assert.Equal(1234.50m, changes["monthlyRate"]!["to"]!.GetValue<decimal>());
        Assert.Equal("2025-02-01", changes["forecastStart"]!["to"]!.GetValue<string>());
        Assert.Equal("BEO", changes["dor"]!["to"]!.GetValue<string>());
        Assert.Equal(["forecastStart", "isDiscontinued"], rows[1]!["changes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).Order());
        Assert.NotNull(rows[2]!["errors"]!["forecastStart"]);   // bad date
        Assert.NotNull(rows[3]!["errors"]!["originalStart"]);   // plan dates are PEMS's
        Assert.NotNull(rows[4]!["errors"]!["pfaId"]);           // unknown line
        Assert.NotNull(rows[5]!["errors"]!["forecastStart"]);   // actualized: start locked (DraftRules)
        Assert.Equal(before, (await Items(_ed)).ToJsonString()); // preview changes nothing

        var apply = await (await Post("apply", csv, "forecast.csv")).JsonAsync();
        Assert.Equal(2, apply["applied"]!.GetValue<int>());
        Assert.Equal(4, apply["invalid"]!.GetValue<int>());
        Assert.Equal("Import forecast.csv (2 lines)", apply["label"]!.GetValue<string>());
        var after = await Items(_ed);
        Assert.Equal(1234.5m, Row(after, "9001")["record"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.True(Row(after, "9002")["record"]!["isDiscontinued"]!.GetValue<bool>());
        Assert.Equal("BEO", Row(after, "9003")["record"]!["dor"]!.GetValue<string>()); // the earlier draft is untouched

        var history = await (await _ed.GetAsync($"/api/orgs/{_org}/drafts/history", Http.Ct)).JsonAsync();
        Assert.Equal("Import forecast.csv (2 lines)", history["undoLabel"]!.GetValue<string>());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(before, (await Items(_ed)).ToJsonString());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
    }

    [Fact]
    public async Task Xlsx_with_api_key_headers_imports_typed_cells()
    {
        var sheet = new[]
        {
            new Dictionary<string, object?> { ["pfaId"] = "9005", ["forecastEnd"] = new DateTime(2025, 6, 30), ["monthlyRate"] = 777.25m, ["isFundsTransferable"] = true },
            new Dictionary<string, object?> { ["pfaId"] = "9006", ["forecastEnd"] = "not a date", ["monthlyRate"] = 1m, ["isFundsTransferable"] = false },
        };
        using var ms = new MemoryStream();
        MiniExcel.SaveAs(ms, sheet, excelType: ExcelType.XLSX);
        var preview = await (await Post("preview", ms.ToArray(), "forecast.xlsx")).JsonAsync();
        Assert.Equal(1, preview["valid"]!.GetValue<int>());
        Assert.Equal(["forecastEnd", "isFundsTransferable", "monthlyRate"],
            preview["items"]![0]!["changes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).Order());
        Assert.NotNull(preview["items"]![1]!["errors"]!["forecastEnd"]);
        var apply = await (await Post("apply", ms.ToArray(), "forecast.xlsx")).JsonAsync();
        Assert.Equal(1, apply["applied"]!.GetValue<int>());
        var line = Row(await Items(_ed), "9005")["record"]!;
        Assert.Equal("2025-06-30", line["forecastEnd"]!.GetValue<string>());
        Assert.Equal(777.25m, line["monthlyRate"]!.GetValue<decimal>());
        Assert.True(line["isFundsTransferable"]!.GetValue<bool>());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
    }

    [Fact]
    public async Task Bad_files_are_400_or_413_and_viewers_cannot_import()
    {
        (await (await Post("preview", "a,b\n1,2"u8.ToArray(), "x.csv")).JsonAsync(HttpStatusCode.BadRequest)).ToString();
        await (await Post("preview", "garbage that is no zip"u8.ToArray(), "x.xlsx")).JsonAsync(HttpStatusCode.BadRequest);
        await (await Post("preview", [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6], "x.xlsx")).JsonAsync(HttpStatusCode.BadRequest);
        await (await Post("preview", [], "x.csv")).JsonAsync(HttpStatusCode.BadRequest);
        var big = Encoding.UTF8.GetBytes("PFA ID,Forecast start\n" + string.Concat(Enumerable.Repeat("9001,2025-01-01\n", 400_000)));
        await (await Post("preview", big, "big.csv")).JsonAsync(HttpStatusCode.RequestEntityTooLarge);
        var many = Encoding.UTF8.GetBytes("PFA ID,Forecast start\n" + string.Concat(Enumerable.Repeat("9001,2025-01-01\n", 20_001)));
        await (await Post("preview", many, "many.csv")).JsonAsync(HttpStatusCode.BadRequest);
        var asViewer = await _viewer.PostAsync($"/api/orgs/{_org}/import/apply", Upload("PFA ID\n9001"u8.ToArray(), "x.csv"), Http.Ct);
        Assert.Equal(HttpStatusCode.Forbidden, asViewer.StatusCode);
    }

    [Fact]
    public async Task Grid_xlsx_has_typed_cells_equal_to_the_merged_list_for_the_same_filter()
    {
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId = "9002", changes = new { monthlyRate = 5555.5, forecastEnd = "2025-05-05" } } } }, Http.Ct)).JsonAsync();
        var list = await Items(_ed, "&areaSilo=SILO-I&sort=monthlyRate&desc=true");
        var response = await _ed.GetAsync($"/api/orgs/{_org}/export/grid.xlsx?areaSilo=SILO-I&sort=monthlyRate&desc=true", Http.Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Http.Ct));
        using var xlsx = new MemoryStream(await response.Content.ReadAsByteArrayAsync(Http.Ct));
        var rows = MiniExcel.Query(xlsx, useHeaderRow: true).Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(list.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var record = list[i]!["record"]!;
            Assert.Equal(list[i]!["pfaId"]!.GetValue<string>(), rows[i]["PFA ID"]);
            Assert.Equal(record["monthlyRate"]!.GetValue<decimal>(), Convert.ToDecimal(Assert.IsType<double>(rows[i]["Rate / month"])));
            Assert.Equal(DateTime.Parse(record["forecastEnd"]!.GetValue<string>()), Assert.IsType<DateTime>(rows[i]["Forecast end"]));
            Assert.Equal(record["isDiscontinued"]!.GetValue<bool>(), Assert.IsType<bool>(rows[i]["Discontinued"]));
            Assert.Equal(list[i]!["draftState"]!.GetValue<string>(), rows[i]["State"]);
        }
        Assert.Equal("9002", rows[0]["PFA ID"]);

        var changes = await _ed.GetAsync($"/api/orgs/{_org}/export/changes.xlsx", Http.Ct);
        using var cx = new MemoryStream(await changes.Content.ReadAsByteArrayAsync(Http.Ct));
        var changeRows = MiniExcel.Query(cx, useHeaderRow: true).Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(2, changeRows.Count);
        var rate = changeRows.Single(r => (string?)r["Field"] == "Rate / month");
        Assert.Equal(1002d, rate["PEMS value"]);
        Assert.Equal(5555.5d, rate["My value"]);

        // An exported grid imports back without changes or errors (read-only columns equal, nothing to apply).
        xlsx.Position = 0;
        var roundTrip = await (await Post("preview", xlsx.ToArray(), "grid.xlsx")).JsonAsync();
        Assert.Equal(roundTrip["rows"]!.GetValue<int>(), roundTrip["valid"]!.GetValue<int>());
        Assert.Equal(0, roundTrip["changing"]!.GetValue<int>());
        await (await _ed.PostAsJsonAsync($"/api/orgs/{_org}/drafts/discard", new { all = true }, Http.Ct)).JsonAsync();
    }
}
