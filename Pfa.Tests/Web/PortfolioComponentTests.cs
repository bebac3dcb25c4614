using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
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

    /// <summary>The page, not only the table: what the API answers is what the analyst sees (the page once passed "_error" as text).</summary>
    [Fact]
    public void The_page_shows_the_api_figures_and_no_error()
    {
        var big = Org("BIG", F(20, 100_000, 130_000), new PortfolioAlert("forecastOverPlan", "Forecast is 30% over plan."));
        var portfolio = new PortfolioResult(F(20, 100_000, 130_000), F(20, 100_000, 130_000), F(0, 0, 0), [big], false);
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "beo", "Beo", null, []), new LoginResult("token", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        Services.AddSingleton<AuthenticationStateProvider>(new StaticAuth(user));
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(new Answer(portfolio)) { BaseAddress = new Uri("http://api") },
            sp.GetRequiredService<AuthenticationStateProvider>()));

        var cut = Render<Pfa.Web.Components.Pages.Portfolio>();

        cut.WaitForAssertion(() => Assert.Equal("+$30,000", cut.Find("[data-org=BIG] [data-testid=portfolio-variance]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=portfolio-error]"));
        Assert.DoesNotContain("_error", cut.Markup);
    }

    private sealed class Answer(object body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            });
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
