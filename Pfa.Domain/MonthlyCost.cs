namespace Pfa.Domain;

/// <summary>Cost falling into one calendar month (<see cref="Month"/> is its first day).</summary>
public readonly record struct MonthCost(DateOnly Month, decimal Plan, decimal Forecast, decimal Actual);

/// <summary>
/// The cost rules spread over calendar months (the SQL twin is <c>PfaStore.MonthlyCostAsync</c>): a rental window's days
/// (end-exclusive) fall into the months they lie in, each month costing its days × monthly rate ÷ 30.44 rounded to cents;
/// a purchase costs its price in the month its window starts. Lines outside the KPIs (discontinued, funds-transferable)
/// cost nothing; actual cost only counts once the line has actuals.
/// </summary>
public static class MonthlyCostRules
{
    public static IEnumerable<MonthCost> Of(PfaRecord r)
    {
        if (!CostRules.CountsInKpis(r)) yield break;
        foreach (var (m, c) in Spread(r, r.OriginalStart, r.OriginalEnd)) yield return new(m, c, 0, 0);
        foreach (var (m, c) in Spread(r, r.ForecastStart, r.ForecastEnd)) yield return new(m, 0, c, 0);
        if (r.HasActuals)
            foreach (var (m, c) in Spread(r, r.ActualStart, r.ActualEnd)) yield return new(m, 0, 0, c);
    }

    /// <summary>Per month, summed over lines, in month order.</summary>
    public static IReadOnlyList<MonthCost> Sum(IEnumerable<PfaRecord> records) =>
        records.SelectMany(Of).GroupBy(c => c.Month).OrderBy(g => g.Key)
            .Select(g => new MonthCost(g.Key, g.Sum(c => c.Plan), g.Sum(c => c.Forecast), g.Sum(c => c.Actual))).ToList();

    private static IEnumerable<(DateOnly Month, decimal Cost)> Spread(PfaRecord r, DateOnly? start, DateOnly? end)
    {
        if (start is not { } s) yield break;
        if (r.Source == PfaSource.Purchase)
        {
            yield return (new DateOnly(s.Year, s.Month, 1), r.PurchasePrice);
            yield break;
        }
        if (end is not { } e || e <= s) yield break;
        for (var month = new DateOnly(s.Year, s.Month, 1); month < e; month = month.AddMonths(1))
        {
            var from = s > month ? s : month;
            var next = month.AddMonths(1);
            var to = e < next ? e : next;
            yield return (month, Math.Round((to.DayNumber - from.DayNumber) * r.MonthlyRate / CostRules.DaysPerMonth, 2, MidpointRounding.AwayFromZero));
        }
    }
}
