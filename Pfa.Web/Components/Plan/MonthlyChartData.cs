using System.Globalization;
using Pfa.Domain;

namespace Pfa.Web.Components.Plan;

/// <summary>One line of the monthly chart: a value per month, null where the line has nothing to say (actuals after today).</summary>
public sealed record ChartLine(string Name, double?[] Values);

/// <summary>
/// Chart rows of the monthly cost: one label per month present in either answer, four lines aligned on them, and a vertical
/// axis on round ticks ($0, $200k, $400k … never $655.4k).
/// </summary>
public sealed record MonthlyChartData(DateOnly[] Months, string[] Labels, IReadOnlyList<ChartLine> Series, double[] Ticks, int TodayIndex)
{
    public const string Plan = "Plan", Forecast = "Forecast", ForecastWithDrafts = "Forecast with my drafts", Actual = "Actual";

    /// <summary>The axis top: the last tick.</summary>
    public double Max => Ticks[^1];

    /// <summary>
    /// Up to 18 months every month is named (with its year on January and on the first one); up to 36 only each quarter's
    /// first month; a longer plan only its years, so the axis stays readable at 1280 px.
    /// </summary>
    public static string Label(DateOnly month, int index, int count)
    {
        if (count > 36) return month.Month == 1 ? month.Year.ToString(CultureInfo.InvariantCulture) : "";
        if (count > 18 && (month.Month - 1) % 3 != 0) return "";
        return month.ToString(index == 0 || month.Month == 1 ? "MMM yy" : "MMM", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Plan and actual are the committed figures; forecast is shown committed and with my drafts. Missing months are 0, except
    /// that actuals stop at <paramref name="today"/>'s month: there is nothing actual about the future. Without
    /// <paramref name="withDrafts"/> (a viewer has no drafts) there is no drafts line.
    /// </summary>
    public static MonthlyChartData Build(IReadOnlyList<MonthCost> committed, IReadOnlyList<MonthCost>? withDrafts, DateOnly today)
    {
        var months = committed.Select(m => m.Month).Union((withDrafts ?? []).Select(m => m.Month)).Order().ToArray();
        var c = committed.ToDictionary(m => m.Month);
        var d = (withDrafts ?? []).ToDictionary(m => m.Month);
        var thisMonth = new DateOnly(today.Year, today.Month, 1);
        double?[] Of(Dictionary<DateOnly, MonthCost> source, Func<MonthCost, decimal> pick, bool pastOnly = false) =>
            months.Select(m => pastOnly && m > thisMonth ? (double?)null : source.TryGetValue(m, out var x) ? (double)pick(x) : 0d).ToArray();
        var labels = months.Select((m, i) => Label(m, i, months.Length)).ToArray();
        List<ChartLine> series = [new(Plan, Of(c, x => x.Plan)), new(Forecast, Of(c, x => x.Forecast))];
        if (withDrafts is not null) series.Add(new(ForecastWithDrafts, Of(d, x => x.Forecast)));
        series.Add(new(Actual, Of(c, x => x.Actual, pastOnly: true)));
        var max = series.SelectMany(s => s.Values).Select(v => v ?? 0).DefaultIfEmpty(0).Max();
        return new MonthlyChartData(months, labels, series, RoundTicks(max), Array.IndexOf(months, thisMonth));
    }

    /// <summary>
    /// Round ticks from 0 covering <paramref name="max"/> in at most <paramref name="most"/> steps: the step is 1, 2, 2.5 or 5
    /// times a power of ten (so $0, $200k, $400k, $600k, $800k for a top of $655k).
    /// </summary>
    public static double[] RoundTicks(double max, int most = 5)
    {
        if (max <= 0 || double.IsNaN(max)) return [0, 1];
        var raw = max / most;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * power).First(s => s >= raw - raw * 1e-9);
        var count = (int)Math.Ceiling(max / step - 1e-9);
        return Enumerable.Range(0, count + 1).Select(i => i * step).ToArray();
    }
}
