using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Http.Resilience;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components;
using Pfa.Web.State;

namespace Pfa.Web;

public static class Extensions
{
    /// <summary>Service discovery name of the API (the AppHost hands over <c>services__api__http__0</c>).</summary>
    public const string ApiBaseAddress = "https+http://api";

    public static WebApplicationBuilder AddPfaWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        // Toasts at the bottom right, above the grid's last rows: never over the app bar, the sync banner's buttons or the
        // plan strip; short-lived, and cleared when the page changes (MainLayout).
        services.AddMudServices(c =>
        {
            c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight;
            c.SnackbarConfiguration.VisibleStateDuration = 5000;
            c.SnackbarConfiguration.PreventDuplicates = true;
        });

        services.AddMemoryCache();
        var auth = services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme);
        auth.AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/account/logout";
                o.Cookie.Name = "pfa.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.SlidingExpiration = false;
            });
        builder.AddPfaSso(auth); // single sign-on when Authentication:Oidc is configured (Auth/Sso.cs)
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IMemoryCache>((o, cache) => o.SessionStore = new MemoryTicketStore(cache));
        // A temporary password must be changed first: the default policy (every [Authorize] page) refuses until then,
        // and RedirectToLogin sends such a user to the change page instead of the login page.
        services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser()
            .RequireAssertion(c => !c.User.MustChangePasswordFirst())
            .Build());
        services.AddAuthorizationBuilder().AddPolicy(Components.Pages.ChangePassword.ChangePasswordPolicy, p => p.RequireAuthenticatedUser());
        services.AddCascadingAuthenticationState();

#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it replaces the defaults' retrying handler.
        services.AddHttpContextAccessor();
        services.AddTransient<ForwardedClientHandler>();
        var apiClient = services.AddHttpClient<PfaApiClient>(c => c.BaseAddress = new Uri(ApiBaseAddress));
        apiClient
            // Bulk edits and commits are not idempotent: never retry them; give set-based edits on a whole project time.
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.DisableForUnsafeHttpMethods();
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(60);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(120);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(150);
            });
        // After the resilience handler: every attempt carries the browser's address.
        apiClient.AddHttpMessageHandler<ForwardedClientHandler>();
        // The live event stream stays open for the whole circuit: no resilience handler, no request timeout.
        services.AddHttpClient<PfaEventStream>(c =>
            {
                c.BaseAddress = new Uri(ApiBaseAddress);
                c.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddScoped<OrgSession>();
        services.AddScoped<LiveEvents>();
        services.AddScoped<SyncMonitor>();
        services.AddScoped<BrowserPrefs>();
        return builder;
    }

    public static WebApplication MapPfaWeb(this WebApplication app)
    {
        app.UseSecurityHeaders(); // CSP, frame and referrer policy on every response (SecurityHeaders.cs)
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAccountEndpoints();
        app.MapSsoEndpoints();
        app.MapExportEndpoints();
        app.MapDefaultEndpoints();
        return app;
    }

    private static void MapAccountEndpoints(this WebApplication app)
    {
        var account = app.MapGroup("/account");
        account.MapPost("/login", async Task<IResult> (HttpContext http, PfaApiClient api, ILoggerFactory logs,
            [FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl) =>
        {
            var back = SafeReturnUrl(returnUrl);
            if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password))
                return Results.LocalRedirect($"/login?error=missing&returnUrl={Uri.EscapeDataString(back)}");
            try
            {
                var login = await api.LoginAsync(username.Trim(), password, http.RequestAborted);
                var me = await api.MeAsync(login.AccessToken, http.RequestAborted);
                await http.SignInAsync(PfaClaims.Create(me, login), new AuthenticationProperties
                {
                    ExpiresUtc = login.ExpiresAt,
                    IsPersistent = false,
                });
                return Results.LocalRedirect(login.MustChangePassword ? PfaClaims.ChangePasswordPath : back);
            }
            catch (PfaApiException e)
            {
                logs.CreateLogger("Pfa.Web.Account").LogInformation("Sign-in failed: {Status} {Message}", e.Status, e.Message);
                var error = e.IsUnreachable ? "unreachable" : e.IsUnauthorized ? "invalid" : e.IsThrottled ? "throttled" : "failed";
                // Too many failed sign-ins: the page says how long to wait (whole minutes, from the API's Retry-After).
                var wait = e.IsThrottled ? $"&minutes={Math.Max(1, (int)Math.Ceiling((e.RetryAfter ?? TimeSpan.FromMinutes(1)).TotalMinutes))}" : "";
                return Results.LocalRedirect($"/login?error={error}{wait}&returnUrl={Uri.EscapeDataString(back)}");
            }
        });
        account.MapPost("/change-password", async Task<IResult> (HttpContext http, PfaApiClient api, ILoggerFactory logs,
            [FromForm] string? currentPassword, [FromForm] string? newPassword, [FromForm] string? confirmPassword) =>
        {
            if (http.User.FindFirst(PfaClaims.AccessToken)?.Value is not { } token) return Results.LocalRedirect("/login");
            if (string.IsNullOrEmpty(currentPassword) || string.IsNullOrEmpty(newPassword))
                return Results.LocalRedirect($"{PfaClaims.ChangePasswordPath}?error=missing");
            if (newPassword != confirmPassword) return Results.LocalRedirect($"{PfaClaims.ChangePasswordPath}?error=mismatch");
            try
            {
                var login = await api.ChangePasswordAsync(token, currentPassword, newPassword, http.RequestAborted);
                var me = await api.MeAsync(login.AccessToken, http.RequestAborted);
                // The old token died with the change: re-sign the cookie with the fresh one (and without the forced-change mark).
                await http.SignInAsync(PfaClaims.Create(me, login), new AuthenticationProperties { ExpiresUtc = login.ExpiresAt, IsPersistent = false });
                return Results.LocalRedirect("/");
            }
            catch (PfaApiException e)
            {
                logs.CreateLogger("Pfa.Web.Account").LogInformation("Password change refused: {Status}", e.Status);
                if (e.IsUnauthorized)
                {
                    await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    return Results.LocalRedirect("/login?error=expired");
                }
                var error = e.IsUnreachable ? "unreachable" : e.Errors.ContainsKey("currentPassword") ? "current"
                    : e.Errors.ContainsKey("newPassword") ? "policy" : "failed";
                return Results.LocalRedirect($"{PfaClaims.ChangePasswordPath}?error={error}");
            }
        }).RequireAuthorization(Components.Pages.ChangePassword.ChangePasswordPolicy);
        // Where the UI goes when the API answers 401: the session ended server-side (deactivated, password changed, expired).
        account.MapGet("/signed-out", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login?error=expired");
        });
        account.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        });
    }

    /// <summary>
    /// Downloads go through the web app: the browser has only its cookie, the API token stays on the server. The API's CSV
    /// is streamed on as it arrives, never buffered.
    /// </summary>
    private static void MapExportEndpoints(this WebApplication app)
    {
        app.MapGet("/export/{org}/forecast.csv", (string org, HttpContext http, PfaApiClient api) =>
            Download(http, token => api.OpenForecastExportAsync(org, token, http.RequestAborted), "text/csv; charset=utf-8", $"forecast_export_{org}.csv"))
            .RequireAuthorization();
        // The audit trail's CSV with the page's filters (the API checks who may read what, and audits the export).
        app.MapGet("/export/audit.csv", (HttpContext http, PfaApiClient api) =>
        {
            var allowed = new[] { "org", "user", "action", "outcome", "from", "to" };
            var query = string.Join('&', http.Request.Query.Where(q => allowed.Contains(q.Key))
                .Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}"));
            return Download(http, token => api.OpenAuditExportAsync(query, token, http.RequestAborted), "text/csv; charset=utf-8", "audit.csv");
        }).RequireAuthorization();
        // The spreadsheet exports: the grid (the query string carries the grid's filter and sort as GET /pfa takes them) and my changes.
        foreach (var file in new[] { "grid.xlsx", "changes.xlsx" })
            app.MapGet($"/export/{{org}}/{file}", (string org, HttpContext http, PfaApiClient api) =>
                Download(http, token => api.OpenExportAsync(org, file + http.Request.QueryString.Value, token, http.RequestAborted),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file))
                .RequireAuthorization();
    }

    /// <summary>Streams an API download on as it arrives, with the API's file name; the user's token stays on the server.</summary>
    private static async Task<IResult> Download(HttpContext http, Func<string, Task<HttpResponseMessage>> open, string contentType, string fallbackName)
    {
        if (http.User.FindFirst(PfaClaims.AccessToken)?.Value is not { } token) return Results.Unauthorized();
        try
        {
            var upstream = await open(token);
            http.Response.RegisterForDispose(upstream);
            var name = upstream.Content.Headers.ContentDisposition?.FileNameStar ?? upstream.Content.Headers.ContentDisposition?.FileName?.Trim('"')
                       ?? fallbackName;
            return Results.Stream(await upstream.Content.ReadAsStreamAsync(http.RequestAborted), contentType, name);
        }
        catch (PfaApiException e)
        {
            return Results.Problem(statusCode: e.IsUnreachable ? StatusCodes.Status502BadGateway : e.Status, title: e.Describe());
        }
    }

    private static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
