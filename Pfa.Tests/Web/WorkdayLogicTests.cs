using Pfa.Web.Api;
using Pfa.Web.Components.Plan;
using Pfa.Web.Components.Sync;
using Pfa.Web.Components.Timeline;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>The pure rules behind issue #19's screen: folding panels, the KPI strip's line, run outcomes, where the timeline opens.</summary>
public sealed class WorkdayLogicTests
{
    [Fact]
    public void Panels_start_folded_toggle_one_at_a_time_and_are_remembered_per_user()
    {
        var p = new PlanPanels();
        Assert.False(p.IsOpen(PlanPanels.KpiName) || p.IsOpen(PlanPanels.DraftsName) || p.IsOpen(PlanPanels.DeckName));
        p = p.Toggle(PlanPanels.DeckName);
        Assert.True(p.IsOpen(PlanPanels.DeckName));
        Assert.False(p.IsOpen(PlanPanels.KpiName));
        Assert.False(p.Toggle(PlanPanels.DeckName).IsOpen(PlanPanels.DeckName));
        Assert.Equal(p, p.Toggle("nonsense"));
        Assert.Equal("pfa.panels.ana", PlanPanels.Key("Ana"));
        Assert.NotEqual(PlanPanels.Key("ana"), PlanPanels.Key("bob"));
    }

    private static KpiFigures F(long lines, decimal plan, decimal forecast) =>
        new(lines, plan, forecast, 0, forecast - plan, plan == 0 ? null : Math.Round((forecast - plan) / plan * 100, 2));

    private static KpiResult K(KpiFigures total) => new(false, null, total, total, F(0, 0, 0), [], 1, false);

    [Fact]
    public void The_kpi_strip_says_forecast_plan_variance_and_my_drafts_impact_in_one_line()
    {
        var committed = K(F(1, 100_000, 110_000));
        Assert.Equal("1 line · forecast $110,000 · plan $100,000 · variance +$10,000 (+10.0%)", KpiFormat.Summary(committed, committed, amounts: true));
        Assert.EndsWith(" · my drafts −$5,000", KpiFormat.Summary(committed, K(F(1, 100_000, 105_000)), amounts: true));
        // Without financial visibility: the count only, never a $0 figure.
        Assert.Equal("1 line", KpiFormat.Summary(committed, null, amounts: false));
        Assert.Equal("", KpiFormat.Summary(null, null, amounts: true));
        Assert.Equal("1,204 lines", KpiFormat.Plural(1204, "line"));
        Assert.Equal("0 lines", KpiFormat.Plural(0, "line"));
    }

    private static SyncRun Run(string direction, string status, int rejected, string? error = null) =>
        new(1, direction, direction == "read" ? "full" : "writeback", status, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 10, 3, 0, 2, 0, 0, rejected, error, null);

    [Fact]
    public void A_run_that_completed_with_conflicts_or_rejections_is_a_warning_not_a_success()
    {
        Assert.Equal(("completed with conflicts", RunSeverity.Warning), SyncFormat.Outcome(Run("write", "completed", 1, "1 conflict(s)")));
        Assert.Equal(("completed with failed writes", RunSeverity.Warning), SyncFormat.Outcome(Run("write", "completed", 2)));
        Assert.Equal(("completed, 4 rows rejected", RunSeverity.Warning), SyncFormat.Outcome(Run("read", "completed", 4)));
        Assert.Equal(("completed", RunSeverity.Success), SyncFormat.Outcome(Run("write", "completed", 0)));
        Assert.Equal(("failed", RunSeverity.Error), SyncFormat.Outcome(Run("read", "failed", 0, "PEMS down")));
    }

    private static PfaRow Line(DateOnly start, DateOnly end) =>
        new("P", "pristine", [], new Pfa.Domain.PfaRecord { PfaId = "P", OriginalStart = start, OriginalEnd = end, ForecastStart = start, ForecastEnd = end });

    [Fact]
    public void The_timeline_opens_at_today_inside_the_lines_span_else_at_their_first_date()
    {
        var today = new DateOnly(2026, 12, 6);
        Assert.Equal(today, TimelineLayout.OpeningDate(today, [Line(new(2026, 10, 1), new(2027, 3, 1))]));
        // All in the past (the "opens in Dec 2023" was the org's earliest date, not the lines'): their first date.
        Assert.Equal(new DateOnly(2023, 12, 1), TimelineLayout.OpeningDate(today, [Line(new(2023, 12, 1), new(2024, 2, 1))]));
        Assert.Equal(new DateOnly(2027, 5, 1), TimelineLayout.OpeningDate(today, [Line(new(2027, 5, 1), new(2027, 9, 1)), Line(new(2027, 6, 1), new(2027, 7, 1))]));
        Assert.Null(TimelineLayout.OpeningDate(today, []));
    }
}

public sealed class ViewerClockTests
{
    [Fact]
    public void Times_read_in_the_viewers_zone_with_the_offset_and_in_utc_until_the_zone_is_known()
    {
        var at = new DateTimeOffset(2026, 12, 6, 16, 15, 2, TimeSpan.Zero);
        Assert.Equal("2026-12-06 16:15:02 UTC", ViewerClock.Utc.Format(at));
        Assert.Equal("2026-12-06 17:15:02 UTC+01:00", ViewerClock.For("Europe/Berlin").Format(at));
        Assert.Equal("2026-12-06 11:15 UTC−05:00", ViewerClock.For("America/New_York").Format(at, seconds: false));
        Assert.Equal(ViewerClock.Utc, ViewerClock.For("Not/AZone"));
        Assert.Equal("", ViewerClock.Utc.Format(null));
    }
}
