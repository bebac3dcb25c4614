using Pfa.Web.Api;

namespace Pfa.Web.Components.Plan;

/// <summary>Rows are the same line when their PFA ids match, so a selection survives reloads.</summary>
public sealed class PfaRowComparer : IEqualityComparer<PfaRow>
{
    public static readonly PfaRowComparer Instance = new();
    public bool Equals(PfaRow? x, PfaRow? y) => string.Equals(x?.PfaId, y?.PfaId, StringComparison.Ordinal);
    public int GetHashCode(PfaRow obj) => StringComparer.Ordinal.GetHashCode(obj.PfaId);
}
