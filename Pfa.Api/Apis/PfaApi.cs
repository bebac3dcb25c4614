using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

/// <summary>Query string of the merged list. Multi-value filters repeat the key: <c>?category=02036&amp;category=14500</c>.</summary>
public sealed record PfaListQuery(
    string[]? Category, string[]? Class, string[]? Source, string[]? Dor, string[]? AreaSilo, string[]? Status,
    DateOnly? ForecastStartFrom, DateOnly? ForecastStartTo, DateOnly? ForecastEndFrom, DateOnly? ForecastEndTo,
    DateOnly? PlanStartFrom, DateOnly? PlanStartTo, string? Search, bool? ChangedOnly,
    string? Sort, bool? Desc, int? Limit, string? Cursor)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Sort is not null && !MergedFields.Sortable.Contains(Sort, StringComparer.OrdinalIgnoreCase))
            errors["sort"] = [$"Sort by one of: {string.Join(", ", MergedFields.Sortable)}."];
        if (Limit is < 1 or > 1000) errors["limit"] = ["Between 1 and 1000."];
        if (Status?.Except(PfaFilter.StatusValues).Any() == true) errors["status"] = [$"One of: {string.Join(", ", PfaFilter.StatusValues)}."];
        if (Source?.Except(Enum.GetNames<PfaSource>()).Any() == true) errors["source"] = ["Rental or Purchase."];
        if (Dor?.Except(Enum.GetNames<Dor>()).Any() == true) errors["dor"] = ["BEO or PROJECT."];
        if (Search is { Length: > 100 }) errors["search"] = ["At most 100 characters."];
        return errors;
    }

    public PfaFilter ToFilter() => new()
    {
        Category = Category, Class = Class, Source = Source, Dor = Dor, AreaSilo = AreaSilo, Status = Status,
        ForecastStartFrom = ForecastStartFrom, ForecastStartTo = ForecastStartTo, ForecastEndFrom = ForecastEndFrom,
        ForecastEndTo = ForecastEndTo, PlanStartFrom = PlanStartFrom, PlanStartTo = PlanStartTo, Search = Search,
        ChangedOnly = ChangedOnly ?? false,
    };
}

/// <summary>A grid row; <see cref="BaseValues"/> is, per changed field, the PEMS value my draft started from (for "old → new").</summary>
/// <see cref="Record"/> is the PFA record's JSON form; money fields are null for a caller without ViewFinancials (<see cref="FinancialMask"/>).
public sealed record PfaRowDto(string PfaId, string DraftState, string[] ChangedFields, MaskedRecord Record, JsonObject? BaseValues);
/// <summary>A page of merged lines; <c>total</c> comes with the first page only (null on cursor pages, whose callers already have it).</summary>
public sealed record PfaListResponse(IReadOnlyList<PfaRowDto> Items, string? NextCursor, long? Total, bool TotalIsEstimate);
public sealed record DeltaDto(Guid Id, string State, JsonObject Changes, JsonObject? BaseValues, int? BaseMirrorVersion);
public sealed record HistoryDto(int MirrorVersion, string? PemsVersion, DateTimeOffset RecordedAt, string ChangedBy, MaskedRecord Record);
/// <summary>Plan / forecast / actual cost of one line; null for a caller without ViewFinancials.</summary>
public sealed record LineCostDto(decimal Plan, decimal Forecast, decimal Actual);
public sealed record PfaDetailResponse(string PfaId, int MirrorVersion, string? PemsVersion, string DraftState,
    MaskedRecord Base, MaskedRecord Merged, DeltaDto? MyDelta, string[] ConflictFields, LineCostDto? BaseCost, LineCostDto? MergedCost,
    IReadOnlyList<HistoryDto> History);

public static class PfaApi
{
    public static IEndpointRouteBuilder MapPfaApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/pfa").WithTags("PFA records").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", List).WithName("ListPfa")
            .WithSummary("Merged list: the mirror overlaid with the caller's own drafts, filtered on merged values, keyset-paged.");
        group.MapGet("/{pfaId}", Get).WithName("GetPfa")
            .WithSummary("One record: PEMS base, my delta, merged view, conflict fields and mirror history.");
        return app;
    }

    public static async Task<Results<Ok<PfaListResponse>, ValidationProblem, ProblemHttpResult>> List(
        string orgCode, [AsParameters] PfaListQuery query, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var errors = query.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;

        // Sorting by a hidden figure would leak its order: refused, naming the parameter.
        if (query.Sort is { } requested && FinancialMask.IsFinancial(requested) && !ctx.CanViewFinancials)
            return FinancialProblems.Hidden("sort");
        var sort = MergedFields.Sortable.First(s => string.Equals(s, query.Sort ?? "pfaId", StringComparison.OrdinalIgnoreCase));
        await using var session = await access.BeginAsync(ctx, ct);
        ListPage page;
        try
        {
            page = await PfaStore.ListAsync(session, query.ToFilter(), sort, query.Desc ?? false, query.Limit ?? 100, query.Cursor, ct);
        }
        catch (FormatException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = [e.Message] });
        }
        await session.CommitAsync(ct);
        var money = ctx.CanViewFinancials;
        return TypedResults.Ok(new PfaListResponse(
            page.Items.Select(r => new PfaRowDto(r.PfaId, r.DraftState, r.Changes?.Select(c => c.Key).ToArray() ?? [],
                FinancialMask.Record(r.Merged, money), FinancialMask.Apply(r.BaseValues, money))).ToList(),
            page.NextCursor, page.Total, page.TotalIsEstimate));
    }

    public static async Task<Results<Ok<PfaDetailResponse>, ProblemHttpResult>> Get(
        string orgCode, string pfaId, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var d = await PfaStore.GetAsync(session, pfaId, ct);
        await session.CommitAsync(ct);
        if (d is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"PFA {pfaId} not found.");
        var baseRecord = PfaJson.FromJson(d.Base);
        var merged = PfaJson.FromJson(d.Merged);
        var money = ctx.CanViewFinancials;
        LineCostDto? Cost(PfaRecord r)
        {
            if (!money) return null;
            var c = CostRules.Of(r);
            return new LineCostDto(c.Plan, c.Forecast, c.Actual);
        }
        return TypedResults.Ok(new PfaDetailResponse(d.PfaId, d.MirrorVersion, d.PemsVersion, d.DraftState,
            FinancialMask.Record(baseRecord, money), FinancialMask.Record(merged, money),
            d.ModificationId is { } id ? new DeltaDto(id, d.DraftState, FinancialMask.Apply(d.Changes!, money)!, FinancialMask.Apply(d.BaseValues, money), d.BaseMirrorVersion) : null,
            d.ConflictFields, Cost(baseRecord), Cost(merged),
            d.History.Select(h => new HistoryDto(h.MirrorVersion, h.PemsVersion, h.RecordedAt, h.ChangedBy,
                FinancialMask.Record(PfaJson.FromJson(h.Data), money))).ToList()));
    }
}
