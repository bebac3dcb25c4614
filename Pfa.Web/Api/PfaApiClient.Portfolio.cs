namespace Pfa.Web.Api;

public sealed record PortfolioAlert(string Kind, string Message);
public sealed record PortfolioOrganization(string Code, string Name, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    string? LastSyncStatus, DateTimeOffset? LastSyncAt, DateTimeOffset? LastSucceededAt, IReadOnlyList<PortfolioAlert> Alerts);
public sealed record PortfolioResult(KpiFigures Total, KpiFigures Rental, KpiFigures Purchase, IReadOnlyList<PortfolioOrganization> Organizations,
    bool Cached);

public sealed partial class PfaApiClient
{
    /// <summary>Committed KPIs of every organization (BEO analysts and admins only).</summary>
    public async Task<PortfolioResult> PortfolioAsync(CancellationToken ct = default) =>
        await SendAsync<PortfolioResult>(HttpMethod.Get, "/api/portfolio/kpis", null, await TokenAsync(), ct);
}
