using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor.Services;
using Pfa.Domain;
using Pfa.Web.Api;
using Pfa.Web.Components.Plan;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>The drafts tray (old → new, undo/redo, discard some, commit text, write-back) and the inline grid cell, with bUnit.</summary>
public sealed class DraftsTrayTests : BunitContext
{
    public DraftsTrayTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static PfaRow Changed(string id, DateOnly end, decimal rate, JsonObject baseValues, params string[] fields) =>
        new(id, "draft", fields, new PfaRecord { PfaId = id, ForecastStart = new DateOnly(2025, 1, 1), ForecastEnd = end, MonthlyRate = rate }, baseValues);

    private static readonly PfaRow[] Two =
    [
        Changed("4001", new DateOnly(2025, 4, 1), 3044m, new JsonObject { ["forecastEnd"] = "2025-03-02" }, "forecastEnd"),
        Changed("4002", new DateOnly(2025, 3, 2), 5000m, new JsonObject { ["monthlyRate"] = 3044 }, "monthlyRate"),
    ];

    private static WriteBackLine Line(string id, string state) => new(id, state, ["forecastEnd"], state == "conflict" ? ["forecastEnd"] : [], null, null, DateTimeOffset.UtcNow);

    [Fact]
    public void Tray_lists_each_changed_field_from_the_pems_value_to_mine()
    {
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 2).Add(x => x.Changes, Two));
        Assert.Empty(cut.FindAll("[data-testid=drafts-changes]"));
        cut.Find("[data-testid=drafts-toggle]").Click();

        var lines = cut.FindAll("[data-testid=drafts-line]");
        Assert.Equal(["4001", "4002"], lines.Select(l => l.GetAttribute("data-pfa")));
        Assert.Equal("Forecast end: 2025-03-02 → 2025-04-01", lines[0].QuerySelector("[data-testid=drafts-change]")!.TextContent.Trim());
        Assert.Equal("Rate / month: 3,044 → 5,000", lines[1].QuerySelector("[data-testid=drafts-change]")!.TextContent.Trim());

        cut.Render(p => p.Add(x => x.Count, 250).Add(x => x.Changes, Two));
        Assert.Contains("248 more lines", cut.Find("[data-testid=drafts-more]").TextContent);
    }

    [Fact]
    public void Undo_and_redo_buttons_carry_the_operation_label_and_are_disabled_without_one()
    {
        int undos = 0, redos = 0;
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 20).Add(x => x.OnUndo, () => undos++).Add(x => x.OnRedo, () => redos++));
        Assert.True(cut.Find("button[data-testid=drafts-undo]").HasAttribute("disabled"));
        Assert.True(cut.Find("button[data-testid=drafts-redo]").HasAttribute("disabled"));

        var history = new DraftHistory("Shift 20 lines +14 d", "Edit monthlyRate of 4002",
            [new JournalEntry(2, "Shift 20 lines +14 d", "done", 20, DateTimeOffset.UtcNow)],
            [new JournalEntry(3, "Edit monthlyRate of 4002", "undone", 1, DateTimeOffset.UtcNow)]);
        cut.Render(p => p.Add(x => x.Count, 20).Add(x => x.History, history).Add(x => x.OnUndo, () => undos++).Add(x => x.OnRedo, () => redos++));
        Assert.Equal("Undo Shift 20 lines +14 d", cut.Find("button[data-testid=drafts-undo]").TextContent.Trim());
        Assert.Equal("Redo Edit monthlyRate of 4002", cut.Find("button[data-testid=drafts-redo]").TextContent.Trim());
        cut.Find("button[data-testid=drafts-undo]").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, undos));
        cut.Find("button[data-testid=drafts-redo]").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, redos));

        cut.Render(p => p.Add(x => x.Busy, true));
        Assert.True(cut.Find("button[data-testid=drafts-undo]").HasAttribute("disabled"));
    }

    [Fact]
    public void Picked_lines_are_discarded_after_a_confirmation_naming_them()
    {
        IReadOnlyCollection<string>? discarded = ["never"];
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 2).Add(x => x.Changes, Two).Add(x => x.OnDiscard, ids => discarded = ids));
        Assert.Empty(cut.FindAll("[data-testid=drafts-discard-selected]"));
        cut.Find("[data-testid=drafts-toggle]").Click();
        cut.FindAll("[data-testid=drafts-pick]")[1].Change(true);
        cut.Find("[data-testid=drafts-discard-selected]").Click();
        Assert.Contains("1 line (4002)", cut.Find("[data-testid=drafts-confirm]").TextContent);
        cut.Find("[data-testid=drafts-confirm-yes]").Click();
        cut.WaitForAssertion(() => Assert.Equal(["4002"], discarded!));

        // Discard all sends null (all my drafts), and says undo can bring them back.
        cut.Find("[data-testid=drafts-discard]").Click();
        Assert.Contains("Undo can bring them back", cut.Find("[data-testid=drafts-confirm]").TextContent);
        cut.Find("[data-testid=drafts-confirm-yes]").Click();
        cut.WaitForAssertion(() => Assert.Null(discarded));
    }

    [Fact]
    public void Commit_confirmation_states_the_lines_and_fields_written_to_pems()
    {
        var commits = 0;
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 2).Add(x => x.Changes, Two).Add(x => x.CanCommit, true).Add(x => x.OnCommit, () => commits++));
        cut.Find("[data-testid=drafts-commit]").Click();
        var text = cut.Find("[data-testid=drafts-confirm]").TextContent;
        Assert.Contains("Write 2 changed lines to PEMS", text);
        Assert.Contains("Fields: Forecast end, Rate / month.", text);
        Assert.Equal(0, commits);
        cut.Find("[data-testid=drafts-confirm-yes]").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, commits));
    }

    [Fact]
    public void Write_back_states_are_summarised_and_problems_named()
    {
        var lines = new[] { Line("1", "committed"), Line("2", "syncing"), Line("3", "synced"), Line("4", "conflict") };
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 0).Add(x => x.WriteBack, lines));
        Assert.Equal("1 queued", cut.Find("[data-testid=writeback-queued]").TextContent.Trim());
        Assert.Equal("1 syncing", cut.Find("[data-testid=writeback-syncing]").TextContent.Trim());
        Assert.Equal("1 synced", cut.Find("[data-testid=writeback-synced]").TextContent.Trim());
        Assert.Contains("4: conflict on Forecast end", cut.Find("[data-testid=writeback-problem]").TextContent);

        Assert.True(DraftChanges.InFlight(lines));
        Assert.False(DraftChanges.InFlight([Line("3", "synced"), Line("4", "conflict"), Line("5", "failed")]));
        // Synced, but the worker has not re-read the line into the mirror yet: the grid's values will still change.
        Assert.True(DraftChanges.InFlight([Line("3", "synced") with { MirrorCurrent = false }]));
    }

    [Fact]
    public void Inline_cell_saves_on_enter_keeps_the_typed_text_with_the_api_message_and_escape_cancels()
    {
        var row = Two[0];
        var saves = new List<(string Field, string Text)>();
        string? answer = "Forecast end must be on or after forecast start.";
        var cut = Render<InlineCell>(p => p.Add(x => x.Row, row).Add(x => x.Field, "forecastEnd").Add(x => x.Display, "2025-04-01")
            .Add(x => x.Editable, true).Add(x => x.OnSave, (r, f, t) => { saves.Add((f, t)); return Task.FromResult<string?>(answer); }));
        Assert.Equal("PEMS: 2025-03-02", cut.Find("[data-testid=cell]").GetAttribute("title"));

        cut.Find("[data-testid=cell]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        cut.Find("[data-testid=cell-input]").Input("2024-01-01");
        cut.Find("[data-testid=cell-input]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.Equal([("forecastEnd", "2024-01-01")], saves);
        Assert.Equal("Forecast end must be on or after forecast start.", cut.Find("[data-testid=cell-error]").TextContent);
        Assert.Equal("2024-01-01", cut.Find("[data-testid=cell-input]").GetAttribute("value"));

        // Leaving the cell with the same rejected text does not send it again; Escape gives the old value back.
        cut.Find("[data-testid=cell-input]").Blur();
        Assert.Single(saves);
        cut.Find("[data-testid=cell-input]").KeyDown(new KeyboardEventArgs { Key = "Escape" });
        Assert.Empty(cut.FindAll("[data-testid=cell-input]"));
        Assert.Equal("2025-04-01", cut.Find("[data-testid=cell]").TextContent);

        answer = null;
        cut.Find("[data-testid=cell]").KeyDown(new KeyboardEventArgs { Key = "F2" });
        cut.Find("[data-testid=cell-input]").Input("2025-05-01");
        cut.Find("[data-testid=cell-input]").Blur();
        Assert.Equal(("forecastEnd", "2025-05-01"), saves[^1]);
        Assert.Empty(cut.FindAll("[data-testid=cell-input]"));
    }

    [Fact]
    public void A_category_shows_its_pems_description_beside_the_code_and_edits_the_code_only()
    {
        var saves = new List<string>();
        var cut = Render<InlineCell>(p => p.Add(x => x.Row, Two[1]).Add(x => x.Field, "category").Add(x => x.Display, "02036")
            .Add(x => x.Hint, "Cranes, mobile").Add(x => x.Editable, true).Add(x => x.OnSave, (r, f, t) => { saves.Add(t); return Task.FromResult<string?>(null); }));
        Assert.Equal("02036 Cranes, mobile", cut.Find("[data-testid=cell]").TextContent.Trim());
        Assert.Equal("Cranes, mobile · Enter to edit", cut.Find("[data-testid=cell]").GetAttribute("title"));
        cut.Find("[data-testid=cell]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.Equal("02036", cut.Find("[data-testid=cell-input]").GetAttribute("value"));
    }

    [Fact]
    public void Read_only_cell_never_opens_an_editor()
    {
        var cut = Render<InlineCell>(p => p.Add(x => x.Row, Two[0]).Add(x => x.Field, "forecastEnd").Add(x => x.Display, "2025-04-01")
            .Add(x => x.Editable, false).Add(x => x.OnSave, (r, f, t) => Task.FromResult<string?>(null)));
        cut.Find("[data-testid=cell]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        cut.Find("[data-testid=cell]").DoubleClick();
        Assert.Empty(cut.FindAll("[data-testid=cell-input]"));
    }

    [Theory]
    [InlineData("monthlyRate", "1,250.5", "1250.5")]
    [InlineData("monthlyRate", "abc", "\"abc\"")]
    [InlineData("forecastEnd", " 2025-04-01 ", "\"2025-04-01\"")]
    [InlineData("forecastEnd", "", "null")]
    public void Cell_text_becomes_typed_json_for_the_api(string field, string text, string json) =>
        Assert.Equal(json, PlanBoard.CellValue(field, text)?.ToJsonString() ?? "null");
}
