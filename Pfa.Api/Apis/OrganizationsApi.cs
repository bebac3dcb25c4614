using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

public sealed record PemsOrganizationDto(string Code, string Name, bool Added);

public sealed record OrganizationAdminDto(string Code, string Name, bool IsActive, bool SyncEnabled,
    [property: Description("Minutes between scheduled syncs; null = the worker's configured Sync:Interval.")] int? SyncIntervalMinutes,
    string ServiceStatus, DateTimeOffset? LastFullSyncAt, DateTimeOffset? LastIncrementalSyncAt,
    DateTimeOffset? LastSyncStartedAt, string? LastSyncStatus, string? LastSyncKind, long LineCount,
    OrgRole? SsoAutoProvisionRole, IReadOnlyList<string> SsoEmailDomains);

public sealed record AddOrganizationRequest([property: Description("Organization code as PEMS lists it.")] string? Code);

/// <summary>Omitted (null) fields are left as they are. <c>ssoAutoProvisionRole: ""</c> turns provisioning off.</summary>
public sealed record OrganizationPatch(bool? IsActive, bool? SyncEnabled,
    [property: Description("5..1440")] int? SyncIntervalMinutes,
    [property: Description("active | suspended | archived")] string? ServiceStatus,
    [property: Description("Role for unknown SSO users of the allowed e-mail domains; \"\" = never provision.")] string? SsoAutoProvisionRole,
    [property: Description("E-mail domains (e.g. example.com) whose unknown SSO users are provisioned here.")] string[]? SsoEmailDomains)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (SyncIntervalMinutes is < 5 or > 1440) errors["syncIntervalMinutes"] = ["Between 5 and 1440 minutes."];
        if (ServiceStatus is not null && !OrganizationServiceStatus.All.Contains(ServiceStatus))
            errors["serviceStatus"] = [$"One of {string.Join(", ", OrganizationServiceStatus.All)}."];
        if (SsoAutoProvisionRole is { Length: > 0 } role && !Enum.TryParse<OrgRole>(role, ignoreCase: false, out _))
            errors["ssoAutoProvisionRole"] = [$"One of {string.Join(", ", Enum.GetNames<OrgRole>())}, or empty for none."];
        if (SsoEmailDomains?.Any(d => !EmailDomains.IsValid(d)) == true)
            errors["ssoEmailDomains"] = ["Domain names such as example.com (no @, no spaces)."];
        return errors;
    }
}

public static class EmailDomains
{
    public static bool IsValid(string? domain) =>
        domain is { Length: > 2 and < 254 } && domain.Contains('.') && !domain.StartsWith('.') && !domain.EndsWith('.')
        && domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');

    public static string? Of(string? email) =>
        email?.LastIndexOf('@') is int at and > 0 && at < email.Length - 1 ? email[(at + 1)..].ToLowerInvariant() : null;
}

/// <summary>Organizations as a system administrator manages them: added from PEMS's list, scheduled, suspended.</summary>
public static class OrganizationsApi
{
    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").WithTags("Administration").RequireAuthorization().WithStandardProblems();
        group.MapGet("/pems/organizations", ListPems).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("PEMS's organization list, each marked whether it is already added (system admins only).");
        group.MapGet("/organizations", List)
            .WithSummary("Every organization with status, schedule, last sync and line count (system admins only).");
        group.MapPost("/organizations", Add).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Add an organization from PEMS's list; the worker syncs it in full at its next poll (system admins only).");
        group.MapPatch("/organizations/{code}", Patch)
            .WithSummary("Change an organization's active flag, sync switch, schedule, service status or SSO provisioning (system admins only).");
        return app;
    }

    public static async Task<Results<Ok<List<PemsOrganizationDto>>, ProblemHttpResult>> ListPems(
        ClaimsPrincipal user, AdminAccess admins, PemsDirectory pems, PfaDbContext db, HttpContext http, CancellationToken ct)
    {
        var (_, denied) = await admins.RequireSystemAdminAsync(user, ct);
        if (denied is not null) return denied;
        IReadOnlyList<Pems.PemsOrganization> list;
        try { list = await pems.OrganizationsAsync(ct); }
        catch (PemsUnavailableException e) { return PemsUnavailable(http, e); }
        var added = (await db.Organizations.AsNoTracking().Select(o => o.Code).ToListAsync(ct)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return TypedResults.Ok(list.OrderBy(o => o.Code, StringComparer.Ordinal)
            .Select(o => new PemsOrganizationDto(o.Code, NameOf(o), added.Contains(o.Code))).ToList());
    }

    public static async Task<Results<Ok<List<OrganizationAdminDto>>, ProblemHttpResult>> List(
        ClaimsPrincipal user, AdminAccess admins, NpgsqlDataSource db, CancellationToken ct)
    {
        var (_, denied) = await admins.RequireSystemAdminAsync(user, ct);
        if (denied is not null) return denied;
        return TypedResults.Ok((await OrganizationAdminQueries.ListAsync(db, ct)).Select(ToDto).ToList());
    }

    public sealed record AddServices(AdminAccess Admins, PemsDirectory Pems, PfaDbContext Db, NpgsqlDataSource DataSource, AuditTrail Audit, HttpContext Http);

    public static async Task<Results<Created<OrganizationAdminDto>, ValidationProblem, ProblemHttpResult>> Add(
        AddOrganizationRequest request, ClaimsPrincipal user, [AsParameters] AddServices s, HttpContext http, CancellationToken ct)
    {
        var (adminId, denied) = await s.Admins.RequireSystemAdminAsync(user, ct);
        if (denied is not null) return denied;
        if (string.IsNullOrWhiteSpace(request.Code))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["Required."] });
        var code = request.Code.Trim();
        if (await s.Db.Organizations.AnyAsync(o => o.Code.ToUpper() == code.ToUpperInvariant(), ct)) return AlreadyAdded(code);

        IReadOnlyList<Pems.PemsOrganization> list;
        try { list = await s.Pems.OrganizationsAsync(ct); }
        catch (PemsUnavailableException e) { return PemsUnavailable(http, e); }
        var fromPems = list.FirstOrDefault(o => string.Equals(o.Code, code, StringComparison.OrdinalIgnoreCase));
        if (fromPems is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = [$"PEMS has no organization '{code}'."] });

        var org = new Organization { Id = Guid.NewGuid(), Code = fromPems.Code, Name = NameOf(fromPems) };
        s.Db.Organizations.Add(org);
        try { await s.Db.SaveChangesAsync(ct); }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return AlreadyAdded(fromPems.Code); // added by someone else meanwhile
        }
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.OrganizationAdd, UserId: adminId, ActorName: user.UserName(), OrganizationId: org.Id,
            Entity: "organization", EntityId: org.Code, Details: new { org.Code, org.Name }, Ip: s.Http.ClientIp()), ct);
        var row = (await OrganizationAdminQueries.ListAsync(s.DataSource, ct)).Single(o => o.Id == org.Id);
        return TypedResults.Created($"/api/admin/organizations/{Uri.EscapeDataString(org.Code)}", ToDto(row));
    }

    public static async Task<Results<Ok<OrganizationAdminDto>, ValidationProblem, ProblemHttpResult>> Patch(
        string code, OrganizationPatch patch, ClaimsPrincipal user, [AsParameters] AddServices s, CancellationToken ct)
    {
        var (adminId, denied) = await s.Admins.RequireSystemAdminAsync(user, ct);
        if (denied is not null) return denied;
        var errors = patch.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var org = await s.Db.Organizations.SingleOrDefaultAsync(o => o.Code.ToUpper() == code.ToUpperInvariant(), ct);
        if (org is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found.");

        var before = Snapshot(org);
        if (patch.IsActive is { } active) org.IsActive = active;
        if (patch.SyncEnabled is { } sync) org.SyncEnabled = sync;
        if (patch.SyncIntervalMinutes is { } minutes) org.SyncIntervalMinutes = minutes;
        if (patch.ServiceStatus is { } status) org.ServiceStatus = status;
        if (patch.SsoAutoProvisionRole is { } role) org.SsoAutoProvisionRole = role.Length == 0 ? null : Enum.Parse<OrgRole>(role);
        if (patch.SsoEmailDomains is { } domains)
            org.SsoEmailDomains = domains.Length == 0 ? null : [.. domains.Select(d => d.Trim().ToLowerInvariant()).Distinct()];
        await s.Db.SaveChangesAsync(ct);
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.OrganizationUpdate, UserId: adminId, ActorName: user.UserName(), OrganizationId: org.Id,
            Entity: "organization", EntityId: org.Code, Details: new { before, after = Snapshot(org) }, Ip: s.Http.ClientIp()), ct);
        var row = (await OrganizationAdminQueries.ListAsync(s.DataSource, ct)).Single(o => o.Id == org.Id);
        return TypedResults.Ok(ToDto(row));
    }

    private static object Snapshot(Organization o) => new
    {
        o.IsActive, o.SyncEnabled, o.SyncIntervalMinutes, o.ServiceStatus, SsoAutoProvisionRole = o.SsoAutoProvisionRole?.ToString(), o.SsoEmailDomains,
    };

    private static string NameOf(Pems.PemsOrganization o) => string.IsNullOrWhiteSpace(o.Description) ? o.Code : o.Description.Trim();

    private static ProblemHttpResult AlreadyAdded(string code) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Organization already added.",
            detail: $"{code} is already an organization here.", extensions: new Dictionary<string, object?> { ["field"] = "code" });

    private static ProblemHttpResult PemsUnavailable(HttpContext http, PemsUnavailableException e)
    {
        http.Response.Headers.RetryAfter = 30.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "PEMS is unavailable.", detail: e.Message);
    }

    private static OrganizationAdminDto ToDto(OrganizationAdminRow r) => new(r.Code, r.Name, r.IsActive, r.SyncEnabled, r.SyncIntervalMinutes,
        r.ServiceStatus, r.LastFullSyncAt, r.LastIncrementalSyncAt, r.LastSyncStartedAt, r.LastSyncStatus, r.LastSyncKind, r.LineCount,
        Enum.TryParse<OrgRole>(r.SsoAutoProvisionRole, out var role) ? role : null, r.SsoEmailDomains);
}
