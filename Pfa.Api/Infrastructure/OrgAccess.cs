using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

/// <summary>The caller inside one organization: identity, role, and the version stamps that key the KPI cache.</summary>
public sealed record OrgContext(Guid UserId, string UserName, Guid OrganizationId, string OrganizationCode, OrgRole Role,
    Guid[] MemberOrganizationIds, long MirrorVersion, long DraftVersion)
{
    public bool CanEdit => Role.CanEdit();
    public bool CanCommit => Role.CanCommit();
    public bool CanTriggerSync => Role.CanCommit();
}

public enum Need { Read, Edit, Commit, Sync, Administer }

/// <summary>
/// First wall: membership and role from the database on every request (a revoked membership takes effect at once).
/// The second wall is row-level security inside <see cref="TenantSession"/>.
/// </summary>
public sealed class OrgAccess(PfaDbContext db, NpgsqlDataSource dataSource)
{
    public async Task<(OrgContext? Context, ProblemHttpResult? Problem)> ResolveAsync(ClaimsPrincipal principal, string orgCode, Need need, CancellationToken ct)
    {
        if (principal.UserId() is not { } userId)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in."));
        var memberships = await db.Memberships.AsNoTracking()
            .Where(m => m.UserId == userId)
            .Join(db.Organizations.Where(o => o.IsActive), m => m.OrganizationId, o => o.Id,
                (m, o) => new { o.Id, o.Code, m.Role, o.MirrorVersion, m.DraftVersion })
            .ToListAsync(ct);
        var current = memberships.FirstOrDefault(m => string.Equals(m.Code, orgCode, StringComparison.OrdinalIgnoreCase));
        // Same answer for "no such org" and "not a member": do not reveal which organizations exist.
        if (current is null)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found."));
        var ctx = new OrgContext(userId, principal.UserName() ?? "", current.Id, current.Code, current.Role,
            memberships.Select(m => m.Id).ToArray(), current.MirrorVersion, current.DraftVersion);
        var allowed = need switch
        {
            Need.Read => true,
            Need.Edit => ctx.CanEdit,
            Need.Commit => ctx.CanCommit,
            Need.Sync => ctx.CanTriggerSync,
            Need.Administer => ctx.Role.CanAdminister(),
            _ => false,
        };
        return allowed
            ? (ctx, null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
                detail: $"The {ctx.Role} role cannot {need.ToString().ToLowerInvariant()} in {ctx.OrganizationCode}."));
    }

    public Task<TenantSession> BeginAsync(OrgContext ctx, CancellationToken ct) =>
        TenantSession.BeginAsync(dataSource, ctx.MemberOrganizationIds, ctx.OrganizationId, ctx.UserId, ct);
}
