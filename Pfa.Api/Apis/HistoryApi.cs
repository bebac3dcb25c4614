using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

/// <summary>One field of an entry: value before → after (a PEMS version: versus the previous version; a change: base → new).</summary>
public sealed record FieldChangeDto(string Field, JsonNode? From, JsonNode? To);

/// <summary>
/// One timeline entry. <see cref="Kind"/> <c>version</c>: a PEMS version of the line (<see cref="Version"/>, <see cref="Record"/>,
/// <see cref="IsCurrent"/>); <c>change</c>: a committed change made in the app (<see cref="State"/> of its write-back).
/// </summary>
public sealed record LineHistoryEntryDto(string Kind, DateTimeOffset At, string Who, int? Version, bool IsCurrent, MaskedRecord? Record,
    string? State, IReadOnlyList<FieldChangeDto> Fields, string? Message);

public sealed record LineHistoryResponse(string PfaId, int CurrentVersion, bool IsNewLine, IReadOnlyList<LineHistoryEntryDto> Entries);
public sealed record RestoreRequest(string? SessionId);
public sealed record RestoreResponse(string PfaId, int Version, int Saved, IReadOnlyList<string> Fields, string Label);

public static class HistoryApi
{
    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/pfa/{pfaId}/history").WithTags("PFA records").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", Get).WithName("GetPfaHistory")
            .WithSummary("The line's PEMS versions and its committed changes (who, when, fields before → after, write-back state), newest first.");
        group.MapPost("/{version:int}/restore", Restore).WithName("RestorePfaVersion")
            .WithSummary("Creates my draft holding that version's editable values (only fields that differ from PEMS now); undoable, never writes PEMS.");
        return app;
    }

    public static async Task<Results<Ok<LineHistoryResponse>, ProblemHttpResult>> Get(
        string orgCode, string pfaId, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var data = await LineHistory.LoadAsync(session, pfaId, ct);
        await session.CommitAsync(ct);
        return data is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No PFA line {pfaId} in {ctx.OrganizationCode}.")
            : TypedResults.Ok(Project(data, ctx.CanViewFinancials));
    }

    /// <summary>
    /// The one projection of this endpoint: every value it returns (rates and prices included) passes here, so financial
    /// masking applies in one place.
    /// </summary>
    public static LineHistoryResponse Project(LineHistoryData data, bool financials)
    {
        var entries = new List<LineHistoryEntryDto>();
        var ordered = data.Versions.OrderBy(v => v.Version).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var v = ordered[i];
            var fields = i == 0 ? [] : Diff(ordered[i - 1].Data, v.Data, financials);
            entries.Add(new LineHistoryEntryDto("version", v.RecordedAt, v.ChangedBy, v.Version, v.IsCurrent,
                FinancialMask.Record(PfaJson.FromJson(v.Data), financials), null, fields, null));
        }
        foreach (var c in data.Changes)
            entries.Add(new LineHistoryEntryDto("change", c.At, c.UserName, null, false, null, c.State,
                c.Changes.Select(f => Change(f.Key, c.BaseValues?[f.Key], f.Value, financials)).ToList(),
                c.LastError ?? (c.ConflictFields is { Length: > 0 } cf ? $"Conflict on {string.Join(", ", cf)}" : null)));
        return new LineHistoryResponse(data.PfaId, data.CurrentVersion, data.IsNewLine,
            entries.OrderByDescending(e => e.At).ThenByDescending(e => e.Version ?? int.MaxValue).ToList());
    }

    /// <summary>A field's before → after; a money field's values are null for a caller without ViewFinancials (the change itself stays visible).</summary>
    private static FieldChangeDto Change(string field, JsonNode? from, JsonNode? to, bool financials) =>
        financials || !FinancialMask.IsFinancial(field)
            ? new FieldChangeDto(field, from?.DeepClone(), to?.DeepClone())
            : new FieldChangeDto(field, null, null);

    private static List<FieldChangeDto> Diff(JsonObject before, JsonObject after, bool financials) =>
        after.Select(kv => kv.Key).Union(before.Select(kv => kv.Key))
            .Where(k => k != "pemsVersion" && !DraftRules.SameValue(before[k], after[k]))
            .Order(StringComparer.Ordinal)
            .Select(k => Change(k, before[k], after[k], financials))
            .ToList();

    public static async Task<Results<Ok<RestoreResponse>, ValidationProblem, ProblemHttpResult>> Restore(
        string orgCode, string pfaId, int version, RestoreRequest? request, ClaimsPrincipal user, OrgAccess access, EventPublisher events,
        CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var data = await LineHistory.LoadAsync(session, pfaId, ct);
        if (data is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No PFA line {pfaId} in {ctx.OrganizationCode}.");
        var old = data.Versions.FirstOrDefault(v => v.Version == version);
        if (old is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{pfaId} has no version {version}.");

        // Every editable value of the old version: the rules keep those that differ from PEMS now and drop the rest, so the
        // draft ends up exactly "that version" on the editable fields (a PEMS-owned field cannot be restored).
        var requested = new JsonObject();
        // Whoever may not see rates and prices restores the other fields only (a hidden figure is never set blind).
        foreach (var (field, kind) in EditableFields.All.Where(f => ctx.CanViewFinancials || !FinancialMask.IsFinancial(f.Key)))
            if (old.Data[field] is { } value) requested[field] = value.DeepClone();
            else if (kind == FieldKind.Text) requested[field] = null;
        var item = new DraftItem(pfaId, requested, $"Restore version {version}");
        var check = await DraftSaving.CheckAsync(session, [item], ct);
        if (check.Errors.Count > 0)
            return TypedResults.ValidationProblem(check.Errors[0].Errors, title: $"Version {version} cannot be restored as a draft.");
        var label = $"Restore {pfaId} to version {version}";
        var (saved, removed) = await DraftSaving.WriteAsync(session, check, request?.SessionId, _ => label, ct);
        await session.CommitAsync(ct);
        if (saved + removed > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, saved, removed });
        var fields = check.Pending.Values.SelectMany(w => w.Changes.Select(c => c.Key)).Order(StringComparer.Ordinal).ToList();
        return TypedResults.Ok(new RestoreResponse(pfaId, version, saved, fields, label));
    }
}
