using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Section <c>Authentication:Oidc</c>: the external OpenID Connect issuer (any issuer; Microsoft Entra ID is
/// <c>https://login.microsoftonline.com/{tenant}/v2.0</c>). The web app signs users in there; the API accepts its tokens.
/// </summary>
public sealed class OidcSettings
{
    public const string SectionName = "Authentication:Oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    /// <summary>Audience of the issuer's access tokens for this API; id_tokens (audience = <see cref="ClientId"/>) are accepted too.</summary>
    public string? Audience { get; set; }
    /// <summary>Only for a development or test issuer on plain http.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
    /// <summary>
    /// Trust the <c>email</c> claim without <c>email_verified</c> (Entra ID sends none; its addresses belong to the tenant).
    /// Never set this for an issuer where users choose their own address.
    /// </summary>
    public bool TrustEmail { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);

    public string[] ValidAudiences => [.. new[] { Audience, ClientId }.Where(a => !string.IsNullOrWhiteSpace(a)).Distinct()!];
}

/// <summary>
/// Single sign-on for the API: beside its own bearer tokens it accepts the external issuer's, mapped to our user
/// (<see cref="SsoUserMapper"/>). A policy scheme forwards each request by the token's <c>iss</c>.
/// </summary>
public static class Sso
{
    public const string ExternalScheme = "ExternalBearer";
    public const string SelectorScheme = "BearerByIssuer";
    /// <summary>HttpContext item carrying why an external token was refused, for the challenge to answer 403 with it.</summary>
    private const string RefusalKey = "pfa.sso.refusal";

    public static AuthenticationBuilder AddExternalBearer(this AuthenticationBuilder auth, IConfiguration config, string localIssuer)
    {
        var settings = config.GetSection(OidcSettings.SectionName).Get<OidcSettings>() ?? new OidcSettings();
        auth.Services.AddSingleton(settings);
        auth.Services.AddScoped<SsoUserMapper>();
        if (!settings.IsConfigured) return auth;

        auth.AddJwtBearer(ExternalScheme, o =>
        {
            o.Authority = settings.Authority;
            o.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudiences = settings.ValidAudiences,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = async context =>
                {
                    var mapper = context.HttpContext.RequestServices.GetRequiredService<SsoUserMapper>();
                    var result = await mapper.MapAsync(context.Principal!, context.HttpContext.RequestAborted);
                    if (result.User is { } user) context.Principal = SsoUserMapper.LocalPrincipal(user, ExternalScheme);
                    else
                    {
                        context.HttpContext.Items[RefusalKey] = result.Refusal;
                        context.Fail(result.Refusal!);
                    }
                },
                OnChallenge = async context =>
                {
                    if (context.HttpContext.Items[RefusalKey] is not string refusal) return;
                    context.HandleResponse();
                    await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No account.", detail: refusal)
                        .ExecuteAsync(context.HttpContext);
                },
            };
        });
        // The local scheme unless the bearer token names another issuer: one [Authorize] serves both kinds of token.
        auth.AddPolicyScheme(SelectorScheme, "Local or external bearer", o => o.ForwardDefaultSelector = http =>
            IssuerOf(http.Request.Headers.Authorization.ToString()) is { } iss && iss != localIssuer ? ExternalScheme : JwtBearerDefaults.AuthenticationScheme);
        auth.Services.Configure<AuthenticationOptions>(o =>
        {
            o.DefaultScheme = SelectorScheme;
            o.DefaultAuthenticateScheme = SelectorScheme;
            o.DefaultChallengeScheme = SelectorScheme;
        });
        return auth;
    }

    /// <summary>The unvalidated <c>iss</c> of a bearer token, only to pick the scheme that then validates it.</summary>
    private static string? IssuerOf(string authorization)
    {
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var handler = new JsonWebTokenHandler();
        var token = authorization["Bearer ".Length..].Trim();
        return handler.CanReadToken(token) ? handler.ReadJsonWebToken(token).Issuer : null;
    }
}
