using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

/// <summary>
/// The "New Forecast" form (pfa-domain.md §6): <see cref="Count"/> identical lines. Rental needs <see cref="MonthlyRate"/>,
/// Purchase <see cref="PurchasePrice"/>. The plan of a new line is its forecast.
/// </summary>
public sealed record NewLinesRequest(int Count, string? Description, string? Category, string? Class, string? Source, string? Dor, string? AreaSilo,
    DateOnly? ForecastStart, DateOnly? ForecastEnd, decimal? MonthlyRate, decimal? PurchasePrice, string? Manufacturer = null, string? Model = null,
    string? SessionId = null);

public sealed record NewLinesResponse(int Created, IReadOnlyList<string> PfaIds, string Label);

public static class NewLinesApi
{
    public const int MaxCount = 500;

    public static IEndpointRouteBuilder MapNewLinesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgCode}/pfa").WithTags("Drafts").RequireAuthorization().WithStandardProblems()
            .MapPost("/new", Create).WithName("CreateNewLines")
            .WithSummary("Creates 1–500 new forecast lines as my drafts (provisional NEW-… ids, visible only to me until committed; commit sends CUPFA2 ADD).");
        return app;
    }

    public static async Task<Results<Ok<NewLinesResponse>, ValidationProblem, ProblemHttpResult>> Create(
        string orgCode, NewLinesRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var (baseData, changes, errors) = Check(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        // A new line needs its rate or price: whoever may not see them cannot create one.
        if (!ctx.CanViewFinancials) return FinancialProblems.Hidden(request.MonthlyRate is not null ? "monthlyRate" : "purchasePrice");

        await using var session = await access.BeginAsync(ctx, ct);
        var label = $"New {DraftsApi.Lines(request.Count)}: {request.Description!.Trim()}";
        var journal = await DraftJournal.BeginAsync(session, ct);
        var ids = await NewLines.CreateAsync(session, baseData!, changes!, request.Count, request.SessionId, ct);
        await DraftJournal.EndAsync(session, journal, _ => label, ct);
        await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, saved = ids.Count, created = ids.Count });
        return TypedResults.Ok(new NewLinesResponse(ids.Count, ids, label));
    }

    /// <summary>
    /// Validates the form with the domain's draft rules: the PEMS-owned part (description, area, plan = forecast dates) is the
    /// line's base, the editable values are checked by <see cref="DraftRules"/> as a draft on it. Returns the base (mirror data
    /// without pfaId) and the draft delta, or field errors.
    /// </summary>
    public static (JsonObject? BaseData, JsonObject? Changes, Dictionary<string, string[]> Errors) Check(NewLinesRequest r)
    {
        var errors = new Dictionary<string, string[]>();
        if (r.Count is < 1 or > MaxCount) errors["count"] = [$"Between 1 and {MaxCount}."];
        if (string.IsNullOrWhiteSpace(r.Description)) errors["description"] = ["A description is required."];
        else if (FieldRules.TextError(r.Description.Trim()) is { } descriptionError) errors["description"] = [descriptionError];
        if (string.IsNullOrWhiteSpace(r.Category)) errors["category"] = ["A category is required."];
        if (string.IsNullOrWhiteSpace(r.AreaSilo)) errors["areaSilo"] = ["An area/silo is required."];
        else if (FieldRules.TextError(r.AreaSilo.Trim()) is { } areaError) errors["areaSilo"] = [areaError];
        if (r.ForecastStart is null) errors["forecastStart"] = ["A forecast start is required."];
        if (r.ForecastEnd is null) errors["forecastEnd"] = ["A forecast end is required."];
        var source = FieldRules.TryParseName<PfaSource>(r.Source, out var s) ? s : (PfaSource?)null;
        if (source is null) errors["source"] = ["Rental or Purchase."];
        if (source == PfaSource.Rental && r.MonthlyRate is null or <= 0) errors["monthlyRate"] = ["A rental line needs a monthly rate above zero."];
        if (source == PfaSource.Purchase && r.PurchasePrice is null or <= 0) errors["purchasePrice"] = ["A purchase line needs a purchase price above zero."];
        if (errors.Count > 0) return (null, null, errors);

        var baseRecord = new PfaRecord
        {
            PfaId = "", Description = r.Description!.Trim(), AreaSilo = r.AreaSilo!.Trim(),
            OriginalStart = r.ForecastStart, OriginalEnd = r.ForecastEnd,
        };
        string D(DateOnly? d) => d!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var requested = new JsonObject
        {
            ["category"] = r.Category!.Trim(), ["source"] = source!.Value.ToString(), ["forecastStart"] = D(r.ForecastStart), ["forecastEnd"] = D(r.ForecastEnd),
            ["monthlyRate"] = source == PfaSource.Rental ? r.MonthlyRate : 0m, ["purchasePrice"] = source == PfaSource.Purchase ? r.PurchasePrice : 0m,
        };
        if (!string.IsNullOrWhiteSpace(r.Class)) requested["class"] = r.Class.Trim();
        if (!string.IsNullOrWhiteSpace(r.Dor)) requested["dor"] = r.Dor.Trim();
        if (!string.IsNullOrWhiteSpace(r.Manufacturer)) requested["manufacturer"] = r.Manufacturer.Trim();
        if (!string.IsNullOrWhiteSpace(r.Model)) requested["model"] = r.Model.Trim();
        var check = DraftRules.Check(baseRecord, requested);
        if (!check.IsValid) return (null, null, check.Errors.ToDictionary(e => e.Key, e => e.Value));
        var baseData = PfaJson.ToJson(baseRecord);
        baseData.Remove("pfaId");
        return (baseData, check.Changes, errors);
    }
}
