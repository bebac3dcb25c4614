using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Components.Plan;

namespace Pfa.Tests.Web;

/// <summary>Component logic of the plan page with bUnit: KPI arithmetic display, drafts tray, command deck, filter panel.</summary>
public sealed class ComponentTests : BunitContext
{
    public ComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static KpiFigures F(decimal plan, decimal forecast, decimal actual = 0) =>
        new(10, plan, forecast, actual, forecast - plan, plan == 0 ? null : Math.Round((forecast - plan) / plan * 100, 2));

    private static KpiResult K(bool drafts, KpiFigures rental, KpiFigures purchase) =>
        new(drafts, null, new KpiFigures(rental.Lines + purchase.Lines, rental.Plan + purchase.Plan, rental.Forecast + purchase.Forecast,
            rental.Actual + purchase.Actual, rental.Variance + purchase.Variance, null), rental, purchase, null, 1, false);

    [Fact]
    public void Kpi_board_shows_committed_and_draft_figures_side_by_side_with_the_impact_of_my_drafts()
    {
        var committed = K(false, F(100_000, 100_000), F(50_000, 40_000));
        var drafts = K(true, F(100_000, 112_500), F(50_000, 40_000));
        var cut = Render<KpiBoard>(p => p.Add(x => x.Committed, committed).Add(x => x.WithDrafts, drafts));

        Assert.Equal("$150,000", cut.Find("[data-testid=kpi-total-plan-committed]").TextContent.Trim());
        Assert.Equal("$140,000", cut.Find("[data-testid=kpi-total-forecast-committed]").TextContent.Trim());
        Assert.Equal("$152,500", cut.Find("[data-testid=kpi-total-forecast-drafts]").TextContent.Trim());
        Assert.Contains("kpi-changed", cut.Find("[data-testid=kpi-total-forecast-drafts]").ClassName);
        // Committed: 10,000 under plan (green); with drafts: 2,500 over (red).
        var committedVariance = cut.Find("[data-testid=kpi-total-variance-committed]");
        Assert.StartsWith("−$10,000", committedVariance.TextContent.Trim());
        Assert.Contains("kpi-under", committedVariance.ClassName);
        var draftVariance = cut.Find("[data-testid=kpi-total-variance-drafts]");
        Assert.StartsWith("+$2,500", draftVariance.TextContent.Trim());
        Assert.Contains("kpi-over", draftVariance.ClassName);
        Assert.Contains("+12.5%", cut.Find("[data-testid=kpi-rental-variance-drafts]").TextContent);
        Assert.Contains("+$12,500", cut.Find("[data-testid=kpi-total-impact]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=kpi-purchase-impact]")); // purchase untouched by drafts
    }

    [Fact]
    public void Kpi_board_shows_an_error_instead_of_figures()
    {
        var cut = Render<KpiBoard>(p => p.Add(x => x.Error, "The PFA service cannot be reached."));
        Assert.Contains("cannot be reached", cut.Find("[data-testid=kpi-error]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=kpi-total]"));
    }

    [Theory]
    [InlineData(0, "$0")]
    [InlineData(1234.5, "$1,235")]
    [InlineData(-1234.4, "−$1,234")]
    public void Money_is_rounded_and_signed(decimal value, string expected) => Assert.Equal(expected, KpiFormat.Money(value));

    [Fact]
    public void Percent_and_variance_colour()
    {
        Assert.Equal("—", KpiFormat.Percent(null));
        Assert.Equal("+3.3%", KpiFormat.Percent(3.33m));
        Assert.Equal("−1.0%", KpiFormat.Percent(-1m));
        Assert.Equal("kpi-even", KpiFormat.VarianceClass(0));
    }

    [Fact]
    public void Drafts_tray_commit_is_offered_only_to_committers_and_asks_for_confirmation()
    {
        var commits = 0;
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 3).Add(x => x.CanCommit, true).Add(x => x.OnCommit, () => commits++));
        Assert.Equal("3 changed lines", cut.Find("[data-testid=drafts-count]").TextContent.Trim());

        cut.Find("[data-testid=drafts-commit]").Click();
        Assert.Equal(0, commits);
        Assert.Contains("Write 3 changed lines to PEMS", cut.Find("[data-testid=drafts-confirm]").TextContent);
        cut.Find("[data-testid=drafts-confirm-no]").Click();
        Assert.Empty(cut.FindAll("[data-testid=drafts-confirm]"));
        Assert.Equal(0, commits);

        cut.Find("[data-testid=drafts-commit]").Click();
        cut.Find("[data-testid=drafts-confirm-yes]").Click();
        Assert.Equal(1, commits);

        var editor = Render<DraftsTray>(p => p.Add(x => x.Count, 3).Add(x => x.CanCommit, false));
        Assert.Empty(editor.FindAll("[data-testid=drafts-commit]"));
        Assert.Single(editor.FindAll("[data-testid=drafts-discard]"));
    }

    [Fact]
    public void Drafts_tray_discard_confirms_and_is_disabled_without_drafts()
    {
        var discards = 0;
        var cut = Render<DraftsTray>(p => p.Add(x => x.Count, 0).Add(x => x.OnDiscard, () => discards++));
        Assert.Equal("No changed lines", cut.Find("[data-testid=drafts-count]").TextContent.Trim());
        Assert.True(cut.Find("[data-testid=drafts-discard]").HasAttribute("disabled"));

        cut.Render(p => p.Add(x => x.Count, 1));
        Assert.Equal("1 changed line", cut.Find("[data-testid=drafts-count]").TextContent.Trim());
        cut.Find("[data-testid=drafts-discard]").Click();
        cut.Find("[data-testid=drafts-confirm-yes]").Click();
        Assert.Equal(1, discards);
    }

    [Fact]
    public void Command_deck_shifts_the_selection_by_the_days_entered()
    {
        DeckCommand? sent = null;
        var cut = Render<CommandDeck>(p => p.Add(x => x.SelectedCount, 0).Add(x => x.OnCommand, c => sent = c));
        Assert.True(cut.Find("button[data-testid=deck-apply]").HasAttribute("disabled"));
        Assert.Contains("Select lines", cut.Find("[data-testid=deck-impact]").TextContent);

        cut.Render(p => p.Add(x => x.SelectedCount, 3));
        cut.Find("button[data-testid=deck-apply]").Click();
        Assert.Equal(new DeckCommand(BulkOps.ShiftForecast, Days: 14), sent);

        cut.Find("input[data-testid=deck-days]").Change("-7");
        cut.Find("button[data-testid=deck-apply]").Click();
        Assert.Equal(new DeckCommand(BulkOps.ShiftForecast, Days: -7), sent);

        // Another operation from the selector: discontinue needs no input.
        cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Operation").Instance.ValueChanged.InvokeAsync(BulkOps.Discontinue));
        Assert.Equal("Discontinue", cut.Find("button[data-testid=deck-apply]").TextContent.Trim());
        cut.Find("button[data-testid=deck-apply]").Click();
        Assert.Equal(new DeckCommand(BulkOps.Discontinue), sent);
    }

    [Fact]
    public void Command_deck_can_target_all_lines_matching_the_filter()
    {
        var cut = Render<CommandDeck>(p => p.Add(x => x.SelectedCount, 0).Add(x => x.MatchingCount, 1200).Add(x => x.AllMatching, true));
        Assert.Contains("All 1,200 matching the filter", cut.Markup);
        Assert.False(cut.Find("button[data-testid=deck-apply]").HasAttribute("disabled"));
    }

    [Fact]
    public void Skipped_lines_are_named_with_their_rule_and_the_rest_counted()
    {
        var preview = new BulkPreview(40, 27, 27, 13, null, null, null,
        [
            new SkippedLine("3010", "actualized, or without forecast dates"), new SkippedLine("3020", "actualized, or without forecast dates"),
            new SkippedLine("3031", "dateOutOfRange"),
        ]);
        Assert.Equal("27 of 40 lines change · 13 skipped: 3010, 3020 (actualized, or without forecast dates); 3031 (would leave the years 0001–9999) and 10 more",
            DeckForm.DescribeImpact(preview));
    }

    [Fact]
    public void Command_deck_shows_the_impact_of_the_command_as_typed_before_applying()
    {
        var asked = new List<DeckCommand>();
        Task<BulkPreview> Preview(DeckCommand c, CancellationToken ct)
        {
            lock (asked) asked.Add(c);
            return Task.FromResult(new BulkPreview(600, 598, 598, 2, 1_000_000m, 1_046_000m, 46_000m));
        }
        var cut = Render<CommandDeck>(p => p.Add(x => x.SelectedCount, 600).Add(x => x.SelectionKey, "a").Add(x => x.Preview, Preview));
        cut.WaitForAssertion(() => Assert.Equal("598 of 600 lines change · 2 skipped by the rules (e.g. actualized) · forecast +$46,000 ($1,000,000 → $1,046,000)",
            cut.Find("[data-testid=deck-impact]").TextContent.Trim()));
        Assert.Equal(new DeckCommand(BulkOps.ShiftForecast, Days: 14), asked.Last());

        // A changed amount asks again for that amount; an invalid one asks nothing and says why, and cannot be applied.
        cut.Find("input[data-testid=deck-days]").Change("21");
        cut.WaitForAssertion(() => Assert.Equal(new DeckCommand(BulkOps.ShiftForecast, Days: 21), asked.Last()));
        var before = asked.Count;
        cut.Find("input[data-testid=deck-days]").Change("0");
        // The numeric field hands its value over asynchronously: wait for the render, not for a preview.
        cut.WaitForAssertion(() => Assert.Contains("non-zero number of days", cut.Find("[data-testid=deck-impact]").TextContent));
        Assert.True(cut.Find("button[data-testid=deck-apply]").HasAttribute("disabled"));
        Assert.Equal(before, asked.Count);

        // A new selection refreshes the figure.
        cut.Find("input[data-testid=deck-days]").Change("7");
        cut.WaitForAssertion(() => Assert.Equal(new DeckCommand(BulkOps.ShiftForecast, Days: 7), asked.Last()));
        var n = asked.Count;
        cut.Render(p => p.Add(x => x.SelectedCount, 10).Add(x => x.SelectionKey, "b"));
        cut.WaitForAssertion(() => Assert.Equal(n + 1, asked.Count));
    }

    [Theory]
    [InlineData(ShiftUnit.Days, 3, 3, null)]
    [InlineData(ShiftUnit.Weeks, 2, 14, null)]
    [InlineData(ShiftUnit.Months, -1, null, -1)]
    public void Deck_form_turns_a_shift_unit_into_days_or_calendar_months(ShiftUnit unit, int amount, int? days, int? months)
    {
        var form = new DeckForm { Amount = amount, Unit = unit };
        Assert.True(form.TryBuild(out var command, out _));
        Assert.Equal((days, months), (command.Days, command.Months));
    }

    [Fact]
    public void Deck_form_names_what_each_operation_is_missing()
    {
        string? Error(DeckForm f) => f.TryBuild(out _, out var e) ? null : e;
        Assert.Contains("start, an end", Error(new DeckForm { Operation = BulkOps.SetForecastDates }));
        Assert.Contains("on or after", Error(new DeckForm { Operation = BulkOps.SetForecastDates, Start = new(2025, 3, 1), End = new(2025, 2, 1) }));
        Assert.Null(Error(new DeckForm { Operation = BulkOps.SetForecastDates, End = new(2025, 2, 1) }));
        Assert.Contains("1 to 3650", Error(new DeckForm { Operation = BulkOps.SetDuration, Amount = 0 }));
        Assert.Contains("zero or more", Error(new DeckForm { Operation = BulkOps.SetRate, Money = -1 }));
        Assert.Contains("Pick a value", Error(new DeckForm { Operation = BulkOps.SetDor }));
        Assert.Null(Error(new DeckForm { Operation = BulkOps.ResetToPlan }));
        Assert.Contains("within ±120", Error(new DeckForm { Amount = 121, Unit = ShiftUnit.Months }));
    }

    [Fact]
    public void Filter_panel_applies_search_and_rejects_an_inverted_date_range()
    {
        GridQuery? applied = null;
        Render<MudPopoverProvider>();
        var query = new GridQuery { Sort = "forecastStart", Desc = true, Class = ["CRANE"], Category = ["08850"] };
        var options = new PlanFilterOptions(["CRANE", "TRUCK"],
            [new Pfa.Domain.CategoryLabel("02036", null), new Pfa.Domain.CategoryLabel("08850", "TANK FRAC WATER TRAILER")], ["NORTH", "SOUTH"]);
        var cut = Render<FilterPanel>(p => p.Add(x => x.Query, query).Add(x => x.QueryChanged, q => applied = q).Add(x => x.Options, options));
        // The selected category reads with its PEMS description; a code without one stays bare.
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-testid=filter-category] input, input[data-testid=filter-category]"),
            i => (i.GetAttribute("value") ?? "").Contains("08850 — TANK FRAC WATER TRAILER")));
        Assert.Equal("02036", options.CategoryText("02036"));

        cut.Find("input[data-testid=filter-search]").Input("  pump ");
        cut.Find("button[data-testid=filter-apply]").Click();
        // MudButton may finish its click handler asynchronously: wait for the callback rather than assume it ran.
        cut.WaitForAssertion(() => Assert.NotNull(applied));
        Assert.Equal("pump", applied!.Search);
        Assert.Equal(["CRANE"], applied.Class);
        Assert.Equal(["08850"], applied.Category); // the filter still sends the code
        Assert.Equal("forecastStart", applied.Sort); // sort survives a filter change
        Assert.True(applied.Desc);

        applied = null;
        cut.Find("button[data-testid=filter-clear]").Click();
        cut.WaitForAssertion(() => Assert.NotNull(applied));
        Assert.Equal(0, applied!.ActiveFilterCount);
        Assert.Equal("forecastStart", applied.Sort);

        var inverted = cut.Instance;
        cut.Render(p => p.Add(x => x.Query, new GridQuery { ForecastStartFrom = new DateOnly(2027, 5, 1), ForecastStartTo = new DateOnly(2027, 1, 1) }));
        applied = null;
        cut.Find("button[data-testid=filter-apply]").Click();
        // As above, the click may complete asynchronously: wait for the message, then check nothing was applied.
        cut.WaitForAssertion(() => Assert.Contains("on or before", cut.Find("[data-testid=filter-range-error]").TextContent));
        Assert.Null(applied);
        Assert.Null(inverted.Build());
    }
}
