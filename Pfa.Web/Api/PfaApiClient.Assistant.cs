using System.Text.Json.Nodes;

namespace Pfa.Web.Api;

// The API's assistant (Pfa.Api/Apis/AssistantApi.cs): a question in plain words, answered with a validated query's result.

public sealed record AssistantStatus(bool Configured, string? HowToConfigure, IReadOnlyList<string> Examples);
/// <summary>Money is null for a member without ViewFinancials.</summary>
public sealed record AssistantFigures(long Lines, decimal? Plan, decimal? Forecast, decimal? Actual);
public sealed record AssistantTotal(string Group, AssistantFigures Committed, AssistantFigures WithDrafts);
/// <summary><see cref="ProposedEdit"/> is posted unchanged to /drafts/bulk when the user confirms it.</summary>
public sealed record AssistantAnswer(string Kind, string Interpretation, PfaPage? Lines, IReadOnlyList<AssistantTotal>? Totals,
    bool TotalIsEstimate, JsonObject? ProposedEdit, BulkPreview? Preview, AssistantPlan? Plan = null);
/// <summary>The query as our API validated and ran it: the grid's filters (same names as the list's query string).</summary>
public sealed record AssistantPlan(string Kind, AssistantFilter? Filter, string? GroupBy);
public sealed record AssistantFilter(string[]? Category, string[]? Class, string[]? Source, string[]? Dor, string[]? AreaSilo, string[]? Status,
    DateOnly? ForecastStartFrom, DateOnly? ForecastStartTo, DateOnly? ForecastEndFrom, DateOnly? ForecastEndTo, string? Search, bool? ChangedOnly)
{
    /// <summary>The plan grid's filter for the same lines ("Show in grid"); the grid keeps its own sort.</summary>
    public GridQuery ToGridQuery(GridQuery current) => current with
    {
        Category = Category ?? [], Class = Class ?? [], Source = Source ?? [], Dor = Dor ?? [], AreaSilo = AreaSilo ?? [], Status = Status ?? [],
        ForecastStartFrom = ForecastStartFrom, ForecastStartTo = ForecastStartTo, ForecastEndFrom = ForecastEndFrom, ForecastEndTo = ForecastEndTo,
        Search = Search, ChangedOnly = ChangedOnly ?? false,
    };
}

public sealed partial class PfaApiClient
{
    public async Task<AssistantStatus> AssistantStatusAsync(string org, CancellationToken ct = default) =>
        await SendAsync<AssistantStatus>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/assistant", null, await TokenAsync(), ct);

    public async Task<AssistantAnswer> AskAsync(string org, string question, CancellationToken ct = default) =>
        await SendAsync<AssistantAnswer>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/assistant/ask", new { question }, await TokenAsync(), ct);

    /// <summary>The user's confirmation of a proposed edit: it becomes drafts (undoable like any bulk edit).</summary>
    public async Task<BulkResult> ApplyProposalAsync(string org, JsonObject proposedEdit, CancellationToken ct = default) =>
        await SendAsync<BulkResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/bulk", proposedEdit, await TokenAsync(), ct);
}
