using Bunit;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Components.Portfolio;

namespace Pfa.Tests.Web;

/// <summary>The BEO analysts' portfolio table: ordering, figures, alerts, error state.</summary>
public sealed class PortfolioComponentTests : BunitContext
{
    public PortfolioComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static KpiFigures F(long lines, decimal plan, decimal forecast) =>
        new(lines, plan, forecast, 0, forecast - plan, plan == 0 ? null : Math.Round((forecast - plan) / plan * 100, 2));

    private static PortfolioOrganization Org(string code, KpiFigures total, params PortfolioAlert[] alerts) =>
        new(code, code, total, total, F(0, 0, 0), "completed", new DateTimeOffset(2026, 11, 24, 9, 30, 0, TimeSpan.Zero), null, alerts);

    [Fact]
    public void Organizations_with_alerts_come_first_then_the_largest_overrun_and_the_total_closes_the_table()
    {
        var calm = Org("CALM", F(10, 100_000, 90_000));
        var big = Org("BIG", F(20, 100_000, 130_000), new PortfolioAlert("forecastOverPlan", "Forecast is 30% over plan."));
        var stale = Org("STALE", F(5, 50_000, 51_000), new PortfolioAlert("syncStale", "Never synced from PEMS."));
        var small = Org("SMALL", F(3, 10_000, 10_500));
        var portfolio = new PortfolioResult(F(38, 260_000, 281_500), F(38, 260_000, 281_500), F(0, 0, 0), [calm, big, stale, small], false);

        var cut = Render<PortfolioTable>(p => p.Add(x => x.Portfolio, portfolio));

        var order = cut.FindAll("[data-testid=portfolio-row]").Select(r => r.GetAttribute("data-org") ?? "").ToArray();
        Assert.Equal(["BIG", "STALE", "SMALL", "CALM"], order);
        Assert.Contains("4 organizations · 2 with alerts", cut.Find("[data-testid=portfolio-summary]").TextContent);
        var bigRow = cut.Find("[data-org=BIG]");
        Assert.Equal("+$30,000", bigRow.QuerySelector("[data-testid=portfolio-variance]")!.TextContent.Trim());
        Assert.Contains("kpi-over", bigRow.QuerySelector("[data-testid=portfolio-variance]")!.ClassName);
        Assert.Equal("forecastOverPlan", bigRow.QuerySelector("[data-testid=portfolio-alert]")!.GetAttribute("data-kind"));
        Assert.Contains("Over plan", bigRow.TextContent);
        Assert.Contains("kpi-under", cut.Find("[data-org=CALM] [data-testid=portfolio-variance]").ClassName);
        var total = cut.Find("[data-testid=portfolio-total]");
        Assert.Contains("$281,500", total.TextContent);
        Assert.Contains("+8.3%", total.TextContent);
    }

    [Fact]
    public void An_error_replaces_the_table()
    {
        var cut = Render<PortfolioTable>(p => p.Add(x => x.Error, "The portfolio is for BEO analysts and admins."));
        Assert.Contains("BEO analysts", cut.Find("[data-testid=portfolio-error]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=portfolio-row]"));
    }
}
