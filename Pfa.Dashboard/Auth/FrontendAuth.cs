using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Pfa.Dashboard.Auth;

/// <summary>
/// Browser access: in BrowserToken mode <c>/login?t=&lt;token&gt;</c> (the link the AppHost prints) sets a cookie and every page
/// and telemetry query requires it; in Unsecured mode (local use only) everything is open.
/// </summary>
public static class FrontendAuth
{
    public const string Policy = "Frontend";
    public const string CookieName = "pfa.dashboard";

    public static IServiceCollection AddFrontendAuth(this IServiceCollection services, DashboardOptions options)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.ExpireTimeSpan = TimeSpan.FromDays(3);
                o.SlidingExpiration = true;
                // The JSON API answers 401 instead of redirecting to the login page.
                o.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api")) context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    else context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p =>
        {
            if (options.FrontendAuthMode == FrontendAuthMode.Unsecured) p.RequireAssertion(_ => true);
            else p.RequireAuthenticatedUser();
        });
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static bool IsValidToken(DashboardOptions options, string? token) =>
        options.BrowserToken is { } expected && !string.IsNullOrEmpty(token)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected));

    public static Task SignInAsync(HttpContext http) =>
        http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "dashboard")], CookieAuthenticationDefaults.AuthenticationScheme)),
            new AuthenticationProperties { IsPersistent = true });

    /// <summary>Only local paths: a login link must not become an open redirect.</summary>
    public static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
