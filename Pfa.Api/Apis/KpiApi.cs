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

public static class KpiApi
{
    public static IEndpointRouteBuilder MapKpiApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}").WithTags("KPIs").RequireAuthorization();
        group.MapGet("/kpis", Get).WithSummary(
            "Plan / forecast / actual / variance by source and in total (discontinued and funds-transferable lines excluded), " +
            "optionally with the caller's drafts and rolled up by source, category, class, dor or areaSilo. Cached in Redis per mirror and draft version.");
        return app;
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
