using System.Globalization;
using Pfa.Domain;

namespace Pfa.Web.Components.Plan;

/// <summary>Chart rows of the monthly cost: one label per month present in either answer, four series aligned on them.</summary>
public sealed record MonthlyChartData(string[] Labels, IReadOnlyList<(string Name, double[] Values)> Series)
{
    public const string Plan = "Plan", Forecast = "Forecast", ForecastWithDrafts = "Forecast with my drafts", Actual = "Actual";

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

    /// <summary>Plan and actual are the committed figures; forecast is shown committed and with my drafts. Missing months are 0.</summary>
    public static MonthlyChartData Build(IReadOnlyList<MonthCost> committed, IReadOnlyList<MonthCost> withDrafts)
    {
        var months = committed.Select(m => m.Month).Union(withDrafts.Select(m => m.Month)).Order().ToArray();
        var c = committed.ToDictionary(m => m.Month);
        var d = withDrafts.ToDictionary(m => m.Month);
        double[] Of(Dictionary<DateOnly, MonthCost> source, Func<MonthCost, decimal> pick) =>
            months.Select(m => source.TryGetValue(m, out var x) ? (double)pick(x) : 0d).ToArray();
        var labels = months.Select((m, i) => Label(m, i, months.Length)).ToArray();
        return new MonthlyChartData(labels,
        [
            (Plan, Of(c, x => x.Plan)),
            (Forecast, Of(c, x => x.Forecast)),
            (ForecastWithDrafts, Of(d, x => x.Forecast)),
            (Actual, Of(c, x => x.Actual)),
        ]);
    }
}
