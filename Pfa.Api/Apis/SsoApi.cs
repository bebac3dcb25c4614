using Pfa.Data;
using System.ComponentModel;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pfa.Api.Infrastructure;

namespace Pfa.Api.Apis;

public sealed record ExternalLoginRequest([property: Description("The id_token (or access token) the external issuer gave the web app.")] string? IdToken);
public sealed record SsoInfo(bool Enabled, string? Authority);

/// <summary>Single sign-on: the web app trades the external issuer's token for ours after its OpenID Connect callback.</summary>
public static class SsoApi
{
    public static IEndpointRouteBuilder MapSsoApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/external", Exchange).AllowAnonymous().ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Exchange a token of the configured OpenID Connect issuer for this API's bearer token (maps or provisions the user).");
        group.MapGet("/sso", (OidcSettings s) => TypedResults.Ok(new SsoInfo(s.IsConfigured, s.IsConfigured ? s.Authority : null))).AllowAnonymous()
            .WithSummary("Whether single sign-on is configured, and its issuer.");
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> Exchange(ExternalLoginRequest request,
        OidcSettings settings, IOptionsMonitor<JwtBearerOptions> bearers, SsoUserMapper mapper, [AsParameters] AuthServices s, CancellationToken ct)
    {
        var (tokens, audit, http) = (s.Tokens, s.Audit, s.Http);
        if (!settings.IsConfigured)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Single sign-on is not configured.");
        if (string.IsNullOrWhiteSpace(request.IdToken))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["idToken"] = ["Required."] });
        // No account is named before the token is valid: only the address's failures count here.
        if (await s.Throttle.CheckAsync(null, http.ClientIp()) is { } block)
            return await AuthApi.ThrottledAsync(s, block, null, "sso", ct);
        var external = await SsoUserMapper.ValidateExternalTokenAsync(bearers, request.IdToken.Trim(), ct);
        if (external is null)
        {
            await s.Throttle.RecordFailureAsync(null, http.ClientIp(), "sso");
            await audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Failure, Entity: "user", Details: new { method = "sso", reason = "invalid token" },
                Ip: http.ClientIp()), ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid external token.");
        }
        var result = await mapper.MapAsync(external, ct);
        if (result.User is null)
        {
            await audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Denied, ActorName: external.FindFirst("email")?.Value, Entity: "user",
                Details: new { method = "sso", reason = result.Refusal }, Ip: http.ClientIp()), ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No account.", detail: result.Refusal);
        }
        await audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Success, result.User.Id, result.User.Username, Entity: "user",
            EntityId: result.User.Id.ToString(), Details: new { method = "sso" }, Ip: http.ClientIp()), ct);
        var (token, expires) = tokens.Issue(result.User);
        return TypedResults.Ok(new LoginResponse(token, "Bearer", expires, MustChangePassword: false));
    }
}
