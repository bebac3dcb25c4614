using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

public sealed record AuditEntryDto(long Id, DateTimeOffset At, Guid? UserId, string? ActorName, string? Organization, string Action, string Outcome,
    string? Entity, string? EntityId, JsonObject? Details, string? Ip);
public sealed record AuditPage(IReadOnlyList<AuditEntryDto> Items, string? NextCursor);

/// <summary>Query string of the audit page and its CSV export.</summary>
public sealed record AuditQuery(string? Org, string? User, string? Action, string? Outcome, DateTimeOffset? From, DateTimeOffset? To,
    string? Cursor, int? Limit);

/// <summary>What the audit handlers share.</summary>
public sealed record AuditServices(PfaDbContext Db, NpgsqlDataSource DataSource, AuditTrail Audit, HttpContext Http, ClaimsPrincipal Principal);

/// <summary>
/// The audit trail (append-only in the database): system admins read every row; holders of ViewAudit read the rows of
/// those organizations only (their tenant session carries just those organizations, so RLS enforces it).
/// </summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api").WithTags("Administration").RequireAuthorization().WithStandardProblems();
        g.MapGet("/audit", List).WithSummary("Audit rows, newest first (keyset: pass nextCursor back as cursor), filtered by org code, user (id or name), action, outcome and time.");
        g.MapGet("/audit.csv", Csv).Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The same rows as CSV, streamed (no page limit); the export itself is audited.");
        return app;
    }

    /// <summary>The reader's scope: null organizations = everything (system admin).</summary>
    private sealed record Reader(Guid UserId, string Name, Guid[]? Organizations, Guid? OrganizationFilter);

    private static async Task<(Reader? Reader, ProblemHttpResult? Problem)> ResolveAsync(AuditQuery q, AuditServices s, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (q.Limit is < 1 or > 500) errors["limit"] = ["Between 1 and 500."];
        if (q.Outcome is { Length: > 0 } o && !AuditOutcome.All.Contains(o)) errors["outcome"] = [$"One of: {string.Join(", ", AuditOutcome.All)}."];
        if (!string.IsNullOrEmpty(q.Cursor) && !long.TryParse(q.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out _)) errors["cursor"] = ["Not a cursor of this list."];
        if (q.From > q.To) errors["to"] = ["Must be after from."];
        if (errors.Count > 0)
            return (null, TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest, Title = "Invalid request." }));

        if (s.Principal.UserId() is not { } userId || s.Http.Session() is not { } session)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in."));
        Guid? orgFilter = null;
        if (q.Org is { Length: > 0 } code)
        {
            var upper = code.Trim().ToUpperInvariant();
            orgFilter = await s.Db.Organizations.AsNoTracking().Where(x => x.Code == upper).Select(x => (Guid?)x.Id).FirstOrDefaultAsync(ct);
            if (orgFilter is null) return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found."));
        }
        if (session.IsSystemAdmin) return (new Reader(userId, s.Principal.UserName() ?? "", null, orgFilter), null);

        var readable = (await s.Db.Memberships.AsNoTracking().Where(m => m.UserId == userId)
                .Select(m => new { m.OrganizationId, m.Role, m.PermissionsGranted, m.PermissionsRevoked }).ToListAsync(ct))
            .Where(m => Permissions.Effective(m.Role, m.PermissionsGranted, m.PermissionsRevoked).HasFlag(Permission.ViewAudit))
            .Select(m => m.OrganizationId).ToArray();
        if (readable.Length == 0)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.", detail: "The audit trail needs ViewAudit."));
        // Same answer as for an unknown code: do not confirm another organization exists.
        if (orgFilter is { } f && !readable.Contains(f))
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Organization not found."));
        return (new Reader(userId, s.Principal.UserName() ?? "", readable, orgFilter), null);
    }

    private static AuditFilter Filter(AuditQuery q, Reader reader) =>
        new(reader.OrganizationFilter, q.User, q.Action, q.Outcome, q.From, q.To);

    /// <summary>Runs <paramref name="read"/> on the owner connection (system admin) or in a tenant session scoped to the readable organizations.</summary>
    private static async Task ReadAsync(AuditServices s, Reader reader, AuditFilter filter, long? before, int? limit,
        Func<NpgsqlDataReader, Task> read, CancellationToken ct)
    {
        if (reader.Organizations is null)
        {
            await using var connection = await s.DataSource.OpenConnectionAsync(ct);
            await using var cmd = AuditQueries.Command(connection, null, filter, null, before, limit);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await read(r);
            return;
        }
        await using var session = await TenantSession.BeginAsync(s.DataSource, reader.Organizations, Guid.Empty, reader.UserId, ct);
        await using (var cmd = AuditQueries.Command(session.Connection, session.Transaction, filter, reader.Organizations, before, limit))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            await read(r);
        await session.CommitAsync(ct);
    }

    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> List([AsParameters] AuditQuery query, [AsParameters] AuditServices s, CancellationToken ct)
    {
        var (reader, problem) = await ResolveAsync(query, s, ct);
        if (reader is null) return problem!;
        var limit = query.Limit ?? 100;
        long? before = string.IsNullOrEmpty(query.Cursor) ? null : long.Parse(query.Cursor, CultureInfo.InvariantCulture);
        var rows = new List<AuditRow>();
        await ReadAsync(s, reader, Filter(query, reader), before, limit + 1, async r =>
        {
            while (await r.ReadAsync(ct)) rows.Add(AuditQueries.Read(r));
        }, ct);
        var page = rows.Take(limit).Select(x => new AuditEntryDto(x.Id, x.At, x.UserId, x.ActorName, x.Organization, x.Action, x.Outcome,
            x.Entity, x.EntityId, x.Details is null ? null : JsonNode.Parse(x.Details)?.AsObject(), x.Ip)).ToList();
        return TypedResults.Ok(new AuditPage(page, rows.Count > limit ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }

    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Csv([AsParameters] AuditQuery query, [AsParameters] AuditServices s,
        CancellationToken ct)
    {
        var (reader, problem) = await ResolveAsync(query, s, ct);
        if (reader is null) return problem!;
        var filter = Filter(query, reader);
        await s.Audit.RecordAsync(new AuditEntry(AuditActions.AuditExport, UserId: reader.UserId, ActorName: reader.Name,
            OrganizationId: reader.OrganizationFilter, Entity: "audit.csv",
            Details: new { org = query.Org, query.User, query.Action, query.Outcome, query.From, query.To }, Ip: s.Http.ClientIp()), ct);
        return TypedResults.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(false), 16 * 1024);
            await writer.WriteAsync("Id,At,User Id,Actor,Organization,Action,Outcome,Entity,Entity Id,IP,Details\r\n");
            await ReadAsync(s, reader, filter, null, null, async r =>
            {
                while (await r.ReadAsync(ct))
                {
                    var x = AuditQueries.Read(r);
                    string Q(string? v) => v is null ? "" : ExportApi.Quote(v);
                    await writer.WriteAsync(string.Join(',', x.Id.ToString(CultureInfo.InvariantCulture),
                        x.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), x.UserId?.ToString() ?? "",
                        Q(x.ActorName), Q(x.Organization), Q(x.Action), Q(x.Outcome), Q(x.Entity), Q(x.EntityId), Q(x.Ip), Q(x.Details)) + "\r\n");
                }
            }, ct);
        }, "text/csv", "audit.csv");
    }
}
