using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using NpgsqlTypes;
using Pfa.Api.Infrastructure;
using Pfa.Data;

namespace Pfa.Api.Apis;

public sealed record ConflictItemDto(string PfaId, string[] Fields, JsonObject Mine, JsonObject Base, JsonObject Pems);
public enum ConflictStrategy { KeepMine, TakePems, Merge }
/// <summary><see cref="KeepMine"/> lists, for <see cref="ConflictStrategy.Merge"/>, the conflicting fields whose draft value wins; the rest take PEMS.</summary>
public sealed record ResolveConflictRequest(ConflictStrategy Strategy, string[]? KeepMine);
public sealed record ResolveConflictResponse(string PfaId, string Outcome);

public static class ConflictsApi
{
    public static IEndpointRouteBuilder MapConflictsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/conflicts").WithTags("Conflicts").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", List).WithSummary("The caller's committed changes that collided with PEMS changes, field by field.");
        group.MapPost("/{pfaId}/resolve", Resolve).WithSummary("Resolve a conflict: keep mine, take PEMS, or merge per field; kept changes are re-queued for write-back.");
        return app;
    }

    public static async Task<Results<Ok<List<ConflictItemDto>>, ProblemHttpResult>> List(string orgCode, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        await using var cmd = s.Command("""
            SELECT m.pfa_id, coalesce(d.conflict_fields, '{}'), d.changes, d.base_values,
                   (SELECT coalesce(jsonb_object_agg(k, coalesce(m.data->k, 'null'::jsonb)), '{}'::jsonb) FROM jsonb_object_keys(d.changes) k)
            FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
            WHERE d.organization_id = @org AND d.user_id = @user AND d.state = 'conflict'
            ORDER BY m.pfa_id
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        cmd.Parameters.AddWithValue("user", ctx.UserId);
        var list = new List<ConflictItemDto>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                JsonObject Read(int i) => Pfa.Domain.FinancialMask.Apply(JsonNode.Parse(r.GetString(i))!.AsObject(), ctx.CanViewFinancials)!;
                list.Add(new ConflictItemDto(r.GetString(0), r.GetFieldValue<string[]>(1), Read(2), Read(3), Read(4)));
            }
        await s.CommitAsync(ct);
        return TypedResults.Ok(list);
    }

    public static async Task<Results<Ok<ResolveConflictResponse>, ValidationProblem, ProblemHttpResult>> Resolve(
        string orgCode, string pfaId, ResolveConflictRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, HttpContext http,
        CancellationToken ct)
    {
        if (!Enum.IsDefined(request.Strategy))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["strategy"] = [$"One of {string.Join(", ", Enum.GetNames<ConflictStrategy>())}."] });
        if (request.Strategy == ConflictStrategy.Merge && request.KeepMine is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["keepMine"] = ["Merge needs the list of fields to keep."] });
        // Only editable fields can be kept (the same whitelist a draft uses); anything else is a client error, not a silent no-op.
        if (request.KeepMine?.Select((f, i) => (f, i)).FirstOrDefault(x => !Pfa.Domain.EditableFields.IsEditable(x.f ?? "")) is ({ } bad, var index))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [$"keepMine[{index}]"] = [$"'{bad}' is not an editable field."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Commit, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        // Conflicting fields not kept are dropped (PEMS wins); kept fields are re-based on the mirror now and re-queued.
        await using var cmd = s.Command("""
            WITH c AS (
              SELECT d.id, d.mirror_id, d.changes, coalesce(d.conflict_fields, '{}') AS conflict_fields, m.data, m.pfa_id
              FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
              WHERE d.organization_id = @org AND d.user_id = @user AND d.state = 'conflict' AND m.pfa_id = @pfa
              FOR UPDATE OF d
            ), n AS (
              SELECT c.*, (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) FROM jsonb_each(c.changes) e
                           WHERE NOT (e.key = ANY (c.conflict_fields)) OR @keep_all OR e.key = ANY (@keep)) AS kept
              FROM c
            ), upd AS (
              UPDATE pfa_modification p
              SET changes = n.kept, state = 'committed', conflict_fields = NULL, updated_at = now(), committed_at = now(),
                  base_values = (SELECT jsonb_object_agg(k, coalesce(n.data->k, 'null'::jsonb)) FROM jsonb_object_keys(n.kept) k)
              FROM n WHERE p.id = n.id AND n.kept <> '{}'::jsonb
              RETURNING p.id
            ), del AS (
              DELETE FROM pfa_modification p USING n WHERE p.id = n.id AND n.kept = '{}'::jsonb RETURNING p.id
            ), ob AS (
              INSERT INTO pfa_outbox (organization_id, modification_id, mirror_id, pfa_id, payload, status, attempts, created_at)
              SELECT @org, n.id, n.mirror_id, n.pfa_id, jsonb_build_object('pfaId', n.pfa_id, 'changes', n.kept, 'modifiedBy', @by), 'pending', 0, now()
              FROM n JOIN upd ON upd.id = n.id
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM c)::int, (SELECT count(*) FROM upd)::int, (SELECT count(*) FROM del)::int
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        cmd.Parameters.AddWithValue("user", ctx.UserId);
        cmd.Parameters.AddWithValue("pfa", pfaId);
        cmd.Parameters.AddWithValue("by", ctx.UserName);
        cmd.Parameters.AddWithValue("keep_all", request.Strategy == ConflictStrategy.KeepMine);
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter("keep", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { Value = request.Strategy == ConflictStrategy.Merge ? request.KeepMine! : Array.Empty<string>() });
        int found, requeued, dropped;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (found, requeued, dropped) = (r.GetInt32(0), r.GetInt32(1), r.GetInt32(2));
        }
        if (found == 0) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No conflict for PFA {pfaId}.");
        await Pfa.Data.Queries.PfaStore.BumpDraftVersionAsync(s, ct);
        await AuditTrail.RecordAsync(s, new AuditEntry(AuditActions.ConflictResolve, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "pfa", EntityId: pfaId,
            Details: new { strategy = request.Strategy.ToString(), outcome = requeued > 0 ? "requeued" : dropped > 0 ? "dropped" : "unchanged" }, Ip: http.ClientIp()), ct);
        await s.CommitAsync(ct);
        await events.PublishAsync(ctx.OrganizationCode, Pfa.Domain.PfaEvents.ConflictResolved, new { pfaId, user = ctx.UserId });
        return TypedResults.Ok(new ResolveConflictResponse(pfaId, requeued > 0 ? "requeued" : dropped > 0 ? "dropped" : "unchanged"));
    }
}
