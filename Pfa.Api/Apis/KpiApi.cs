using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

/// <summary>Money figures are null for a caller without ViewFinancials (<see cref="Masked"/>); the line count stays.</summary>
public sealed record KpiFigures(long Lines, decimal? Plan, decimal? Forecast, decimal? Actual, decimal? Variance, decimal? VariancePercent)
{
    public KpiFigures Masked(bool visible) => visible ? this : new(Lines, null, null, null, null, null);

    public static KpiFigures Sum(IEnumerable<KpiRow> rows)
    {
        long lines = 0; decimal plan = 0, forecast = 0, actual = 0;
        foreach (var r in rows) { lines += r.Lines; plan += r.Plan; forecast += r.Forecast; actual += r.Actual; }
        return new(lines, plan, forecast, actual, forecast - plan, plan == 0 ? null : Math.Round((forecast - plan) / plan * 100, 2));
    }
}
public sealed record KpiGroupDto(string Group, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase);
public sealed record KpiResponse(bool IncludesDrafts, string? GroupBy, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    IReadOnlyList<KpiGroupDto>? Groups, long MirrorVersion, bool Cached)
{
    /// <summary>Applied after the cache (entries are shared by callers of both kinds).</summary>
    public KpiResponse Masked(bool visible) => visible ? this : this with
    {
        Total = Total.Masked(false), Rental = Rental.Masked(false), Purchase = Purchase.Masked(false),
        Groups = Groups?.Select(g => new KpiGroupDto(g.Group, g.Total.Masked(false), g.Rental.Masked(false), g.Purchase.Masked(false))).ToList(),
    };
}

/// <summary><see cref="Months"/> is empty for a caller without ViewFinancials (every figure in it is money).</summary>
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
            "optionally with the caller's drafts and rolled up by source, category, class, dor or areaSilo; with the list's filter parameters, " +
            "of the matching lines only (uncached). Unfiltered: cached in Redis per mirror and draft version.");
        group.MapGet("/kpis/monthly", Monthly).WithSummary(
            "Plan / forecast / actual cost per calendar month of the lines matching the list's filters (rental spread over the days of " +
            "each month, purchase in its start month; discontinued and funds-transferable lines excluded), committed or with the caller's drafts.");
        group.MapGet("/categories", Categories).WithSummary(
            "Category codes of the organization's lines, each with its most common non-empty PEMS description (PFS_F_CATDESC), " +
            "for labels such as \"08850 — TANK FRAC WATER TRAILER\". Cached in Redis per mirror version.");
        group.MapGet("/timeline", Timeline).WithSummary(
            "Timeline bounds (plan / forecast / actual windows) of non-discontinued lines; with drafts, over the caller's merged lines.");
        return app;
    }

    public static async Task<Results<Ok<IReadOnlyList<Pfa.Domain.CategoryLabel>>, ProblemHttpResult>> Categories(
        string orgCode, ClaimsPrincipal user, OrgAccess access, KpiCache cache, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        // Committed data only (drafts keep PEMS's descriptions), so one entry per mirror version serves every member.
        var (labels, _) = await cache.GetOrCreateAsync(KpiCache.Key("categories", ctx, false, null), async () =>
        {
            await using var session = await access.BeginAsync(ctx, ct);
            var rows = await PfaStore.CategoriesAsync(session, ct);
            await session.CommitAsync(ct);
            return rows;
        });
        return TypedResults.Ok(labels);
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
            async Task<TimelineBounds?> Read(string sql, bool checkTouch)
            {
                await using var cmd = s.Command(sql);
                cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
                cmd.Parameters.AddWithValue("user", ctx.UserId);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                DateOnly? D(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateOnly>(i);
                if (!await r.ReadAsync(ct)) return new TimelineBounds(null, null, null, null, null, null, drafts, false);
                if (checkTouch && r.GetBoolean(6)) return null;
                return new TimelineBounds(D(0), D(1), D(2), D(3), D(4), D(5), drafts, false);
            }
            if (!drafts)
                return (await Read("""
                    SELECT min_original_start, max_original_end, min_forecast_start, max_forecast_end, min_actual_start, max_actual_end
                    FROM pfa_timeline_bounds_tenant WHERE organization_id = @org
                    """, false))!;
            // With drafts: the summary's extremes combined with my few drafted lines. Exact when, for every bound, some line I have
            // not drafted still holds the summary's extreme (its holder count exceeds my drafted holders); only when all of an
            // extreme's holders are my drafted lines are all merged lines scanned.
            return await Read(TimelineWithDraftsSql, true) ?? (await Read(TimelineScanSql, false))!;
        });
        return TypedResults.Ok(bounds with { Cached = hit });
    }

    private static string M(string field) => MergedFields.Get(field).Merged;

    /// <summary>
    /// True when the summary's extreme <paramref name="bound"/> is held by a line the caller has not drafted: the summary counts
    /// its holders (live, shared, not discontinued), and the caller's drafted lines that hold it are subtracted. Costs a count
    /// over the caller's own drafts, whatever the organization's size.
    /// </summary>
    private static string Held(string column, string bound) => $"""
        ({bound} IS NULL OR v.holders_{column} > (SELECT count(*) FROM mine WHERE mine.shared AND NOT mine.is_discontinued AND mine.{column} = {bound}))
        """;

    /// <summary>Public for the benchmark's EXPLAIN.</summary>
    public static readonly string TimelineWithDraftsSql = $"""
        WITH v AS (
          SELECT * FROM pfa_timeline_bounds_tenant WHERE organization_id = @org
        ), mine AS (
          SELECT m.new_line_owner IS NULL AS shared, m.is_discontinued, m.original_start, m.original_end, m.forecast_start, m.forecast_end, m.actual_start, m.actual_end,
                 {M("isDiscontinued")} AS disc, {M("forecastStart")} AS fs, {M("forecastEnd")} AS fe, {M("actualEnd")} AS ae
          FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
          WHERE d.organization_id = @org AND d.user_id = @user AND d.state IN ({Pfa.Data.ModificationState.OpenSqlList}) AND m.deleted_in_pems_at IS NULL
        )
        SELECT least(v.min_original_start, (SELECT min(original_start) FROM mine WHERE NOT disc)),
               greatest(v.max_original_end, (SELECT max(original_end) FROM mine WHERE NOT disc)),
               least(v.min_forecast_start, (SELECT min(fs) FROM mine WHERE NOT disc)),
               greatest(v.max_forecast_end, (SELECT max(fe) FROM mine WHERE NOT disc)),
               least(v.min_actual_start, (SELECT min(actual_start) FROM mine WHERE NOT disc)),
               greatest(v.max_actual_end, (SELECT max(ae) FROM mine WHERE NOT disc)),
               v.organization_id IS NULL OR NOT ({Held("original_start", "v.min_original_start")} AND {Held("original_end", "v.max_original_end")}
                 AND {Held("forecast_start", "v.min_forecast_start")} AND {Held("forecast_end", "v.max_forecast_end")}
                 AND {Held("actual_start", "v.min_actual_start")} AND {Held("actual_end", "v.max_actual_end")})
        FROM (SELECT 1) one LEFT JOIN v ON true
        """;

    private static readonly string TimelineScanSql = $"""
        SELECT min(m.original_start), max(m.original_end), min({M("forecastStart")}), max({M("forecastEnd")}), min(m.actual_start), max({M("actualEnd")})
        FROM pfa_mirror m {MergedFields.DeltaJoin}
        WHERE m.organization_id = @org AND m.deleted_in_pems_at IS NULL AND NOT {M("isDiscontinued")}
        """;
    public static async Task<Results<Ok<MonthlyCostResponse>, ValidationProblem, ProblemHttpResult>> Monthly(
        string orgCode, bool? includeDrafts, [AsParameters] PfaListQuery query, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var errors = query.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var drafts = includeDrafts ?? true;
        if (!ctx.CanViewFinancials) return TypedResults.Ok(new MonthlyCostResponse(drafts, []));
        await using var session = await access.BeginAsync(ctx, ct);
        var months = await PfaStore.MonthlyCostAsync(session, query.ToFilter(), drafts, ct);
        await session.CommitAsync(ct);
        return TypedResults.Ok(new MonthlyCostResponse(drafts, months));
    }

    public static async Task<Results<Ok<KpiResponse>, ValidationProblem, ProblemHttpResult>> Get(
        string orgCode, bool? includeDrafts, string? groupBy, [AsParameters] PfaListQuery query, ClaimsPrincipal user, OrgAccess access, KpiCache cache,
        CancellationToken ct)
    {
        var errors = query.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (groupBy is not null && !MergedFields.Groupable.Contains(groupBy, StringComparer.OrdinalIgnoreCase))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["groupBy"] = [$"One of: {string.Join(", ", MergedFields.Groupable)}."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var drafts = includeDrafts ?? true;
        var group = groupBy is null ? null : MergedFields.Groupable.First(g => string.Equals(g, groupBy, StringComparison.OrdinalIgnoreCase));

        KpiResponse Response(IReadOnlyList<KpiRow> rows)
        {
            static KpiFigures Src(IEnumerable<KpiRow> rs, string s) => KpiFigures.Sum(rs.Where(r => r.Source == s));
            return new KpiResponse(drafts, group, KpiFigures.Sum(rows), Src(rows, "Rental"), Src(rows, "Purchase"),
                group is null ? null : rows.GroupBy(r => r.Group ?? "").Select(g => new KpiGroupDto(g.Key, KpiFigures.Sum(g), Src(g, "Rental"), Src(g, "Purchase"))).ToList(),
                ctx.MirrorVersion, false);
        }

        // With the list's filter (the grid's view), uncached like the list: from the summaries when the filter is on their
        // dimensions only (cost independent of the organization's size), else from the matching merged lines.
        var filter = query.ToFilter();
        if (!filter.IsEmpty)
        {
            await using var session = await access.BeginAsync(ctx, ct);
            var rows = filter.OnlyKpiDimensions
                ? await PfaStore.KpisAsync(session, drafts, group, ct, filter)
                : await PfaStore.FilteredKpisAsync(session, filter, drafts, group, ct);
            await session.CommitAsync(ct);
            return TypedResults.Ok(Response(rows).Masked(ctx.CanViewFinancials));
        }

        var (response, hit) = await cache.GetOrCreateAsync(KpiCache.Key("kpi", ctx, drafts, group), async () =>
        {
            await using var session = await access.BeginAsync(ctx, ct);
            var rows = await PfaStore.KpisAsync(session, drafts, group, ct);
            await session.CommitAsync(ct);
            return Response(rows);
        });
        return TypedResults.Ok(response.Masked(ctx.CanViewFinancials) with { Cached = hit });
    }
}
