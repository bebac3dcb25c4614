using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// The caller inside one organization: identity, role, effective permissions (role template + overrides), and the version
/// stamps that key the KPI cache.
/// </summary>
public sealed record OrgContext(Guid UserId, string UserName, Guid OrganizationId, string OrganizationCode, OrgRole Role,
    Guid[] MemberOrganizationIds, long MirrorVersion, long DraftVersion, Permission Permissions)
{
    public bool Has(Permission permission) => (Permissions & permission) == permission;
    public bool CanEdit => Has(Permission.Edit);
    public bool CanCommit => Has(Permission.Commit);
    public bool CanTriggerSync => Has(Permission.Sync);
    /// <summary>Monthly rates, prices and cost figures: the masking switch every read path passes to <see cref="Pfa.Domain.FinancialMask"/>.</summary>
    public bool CanViewFinancials => Has(Permission.ViewFinancials);
}

/// <summary>What a route needs; each maps to one <see cref="Permission"/> (Read needs membership only).</summary>
public enum Need { Read, Edit, Commit, Sync, Administer, Export, ViewAudit, ManageUsers, Import }

/// <summary>
/// First wall: membership, role and overrides from the database on every request (a revoked membership takes effect at once).
/// The second wall is row-level security inside <see cref="TenantSession"/>.
/// </summary>
public sealed class OrgAccess(PfaDbContext db, NpgsqlDataSource dataSource)
{
    public static Permission Required(Need need) => need switch
    {
        Need.Read => Permission.None,
        Need.Edit => Permission.Edit,
        Need.Commit => Permission.Commit,
        Need.Sync => Permission.Sync,
        Need.Administer => Permission.ManageOrganization,
        Need.Export => Permission.Export,
        Need.Import => Permission.Import,
        Need.ViewAudit => Permission.ViewAudit,
        Need.ManageUsers => Permission.ManageUsers,
        _ => Permissions.All,
    };

    public async Task<(OrgContext? Context, ProblemHttpResult? Problem)> ResolveAsync(ClaimsPrincipal principal, string orgCode, Need need, CancellationToken ct)
    {
        if (principal.UserId() is not { } userId)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in."));
        var memberships = await db.Memberships.AsNoTracking()
            .Where(m => m.UserId == userId)
            .Join(db.Organizations.Where(o => o.IsActive), m => m.OrganizationId, o => o.Id,
                (m, o) => new { o.Id, o.Code, m.Role, o.MirrorVersion, m.DraftVersion, m.PermissionsGranted, m.PermissionsRevoked })
            .ToListAsync(ct);
        var current = memberships.FirstOrDefault(m => string.Equals(m.Code, orgCode, StringComparison.OrdinalIgnoreCase));
        // Same answer for "no such org" and "not a member": do not reveal which organizations exist.
        if (current is null)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found."));
        var ctx = new OrgContext(userId, principal.UserName() ?? "", current.Id, current.Code, current.Role,
            memberships.Select(m => m.Id).ToArray(), current.MirrorVersion, current.DraftVersion,
            Permissions.Effective(current.Role, current.PermissionsGranted, current.PermissionsRevoked));
        var required = Required(need);
        return ctx.Has(required)
            ? (ctx, null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
                detail: $"Your permissions in {ctx.OrganizationCode} do not include {required}."));
    }

    public Task<TenantSession> BeginAsync(OrgContext ctx, CancellationToken ct) =>
        TenantSession.BeginAsync(dataSource, ctx.MemberOrganizationIds, ctx.OrganizationId, ctx.UserId, ct);
}

/// <summary>A refusal naming the field, for writes and sorts on money fields by a caller without ViewFinancials.</summary>
public static class FinancialProblems
{
    public static ValidationProblem Hidden(string field) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [field] = ["Financial figures are hidden for you (permission ViewFinancials)."] },
        title: "Financial figures are hidden.");
}
