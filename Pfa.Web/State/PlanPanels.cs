namespace Pfa.Web.State;

/// <summary>
/// Which of the plan page's folding panels (KPI board, drafts tray, command deck) are open. All start folded so the grid
/// gets the height; what a user opens stays open for that user in this browser (<see cref="Key"/>).
/// </summary>
public sealed record PlanPanels(bool Kpi = false, bool Drafts = false, bool Deck = false)
{
    public const string KpiName = "kpi", DraftsName = "drafts", DeckName = "deck";

    /// <summary>Per user, so two people sharing a browser keep their own layout.</summary>
    public static string Key(string? user) => $"pfa.panels.{(user ?? "").ToLowerInvariant()}";

    public bool IsOpen(string panel) => panel switch
    {
        KpiName => Kpi,
        DraftsName => Drafts,
        DeckName => Deck,
        _ => false,
    };

    public PlanPanels Toggle(string panel) => panel switch
    {
        KpiName => this with { Kpi = !Kpi },
        DraftsName => this with { Drafts = !Drafts },
        DeckName => this with { Deck = !Deck },
        _ => this,
    };
}
