using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Api.Apis;

/// <summary>An organization's own PEMS connection as an Admin sees it: never the password, only whether one is stored.</summary>
public sealed record PemsConnectionDto(string Organization, string BaseUrl, string Tenant, string GridId, string ScreenId, string Username,
    bool HasPassword, DateTimeOffset UpdatedAt, string? UpdatedBy);

/// <summary>Grid and screen default to CUPFAG's id and CUPFA2; an omitted password keeps the stored one.</summary>
public sealed record PemsConnectionRequest(string? BaseUrl, string? Tenant, string? GridId, string? ScreenId, string? Username, string? Password)
{
    public Dictionary<string, string[]> Validate(bool hasStoredPassword)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            errors["baseUrl"] = ["An absolute http or https URL, e.g. https://eam.example.com/axis/restservices/."];
        if (string.IsNullOrWhiteSpace(Tenant)) errors["tenant"] = ["Required."];
        if (string.IsNullOrWhiteSpace(Username)) errors["username"] = ["Required."];
        if (string.IsNullOrEmpty(Password) && !hasStoredPassword) errors["password"] = ["Required: no password is stored yet."];
        return errors;
    }
}

public static class PemsConnectionApi
{
    public static IEndpointRouteBuilder MapPemsConnectionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/pems-connection").WithTags("PEMS connection").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", Get).WithSummary("The organization's own PEMS connection (Admin only; never the password). 404 while it uses the default.");
        group.MapPut("/", Put).WithSummary("Set the organization's PEMS endpoint, tenant, grid, screen and service user (Admin only); the password is encrypted at rest.");
        return app;
    }

    public static async Task<Results<Ok<PemsConnectionDto>, ProblemHttpResult>> Get(
        string orgCode, ClaimsPrincipal user, OrgAccess access, PfaDbContext db, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Administer, ct);
        if (ctx is null) return problem!;
        var row = await db.PemsConnections.AsNoTracking().SingleOrDefaultAsync(c => c.OrganizationId == ctx.OrganizationId, ct);
        return row is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No connection of its own.",
                detail: $"{ctx.OrganizationCode} uses the worker's default PEMS connection.")
            : TypedResults.Ok(ToDto(ctx.OrganizationCode, row));
    }

    public static async Task<Results<Ok<PemsConnectionDto>, ValidationProblem, ProblemHttpResult>> Put(
        string orgCode, PemsConnectionRequest request, ClaimsPrincipal user, OrgAccess access, PfaDbContext db, PemsConnectionSecrets secrets,
        TimeProvider time, AuditTrail audit, HttpContext http, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Administer, ct);
        if (ctx is null) return problem!;
        var row = await db.PemsConnections.SingleOrDefaultAsync(c => c.OrganizationId == ctx.OrganizationId, ct);
        var errors = request.Validate(row?.PasswordProtected is not null);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        if (row is null)
        {
            row = new PemsConnection { OrganizationId = ctx.OrganizationId, BaseUrl = "", Tenant = "", GridId = "", ScreenId = "", Username = "" };
            db.PemsConnections.Add(row);
        }
        row.BaseUrl = request.BaseUrl!;
        row.Tenant = request.Tenant!.Trim();
        row.Username = request.Username!.Trim();
        row.GridId = string.IsNullOrWhiteSpace(request.GridId) ? CupfagGrid.Id : request.GridId.Trim();
        row.ScreenId = string.IsNullOrWhiteSpace(request.ScreenId) ? Cupfa2Screen.Name : request.ScreenId.Trim();
        if (!string.IsNullOrEmpty(request.Password)) row.PasswordProtected = secrets.Protect(request.Password);
        row.UpdatedAt = time.GetUtcNow();
        row.UpdatedBy = ctx.UserName;
        await db.SaveChangesAsync(ct);
        // Never the password: only whether one was sent.
        await audit.RecordAsync(new AuditEntry(AuditActions.PemsConnection, UserId: ctx.UserId, ActorName: ctx.UserName, OrganizationId: ctx.OrganizationId,
            Entity: "pems_connection", Details: new
            {
                // Never user info a URL might carry, never the password: only whether one was sent.
                baseUrl = Uri.TryCreate(row.BaseUrl, UriKind.Absolute, out var url) ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : null,
                row.Tenant, row.Username, passwordChanged = !string.IsNullOrEmpty(request.Password),
            },
            Ip: http.ClientIp()), ct);
        return TypedResults.Ok(ToDto(ctx.OrganizationCode, row));
    }

    private static PemsConnectionDto ToDto(string org, PemsConnection c) =>
        new(org, c.BaseUrl, c.Tenant, c.GridId, c.ScreenId, c.Username, c.PasswordProtected is not null, c.UpdatedAt, c.UpdatedBy);
}
