using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Data.Common;
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

/// <summary>One membership of the caller in an active organization (role, overrides and the KPI cache's version stamps).</summary>
public sealed record CallerMembership(Guid OrganizationId, string Code, OrgRole Role, long MirrorVersion, long DraftVersion, int Granted, int Revoked)
{
    /// <summary>The caller's memberships in active organizations; <c>$1</c> = user id.</summary>
    public const string Sql = """
        SELECT o.id, o.code, m.role, o.mirror_version, m.draft_version, m.permissions_granted, m.permissions_revoked
        FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = $1 AND o.is_active
        """;

    public static async Task<IReadOnlyList<CallerMembership>> ReadAsync(DbDataReader r, CancellationToken ct)
    {
        var rows = new List<CallerMembership>();
        while (await r.ReadAsync(ct))
            rows.Add(new(r.GetGuid(0), r.GetString(1), Enum.Parse<OrgRole>(r.GetString(2)), r.GetInt64(3), r.GetInt64(4), r.GetInt32(5), r.GetInt32(6)));
        return rows;
    }
}

/// <summary>
/// First wall: membership, role and overrides from the database on every request (a revoked membership takes effect at once):
/// read with the session check in the request's first round trip (<see cref="SessionValidation"/>), else here.
/// The second wall is row-level security inside <see cref="TenantSession"/>.
/// </summary>
public sealed class OrgAccess(IHttpContextAccessor http, NpgsqlDataSource dataSource)
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
        var memberships = http.HttpContext?.Session() is { } session && session.Id == userId ? session.Memberships : await LoadAsync(userId, ct);
        var current = memberships.FirstOrDefault(m => string.Equals(m.Code, orgCode, StringComparison.OrdinalIgnoreCase));
        // Same answer for "no such org" and "not a member": do not reveal which organizations exist.
        if (current is null)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found."));
        var ctx = new OrgContext(userId, principal.UserName() ?? "", current.OrganizationId, current.Code, current.Role,
            memberships.Select(m => m.OrganizationId).ToArray(), current.MirrorVersion, current.DraftVersion,
            Permissions.Effective(current.Role, current.Granted, current.Revoked));
        var required = Required(need);
        return ctx.Has(required)
            ? (ctx, null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
                detail: $"Your permissions in {ctx.OrganizationCode} do not include {required}."));
    }

    private async Task<IReadOnlyList<CallerMembership>> LoadAsync(Guid userId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(CallerMembership.Sql);
        cmd.Parameters.AddWithValue(userId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await CallerMembership.ReadAsync(r, ct);
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
