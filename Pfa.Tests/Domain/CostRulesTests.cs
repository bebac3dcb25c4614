using Pfa.Domain;

namespace Pfa.Tests.Domain;

public class CostRulesTests
{
    private static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // 30 days × 3044 / 30.44 = 3000 exactly.
    [InlineData("2025-01-01", "2025-01-31", "3044", "3000.00")]
    // 30 × 1000 / 30.44 = 985.5453… → 985.55.
    [InlineData("2025-03-01", "2025-03-31", "1000", "985.55")]
    // Across the US DST change: still 31 whole days (DateOnly, no clock). 31 × 30.44 / 30.44 = 31.
    [InlineData("2025-03-01", "2025-04-01", "30.44", "31.00")]
    // Leap February: 29 days × 3044 / 30.44 = 2900.
    [InlineData("2024-02-01", "2024-03-01", "3044", "2900.00")]
    // End-exclusive: same-day window costs nothing.
    [InlineData("2025-05-05", "2025-05-05", "5000", "0")]
    // End before start clamps to 0, never negative.
    [InlineData("2025-06-10", "2025-06-01", "5000", "0")]
    // One day at 1522 /30.44 = 50.
    [InlineData("2025-01-01", "2025-01-02", "1522", "50.00")]
    public void Rental_is_whole_days_times_rate_over_30_44(string start, string end, string rate, string expected)
    {
        var cost = CostRules.Cost(PfaSource.Rental, D(start), D(end), decimal.Parse(rate, System.Globalization.CultureInfo.InvariantCulture), 99_999m);
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), cost);
    }

    [Fact]
    public void Rental_with_a_missing_date_costs_nothing() =>
        Assert.Equal(0m, CostRules.Cost(PfaSource.Rental, D("2025-01-01"), null, 1000m, 0m));

    [Fact]
    public void Purchase_is_the_price_whatever_the_dates()
    {
        Assert.Equal(50_000m, CostRules.Cost(PfaSource.Purchase, D("2025-01-01"), D("2026-01-01"), 1000m, 50_000m));
        Assert.Equal(50_000m, CostRules.Cost(PfaSource.Purchase, null, null, 1000m, 50_000m));
    }

    private static PfaRecord Line(string id, PfaSource source = PfaSource.Rental, decimal rate = 3044m, decimal price = 0m,
        bool discontinued = false, bool ft = false, bool hasActuals = false) => new()
    {
        PfaId = id, Source = source, MonthlyRate = rate, PurchasePrice = price,
        OriginalStart = D("2025-01-01"), OriginalEnd = D("2025-01-31"),     // 30 days
        ForecastStart = D("2025-01-01"), ForecastEnd = D("2025-02-15"),     // 45 days
        ActualStart = D("2025-01-03"), ActualEnd = D("2025-01-13"),         // 10 days
        HasActuals = hasActuals, IsDiscontinued = discontinued, IsFundsTransferable = ft,
    };

    [Fact]
    public void Layers_use_their_own_windows_and_variance_is_forecast_minus_plan()
    {
        var c = CostRules.Of(Line("1", hasActuals: true));
        Assert.Equal(3000m, c.Plan);       // 30 × 100/day
        Assert.Equal(4500m, c.Forecast);   // 45 × 100/day
        Assert.Equal(1000m, c.Actual);     // 10 × 100/day
        Assert.Equal(1500m, c.Variance);
    }

    [Fact]
    public void Actual_cost_needs_actuals() => Assert.Equal(0m, CostRules.Of(Line("1")).Actual);

    [Fact]
    public void Kpis_exclude_discontinued_and_funds_transferable_lines_and_split_by_source()
    {
        var k = KpiTotals.Compute([
            Line("1"),
            Line("2", PfaSource.Purchase, price: 20_000m),
            Line("3", discontinued: true),
            Line("4", ft: true),
        ]);
        Assert.Equal(2, k.LineCount);
        Assert.Equal(new LineCost(3000m, 4500m, 0m), k.Rental);
        Assert.Equal(new LineCost(20_000m, 20_000m, 0m), k.Purchase);
        Assert.Equal(23_000m, k.Total.Plan);
        Assert.Equal(24_500m, k.Total.Forecast);
        Assert.Equal(1500m, k.Total.Variance);
    }
}
