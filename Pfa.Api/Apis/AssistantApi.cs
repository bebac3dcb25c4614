using System.ClientModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Assistant;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public sealed record AssistantStatus(bool Configured, string? HowToConfigure, IReadOnlyList<string> Examples);
public sealed record AskRequest(string? Question);
/// <summary>One row of a totals answer: committed figures and the same with my drafts (money null without ViewFinancials).</summary>
public sealed record AssistantTotalRow(string Group, KpiFigures Committed, KpiFigures WithDrafts);
/// <summary>
/// The answer: the plan as validated, in words (<see cref="Interpretation"/>), and its result: <see cref="Lines"/> (first page
/// of the filtered grid), <see cref="Totals"/>, or a <see cref="ProposedEdit"/> with its <see cref="Preview"/>, which becomes
/// drafts only when the client posts it to <c>/drafts/bulk</c> (the user's confirmation).
/// </summary>
public sealed record AssistantAnswer(string Kind, string Interpretation, AssistantPlan Plan, PfaListResponse? Lines = null,
    IReadOnlyList<AssistantTotalRow>? Totals = null, bool TotalIsEstimate = false, BulkRequest? ProposedEdit = null,
    BulkPreviewResponse? Preview = null);

/// <summary>What a handler needs besides the request (eShop's services record).</summary>
public sealed record AssistantServices(OrgAccess Access, KpiCache Cache, AssistantModel Model, TimeProvider Clock, ILogger<AssistantModel> Log);

public static class AssistantApi
{
    public const int MaxQuestion = 500;
    private const int PageSize = 50;
    private static readonly string[] Examples =
    [
        "rentals in area B ending after June",
        "what did my drafts add to the forecast by category?",
        "shift all cranes two weeks later",
    ];

    public static IEndpointRouteBuilder MapAssistantApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/assistant").WithTags("Assistant").RequireAuthorization().WithStandardProblems();
        group.MapGet("/", Status).WithSummary("Whether a language model is configured (and how to configure one), with example questions.");
        group.MapPost("/ask", Ask).WithSummary(
            "A question in plain words, turned by the language model into a structured query that is validated and run with the " +
            "caller's permissions: a filtered list, totals, or a proposed bulk edit (never saved here). 409 without a model, " +
            "502 when the model fails, 422 when its answer is not a usable query.");
        return app;
    }

    public static async Task<Results<Ok<AssistantStatus>, ProblemHttpResult>> Status(
        string orgCode, ClaimsPrincipal user, [AsParameters] AssistantServices services, CancellationToken ct)
    {
        var (ctx, problem) = await services.Access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        var configured = services.Model.IsConfigured;
        return TypedResults.Ok(new AssistantStatus(configured, configured ? null : AssistantModel.HowToConfigure, Examples));
    }

    public static async Task<Results<Ok<AssistantAnswer>, ValidationProblem, ProblemHttpResult>> Ask(
        string orgCode, AskRequest request, ClaimsPrincipal user, [AsParameters] AssistantServices services, CancellationToken ct)
    {
        var question = request.Question?.Trim();
        if (string.IsNullOrEmpty(question) || question.Length > MaxQuestion)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["question"] = [$"A question of 1 to {MaxQuestion} characters."] });
        var (ctx, problem) = await services.Access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        if (!services.Model.IsConfigured)
            return TypedResults.Problem(AssistantModel.HowToConfigure, statusCode: StatusCodes.Status409Conflict, title: "No language model is configured");

        string text;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            text = await services.Model.AskAsync(question, ctx.OrganizationCode, DateOnly.FromDateTime(services.Clock.GetUtcNow().UtcDateTime), timeout.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or ClientResultException or OperationCanceledException or InvalidOperationException)
        {
            // The model is outside the system: its failure is a bad gateway, never a 500 (and its message may carry no secret).
            services.Log.LogWarning("Language model failed: {Error}", e.GetType().Name);
            return TypedResults.Problem("The language model did not answer. Try again later.", statusCode: StatusCodes.Status502BadGateway,
                title: "The language model did not answer");
        }

        var (plan, path, error) = text.Length > AssistantModel.MaxAnswerChars
            ? (null, "plan", "Longer than a query can be.") : AssistantPlanJson.Parse(text);
        if (plan is null) return Unusable(path, error!);
        services.Log.LogInformation("Assistant plan {Kind}", plan.Kind);
        return plan.Kind switch
        {
            "lines" => await LinesAsync(orgCode, plan, user, services, ct),
            "totals" => await TotalsAsync(orgCode, plan, user, services, ct),
            "bulkEdit" => await EditAsync(orgCode, plan, user, services, ct),
            "unsupported" => TypedResults.Ok(new AssistantAnswer("unsupported", AssistantWording.Describe(plan), plan)),
            _ => Unusable("plan.kind", $"One of: {AssistantPlanJson.Kinds}."),
        };
    }

    private static async Task<Results<Ok<AssistantAnswer>, ValidationProblem, ProblemHttpResult>> LinesAsync(
        string orgCode, AssistantPlan plan, ClaimsPrincipal user, AssistantServices services, CancellationToken ct)
    {
        var list = await PfaApi.List(orgCode, ListQuery(plan.Filter, PageSize), user, services.Access, ct);
        return list.Result is Ok<PfaListResponse> ok
            ? TypedResults.Ok(new AssistantAnswer("lines", AssistantWording.Describe(plan), plan, Lines: ok.Value))
            : Passed(list.Result);
    }

    private static async Task<Results<Ok<AssistantAnswer>, ValidationProblem, ProblemHttpResult>> TotalsAsync(
        string orgCode, AssistantPlan plan, ClaimsPrincipal user, AssistantServices services, CancellationToken ct)
    {
        // The KPI roll-up with the grid's filters: the KPI rules (discontinued and funds-transferable lines excluded).
        var query = ListQuery(plan.Filter, 1);
        var committed = await KpiApi.Get(orgCode, false, plan.GroupBy, query, user, services.Access, services.Cache, ct);
        if (committed.Result is not Ok<KpiResponse> c) return Passed(committed.Result);
        var drafts = await KpiApi.Get(orgCode, true, plan.GroupBy, query, user, services.Access, services.Cache, ct);
        if (drafts.Result is not Ok<KpiResponse> d) return Passed(drafts.Result);
        var filtered = plan.Filter is { } f && f != new AssistantFilter();
        var rows = plan.GroupBy is null
            ? [new AssistantTotalRow(filtered ? "Matching lines" : "All lines", c.Value!.Total, d.Value!.Total)]
            : (c.Value!.Groups ?? []).Select(g => g.Group).Union((d.Value!.Groups ?? []).Select(g => g.Group)).Order(StringComparer.Ordinal)
                .Select(g => new AssistantTotalRow(g, Figures(c.Value.Groups, g, c.Value.Total), Figures(d.Value.Groups, g, d.Value.Total))).ToList();
        return TypedResults.Ok(new AssistantAnswer("totals", AssistantWording.Describe(plan), plan, Totals: rows));
    }

    private static async Task<Results<Ok<AssistantAnswer>, ValidationProblem, ProblemHttpResult>> EditAsync(
        string orgCode, AssistantPlan plan, ClaimsPrincipal user, AssistantServices services, CancellationToken ct)
    {
        if (plan.Edit is not { } edit) return Unusable("plan.edit", "A bulk edit needs an edit.");
        if (!FieldRules.TryParseName<BulkKind>(edit.Operation, out var operation))
            return Unusable("plan.edit.operation", $"One of: {string.Join(", ", Enum.GetNames<BulkKind>())}.");
        var f = plan.Filter ?? new AssistantFilter();
        var request = new BulkRequest(operation, null,
            new BulkFilter(f.Category, f.Class, f.Source, f.Dor, f.AreaSilo, f.Status, f.ForecastStartFrom, f.ForecastStartTo, f.Search, f.ChangedOnly,
                f.ForecastEndFrom, f.ForecastEndTo),
            edit.Days, edit.Start, edit.End, edit.Amount, edit.Value, null, null, edit.Months);
        var validFilter = ListQuery(plan.Filter, 1).Validate();
        if (validFilter.Count > 0) return Unusable("plan.filter", validFilter);
        var preview = await DraftsApi.BulkPreview(orgCode, request, user, services.Access, ct);
        return preview.Result switch
        {
            Ok<BulkPreviewResponse> ok => TypedResults.Ok(new AssistantAnswer("bulkEdit", AssistantWording.Describe(plan with { Edit = edit with { Operation = operation.ToString() } }),
                plan, ProposedEdit: request, Preview: ok.Value)),
            ValidationProblem invalid => Unusable("plan.edit", invalid),
            ProblemHttpResult refused => refused,
            _ => throw new InvalidOperationException("Unexpected preview result."),
        };
    }

    private static PfaListQuery ListQuery(AssistantFilter? f, int limit) => new(
        f?.Category, f?.Class, f?.Source, f?.Dor, f?.AreaSilo, f?.Status, f?.ForecastStartFrom, f?.ForecastStartTo, f?.ForecastEndFrom,
        f?.ForecastEndTo, null, null, f?.Search, f?.ChangedOnly, null, null, limit, null);

    /// <summary>A group absent on one side (a draft moved its lines) has no lines there; money stays hidden when it is hidden.</summary>
    private static KpiFigures Figures(IReadOnlyList<KpiGroupDto>? groups, string group, KpiFigures total)
    {
        decimal? zero = total.Plan is null ? null : 0;
        return groups?.FirstOrDefault(g => g.Group == group)?.Total ?? new KpiFigures(0, zero, zero, zero, zero, null);
    }

    /// <summary>A refusal of the model's plan by our rules: 422 naming where in the plan (the model erred, not the user).</summary>
    private static ProblemHttpResult Unusable(string path, string message) =>
        Unusable(new Dictionary<string, string[]> { [path] = [message] });

    private static ProblemHttpResult Unusable(string prefix, ValidationProblem invalid) => Unusable(prefix, invalid.ProblemDetails.Errors);

    private static ProblemHttpResult Unusable(string prefix, IDictionary<string, string[]> errors) =>
        Unusable(errors.ToDictionary(e => $"{prefix}.{e.Key}", e => e.Value));

    private static ProblemHttpResult Unusable(Dictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "The assistant's answer could not be used",
            Detail = "The language model's answer is not a query this organization's data can answer; nothing was run. Try rephrasing.",
        });

    /// <summary>A handler's refusal: its 400s name query parameters, which are the plan's filter (or group).</summary>
    private static Results<Ok<AssistantAnswer>, ValidationProblem, ProblemHttpResult> Passed(IResult result) => result switch
    {
        ValidationProblem invalid => Unusable(invalid.ProblemDetails.Errors.ToDictionary(
            e => e.Key == "groupBy" ? "plan.groupBy" : $"plan.filter.{e.Key}", e => e.Value)),
        ProblemHttpResult refused => refused,
        _ => throw new InvalidOperationException("Unexpected result."),
    };
}
