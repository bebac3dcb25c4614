using System.ComponentModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public sealed record LoginRequest([property: Description("User name")] string Username, string Password);
/// <summary>While <see cref="MustChangePassword"/> is true the token opens only <c>POST /api/auth/change-password</c> and <c>GET /api/me</c>.</summary>
public sealed record LoginResponse(string AccessToken, string TokenType, DateTimeOffset ExpiresAt, bool MustChangePassword);
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);
public sealed record MembershipDto(string Code, string Name, OrgRole Role, bool CanEdit, bool CanCommit, bool CanViewFinancials,
    IReadOnlyList<string> Permissions);
public sealed record MeResponse(Guid Id, string Username, string DisplayName, string? Email, IReadOnlyList<MembershipDto> Organizations,
    bool CanViewPortfolio, bool IsSystemAdmin, bool MustChangePassword);

/// <summary>The services the sign-in handlers share.</summary>
public sealed record AuthServices(PfaDbContext Db, TokenService Tokens, AuditTrail Audit, HttpContext Http, LoginThrottle Throttle,
    LoginMetrics Metrics, ILogger<LoginThrottle> Log);

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Auth")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/auth/login", Login).AllowAnonymous()
            .WithSummary("Exchange user name and password for a bearer token (mustChangePassword: only the password change is open until done).");
        group.MapPost("/auth/change-password", ChangePassword).RequireAuthorization()
            .WithSummary("Change my password (at least 12 characters, not the user name, not the current one); ends my other sessions and returns a fresh token.");
        group.MapGet("/me", Me).RequireAuthorization()
            .WithSummary("The signed-in user with organizations, roles and effective permissions.");
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest request, [AsParameters] AuthServices s, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username)) errors["username"] = ["Required."];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = ["Required."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var username = request.Username.Trim().ToLowerInvariant();
        var ip = s.Http.ClientIp();
        // A locked account or address is refused before the password is looked at: a right guess during the lock tells nothing.
        // Locks are kept by name, known or not, so the lock itself does not reveal which names exist.
        if (await s.Throttle.CheckAsync(username, ip) is { } block)
            return await ThrottledAsync(s, block, username, "password", ct);

        var user = await s.Db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == username, ct);
        // Always one hash verification (a dummy one for unknown users), so the time taken does not tell unknown from wrong.
        var passwordOk = Passwords.Verify(user?.PasswordHash ?? DummyHash.Value, request.Password);
        // One answer for unknown user, inactive user and wrong password; the audit row keeps the reason for administrators.
        if (user is null || !user.IsActive || !passwordOk)
        {
            await s.Throttle.RecordFailureAsync(username, ip, "password");
            await s.Audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Failure, user?.Id, username, Entity: "user",
                EntityId: user?.Id.ToString(), Details: new { reason = user is null ? "unknown-user" : !user.IsActive ? "inactive" : "wrong-password" },
                Ip: ip), ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid user name or password.");
        }
        await s.Throttle.ResetAccountAsync(username);
        if (Passwords.NeedsRehash(user.PasswordHash))
        {
            // A hash carried over by the legacy import (bcrypt) becomes ours at its first verified sign-in; the condition on the
            // old hash keeps a concurrent password change from being overwritten.
            await s.Db.Users.Where(u => u.Id == user.Id && u.PasswordHash == user.PasswordHash)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, Passwords.Hash(request.Password)), ct);
        }
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Success, user.Id, user.Username, Entity: "user",
            EntityId: user.Id.ToString(), Ip: ip), ct);
        var (token, expires) = s.Tokens.Issue(user);
        return TypedResults.Ok(new LoginResponse(token, "Bearer", expires, user.MustChangePassword));
    }

    private static readonly Lazy<string> DummyHash = new(() => Passwords.Hash(Guid.NewGuid().ToString()));

    /// <summary>
    /// 429 ProblemDetails with <c>Retry-After</c> for a sign-in refused by the failed-sign-in limits, with a warning log (the name,
    /// never the password), the <c>pfa.auth.throttled</c> metric and a <c>denied</c> audit row.
    /// </summary>
    internal static async Task<ProblemHttpResult> ThrottledAsync(AuthServices s, LoginBlock block, string? username, string method, CancellationToken ct)
    {
        var ip = s.Http.ClientIp();
        s.Log.LogWarning("Sign-in throttled ({Method}) for {Username} from {Address}: {Scope} locked, retry in {RetryAfter} s",
            method, username, ip, block.Scope, block.RetryAfterSeconds);
        s.Metrics.Throttled(method, block.Scope);
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.SignIn, AuditOutcome.Denied, ActorName: username, Entity: "user",
            Details: new { method, reason = "throttled", scope = block.Scope, retryAfterSeconds = block.RetryAfterSeconds }, Ip: ip), ct);
        s.Http.Response.Headers.RetryAfter = block.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var minutes = (int)Math.Ceiling(block.RetryAfterSeconds / 60.0);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed sign-ins.",
            detail: $"Try again in {minutes} minute{(minutes == 1 ? "" : "s")}.",
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = block.RetryAfterSeconds });
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, ClaimsPrincipal principal, [AsParameters] AuthServices s, CancellationToken ct)
    {
        var id = principal.UserId();
        var user = id is null ? null : await s.Db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unknown user.");
        if (string.IsNullOrEmpty(request.CurrentPassword) || !Passwords.Verify(user.PasswordHash, request.CurrentPassword))
        {
            await s.Audit.RecordAsync(new AuditEntry(AuditActions.PasswordChange, AuditOutcome.Failure, user.Id, user.Username, Entity: "user",
                EntityId: user.Id.ToString(), Details: new { reason = "wrong-current-password" }, Ip: s.Http.ClientIp()), ct);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["currentPassword"] = ["Incorrect."] });
        }
        var errors = PasswordPolicy.Validate(user.Username, request.NewPassword,
            request.NewPassword is not null && Passwords.Verify(user.PasswordHash, request.NewPassword));
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        user.PasswordHash = Passwords.Hash(request.NewPassword!);
        user.MustChangePassword = false;
        user.SecurityStamp = Guid.NewGuid();
        await s.Db.SaveChangesAsync(ct);
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.PasswordChange, AuditOutcome.Success, user.Id, user.Username, Entity: "user",
            EntityId: user.Id.ToString(), Ip: s.Http.ClientIp()), ct);
        var (token, expires) = s.Tokens.Issue(user);
        return TypedResults.Ok(new LoginResponse(token, "Bearer", expires, false));
    }

    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Me(ClaimsPrincipal principal, PfaDbContext db, CancellationToken ct)
    {
        var id = principal.UserId();
        var user = id is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unknown user.");
        var orgs = await db.Memberships.AsNoTracking().Where(m => m.UserId == user.Id)
            .Join(db.Organizations, m => m.OrganizationId, o => o.Id, (m, o) => new { o.Code, o.Name, m.Role, m.PermissionsGranted, m.PermissionsRevoked })
            .OrderBy(x => x.Code).ToListAsync(ct);
        var list = orgs.Select(o =>
        {
            var p = Permissions.Effective(o.Role, o.PermissionsGranted, o.PermissionsRevoked);
            return new MembershipDto(o.Code, o.Name, o.Role, p.HasFlag(Permission.Edit), p.HasFlag(Permission.Commit),
                p.HasFlag(Permission.ViewFinancials), Permissions.Names(p));
        }).ToList();
        return TypedResults.Ok(new MeResponse(user.Id, user.Username, user.DisplayName, user.Email, list,
            list.Any(o => o.Permissions.Contains(nameof(Permission.ViewAllOrganizations))), user.IsSystemAdmin, user.MustChangePassword));
    }
}
