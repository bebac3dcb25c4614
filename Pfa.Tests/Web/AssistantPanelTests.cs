using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components.Assistant;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>
/// The assistant panel against answers shaped as the API gives them (the API's own behaviour, model included, is in
/// Api/AssistantTests): what it shows for each kind of answer, and that a proposal is posted to /drafts/bulk unchanged,
/// only on the user's click.
/// </summary>
public sealed class AssistantPanelTests : BunitContext
{
    private sealed class StubApi(bool configured, object answer) : HttpMessageHandler
    {
        public List<(string Request, string? Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            var content = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
            lock (Requests) Requests.Add(($"{request.Method} {path}", content));
            object body = path switch
            {
                _ when path.EndsWith("/assistant", StringComparison.Ordinal) =>
                    new AssistantStatus(configured, configured ? null : "No language model is configured. Set ConnectionStrings:ai.", ["cranes in area B"]),
                _ when path.EndsWith("/assistant/ask", StringComparison.Ordinal) => answer,
                _ when path.EndsWith("/drafts/bulk", StringComparison.Ordinal) => new BulkResult(3, 3, 0, 0),
                _ => throw new InvalidOperationException(path),
            };
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            };
        }
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private IRenderedComponent<AssistantPanel> Render(StubApi api)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var membership = new Membership("RIO", "Rio Grande", "Editor", true, false);
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "u", "U", null, [membership]), new LoginResult("t", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        Services.AddSingleton<AuthenticationStateProvider>(new StaticAuth(user));
        Services.AddScoped<OrgSession>();
        Services.AddScoped<BrowserPrefs>();
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(api) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Services.GetRequiredService<OrgSession>().Initialize([membership]);
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var layout = Render<MudLayout>(p => p.AddChildContent<AssistantPanel>());
        return layout.FindComponent<AssistantPanel>();
    }

    private static void Ask(IRenderedComponent<AssistantPanel> cut)
    {
        cut.WaitForElement("input[data-testid=assistant-question], [data-testid=assistant-question] input").Input("shift all cranes");
        cut.Find("[data-testid=assistant-ask]").Click();
    }

    [Fact]
    public void Without_a_model_the_panel_says_how_to_configure_one()
    {
        var cut = Render(new StubApi(false, new { }));
        cut.Find("[data-testid=assistant-open]").Click();
        cut.WaitForAssertion(() => Assert.Contains("ConnectionStrings:ai", cut.Find("[data-testid=assistant-not-configured]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=assistant-question]"));
    }

    [Fact]
    public void A_lines_answer_shows_the_interpretation_and_the_lines()
    {
        var row = new PfaRow("C2", "pristine", [], new Pfa.Domain.PfaRecord { PfaId = "C2", Description = "CRANE 50T", Category = "14500" });
        var cut = Render(new StubApi(true, new AssistantAnswer("lines", "Lines where Category is 14500", new PfaPage([row], null, 1, false), null, false, null, null)));
        cut.Find("[data-testid=assistant-open]").Click();
        Ask(cut);
        cut.WaitForAssertion(() => Assert.Equal("Lines where Category is 14500", cut.Find("[data-testid=assistant-interpretation]").TextContent.Trim()));
        Assert.Contains("CRANE 50T", cut.Find("[data-testid=assistant-lines]").TextContent, StringComparison.Ordinal);
        Assert.Contains("1 line", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_proposal_is_posted_unchanged_to_the_bulk_edit_only_when_confirmed()
    {
        var proposal = new JsonObject { ["operation"] = "ShiftForecast", ["days"] = 14, ["filter"] = new JsonObject { ["category"] = new JsonArray("14500") } };
        var api = new StubApi(true, new AssistantAnswer("bulkEdit", "Shift the forecast by +14 days on lines where Category is 14500", null, null, false,
            proposal, new BulkPreview(3, 3, 3, 0, 1000, 1500, 500)));
        var cut = Render(api);
        cut.Find("[data-testid=assistant-open]").Click();
        Ask(cut);
        cut.WaitForAssertion(() => Assert.Contains("3 lines would change", cut.Find("[data-testid=assistant-preview]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain(api.Requests, r => r.Request.EndsWith("/drafts/bulk", StringComparison.Ordinal));

        cut.Find("[data-testid=assistant-confirm]").Click();
        cut.WaitForAssertion(() => Assert.Contains(api.Requests, r => r.Request == "POST /api/orgs/RIO/drafts/bulk"));
        var posted = JsonNode.Parse(api.Requests.Single(r => r.Request.EndsWith("/drafts/bulk", StringComparison.Ordinal)).Body!)!;
        Assert.True(JsonNode.DeepEquals(proposal, posted));
    }

    [Fact]
    public void Grouped_totals_show_as_bars_beside_the_table_committed_and_with_my_drafts()
    {
        static AssistantFigures F(long lines, decimal forecast) => new(lines, forecast, forecast, 0);
        var totals = new[]
        {
            new AssistantTotal("CRANE", F(4, 1000), F(4, 2000)),
            new AssistantTotal("PUMP", F(2, 500), F(2, 500)),
        };
        var cut = Render(new StubApi(true, new AssistantAnswer("totals", "Forecast by class", null, totals, false, null, null,
            new AssistantPlan("totals", new AssistantFilter(null, null, null, null, null, null, null, null, null, null, null, null), "class"))));
        cut.Find("[data-testid=assistant-open]").Click();
        Ask(cut);
        cut.WaitForElement("[data-testid=assistant-chart]");
        var bars = cut.FindAll("[data-testid=assistant-bar]");
        Assert.Equal(["CRANE", "PUMP"], bars.Select(b => b.GetAttribute("data-group")));
        // Scaled to the largest figure (CRANE with my drafts, $2,000).
        Assert.Equal("width: 50%", bars[0].QuerySelector("[data-testid=assistant-bar-committed]")!.GetAttribute("style"));
        Assert.Equal("width: 100%", bars[0].QuerySelector("[data-testid=assistant-bar-drafts]")!.GetAttribute("style"));
        Assert.Equal("width: 25%", bars[1].QuerySelector("[data-testid=assistant-bar-drafts]")!.GetAttribute("style"));
        Assert.Contains("$1,000", bars[0].TextContent, StringComparison.Ordinal);
        cut.Find("[data-testid=assistant-totals]");
    }

    [Fact]
    public void Show_in_grid_makes_the_interpreted_filter_the_plan_grids_and_opens_the_plan()
    {
        var row = new PfaRow("C2", "pristine", [], new Pfa.Domain.PfaRecord { PfaId = "C2", Description = "CRANE 50T", Category = "14500" });
        var filter = new AssistantFilter(["14500"], null, ["Rental"], null, ["B"], null, null, null, new DateOnly(2027, 6, 30), null, null, null);
        var cut = Render(new StubApi(true, new AssistantAnswer("lines", "Rentals in area B ending after June", new PfaPage([row], null, 1, false), null, false, null, null,
            new AssistantPlan("lines", filter, null))));
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo("timeline");
        cut.Find("[data-testid=assistant-open]").Click();
        Ask(cut);
        cut.WaitForElement("[data-testid=assistant-show-in-grid]").Click();

        var q = Services.GetRequiredService<OrgSession>().FilterFor("RIO");
        Assert.Equal(["14500"], q.Category);
        Assert.Equal(["Rental"], q.Source);
        Assert.Equal(["B"], q.AreaSilo);
        Assert.Equal(new DateOnly(2027, 6, 30), q.ForecastEndFrom);
        Assert.Equal(4, q.ActiveFilterCount);
        Assert.Contains("forecastEndFrom=2027-06-30", q.ToQueryString(null, 1), StringComparison.Ordinal);
        Assert.Equal(nav.BaseUri, nav.Uri); // the plan page
        Assert.Empty(cut.FindAll("[data-testid=assistant-panel]")); // the drawer closed
    }
}
