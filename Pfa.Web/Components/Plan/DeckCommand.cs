namespace Pfa.Web.Components.Plan;

public sealed record DeckCommand(string Operation, int Days);
