using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>Server-backed undo/redo of draft operations (the draft journal) through the real API on real PostgreSQL.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class UndoRedoTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "", _pmName = "", _edName = "";
    private HttpClient _pm = null!, _ed = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("U");
        var orgId = await _host.CreateOrgAsync(_org);
        _pmName = ApiHost.Unique("pm").ToLowerInvariant();
        _edName = ApiHost.Unique("ed").ToLowerInvariant();
        await _host.CreateUserAsync(_pmName, (orgId, "PortfolioManager"));
        await _host.CreateUserAsync(_edName, (orgId, "Editor"));
        await _host.UpsertMirrorAsync(orgId, Enumerable.Range(1, 30)
            .Select(i => Lines.Rental($"{6000 + i}", area: i <= 20 ? "SILO-6" : "YARD-6", rate: 1000m + i)).ToArray());
        _pm = await _host.LoginAsync(_pmName);
        _ed = await _host.LoginAsync(_edName);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The merged list as the grid sees it (state, changed fields, merged record), as comparable text.</summary>
    private async Task<string> MergedAsync(HttpClient c) =>
        (await (await c.GetAsync($"/api/orgs/{_org}/pfa?limit=1000&sort=pfaId", Http.Ct)).JsonAsync())["items"]!.ToJsonString();

    private async Task<JsonObject> Post(HttpClient c, string path, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await c.PostAsJsonAsync($"/api/orgs/{_org}/{path}", body, Http.Ct)).JsonAsync(expected);

    private Task<JsonObject> Shift(HttpClient c, int days) =>
        Post(c, "drafts/bulk", new { operation = "ShiftForecast", days, filter = new { areaSilo = new[] { "SILO-6" } } });

    private async Task<JsonObject> History(HttpClient c) => await (await c.GetAsync($"/api/orgs/{_org}/drafts/history", Http.Ct)).JsonAsync();

    [Fact]
    public async Task Save_then_bulk_shift_undo_restores_the_merged_rows_and_redo_reapplies_them()
    {
        var pristine = await MergedAsync(_ed);
        await Post(_ed, "drafts", new { items = new[] { new { pfaId = "6001", changes = new { monthlyRate = 2500 } } } });
        var afterSave = await MergedAsync(_ed);
        Assert.Equal(20, (await Shift(_ed, 14))["changed"]!.GetValue<int>());
        var afterShift = await MergedAsync(_ed);
        Assert.NotEqual(afterSave, afterShift);

        var history = await History(_ed);
        Assert.Equal("Shift 20 lines +14 d", history["undoLabel"]!.GetValue<string>());
        Assert.Equal(["Shift 20 lines +14 d", "Edit Rate / month of 6001"], history["undo"]!.AsArray().Select(e => e!["label"]!.GetValue<string>()));
        Assert.Null(history["redoLabel"]);

        var undo = await Post(_ed, "drafts/undo", new { });
        Assert.Equal(20, undo["restored"]!.GetValue<int>());
        Assert.Equal(0, undo["skipped"]!.GetValue<int>());
        Assert.Equal(afterSave, await MergedAsync(_ed));
        Assert.Equal("Shift 20 lines +14 d", (await History(_ed))["redoLabel"]!.GetValue<string>());

        await Post(_ed, "drafts/redo", new { });
        Assert.Equal(afterShift, await MergedAsync(_ed));

        await Post(_ed, "drafts/undo", new { });
        await Post(_ed, "drafts/undo", new { });
        Assert.Equal(pristine, await MergedAsync(_ed));
        await Post(_ed, "drafts/undo", new { }, HttpStatusCode.Conflict);

        // Redo walks forward in order: first the save, then the shift.
        Assert.Equal("Edit Rate / month of 6001", (await Post(_ed, "drafts/redo", new { }))["label"]!.GetValue<string>());
        Assert.Equal(afterSave, await MergedAsync(_ed));
        Assert.Equal("Shift 20 lines +14 d", (await Post(_ed, "drafts/redo", new { }))["label"]!.GetValue<string>());
        Assert.Equal(afterShift, await MergedAsync(_ed));
    }

    [Fact]
    public async Task Undo_survives_a_fresh_client_discard_is_undoable_and_a_new_edit_clears_redo()
    {
        await Shift(_pm, 7);
        var shifted = await MergedAsync(_pm);
        await Post(_pm, "drafts/discard", new { all = true });
        Assert.Equal("Discard 20 lines", (await History(_pm))["undoLabel"]!.GetValue<string>());

        // A new sign-in (as after a browser reload) sees the same stack: it lives in the database, not in a client.
        using var fresh = await _host.LoginAsync(_pmName);
        await Post(fresh, "drafts/undo", new { });
        Assert.Equal(shifted, await MergedAsync(fresh));

        await Post(fresh, "drafts/undo", new { });
        Assert.NotNull((await History(fresh))["redoLabel"]);
        await Post(fresh, "drafts", new { items = new[] { new { pfaId = "6021", changes = new { dor = "BEO" } } } });
        var history = await History(fresh);
        Assert.Empty(history["redo"]!.AsArray());
        await Post(fresh, "drafts/redo", new { }, HttpStatusCode.Conflict);
        await Post(fresh, "drafts/discard", new { all = true });
    }

    /// <summary>Undo never offers what it cannot undo (issue #19): a commit forgets the operations on the lines it committed.</summary>
    [Fact]
    public async Task Commit_forgets_the_operations_it_made_impossible_to_undo()
    {
        await Post(_pm, "drafts", new { items = new[] { new { pfaId = "6025", changes = new { monthlyRate = 999 } } } });
        await Post(_pm, "drafts", new { items = new[] { new { pfaId = "6025", changes = new { dor = "BEO" } },
                                                          new { pfaId = "6026", changes = new { dor = "BEO" } } } });
        Assert.Equal("Edit DOR on 2 lines", (await History(_pm))["undoLabel"]!.GetValue<string>());
        await Post(_pm, "commit", new { });
        var committed = await MergedAsync(_pm);

        var history = await History(_pm);
        Assert.Null(history["undoLabel"]);
        Assert.Null(history["redoLabel"]);
        Assert.Empty(history["undo"]!.AsArray());
        var nothing = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/drafts/undo", new { }, Http.Ct)).JsonAsync(HttpStatusCode.Conflict);
        Assert.Equal("Nothing to undo.", nothing["title"]!.GetValue<string>());
        Assert.Equal(committed, await MergedAsync(_pm));
        var detail = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/6025", Http.Ct)).JsonAsync();
        Assert.Equal("committed", detail["draftState"]!.GetValue<string>());

        // The next draft is undoable again, named by the grid's header.
        await Post(_pm, "drafts", new { items = new[] { new { pfaId = "6027", changes = new { monthlyRate = 1234 } } } });
        Assert.Equal("Edit Rate / month of 6027", (await History(_pm))["undoLabel"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_user_undoes_only_their_own_operations()
    {
        using var other = await _host.LoginAsync(_edName);
        await Post(_pm, "drafts", new { items = new[] { new { pfaId = "6030", changes = new { monthlyRate = 4321 } } } });
        var pmBefore = await MergedAsync(_pm);
        var edHistory = await History(other);
        Assert.DoesNotContain(edHistory["undo"]!.AsArray(), e => e!["label"]!.GetValue<string>().Contains("6030"));

        await Post(other, "drafts", new { items = new[] { new { pfaId = "6030", changes = new { monthlyRate = 1111 } } } });
        await Post(other, "drafts/undo", new { });
        Assert.Equal(pmBefore, await MergedAsync(_pm));
        var pmDetail = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/6030", Http.Ct)).JsonAsync();
        Assert.Equal(4321m, pmDetail["merged"]!["monthlyRate"]!.GetValue<decimal>());
        await Post(_pm, "drafts/undo", new { });
        var after = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/6030", Http.Ct)).JsonAsync();
        Assert.Equal("pristine", after["draftState"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_rows_carry_the_base_of_changed_fields_and_committed_lines_report_their_write_back_state()
    {
        await Post(_pm, "drafts", new { items = new[] { new { pfaId = "6002", changes = new { monthlyRate = 2500, forecastEnd = "2025-04-01" } } } });
        var rows = (await (await _pm.GetAsync($"/api/orgs/{_org}/pfa?changedOnly=true", Http.Ct)).JsonAsync())["items"]!.AsArray();
        var row = Assert.Single(rows)!;
        Assert.Equal(1002m, row["baseValues"]!["monthlyRate"]!.GetValue<decimal>());
        Assert.Equal("2025-03-02", row["baseValues"]!["forecastEnd"]!.GetValue<string>());
        Assert.Equal(2500m, row["record"]!["monthlyRate"]!.GetValue<decimal>());

        Assert.Empty((await (await _pm.GetAsync($"/api/orgs/{_org}/drafts/writeback", Http.Ct)).Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!);
        await Post(_pm, "commit", new { });
        var lines = (await (await _pm.GetAsync($"/api/orgs/{_org}/drafts/writeback", Http.Ct)).Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!;
        var line = Assert.Single(lines)!;
        Assert.Equal("6002", line["pfaId"]!.GetValue<string>());
        Assert.Equal("committed", line["state"]!.GetValue<string>());
        Assert.True(line["mirrorCurrent"]!.GetValue<bool>());
        Assert.Equal(["forecastEnd", "monthlyRate"], line["fields"]!.AsArray().Select(f => f!.GetValue<string>()).Order());
        // Another user's view of the same organization lists none of my lines.
        Assert.Empty((await (await _ed.GetAsync($"/api/orgs/{_org}/drafts/writeback", Http.Ct)).Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!);
    }
}
