using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public sealed record DraftItem(string PfaId, JsonObject Changes, string? ChangeReason);
public sealed record SaveDraftsRequest(string? SessionId, IReadOnlyList<DraftItem> Items);
public sealed record DraftItemError(int Index, string PfaId, IDictionary<string, string[]> Errors);
public sealed record SaveDraftsResponse(int Saved, int Removed, IReadOnlyList<DraftItemError> Errors);

/// <summary>A bulk edit on a selection (<see cref="PfaIds"/>) or on everything matching <see cref="Filter"/>.</summary>
public sealed record BulkRequest(BulkKind Operation, string[]? PfaIds, BulkFilter? Filter, int? Days, DateOnly? Start, DateOnly? End,
    decimal? Amount, string? Value, string? Class, string? SessionId);
public sealed record BulkFilter(string[]? Category, string[]? Class, string[]? Source, string[]? Dor, string[]? AreaSilo, string[]? Status,
    DateOnly? ForecastStartFrom, DateOnly? ForecastStartTo, string? Search, bool? ChangedOnly);
public sealed record BulkResponse(int Matched, int Changed, int Removed, int Skipped);

public sealed record DiscardRequest(bool All, string[]? PfaIds, string? SessionId);
public sealed record DiscardResponse(int Discarded);
public sealed record CommitRequest(string? SessionId);
public sealed record ConflictDto(string PfaId, string[] Fields);
public sealed record CommitResponse(int Committed, int Conflicts, IReadOnlyList<ConflictDto> ConflictDetails);

public static class DraftsApi
{
    public const int MaxBatch = 5000;

    public static IEndpointRouteBuilder MapDraftsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}").WithTags("Drafts").RequireAuthorization().WithStandardProblems();
        group.MapPost("/drafts", Save).WithSummary("Save draft edits in a batch; invalid items are reported per item and never block the valid ones.");
        group.MapPost("/drafts/bulk", Bulk).WithSummary("Set-based bulk edit (shift, set dates/rate/source/DOR/category, discontinue, reset to plan).");
        group.MapPost("/drafts/discard", Discard).WithSummary("Discard drafts: all, by PFA ids, or by session.");
        group.MapPost("/commit", Commit).WithSummary("Commit drafts to the write-back outbox, detecting conflicts with PEMS changes.");
        return app;
    }

    public static async Task<Results<Ok<SaveDraftsResponse>, ValidationProblem, ProblemHttpResult>> Save(
        string orgCode, SaveDraftsRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        if (request.Items is null || request.Items.Count == 0 || request.Items.Count > MaxBatch)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["items"] = [$"Between 1 and {MaxBatch} items."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;

        await using var session = await access.BeginAsync(ctx, ct);
        var bases = await PfaStore.LoadDraftBasesAsync(session, request.Items.Select(i => i.PfaId).Distinct().ToArray(), ct);
        var errors = new List<DraftItemError>();
        // Later items for the same line build on earlier ones, like successive saves.
        var pending = new Dictionary<long, DraftWrite>();
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (item.PfaId is null || !bases.TryGetValue(item.PfaId, out var b))
            {
                errors.Add(new DraftItemError(i, item.PfaId ?? "", new Dictionary<string, string[]> { ["pfaId"] = ["No such PFA line in this organization."] }));
                continue;
            }
            if (b.State is not (null or "draft"))
            {
                errors.Add(new DraftItemError(i, item.PfaId, new Dictionary<string, string[]> { ["pfaId"] = [$"A {b.State} change for this line awaits sync; resolve it first."] }));
                continue;
            }
            var existing = pending.TryGetValue(b.MirrorId, out var p) ? p.Changes : b.Changes;
            var requested = PfaJson.Overlay(existing ?? new JsonObject(), item.Changes ?? new JsonObject());
            var check = DraftRules.Check(PfaJson.FromJson(b.Data), requested);
            if (!check.IsValid)
            {
                errors.Add(new DraftItemError(i, item.PfaId, check.Errors.ToDictionary(e => e.Key, e => e.Value)));
                continue;
            }
            pending[b.MirrorId] = new DraftWrite(b.MirrorId, check.Changes, item.ChangeReason);
        }
        var (saved, removed) = await PfaStore.WriteDraftsAsync(session, pending.Values.ToList(), request.SessionId, ct);
        if (saved + removed > 0) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (saved + removed > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, saved, removed });
        return TypedResults.Ok(new SaveDraftsResponse(saved, removed, errors));
    }

    public static async Task<Results<Ok<BulkResponse>, ValidationProblem, ProblemHttpResult>> Bulk(
        string orgCode, BulkRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.PfaIds is not { Length: > 0 } && request.Filter is null) errors["pfaIds"] = ["Give a selection (pfaIds) or a filter."];
        if (request.PfaIds is { Length: > 50_000 }) errors["pfaIds"] = ["At most 50000 ids."];
        var op = new BulkOperation(request.Operation) { Days = request.Days ?? 0, Start = request.Start, End = request.End, Amount = request.Amount, Text = request.Value, Class = request.Class };
        switch (request.Operation)
        {
            case BulkKind.ShiftForecast when request.Days is null or 0 or > 3650 or < -3650:
                errors["days"] = ["A non-zero number of days within ±3650."]; break;
            case BulkKind.SetForecastDates when request.Start is null && request.End is null:
                errors["start"] = ["Give start, end or both."]; break;
            case BulkKind.SetForecastDates when request.Start > request.End:
                errors["end"] = ["End must be on or after start."]; break;
            case BulkKind.SetRate or BulkKind.SetPrice when request.Amount is null or < 0:
                errors["amount"] = ["Zero or more."]; break;
            case BulkKind.SetSource when Enum.TryParse<PfaSource>(request.Value, true, out var source):
                op = op with { Text = source.ToString() }; break;
            case BulkKind.SetSource:
                errors["value"] = ["Rental or Purchase."]; break;
            case BulkKind.SetDor when Enum.TryParse<Dor>(request.Value, true, out var dor):
                op = op with { Text = dor.ToString() }; break;
            case BulkKind.SetDor:
                errors["value"] = ["BEO or PROJECT."]; break;
            case BulkKind.SetCategory when string.IsNullOrWhiteSpace(request.Value):
                errors["value"] = ["A category code."]; break;
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;

        var f = request.Filter;
        var selection = new PfaFilter
        {
            PfaIds = request.PfaIds,
            Category = f?.Category, Class = f?.Class, Source = f?.Source, Dor = f?.Dor, AreaSilo = f?.AreaSilo, Status = f?.Status,
            ForecastStartFrom = f?.ForecastStartFrom, ForecastStartTo = f?.ForecastStartTo, Search = f?.Search, ChangedOnly = f?.ChangedOnly ?? false,
        };
        await using var session = await access.BeginAsync(ctx, ct);
        var result = await BulkOps.ApplyAsync(session, selection, op, request.SessionId, ct);
        var changed = result.Saved + result.Removed > 0;
        if (changed) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (changed) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, bulk = request.Operation.ToString(), result.Saved });
        return TypedResults.Ok(new BulkResponse(result.Matched, result.Saved, result.Removed, result.Skipped));
    }

    public static async Task<Results<Ok<DiscardResponse>, ValidationProblem, ProblemHttpResult>> Discard(
        string orgCode, DiscardRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        if (!request.All && request.PfaIds is not { Length: > 0 } && string.IsNullOrEmpty(request.SessionId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["all"] = ["Say all=true, or give pfaIds or a sessionId."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var n = await PfaStore.DiscardAsync(session, request.All ? null : request.PfaIds, request.All ? null : request.SessionId, ct);
        if (n > 0) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (n > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsDiscarded, new { user = ctx.UserId, discarded = n });
        return TypedResults.Ok(new DiscardResponse(n));
    }

    public static async Task<Results<Ok<CommitResponse>, ProblemHttpResult>> Commit(
        string orgCode, CommitRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Commit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var result = await PfaStore.CommitAsync(session, request.SessionId, ctx.UserName, ct);
        await using (var audit = session.Command("""
            INSERT INTO audit_log (at, user_id, organization_id, action, entity, details)
            VALUES (now(), @user, @org, 'commit', 'pfa_modification', jsonb_build_object('committed', @c, 'conflicts', @x))
            """))
        {
            audit.Parameters.AddWithValue("user", ctx.UserId);
            audit.Parameters.AddWithValue("org", ctx.OrganizationId);
            audit.Parameters.AddWithValue("c", result.Committed);
            audit.Parameters.AddWithValue("x", result.Conflicts);
            await audit.ExecuteNonQueryAsync(ct);
        }
        await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsCommitted, new { user = ctx.UserId, result.Committed, result.Conflicts });
        return TypedResults.Ok(new CommitResponse(result.Committed, result.Conflicts,
            result.ConflictDetails.Select(c => new ConflictDto(c.PfaId, c.Fields)).ToList()));
    }
}
