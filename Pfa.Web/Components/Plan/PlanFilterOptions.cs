using Pfa.Domain;
using Pfa.Web.Api;

namespace Pfa.Web.Components.Plan;

/// <summary>
/// Values offered by the filter panel's multi-selects (classes and areas from the organization's KPI roll-ups, categories
/// with their PEMS descriptions). Filters send codes; <see cref="CategoryText"/> is what a person reads.
/// </summary>
public sealed record PlanFilterOptions(IReadOnlyList<string> Classes, IReadOnlyList<CategoryLabel> CategoryLabels, IReadOnlyList<string> AreaSilos)
{
    public static readonly PlanFilterOptions Empty = new([], [], []);
    public static readonly string[] Sources = Enum.GetNames<Pfa.Domain.PfaSource>();
    public static readonly string[] Dors = Enum.GetNames<Pfa.Domain.Dor>();

    private readonly Dictionary<string, string?> _descriptions =
        CategoryLabels.DistinctBy(c => c.Code).ToDictionary(c => c.Code, c => c.Description, StringComparer.Ordinal);

    public IReadOnlyList<string> Categories { get; } = CategoryLabels.Select(c => c.Code).ToList();

    /// <summary>"08850 — TANK FRAC WATER TRAILER"; the bare code when PEMS gave it no description.</summary>
    public string CategoryText(string code) => CategoryLabel.Format(code, _descriptions.GetValueOrDefault(code));

    /// <summary>The organization's classes, categories and areas (committed); none when the API cannot be reached.</summary>
    public static async Task<PlanFilterOptions> LoadAsync(PfaApiClient api, string org)
    {
        try
        {
            var classes = api.KpisAsync(org, false, "class");
            var categories = api.CategoriesAsync(org);
            var areas = api.KpisAsync(org, false, "areaSilo");
            static IReadOnlyList<string> Values(KpiResult r) => (r.Groups ?? []).Select(g => g.Group).Where(g => g.Length > 0).Order().ToList();
            return new PlanFilterOptions(Values(await classes), await categories, Values(await areas));
        }
        catch (PfaApiException) { return Empty; }
    }
}
