using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

public sealed record KpiFigures(long Lines, decimal Plan, decimal Forecast, decimal Actual, decimal Variance, decimal? VariancePercent)
{
    public static KpiFigures Sum(IEnumerable<KpiRow> rows)
    {
        long lines = 0; decimal plan = 0, forecast = 0, actual = 0;
        foreach (var r in rows) { lines += r.Lines; plan += r.Plan; forecast += r.Forecast; actual += r.Actual; }
        return new(lines, plan, forecast, actual, forecast - plan, plan == 0 ? null : Math.Round((forecast - plan) / plan * 100, 2));
    }
}
public sealed record KpiGroupDto(string Group, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase);
public sealed record KpiResponse(bool IncludesDrafts, string? GroupBy, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    IReadOnlyList<KpiGroupDto>? Groups, long MirrorVersion, bool Cached);

public sealed record MonthlyCostResponse(bool IncludesDrafts, IReadOnlyList<Pfa.Domain.MonthCost> Months);

public sealed record TimelineBounds(DateOnly? MinOriginalStart, DateOnly? MaxOriginalEnd, DateOnly? MinForecastStart, DateOnly? MaxForecastEnd,
    DateOnly? MinActualStart, DateOnly? MaxActualEnd, bool IncludesDrafts, bool Cached);

public static class KpiApi
{
    public static IEndpointRouteBuilder MapKpiApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}").WithTags("KPIs").RequireAuthorization().WithStandardProblems();
        group.MapGet("/kpis", Get).WithSummary(
            "Plan / forecast / actual / variance by source and in total (discontinued and funds-transferable lines excluded), " +
            "optionally with the caller's drafts and rolled up by source, category, class, dor or areaSilo. Cached in Redis per mirror and draft version.");
        group.MapGet("/kpis/monthly", Monthly).WithSummary(
            "Plan / forecast / actual cost per calendar month of the lines matching the list's filters (rental spread over the days of " +
            "each month, purchase in its start month; discontinued and funds-transferable lines excluded), committed or with the caller's drafts.");
        group.MapGet("/timeline", Timeline).WithSummary(
            "Timeline bounds (plan / forecast / actual windows) of non-discontinued lines; with drafts, over the caller's merged lines.");
        return app;
    }

    public static async Task<Results<Ok<TimelineBounds>, ProblemHttpResult>> Timeline(
        string orgCode, bool? includeDrafts, ClaimsPrincipal user, OrgAccess access, KpiCache cache, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var drafts = includeDrafts ?? true;
        var (bounds, hit) = await cache.GetOrCreateAsync(KpiCache.Key("timeline", ctx, drafts, null), async () =>
        {
            await using var s = await access.BeginAsync(ctx, ct);
            // Drafts can move the extreme line, so with drafts the bounds come from the merged rows, not the view.
            await using var cmd = s.Command(drafts
                ? $"""
                  SELECT min(m.original_start), max(m.original_end), min({MergedFields.Get("forecastStart").Merged}), max({MergedFields.Get("forecastEnd").Merged}),
                         min(m.actual_start), max({MergedFields.Get("actualEnd").Merged})
                  FROM pfa_mirror m {MergedFields.DeltaJoin}
                  WHERE m.organization_id = @org AND m.deleted_in_pems_at IS NULL AND NOT {MergedFields.Get("isDiscontinued").Merged}
                  """
                : """
                  SELECT min_original_start, max_original_end, min_forecast_start, max_forecast_end, min_actual_start, max_actual_end
                  FROM pfa_timeline_bounds_tenant WHERE organization_id = @org
                  """);
            cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
            cmd.Parameters.AddWithValue("user", ctx.UserId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            DateOnly? D(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateOnly>(i);
            var result = await r.ReadAsync(ct)
                ? new TimelineBounds(D(0), D(1), D(2), D(3), D(4), D(5), drafts, false)
                : new TimelineBounds(null, null, null, null, null, null, drafts, false);
            return result;
        });
        return TypedResults.Ok(bounds with { Cached = hit });
    }

    public static async Task<Results<Ok<MonthlyCostResponse>, ValidationProblem, ProblemHttpResult>> Monthly(
        string orgCode, bool? includeDrafts, [AsParameters] PfaListQuery query, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var errors = query.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var drafts = includeDrafts ?? true;
        await using var session = await access.BeginAsync(ctx, ct);
        var months = await PfaStore.MonthlyCostAsync(session, query.ToFilter(), drafts, ct);
        await session.CommitAsync(ct);
        return TypedResults.Ok(new MonthlyCostResponse(drafts, months));
    }

    public static async Task<Results<Ok<KpiResponse>, ValidationProblem, ProblemHttpResult>> Get(
        string orgCode, bool? includeDrafts, string? groupBy, ClaimsPrincipal user, OrgAccess access, KpiCache cache, CancellationToken ct)
    {
        if (groupBy is not null && !MergedFields.Groupable.Contains(groupBy, StringComparer.OrdinalIgnoreCase))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["groupBy"] = [$"One of: {string.Join(", ", MergedFields.Groupable)}."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var drafts = includeDrafts ?? true;
        var group = groupBy is null ? null : MergedFields.Groupable.First(g => string.Equals(g, groupBy, StringComparison.OrdinalIgnoreCase));

        var (response, hit) = await cache.GetOrCreateAsync(KpiCache.Key("kpi", ctx, drafts, group), async () =>
        {
            await using var session = await access.BeginAsync(ctx, ct);
            var rows = await PfaStore.KpisAsync(session, drafts, group, ct);
            await session.CommitAsync(ct);
            static KpiFigures Src(IEnumerable<KpiRow> rs, string s) => KpiFigures.Sum(rs.Where(r => r.Source == s));
            return new KpiResponse(drafts, group, KpiFigures.Sum(rows), Src(rows, "Rental"), Src(rows, "Purchase"),
                group is null ? null : rows.GroupBy(r => r.Group ?? "").Select(g => new KpiGroupDto(g.Key, KpiFigures.Sum(g), Src(g, "Rental"), Src(g, "Purchase"))).ToList(),
                ctx.MirrorVersion, false);
        });
        return TypedResults.Ok(response with { Cached = hit });
    }
}
