using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

public sealed record PortfolioAlert(string Kind, string Message);
public sealed record PortfolioOrganization(string Code, string Name, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    string? LastSyncStatus, DateTimeOffset? LastSyncAt, DateTimeOffset? LastSucceededAt, IReadOnlyList<PortfolioAlert> Alerts);
public sealed record PortfolioResponse(KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    IReadOnlyList<PortfolioOrganization> Organizations, bool Cached);

/// <summary>Thresholds for the portfolio alerts (configuration section <c>Portfolio</c>).</summary>
public sealed class PortfolioOptions
{
    /// <summary>Forecast above plan by more than this percentage raises an alert.</summary>
    public decimal VarianceAlertPercent { get; set; } = 10m;
    /// <summary>No successful sync for this long raises an alert.</summary>
    public double StaleSyncHours { get; set; } = 24;
}

/// <summary>
/// The BEO analysts' cross-organization view: committed KPIs of every active organization with alerts (forecast over plan,
/// failed or stale sync). Read-only; drafts never appear here because they belong to one user in one organization.
/// </summary>
public static class PortfolioApi
{
    public static IEndpointRouteBuilder MapPortfolioApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/portfolio").WithTags("Portfolio").RequireAuthorization().WithStandardProblems()
            .MapGet("/kpis", Kpis).WithSummary(
                "Committed plan / forecast / actual / variance of every active organization, with alerts. " +
                "For BEO analysts and admins (a BeoAnalyst or Admin membership in any organization).");
        return app;
    }

    public static async Task<Results<Ok<PortfolioResponse>, ProblemHttpResult>> Kpis(
        HttpContext http, NpgsqlDataSource dataSource, KpiCache cache, IConfiguration configuration, TimeProvider clock,
        CancellationToken ct)
    {
        // The session check already read the caller's memberships in active organizations with this request's first round trip.
        if (http.Session() is not { } session)
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in.");
        var userId = session.Id;
        var grants = session.Memberships.Select(m => Permissions.Effective(m.Role, m.Granted, m.Revoked))
            .Where(p => p.HasFlag(Permission.ViewAllOrganizations)).ToList();
        if (grants.Count == 0)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
                detail: "The portfolio view is for BEO analysts and admins.");
        // Every figure here is money: shown only when every membership that opens the portfolio also shows financials.
        var money = grants.All(p => p.HasFlag(Permission.ViewFinancials));

        var options = configuration.GetSection("Portfolio").Get<PortfolioOptions>() ?? new PortfolioOptions();
        var orgs = await PortfolioQueries.ActiveOrganizationsAsync(dataSource, ct);
        // Every organization's mirror version is in the key, so any sync moves readers to a fresh entry.
        var stamp = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(';', orgs.Select(o => $"{o.Id}:{o.MirrorVersion}")))))[..24];
        var (response, hit) = await cache.GetOrCreateAsync($"pfa:portfolio:{stamp}", async () =>
        {
            await using var s = await TenantSession.BeginAsync(dataSource, orgs.Select(o => o.Id).ToArray(), Guid.Empty, userId, ct);
            var rows = await PortfolioQueries.KpisAsync(s, ct);
            var syncs = (await PortfolioQueries.LastSyncsAsync(s, ct)).ToDictionary(x => x.OrganizationId);
            await s.CommitAsync(ct);
            return Build(rows, syncs, options, clock.GetUtcNow());
        });
        return TypedResults.Ok(Mask(response, money) with { Cached = hit });
    }

    private static PortfolioResponse Mask(PortfolioResponse r, bool visible) => visible ? r : r with
    {
        Total = r.Total.Masked(false), Rental = r.Rental.Masked(false), Purchase = r.Purchase.Masked(false),
        Organizations = r.Organizations.Select(o => o with
        {
            Total = o.Total.Masked(false), Rental = o.Rental.Masked(false), Purchase = o.Purchase.Masked(false),
            // The variance alert states a percentage of money.
            Alerts = o.Alerts.Where(a => a.Kind != "forecastOverPlan").ToList(),
        }).ToList(),
    };

    private static PortfolioResponse Build(IReadOnlyList<PortfolioRow> rows, Dictionary<Guid, PortfolioSync> syncs, PortfolioOptions options,
        DateTimeOffset now)
    {
        static KpiFigures Sum(IEnumerable<PortfolioRow> rs) => KpiFigures.Sum(rs.Select(r => new KpiRow(null, r.Source, r.Lines, r.Plan, r.Forecast, r.Actual)));
        var organizations = rows.GroupBy(r => r.OrganizationId).Select(g =>
        {
            var first = g.First();
            var total = Sum(g);
            syncs.TryGetValue(g.Key, out var sync);
            var alerts = new List<PortfolioAlert>();
            if (total.VariancePercent > options.VarianceAlertPercent)
                alerts.Add(new("forecastOverPlan", $"Forecast is {total.VariancePercent:0.##}% over plan."));
            if (sync?.Status == "failed")
                alerts.Add(new("syncFailed", $"Last sync failed: {sync.Error}"));
            if (sync?.LastSucceededAt is not { } ok || now - ok > TimeSpan.FromHours(options.StaleSyncHours))
                alerts.Add(new("syncStale", sync?.LastSucceededAt is null ? "Never synced from PEMS." : $"No successful sync since {sync.LastSucceededAt:u}."));
            return new PortfolioOrganization(first.Code, first.Name, total, Sum(g.Where(r => r.Source == "Rental")), Sum(g.Where(r => r.Source == "Purchase")),
                sync?.Status, sync?.CompletedAt ?? sync?.StartedAt, sync?.LastSucceededAt, alerts);
        }).ToList();
        return new PortfolioResponse(Sum(rows), Sum(rows.Where(r => r.Source == "Rental")), Sum(rows.Where(r => r.Source == "Purchase")),
            organizations, false);
    }
}
