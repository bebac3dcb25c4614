namespace Pfa.Domain;

/// <summary>Plan / forecast / actual cost of one line, and the variance forecast − plan.</summary>
public readonly record struct LineCost(decimal Plan, decimal Forecast, decimal Actual)
{
    public decimal Variance => Forecast - Plan;
}

/// <summary>
/// The cost rules (pfa-domain.md §2.3), shared by the C# code and the SQL function <c>pfa_cost</c>:
/// Rental = max(0, end − start) whole days (end-exclusive) × monthly rate ÷ 30.44, rounded to cents (away from zero);
/// Purchase = price, whatever the dates. A rental window with a missing date costs 0.
/// </summary>
public static class CostRules
{
    public const decimal DaysPerMonth = 30.44m;

    public static decimal Cost(PfaSource source, DateOnly? start, DateOnly? end, decimal monthlyRate, decimal purchasePrice)
    {
        if (source == PfaSource.Purchase) return purchasePrice;
        if (start is null || end is null) return 0m;
        var days = Math.Max(0, end.Value.DayNumber - start.Value.DayNumber);
        // Multiply first, divide once: the same order as the SQL function, so both round the same value.
        return Math.Round(days * monthlyRate / DaysPerMonth, 2, MidpointRounding.AwayFromZero);
    }

    public static decimal PlanCost(PfaRecord r) => Cost(r.Source, r.OriginalStart, r.OriginalEnd, r.MonthlyRate, r.PurchasePrice);
    public static decimal ForecastCost(PfaRecord r) => Cost(r.Source, r.ForecastStart, r.ForecastEnd, r.MonthlyRate, r.PurchasePrice);

    /// <summary>Actual cost only counts once the line has actuals.</summary>
    public static decimal ActualCost(PfaRecord r) => r.HasActuals ? Cost(r.Source, r.ActualStart, r.ActualEnd, r.MonthlyRate, r.PurchasePrice) : 0m;

    public static LineCost Of(PfaRecord r) => new(PlanCost(r), ForecastCost(r), ActualCost(r));

    /// <summary>KPI totals drop discontinued lines and funds-transferable (budget donor) lines.</summary>
    public static bool CountsInKpis(PfaRecord r) => !r.IsDiscontinued && !r.IsFundsTransferable;
}

/// <summary>KPI totals split by source; <see cref="Total"/> is rental + purchase.</summary>
public sealed record KpiTotals(LineCost Rental, LineCost Purchase, int LineCount)
{
    public LineCost Total => new(Rental.Plan + Purchase.Plan, Rental.Forecast + Purchase.Forecast, Rental.Actual + Purchase.Actual);

    public static KpiTotals Compute(IEnumerable<PfaRecord> records)
    {
        LineCost rental = default, purchase = default;
        var count = 0;
        foreach (var r in records.Where(CostRules.CountsInKpis))
        {
            var c = CostRules.Of(r);
            if (r.Source == PfaSource.Rental) rental = Add(rental, c); else purchase = Add(purchase, c);
            count++;
        }
        return new KpiTotals(rental, purchase, count);
    }

    private static LineCost Add(LineCost a, LineCost b) => new(a.Plan + b.Plan, a.Forecast + b.Forecast, a.Actual + b.Actual);
}
