using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;

namespace Pfa.Api.Apis;

public sealed record SyncLogDto(long Id, string Direction, string Kind, string Status, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    long? DurationMs, int Fetched, int Inserted, int Updated, int Unchanged, int Deleted, int Rejected, string? ErrorMessage, string? TriggeredBy);
public sealed record SyncStatusResponse(string Organization, long MirrorVersion, long MirrorLines, int PendingWriteBack, int Conflicts,
    IReadOnlyList<SyncLogDto> History, DateTimeOffset? NextRunAt = null);
public sealed record SyncTriggerResponse(long RequestId, bool AlreadyRequested);

public static class SyncApi
{
    public static IEndpointRouteBuilder MapSyncApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/sync").WithTags("Sync").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", Status).WithSummary("Sync status and the last 50 sync runs for the organization.");
        group.MapPost("/trigger", Trigger).WithSummary("Request a manual sync; the SyncWorker picks up sync_log rows with status 'requested'.");
        return app;
    }

    public static async Task<Results<Ok<SyncStatusResponse>, ProblemHttpResult>> Status(string orgCode, ClaimsPrincipal user, OrgAccess access,
        IConfiguration config, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        await using var counts = s.Command("""
            SELECT (SELECT count(*) FROM pfa_mirror WHERE organization_id = @org AND deleted_in_pems_at IS NULL),
                   (SELECT count(*) FROM pfa_outbox WHERE organization_id = @org AND status IN ('pending', 'processing'))::int,
                   (SELECT count(*) FROM pfa_modification WHERE organization_id = @org AND state = 'conflict')::int
            """);
        counts.Parameters.AddWithValue("org", ctx.OrganizationId);
        long lines; int pending, conflicts;
        await using (var r = await counts.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (lines, pending, conflicts) = (r.GetInt64(0), r.GetInt32(1), r.GetInt32(2));
        }
        await using var log = s.Command("""
            SELECT id, direction, kind, status, started_at, completed_at, duration_ms, fetched, inserted, updated, unchanged, deleted, rejected, error_message, triggered_by
            FROM sync_log WHERE organization_id = @org ORDER BY started_at DESC, id DESC LIMIT 50
            """);
        log.Parameters.AddWithValue("org", ctx.OrganizationId);
        var history = new List<SyncLogDto>();
        await using (var r = await log.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                history.Add(new SyncLogDto(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                    r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.GetInt32(7), r.GetInt32(8),
                    r.GetInt32(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12), r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14)));
        var nextRun = await NextRunAsync(s, ctx, config, ct);
        await s.CommitAsync(ct);
        return TypedResults.Ok(new SyncStatusResponse(ctx.OrganizationCode, ctx.MirrorVersion, lines, pending, conflicts, history, nextRun));
    }

    /// <summary>
    /// When the worker's scheduler will next read this organization: now when a request waits, else the last read's start plus
    /// the interval (the organization's <c>sync_interval_minutes</c>, else the worker's own settings, <c>Sync:Interval</c> and
    /// <c>Sync:Organizations:{CODE}:Interval</c>, default 15 min); null when sync is off or the organization is not in service.
    /// </summary>
    private static async Task<DateTimeOffset?> NextRunAsync(Pfa.Data.TenantSession s, OrgContext ctx, IConfiguration config, CancellationToken ct)
    {
        var configured = config.GetValue<TimeSpan?>($"Sync:Organizations:{ctx.OrganizationCode}:Interval") ?? config.GetValue("Sync:Interval", TimeSpan.FromMinutes(15));
        await using var cmd = s.Command("""
            SELECT o.sync_enabled AND o.service_status = 'active', o.sync_interval_minutes,
                   EXISTS (SELECT 1 FROM sync_log l WHERE l.organization_id = o.id AND l.direction = 'read' AND l.status = 'requested'),
                   (SELECT max(started_at) FROM sync_log l WHERE l.organization_id = o.id AND l.direction = 'read' AND l.status <> 'requested')
            FROM organizations o WHERE o.id = @org
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct) || !r.GetBoolean(0)) return null;
        // The organization's own schedule (set by a system admin) wins, as in the worker's scheduler.
        var interval = r.IsDBNull(1) ? configured : TimeSpan.FromMinutes(r.GetInt32(1));
        var now = DateTimeOffset.UtcNow;
        if (r.GetBoolean(2) || r.IsDBNull(3)) return now;
        var next = r.GetFieldValue<DateTimeOffset>(3) + interval;
        return next < now ? now : next;
    }

    public static async Task<Results<Ok<SyncTriggerResponse>, ProblemHttpResult>> Trigger(
        string orgCode, ClaimsPrincipal user, OrgAccess access, EventPublisher events, HttpContext http, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Sync, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        // One outstanding request per organization: repeated clicks return the same request.
        await using var cmd = s.Command("""
            WITH existing AS (
              SELECT id FROM sync_log WHERE organization_id = @org AND status = 'requested' ORDER BY id LIMIT 1
            ), inserted AS (
              INSERT INTO sync_log (organization_id, direction, kind, status, started_at, fetched, inserted, updated, unchanged, deleted, rejected, triggered_by)
              SELECT @org, 'read', 'manual', 'requested', now(), 0, 0, 0, 0, 0, 0, @by WHERE NOT EXISTS (SELECT 1 FROM existing)
              RETURNING id
            )
            SELECT id, false FROM inserted UNION ALL SELECT id, true FROM existing
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        cmd.Parameters.AddWithValue("by", ctx.UserName);
        long id; bool already;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (id, already) = (r.GetInt64(0), r.GetBoolean(1));
        }
        await Pfa.Data.AuditTrail.RecordAsync(s, new Pfa.Data.AuditEntry(Pfa.Data.AuditActions.SyncTrigger, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "sync_log", EntityId: id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Details: new { alreadyRequested = already }, Ip: http.ClientIp()), ct);
        await s.CommitAsync(ct);
        await events.PublishAsync(ctx.OrganizationCode, Pfa.Domain.PfaEvents.SyncRequested, new { id, by = ctx.UserName });
        return TypedResults.Ok(new SyncTriggerResponse(id, already));
    }
}
