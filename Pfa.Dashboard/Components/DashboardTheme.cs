using MudBlazor;

namespace Pfa.Dashboard.Components;

/// <summary>Colours of the dashboard.</summary>
public static class DashboardTheme
{
    /// <summary>Pfa.Web's theme (the file is linked into this project), so the dashboard reads as part of the same product.</summary>
    public static MudTheme Theme => Pfa.Web.Components.PfaTheme.Theme;

    private static readonly string[] ResourcePalette =
        ["#1f4e79", "#2e7d6f", "#b5651d", "#7b3f9e", "#c0392b", "#2471a3", "#7d8c1f", "#a04070", "#4a6fa5", "#8e6c3a"];

    /// <summary>A stable colour per resource name, for waterfall bars and chips.</summary>
    public static string ResourceColor(string resource)
    {
        var hash = 0;
        foreach (var c in resource) hash = unchecked(hash * 31 + char.ToLowerInvariant(c));
        return ResourcePalette[(hash & int.MaxValue) % ResourcePalette.Length];
    }
}
