using MudBlazor;

namespace Pfa.Web.Components;

public static class PfaTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f4e79",
            Secondary = "#2e7d6f",
            AppbarBackground = "#1f4e79",
            Background = "#f5f7fa",
        },
        Typography = new Typography { Default = new DefaultTypography { FontSize = ".875rem" } },
    };
}
