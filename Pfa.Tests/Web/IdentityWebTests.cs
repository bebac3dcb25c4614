using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components;
using Pfa.Web.Components.Pages;

namespace Pfa.Tests.Web;

/// <summary>The web side of identity: forced password change, sessions ended by the API, hidden amounts, the audit page.</summary>
public sealed class IdentityWebTests : BunitContext
{
    private sealed class StubApi(HttpStatusCode status, object? body) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            lock (Requests) Requests.Add(request.RequestUri!.PathAndQuery);
            return Task.FromResult(new HttpResponseMessage(status)
            {
                Content = new StringContent(body is string s ? s : JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8,
                    status == HttpStatusCode.OK ? "application/json" : "application/problem+json"),
            });
        }
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private static ClaimsPrincipal User(bool mustChange = false, bool systemAdmin = false) =>
        PfaClaims.Create(new MeResult(Guid.NewGuid(), "u", "U", null, [new Membership("RIO", "Rio", "Viewer", false, false)], false, systemAdmin, mustChange),
            new LoginResult("secret-token", "Bearer", DateTimeOffset.UtcNow.AddHours(1), mustChange));

    [Fact]
    public void A_user_with_a_temporary_password_is_sent_to_the_change_page_not_the_login()
    {
        var user = User(mustChange: true);
        Assert.True(user.MustChangePasswordFirst());
        Render<RedirectToLogin>(p => p.AddCascadingValue(Task.FromResult(new AuthenticationState(user))));
        Assert.EndsWith(PfaClaims.ChangePasswordPath, Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);

        var ordinary = new BunitContext();
        ordinary.Render<RedirectToLogin>(p => p.AddCascadingValue(Task.FromResult(new AuthenticationState(User()))));
        Assert.Contains("/login?returnUrl=", ordinary.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
        Assert.False(User().MustChangePasswordFirst());
    }

    [Fact]
    public async Task A_401_from_the_api_inside_a_circuit_signs_the_user_out()
    {
        var nav = Services.GetRequiredService<NavigationManager>();
        var api = new PfaApiClient(new HttpClient(new StubApi(HttpStatusCode.Unauthorized, "{\"title\":\"Unauthorized\",\"status\":401}")) { BaseAddress = new Uri("http://api") },
            new StaticAuth(User()), nav);
        var e = await Assert.ThrowsAsync<PfaApiException>(() => api.KpisAsync("RIO", true, ct: Xunit.TestContext.Current.CancellationToken));
        Assert.True(e.IsUnauthorized);
        Assert.EndsWith(PfaClaims.SignedOutPath, nav.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_amounts_read_as_zero_instead_of_failing()
    {
        var row = JsonSerializer.Deserialize<PfaRow>("""{"pfaId":"P1","draftState":"pristine","changedFields":[],"record":{"pfaId":"P1","monthlyRate":null,"purchasePrice":null}}""",
            PfaApiClient.Json)!;
        Assert.Equal(0m, row.Record.MonthlyRate);
        var kpi = JsonSerializer.Deserialize<KpiFigures>("""{"lines":3,"plan":null,"forecast":null,"actual":null,"variance":null,"variancePercent":null}""", PfaApiClient.Json)!;
        Assert.Equal(3, kpi.Lines);
    }

    [Fact]
    public void Audit_page_lists_rows_and_offers_the_csv_with_its_filters()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var page = new AuditPage([new AuditEntry(7, DateTimeOffset.Parse("2026-12-06T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), null, "ghost", null,
            "auth.sign-in", "failure", "user", null, null, "10.0.0.1")], null);
        var stub = new StubApi(HttpStatusCode.OK, page);
        var auth = new StaticAuth(User(systemAdmin: true));
        Services.AddSingleton<AuthenticationStateProvider>(auth);
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(stub) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Render<MudPopoverProvider>();
        var cut = Render<Audit>();
        cut.WaitForAssertion(() => Assert.Contains("ghost", cut.Markup, StringComparison.Ordinal));
        Assert.Contains("auth.sign-in", cut.Markup, StringComparison.Ordinal);
        Assert.StartsWith("/api/audit?limit=100", stub.Requests.Single(), StringComparison.Ordinal);
        var org = cut.Find("[data-testid=audit-org]");
        (org.TagName == "INPUT" ? org : org.QuerySelector("input")!).Change("RIO");
        Assert.Contains("/export/audit.csv?org=RIO", cut.Find("[data-testid=audit-csv]").GetAttribute("href"), StringComparison.Ordinal);
        Assert.True(User(systemAdmin: true).CanViewAudit());
        Assert.False(User().CanViewAudit());
    }

    [Fact]
    public void Audit_filter_makes_the_to_date_inclusive()
    {
        var q = new AuditFilter("RIO", "admin", "auth.sign-in", "failure", new DateTime(2026, 12, 1), new DateTime(2026, 12, 5)).ToQueryString("42", 10);
        Assert.Equal("org=RIO&user=admin&action=auth.sign-in&outcome=failure&from=2026-12-01T00%3A00%3A00Z&to=2026-12-06T00%3A00%3A00Z&cursor=42&limit=10", q);
    }
}
