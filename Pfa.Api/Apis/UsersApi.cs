using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Pfa.Api.Infrastructure;
using Pfa.Data;

namespace Pfa.Api.Apis;

public sealed record UserMembershipDto(string Organization, string Name, OrgRole Role, IReadOnlyList<string> Granted, IReadOnlyList<string> Revoked,
    IReadOnlyList<string> Permissions);
public sealed record UserDto(Guid Id, string Username, string DisplayName, string? Email, bool IsActive, bool IsSystemAdmin, bool MustChangePassword,
    DateTimeOffset CreatedAt, IReadOnlyList<UserMembershipDto> Memberships);
public sealed record UserPage(IReadOnlyList<UserDto> Items, string? NextCursor);
/// <summary>Without <see cref="Password"/> one is generated and returned once. An org admin must give one of their organizations and a role.</summary>
public sealed record CreateUserRequest(string? Username, string? DisplayName, string? Email, string? Password, bool? IsSystemAdmin,
    string? Organization, OrgRole? Role);
/// <summary><see cref="TemporaryPassword"/> is shown once (null when the caller chose the password); the user must change it at first sign-in.</summary>
public sealed record CreateUserResponse(UserDto User, string? TemporaryPassword);
/// <summary>Omitted fields stay; an empty email clears it.</summary>
public sealed record UpdateUserRequest(string? DisplayName, string? Email, bool? IsSystemAdmin);
public sealed record ResetPasswordResponse(string TemporaryPassword);
/// <summary>Optional body of the account actions: a reason kept in the audit trail.</summary>
public sealed record UserActionRequest(string? Reason);
/// <summary>Omitted lists keep the membership's overrides.</summary>
public sealed record MembershipRequest(OrgRole? Role, string[]? Granted, string[]? Revoked);
public sealed record PermissionOverridesRequest(string[]? Granted, string[]? Revoked);

/// <summary>What the administration handlers share.</summary>
public sealed record UsersServices(PfaDbContext Db, UserAdministration Admin, AuditTrail Audit, HttpContext Http, ClaimsPrincipal Principal)
{
    public Task<AdminScope?> ScopeAsync(CancellationToken ct) =>
        Principal.UserId() is { } id ? AdminScope.LoadAsync(Db, id, ct) : Task.FromResult<AdminScope?>(null);

    public Task AuditAsync(AdminScope scope, string action, Guid target, object? details, CancellationToken ct, Guid? org = null,
        string outcome = AuditOutcome.Success) =>
        Audit.RecordAsync(new AuditEntry(action, outcome, scope.ActorId, scope.ActorName, org, "user", target.ToString(), details, Http.ClientIp()), ct);
}

/// <summary>
/// User administration (tag Administration): system admins manage every user; org admins (ManageUsers) see the members
/// of their organizations and manage memberships there only. Rules live in <see cref="UserAdministration"/>.
/// </summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/users").WithTags("Administration").RequireAuthorization().WithStandardProblems()
            .ProducesProblem(StatusCodes.Status409Conflict);
        g.MapGet("/", List).WithSummary("Users I administer, by user name (keyset: pass nextCursor back as cursor), optionally searched.");
        g.MapGet("/{id:guid}", Get).WithSummary("One user with the memberships I administer.");
        g.MapPost("/", Create).WithSummary("Create (invite) a user; a generated temporary password is returned once; the user must change it at first sign-in.");
        g.MapPut("/{id:guid}", Update).WithSummary("Change display name, email or (system admins) the system admin flag.");
        g.MapPost("/{id:guid}/deactivate", Deactivate).WithSummary("Deactivate a user: every session ends at once.");
        g.MapPost("/{id:guid}/reactivate", Reactivate).WithSummary("Reactivate a user.");
        g.MapPost("/{id:guid}/reset-password", ResetPassword).WithSummary("Set a generated temporary password (returned once), force a change, end every session.");
        g.MapPut("/{id:guid}/memberships/{orgCode}", PutMembership).WithSummary("Give or change the user's role (and optionally overrides) in an organization I administer.");
        g.MapDelete("/{id:guid}/memberships/{orgCode}", DeleteMembership).WithSummary("Remove the user from an organization I administer (the last membership also ends their sessions).");
        g.MapPut("/{id:guid}/memberships/{orgCode}/permissions", PutPermissions)
            .WithSummary("Per-user permission overrides on top of the role template: granted and revoked permission names (revoked wins).");
        return app;
    }

    private static ProblemHttpResult Problem(AdminError e)
    {
        var details = e.Field is null
            ? new ProblemDetails { Status = e.Status, Title = e.Title, Detail = e.Message }
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [e.Field] = [e.Message ?? e.Title] }) { Status = e.Status, Title = e.Title };
        return TypedResults.Problem(details);
    }

    private static readonly ProblemHttpResult NotAdmin =
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.", detail: "User administration is for system and organization admins.");

    internal static UserDto ToDto(UserView u) => new(u.Id, u.Username, u.DisplayName, u.Email, u.IsActive, u.IsSystemAdmin, u.MustChangePassword,
        u.CreatedAt, u.Memberships.Select(m => new UserMembershipDto(m.Organization, m.Name, m.Role, Permissions.Names(m.Granted),
            Permissions.Names(m.Revoked), Permissions.Names(m.Effective))).ToList());

    public static async Task<Results<Ok<UserPage>, ProblemHttpResult>> List(string? search, string? cursor, int? limit, [AsParameters] UsersServices s,
        CancellationToken ct)
    {
        if (limit is < 1 or > 200) return Problem(AdminError.Invalid("limit", "Between 1 and 200."));
        if (search is { Length: > 100 }) return Problem(AdminError.Invalid("search", "At most 100 characters."));
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (items, next) = await s.Admin.ListAsync(scope, search, string.IsNullOrEmpty(cursor) ? null : cursor, limit ?? 50, ct);
        return TypedResults.Ok(new UserPage(items.Select(ToDto).ToList(), next));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> Get(Guid id, [AsParameters] UsersServices s, CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, error) = await s.Admin.GetAsync(scope, id, ct);
        return user is null ? Problem(error!) : TypedResults.Ok(ToDto(user));
    }

    public static async Task<Results<Created<CreateUserResponse>, ProblemHttpResult>> Create(CreateUserRequest request, [AsParameters] UsersServices s,
        CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, temporary, error) = await s.Admin.CreateAsync(scope, new NewUser(request.Username, request.DisplayName, request.Email,
            request.Password, request.IsSystemAdmin ?? false, request.Organization, request.Role), ct);
        if (user is null) return Problem(error!);
        await s.AuditAsync(scope, AuditActions.UserCreate, user.Id, new
        {
            user.Username, user.Email, user.IsSystemAdmin, organization = request.Organization, role = request.Role?.ToString(),
            passwordGenerated = temporary is not null,
        }, ct, user.Memberships.FirstOrDefault()?.OrganizationId);
        return TypedResults.Created($"/api/users/{user.Id}", new CreateUserResponse(ToDto(user), temporary));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> Update(Guid id, UpdateUserRequest request, [AsParameters] UsersServices s,
        CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, error) = await s.Admin.UpdateAsync(scope, id, new UserChanges(request.DisplayName, request.Email, request.IsSystemAdmin), ct);
        if (user is null) return Problem(error!);
        await s.AuditAsync(scope, AuditActions.UserUpdate, id, new { request.DisplayName, request.Email, request.IsSystemAdmin }, ct, ActedThrough(scope, user));
        return TypedResults.Ok(ToDto(user));
    }

    public static Task<Results<Ok<UserDto>, ProblemHttpResult>> Deactivate(Guid id, UserActionRequest? request, [AsParameters] UsersServices s,
        CancellationToken ct) => SetActive(id, false, request?.Reason, s, ct);

    public static Task<Results<Ok<UserDto>, ProblemHttpResult>> Reactivate(Guid id, UserActionRequest? request, [AsParameters] UsersServices s,
        CancellationToken ct) => SetActive(id, true, request?.Reason, s, ct);

    /// <summary>
    /// The organization an account action is filed under: the first of the user's organizations the admin manages, so the
    /// org admins (and ViewAudit holders) of that organization see it in their trail; none for a user without memberships.
    /// </summary>
    private static Guid? ActedThrough(AdminScope scope, UserView user) =>
        user.Memberships.FirstOrDefault(m => scope.Manages(m.OrganizationId))?.OrganizationId;

    private static string? Reason(string? reason) => reason is { Length: > 500 } ? reason[..500] : reason;

    private static async Task<Results<Ok<UserDto>, ProblemHttpResult>> SetActive(Guid id, bool active, string? reason, UsersServices s, CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, error) = await s.Admin.SetActiveAsync(scope, id, active, ct);
        if (user is null)
        {
            if (error!.Status == StatusCodes.Status403Forbidden)
                await s.AuditAsync(scope, active ? AuditActions.UserReactivate : AuditActions.UserDeactivate, id, null, ct, outcome: AuditOutcome.Denied);
            return Problem(error);
        }
        await s.AuditAsync(scope, active ? AuditActions.UserReactivate : AuditActions.UserDeactivate, id, new { user.Username, reason = Reason(reason) }, ct,
            ActedThrough(scope, user));
        return TypedResults.Ok(ToDto(user));
    }

    public static async Task<Results<Ok<ResetPasswordResponse>, ProblemHttpResult>> ResetPassword(Guid id, UserActionRequest? request,
        [AsParameters] UsersServices s, CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (password, error) = await s.Admin.ResetPasswordAsync(scope, id, ct);
        if (password is null)
        {
            if (error!.Status == StatusCodes.Status403Forbidden) await s.AuditAsync(scope, AuditActions.PasswordReset, id, null, ct, outcome: AuditOutcome.Denied);
            return Problem(error);
        }
        await s.AuditAsync(scope, AuditActions.PasswordReset, id, new { reason = Reason(request?.Reason) }, ct);
        return TypedResults.Ok(new ResetPasswordResponse(password));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> PutMembership(Guid id, string orgCode, MembershipRequest request,
        [AsParameters] UsersServices s, CancellationToken ct)
    {
        if (request.Role is not { } role) return Problem(AdminError.Invalid("role", "Required: Viewer, Editor, PortfolioManager, BeoAnalyst or Admin."));
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, error) = await s.Admin.SetMembershipAsync(scope, id, orgCode, role, request.Granted, request.Revoked, ct);
        if (user is null) return Problem(error!);
        var m = user.Memberships.First(x => string.Equals(x.Organization, orgCode, StringComparison.OrdinalIgnoreCase));
        await s.AuditAsync(scope, AuditActions.MembershipSet, id, new { organization = m.Organization, role = role.ToString(),
            granted = Permissions.Names(m.Granted), revoked = Permissions.Names(m.Revoked) }, ct, m.OrganizationId);
        return TypedResults.Ok(ToDto(user));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> DeleteMembership(Guid id, string orgCode, [AsParameters] UsersServices s,
        CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var upper = orgCode.ToUpperInvariant();
        var org = await s.Db.Organizations.Where(o => o.Code == upper).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct);
        var (user, error) = await s.Admin.RemoveMembershipAsync(scope, id, orgCode, ct);
        if (user is null) return Problem(error!);
        await s.AuditAsync(scope, AuditActions.MembershipRemove, id, new { organization = orgCode.ToUpperInvariant() }, ct, org);
        return TypedResults.Ok(ToDto(user));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> PutPermissions(Guid id, string orgCode, PermissionOverridesRequest request,
        [AsParameters] UsersServices s, CancellationToken ct)
    {
        if (await s.ScopeAsync(ct) is not { IsAdmin: true } scope) return NotAdmin;
        var (user, error) = await s.Admin.SetPermissionsAsync(scope, id, orgCode, request.Granted, request.Revoked, ct);
        if (user is null) return Problem(error!);
        var m = user.Memberships.First(x => string.Equals(x.Organization, orgCode, StringComparison.OrdinalIgnoreCase));
        await s.AuditAsync(scope, AuditActions.PermissionsSet, id, new { organization = m.Organization,
            granted = Permissions.Names(m.Granted), revoked = Permissions.Names(m.Revoked) }, ct, m.OrganizationId);
        return TypedResults.Ok(ToDto(user));
    }
}
