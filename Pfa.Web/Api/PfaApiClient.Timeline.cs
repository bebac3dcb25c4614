namespace Pfa.Web.Api;

/// <summary>Extremes of the plan, forecast and actual windows of an organization's non-discontinued lines (the timeline's axis).</summary>
public sealed record TimelineBounds(DateOnly? MinOriginalStart, DateOnly? MaxOriginalEnd, DateOnly? MinForecastStart, DateOnly? MaxForecastEnd,
    DateOnly? MinActualStart, DateOnly? MaxActualEnd, bool IncludesDrafts, bool Cached);

public sealed partial class PfaApiClient
{
    /// <summary>The timeline bounds over my merged lines (with my drafts).</summary>
    public async Task<TimelineBounds> TimelineBoundsAsync(string org, CancellationToken ct = default) =>
        await SendAsync<TimelineBounds>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/timeline?includeDrafts=true", null, await TokenAsync(), ct);
}
