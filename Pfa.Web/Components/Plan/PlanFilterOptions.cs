namespace Pfa.Web.Components.Plan;

/// <summary>Values offered by the filter panel's multi-selects (from the organization's KPI roll-ups).</summary>
public sealed record PlanFilterOptions(IReadOnlyList<string> Classes, IReadOnlyList<string> Categories, IReadOnlyList<string> AreaSilos)
{
    public static readonly PlanFilterOptions Empty = new([], [], []);
    public static readonly string[] Sources = Enum.GetNames<Pfa.Domain.PfaSource>();
    public static readonly string[] Dors = Enum.GetNames<Pfa.Domain.Dor>();
}
