using System.Globalization;
using Pfa.Domain;
using Pfa.Web.Api;

namespace Pfa.Web.Components.Timeline;

public enum TimelineScale { Day, Week, Month, Year }

/// <summary>The merged-list field a timeline groups by; <see cref="TimelineLayout.ApiKey"/> is the API's name for it.</summary>
public enum TimelineGrouping { AreaSilo, Class, Category, Source, Dor }

/// <summary>What dragging a forecast bar does: the body shifts both dates, an edge moves one.</summary>
public enum DragMode { Shift, Start, End }

/// <summary>A forecast bar dropped after a drag of <see cref="Days"/> whole days.</summary>
public sealed record BarDrop(PfaRow Row, DragMode Mode, int Days);

/// <summary>A bar's box in pixels from the axis origin (already clipped to the axis).</summary>
public readonly record struct BarBox(double Left, double Width);

/// <summary>A labelled mark on the time axis at <see cref="X"/> pixels.</summary>
public readonly record struct AxisTick(double X, string Label);

/// <summary>A group's totals, counted like the KPI board (discontinued and funds-transferable lines left out).</summary>
/// <param name="Complete">False while lines of the group may still be on pages not loaded yet.</param>
/// <param name="FromApi">True when the API's group roll-up was used (only when no filter is set).</param>
public sealed record GroupTotals(long Lines, decimal Forecast, bool Complete, bool FromApi);

/// <summary>A row of the timeline: a group header, a line, or the marker where the next page loads.</summary>
public abstract record TimelineRow;
/// <param name="Description">The category's PEMS description when grouped by category ("08850 — TANK FRAC WATER TRAILER").</param>
public sealed record GroupRow(string Group, GroupTotals Totals, string? Description = null) : TimelineRow
{
    public string Label => Group.Length == 0 ? "(none)" : CategoryLabel.Format(Group, Description);
}
public sealed record LineRow(PfaRow Row) : TimelineRow;
public sealed record MoreRow : TimelineRow;

/// <summary>
/// The time axis of the timeline: [<see cref="Start"/>, <see cref="End"/>) at a scale's pixels per day. Dates map to
/// whole-day offsets, so a bar's edges fall on day boundaries at every scale; windows are end-exclusive like the cost rule.
/// </summary>
public sealed record TimelineAxis(DateOnly Start, DateOnly End, TimelineScale Scale)
{
    /// <summary>Narrow enough that a year of lines fits 1280 px at month scale, wide enough for a tick label per step.</summary>
    public static double PxPerDayOf(TimelineScale scale) => scale switch
    {
        TimelineScale.Day => 24,
        TimelineScale.Week => 7,
        TimelineScale.Month => 2,
        _ => 0.35,
    };

    /// <summary>A bar never gets narrower than this, so a one-day (or empty) window stays visible and grabbable.</summary>
    public const double MinBarWidth = 3;

    public double PxPerDay => PxPerDayOf(Scale);
    public int Days => End.DayNumber - Start.DayNumber;
    public double Width => Days * PxPerDay;

    public double X(DateOnly date) => (date.DayNumber - Start.DayNumber) * PxPerDay;

    /// <summary>The box of the window [start, end), clipped to the axis; null when a date is missing or it lies outside.</summary>
    public BarBox? Bar(DateOnly? start, DateOnly? end)
    {
        if (start is not { } s || end is not { } e) return null;
        var left = Math.Max(0, X(s));
        var right = Math.Min(Width, Math.Max(X(e), X(s)));
        if (right < 0 || left > Width) return null;
        return new BarBox(left, Math.Max(MinBarWidth, right - left));
    }

    /// <summary>A drag's pixel distance as whole days (half a day or more rounds away from zero).</summary>
    public int DaysFromPixels(double dx) => (int)Math.Round(dx / PxPerDay, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The axis covering the API's bounds (plan, forecast and actual windows), padded to whole months or years and by one step
    /// at the end, so a bar at the edge can still be dragged outwards. Null when the bounds hold no date.
    /// </summary>
    public static TimelineAxis? For(TimelineBounds bounds, TimelineScale scale)
    {
        DateOnly[] starts = [.. new[] { bounds.MinOriginalStart, bounds.MinForecastStart, bounds.MinActualStart }.OfType<DateOnly>()];
        DateOnly[] ends = [.. new[] { bounds.MaxOriginalEnd, bounds.MaxForecastEnd, bounds.MaxActualEnd }.OfType<DateOnly>()];
        if (starts.Length == 0 && ends.Length == 0) return null;
        var min = starts.Length > 0 ? starts.Min() : ends.Min();
        var max = Max(ends.Length > 0 ? ends.Max() : starts.Max(), starts.Length > 0 ? starts.Max() : min);
        if (scale == TimelineScale.Year)
            return new TimelineAxis(new DateOnly(min.Year, 1, 1), new DateOnly(max.Year + 2, 1, 1), scale);
        var start = new DateOnly(min.Year, min.Month, 1);
        var end = new DateOnly(max.Year, max.Month, 1).AddMonths(2);
        return new TimelineAxis(start, end, scale);
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    /// <summary>The fine ticks under the axis: days, Mondays, month starts or quarter starts.</summary>
    public IEnumerable<AxisTick> MinorTicks()
    {
        var inv = CultureInfo.InvariantCulture;
        switch (Scale)
        {
            case TimelineScale.Day:
                for (var d = Start; d < End; d = d.AddDays(1)) yield return new(X(d), d.Day.ToString(inv));
                break;
            case TimelineScale.Week:
                var monday = Start.AddDays(((int)DayOfWeek.Monday - (int)Start.DayOfWeek + 7) % 7);
                for (var d = monday; d < End; d = d.AddDays(7)) yield return new(X(d), d.ToString("d MMM", inv));
                break;
            case TimelineScale.Month:
                for (var d = MonthStart(Start); d < End; d = d.AddMonths(1)) if (d >= Start) yield return new(X(d), d.ToString("MMM", inv));
                break;
            default:
                for (var d = MonthStart(Start); d < End; d = d.AddMonths(1))
                    if (d >= Start && (d.Month - 1) % 3 == 0) yield return new(X(d), "Q" + ((d.Month - 1) / 3 + 1).ToString(inv));
                break;
        }
    }

    /// <summary>
    /// The coarse ticks above: months (day and week scale) or years (month and year scale). A period that began before the axis
    /// is labelled at its left edge, so the axis always names the month or year it opens in.
    /// </summary>
    public IEnumerable<AxisTick> MajorTicks()
    {
        var inv = CultureInfo.InvariantCulture;
        if (Scale is TimelineScale.Day or TimelineScale.Week)
        {
            for (var d = MonthStart(Start); d < End; d = d.AddMonths(1)) yield return new(Math.Max(0, X(d)), d.ToString("MMM yyyy", inv));
        }
        else
        {
            for (var d = new DateOnly(Start.Year, 1, 1); d < End; d = d.AddYears(1)) yield return new(Math.Max(0, X(d)), d.Year.ToString(inv));
        }
    }

    private static DateOnly MonthStart(DateOnly d) => new(d.Year, d.Month, 1);
}

/// <summary>Pure layout arithmetic of the timeline that is not about the axis: drags, grouping, group totals.</summary>
public static class TimelineLayout
{
    /// <summary>
    /// Where the chart opens: today when it falls within the lines' span (plan, forecast and actual dates), else the span's
    /// first date, so a plan entirely in the past or future still opens on its bars. Null without dated lines.
    /// </summary>
    public static DateOnly? OpeningDate(DateOnly today, IEnumerable<PfaRow> lines)
    {
        var dates = lines.SelectMany(l => new[]
        {
            l.Record.OriginalStart, l.Record.ForecastStart, l.Record.ActualStart, l.Record.OriginalEnd, l.Record.ForecastEnd, l.Record.ActualEnd,
        }).OfType<DateOnly>().ToList();
        if (dates.Count == 0) return null;
        var (first, last) = (dates.Min(), dates.Max());
        return today >= first && today <= last ? today : first;
    }

    public static string ApiKey(TimelineGrouping g) => g switch
    {
        TimelineGrouping.AreaSilo => "areaSilo",
        TimelineGrouping.Class => "class",
        TimelineGrouping.Category => "category",
        TimelineGrouping.Source => "source",
        _ => "dor",
    };

    public static string Title(TimelineGrouping g) => g switch
    {
        TimelineGrouping.AreaSilo => "Area / silo",
        TimelineGrouping.Dor => "DOR",
        _ => g.ToString(),
    };

    public static string GroupOf(PfaRecord r, TimelineGrouping g) => g switch
    {
        TimelineGrouping.AreaSilo => r.AreaSilo ?? "",
        TimelineGrouping.Class => r.Class ?? "",
        TimelineGrouping.Category => r.Category ?? "",
        TimelineGrouping.Source => r.Source.ToString(),
        _ => r.Dor.ToString(),
    };

    /// <summary>Days a key nudges a selected bar: ← / → a day, with Shift a week; null for any other key.</summary>
    public static int? NudgeDays(string key, bool shift) => key switch
    {
        "ArrowLeft" => shift ? -7 : -1,
        "ArrowRight" => shift ? 7 : 1,
        _ => null,
    };

    /// <summary>The forecast window after a drag of <paramref name="days"/>; the API validates the result (end before start, actualized lines).</summary>
    public static (DateOnly Start, DateOnly End) Apply(DragMode mode, DateOnly start, DateOnly end, int days) => mode switch
    {
        DragMode.Shift => (start.AddDays(days), end.AddDays(days)),
        DragMode.Start => (start.AddDays(days), end),
        _ => (start, end.AddDays(days)),
    };

    /// <summary>
    /// The row as it reads once the forecast window is saved as my draft: the new dates, and per date field whether it now
    /// differs from PEMS's value (the base kept in <see cref="PfaRow.BaseValues"/>; a date dragged back to it is no longer changed).
    /// </summary>
    public static PfaRow Moved(PfaRow row, DateOnly start, DateOnly end)
    {
        var changed = new HashSet<string>(row.ChangedFields, StringComparer.OrdinalIgnoreCase);
        var bases = (System.Text.Json.Nodes.JsonObject?)row.BaseValues?.DeepClone() ?? [];
        void Track(string field, DateOnly? old, DateOnly now)
        {
            var pems = row.IsChanged(field) && bases[field] is { } b ? DateOnly.Parse(b.GetValue<string>(), CultureInfo.InvariantCulture) : old;
            if (pems == now) { changed.Remove(field); bases.Remove(field); }
            else { changed.Add(field); bases[field] = pems?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); }
        }
        Track("forecastStart", row.Record.ForecastStart, start);
        Track("forecastEnd", row.Record.ForecastEnd, end);
        return row with
        {
            Record = row.Record with { ForecastStart = start, ForecastEnd = end },
            ChangedFields = [.. changed],
            BaseValues = bases.Count == 0 ? null : bases,
            DraftState = changed.Count == 0 ? "pristine" : "draft",
        };
    }

    /// <summary>
    /// Group header rows interleaved with the loaded lines, which arrive sorted by the grouping field, so a group is complete
    /// once a later group has started or the list is exhausted. Totals come from <paramref name="rollups"/> (the API's group
    /// roll-ups, valid only for an unfiltered list) when given; otherwise they are computed here from the loaded lines with the
    /// KPI rule, and the last group is marked incomplete while more pages remain.
    /// </summary>
    public static IReadOnlyList<TimelineRow> Rows(IReadOnlyList<PfaRow> lines, TimelineGrouping grouping, bool exhausted,
        IReadOnlyDictionary<string, KpiFigures>? rollups = null)
    {
        var rows = new List<TimelineRow>(lines.Count + 16);
        var i = 0;
        while (i < lines.Count)
        {
            var group = GroupOf(lines[i].Record, grouping);
            var j = i;
            long count = 0;
            decimal forecast = 0;
            while (j < lines.Count && GroupOf(lines[j].Record, grouping) == group)
            {
                var r = lines[j].Record;
                if (CostRules.CountsInKpis(r)) { count++; forecast += CostRules.ForecastCost(r); }
                j++;
            }
            var totals = rollups is not null
                ? rollups.TryGetValue(group, out var k) ? new GroupTotals(k.Lines, k.Forecast, true, true) : new GroupTotals(0, 0, true, true)
                : new GroupTotals(count, forecast, j < lines.Count || exhausted, false);
            // The most common description among the group's lines, as the API's category labels pick it.
            var description = grouping != TimelineGrouping.Category ? null : lines.Skip(i).Take(j - i)
                .Select(l => l.Record.CategoryDescription).Where(d => !string.IsNullOrWhiteSpace(d))
                .GroupBy(d => d).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).FirstOrDefault()?.Key;
            rows.Add(new GroupRow(group, totals, description));
            for (; i < j; i++) rows.Add(new LineRow(lines[i]));
        }
        if (!exhausted) rows.Add(new MoreRow());
        return rows;
    }
}
