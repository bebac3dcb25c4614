using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Pfa.Web.Api;

namespace Pfa.Web.Auth;

/// <summary>
/// Section <c>Authentication:Oidc</c>: any OpenID Connect issuer (Microsoft Entra ID:
/// <c>https://login.microsoftonline.com/{tenant}/v2.0</c>). Unset: no SSO, the sign-in page shows the local form only.
/// </summary>
public sealed class OidcWebSettings
{
    public const string SectionName = "Authentication:Oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    /// <summary>A secret: from user secrets, an environment variable or the deployment's secret parameter, never committed.</summary>
    public string? ClientSecret { get; set; }
    public string DisplayName { get; set; } = "single sign-on";
    /// <summary>Space-separated; openid is always asked for.</summary>
    public string Scopes { get; set; } = "openid profile email";
    /// <summary>Only for a development or test issuer on plain http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}

/// <summary>
/// Single sign-on in the web app: authorization code flow with PKCE against the configured issuer; after the callback the
/// issuer's id_token is exchanged with the API (<c>POST /api/auth/external</c>) for the API's own token, and the cookie is
/// signed in exactly as after a local sign-in (<see cref="PfaClaims.Create"/>). The issuer's tokens are not kept.
/// </summary>
public static class Sso
{
    public const string Scheme = "oidc";

    public static WebApplicationBuilder AddPfaSso(this WebApplicationBuilder builder, AuthenticationBuilder auth)
    {
        var settings = builder.Configuration.GetSection(OidcWebSettings.SectionName).Get<OidcWebSettings>() ?? new OidcWebSettings();
        builder.Services.AddSingleton(settings);
        if (!settings.IsConfigured) return builder;

        auth.AddOpenIdConnect(Scheme, settings.DisplayName, o =>
        {
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.UsePkce = true;
            // The code comes back on a top-level GET, so Lax cookies (correlation, nonce) travel with it, http or https.
            o.ResponseMode = OpenIdConnectResponseMode.Query;
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.CallbackPath = "/signin-oidc";
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.Scope.Clear();
            foreach (var scope in settings.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("openid").Distinct()) o.Scope.Add(scope);
            o.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = ExchangeWithApiAsync,
                OnRemoteFailure = context =>
                {
                    context.HandleResponse();
                    context.Response.Redirect("/login?error=sso-failed");
                    return Task.CompletedTask;
                },
            };
        });
        return builder;
    }

    /// <summary>The issuer's id_token → the API's token and /me → our cookie principal, as the local sign-in builds it.</summary>
    private static async Task ExchangeWithApiAsync(TokenValidatedContext context)
    {
        var idToken = context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken;
        var api = context.HttpContext.RequestServices.GetRequiredService<PfaApiClient>();
        var ct = context.HttpContext.RequestAborted;
        try
        {
            if (string.IsNullOrEmpty(idToken)) throw new InvalidOperationException("The issuer returned no id_token.");
            var login = await api.ExternalLoginAsync(idToken, ct);
            var me = await api.MeAsync(login.AccessToken, ct);
            context.Principal = PfaClaims.Create(me, login);
            context.Properties!.ExpiresUtc = login.ExpiresAt;
            context.Properties.IsPersistent = false;
        }
        catch (Exception e) when (e is PfaApiException or InvalidOperationException)
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Pfa.Web.Account")
                .LogInformation("SSO sign-in refused: {Message}", e.Message);
            var error = e is PfaApiException { Status: StatusCodes.Status403Forbidden } ? "sso-noaccount"
                : e is PfaApiException { IsUnreachable: true } ? "unreachable" : "sso-failed";
            context.HandleResponse();
            context.Response.Redirect($"/login?error={error}");
        }
    }

    public static void MapSsoEndpoints(this IEndpointRouteBuilder app)
    {
        // The sign-in page's "Sign in with …" link: a challenge of the OpenID Connect scheme, back to the page asked for.
        app.MapGet("/account/sso", (string? returnUrl, OidcWebSettings settings) => settings.IsConfigured
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) }, [Scheme])
            : Results.LocalRedirect("/login")).AllowAnonymous();
    }

    private static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
