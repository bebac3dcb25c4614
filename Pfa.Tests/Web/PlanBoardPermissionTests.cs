using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components.Plan;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>The plan page against a stubbed API: role-aware controls.</summary>
public sealed class PlanBoardPermissionTests : BunitContext
{
    private sealed class StubApi : HttpMessageHandler
    {
        private static readonly KpiFigures Zero = new(0, 0, 0, 0, 0, null);
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            lock (Requests) Requests.Add($"{request.Method} {request.RequestUri.PathAndQuery} {request.Headers.Authorization}");
            object body = path.EndsWith("/kpis/monthly", StringComparison.Ordinal) ? new MonthlyCostResult(false, [])
                : path.EndsWith("/kpis", StringComparison.Ordinal)
                ? new KpiResult(false, null, Zero, Zero, Zero, [], 1, false)
                : new PfaPage([new PfaRow("P-1", "none", [], new Pfa.Domain.PfaRecord { PfaId = "P-1", Description = "Crane" })], null, 1, false);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            });
        }
    }

    private readonly StubApi _api = new();

    private IRenderedComponent<PlanBoard> RenderAs(string role, bool canEdit, bool canCommit)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var membership = new Membership("RIO", "Rio Grande", role, canEdit, canCommit);
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "u", "U", null, [membership]), new LoginResult("secret-token", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        var auth = new StaticAuth(user);
        Services.AddSingleton<AuthenticationStateProvider>(auth);
        Services.AddScoped<OrgSession>();
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(_api) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Services.AddScoped(sp => new LiveEvents(new PfaEventStream(new HttpClient(_api)), sp.GetRequiredService<PfaApiClient>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<LiveEvents>.Instance));
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        return Render<PlanBoard>(p => p.AddCascadingValue(auth.GetAuthenticationStateAsync()));
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    [Fact]
    public void Viewer_sees_no_edit_controls()
    {
        var cut = RenderAs("Viewer", canEdit: false, canCommit: false);
        cut.WaitForElement("[data-testid=read-only]");
        // The grid has drawn its rows, so an absent checkbox means "none offered", not "not rendered yet".
        cut.WaitForAssertion(() => Assert.Contains("P-1", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=command-deck]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-tray]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-commit]"));
        Assert.Empty(cut.FindAll("[data-testid=pfa-grid] input[type=checkbox]"));
        // The token went to the API in the Authorization header, from the server-side principal.
        Assert.Contains(_api.Requests, r => r.EndsWith("Bearer secret-token", StringComparison.Ordinal));
    }

    [Fact]
    public void Editor_gets_the_deck_and_tray_but_no_commit()
    {
        var cut = RenderAs("Editor", canEdit: true, canCommit: false);
        cut.WaitForElement("[data-testid=command-deck]");
        cut.WaitForAssertion(() => Assert.Contains("P-1", cut.Markup, StringComparison.Ordinal));
        Assert.NotEmpty(cut.FindAll("[data-testid=pfa-grid] input[type=checkbox]"));
        Assert.Single(cut.FindAll("[data-testid=drafts-tray]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-commit]"));
        Assert.Empty(cut.FindAll("[data-testid=read-only]"));
    }

    [Fact]
    public void Portfolio_manager_can_commit()
    {
        var cut = RenderAs("PortfolioManager", canEdit: true, canCommit: true);
        cut.WaitForElement("[data-testid=drafts-commit]");
    }
}
