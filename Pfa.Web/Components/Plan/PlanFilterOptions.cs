using Pfa.Web.Api;

namespace Pfa.Web.Components.Plan;

/// <summary>Values offered by the filter panel's multi-selects (from the organization's KPI roll-ups).</summary>
public sealed record PlanFilterOptions(IReadOnlyList<string> Classes, IReadOnlyList<string> Categories, IReadOnlyList<string> AreaSilos)
{
    public static readonly PlanFilterOptions Empty = new([], [], []);
    public static readonly string[] Sources = Enum.GetNames<Pfa.Domain.PfaSource>();
    public static readonly string[] Dors = Enum.GetNames<Pfa.Domain.Dor>();

    /// <summary>The organization's classes, categories and areas (committed roll-ups); none when the API cannot be reached.</summary>
    public static async Task<PlanFilterOptions> LoadAsync(PfaApiClient api, string org)
    {
        try
        {
            var classes = api.KpisAsync(org, false, "class");
            var categories = api.KpisAsync(org, false, "category");
            var areas = api.KpisAsync(org, false, "areaSilo");
            static IReadOnlyList<string> Values(KpiResult r) => (r.Groups ?? []).Select(g => g.Group).Where(g => g.Length > 0).Order().ToList();
            return new PlanFilterOptions(Values(await classes), Values(await categories), Values(await areas));
        }
        catch (PfaApiException) { return Empty; }
    }
}
