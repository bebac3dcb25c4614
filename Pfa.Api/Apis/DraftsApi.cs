using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public sealed record DraftItem(string PfaId, JsonObject Changes, string? ChangeReason);
public sealed record SaveDraftsRequest(string? SessionId, IReadOnlyList<DraftItem> Items);
public sealed record DraftItemError(int Index, string PfaId, IDictionary<string, string[]> Errors);
public sealed record SaveDraftsResponse(int Saved, int Removed, IReadOnlyList<DraftItemError> Errors);

/// <summary>A bulk edit on a selection (<see cref="PfaIds"/>) or on everything matching <see cref="Filter"/>.</summary>
public sealed record BulkRequest(BulkKind Operation, string[]? PfaIds, BulkFilter? Filter, int? Days, DateOnly? Start, DateOnly? End,
    decimal? Amount, string? Value, string? Class, string? SessionId, int? Months = null);
public sealed record BulkFilter(string[]? Category, string[]? Class, string[]? Source, string[]? Dor, string[]? AreaSilo, string[]? Status,
    DateOnly? ForecastStartFrom, DateOnly? ForecastStartTo, string? Search, bool? ChangedOnly,
    DateOnly? ForecastEndFrom = null, DateOnly? ForecastEndTo = null);
/// <summary><see cref="SkippedReasons"/> counts skipped lines by reason (<c>dateOutOfRange</c>, <c>notEligible</c>).</summary>
public sealed record BulkResponse(int Matched, int Changed, int Removed, int Skipped, IReadOnlyDictionary<string, int>? SkippedReasons = null);
/// <summary>
/// A bulk edit's impact before it is applied: <see cref="Changing"/> of the <see cref="Eligible"/> lines get a different delta;
/// forecast cost of the eligible lines (KPI rules, with my drafts) now and after.
/// </summary>
/// <summary>Forecast cost figures are null for a caller without ViewFinancials.</summary>
/// <summary><see cref="SkippedLines"/>: the first skipped lines (by PFA id) with the rule that skipped each.</summary>
public sealed record BulkPreviewResponse(int Matched, int Eligible, int Changing, int Skipped, decimal? ForecastBefore, decimal? ForecastAfter, decimal? ForecastImpact,
    IReadOnlyDictionary<string, int>? SkippedReasons = null, IReadOnlyList<SkippedLine>? SkippedLines = null);

public sealed record DiscardRequest(bool All, string[]? PfaIds, string? SessionId);
public sealed record DiscardResponse(int Discarded);
public sealed record CommitRequest(string? SessionId);
public sealed record JournalEntryDto(long Id, string Label, string State, int Lines, DateTimeOffset At);
/// <summary>The caller's undo stack (newest first) and redo stack (next first), with the labels the buttons show.</summary>
public sealed record DraftHistoryResponse(string? UndoLabel, string? RedoLabel, IReadOnlyList<JournalEntryDto> Undo, IReadOnlyList<JournalEntryDto> Redo);
/// <summary>An undo or redo: lines restored; lines committed or changed meanwhile are left untouched and named in <see cref="Message"/>.</summary>
public sealed record ReplayResponse(string Label, int Restored, int Skipped, IReadOnlyList<string> SkippedPfaIds, string Message);
public sealed record ConflictDto(string PfaId, string[] Fields);
public sealed record CommitResponse(int Committed, int Conflicts, IReadOnlyList<ConflictDto> ConflictDetails);

public static class DraftsApi
{
    public const int MaxBatch = 5000;

    public static IEndpointRouteBuilder MapDraftsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}").WithTags("Drafts").RequireAuthorization().WithStandardProblems();
        group.MapPost("/drafts", Save).WithSummary("Save draft edits in a batch; invalid items are reported per item and never block the valid ones.");
        group.MapPost("/drafts/bulk", Bulk).WithSummary("Set-based bulk edit (shift by days or months, set dates/duration/rate/price/source/DOR/category, discontinue, reset to plan).");
        group.MapPost("/drafts/bulk/preview", BulkPreview).WithSummary("The impact of a bulk edit without applying it: lines affected and skipped, forecast cost before and after.");
        group.MapPost("/drafts/discard", Discard).WithSummary("Discard drafts: all, by PFA ids, or by session.");
        group.MapPost("/drafts/undo", Undo).WithSummary("Undo my last draft operation (save, bulk edit or discard) in one transaction; lines committed meanwhile are not touched.");
        group.MapPost("/drafts/redo", Redo).WithSummary("Redo my last undone draft operation; a new edit clears the redo stack.");
        group.MapGet("/drafts/history", History).WithSummary("My undo and redo stacks (at most 50 operations), with labels such as \"Shift 600 lines +14 d\".");
        group.MapGet("/drafts/writeback", WriteBack).WithSummary("Write-back state of my committed lines (queued, syncing, synced, conflict, failed) changed in the last `hours` (default 24).");
        group.MapPost("/commit", Commit).WithSummary("Commit drafts to the write-back outbox, detecting conflicts with PEMS changes.");
        return app;
    }

    public static async Task<Results<Ok<SaveDraftsResponse>, ValidationProblem, ProblemHttpResult>> Save(
        string orgCode, SaveDraftsRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        if (request.Items is null || request.Items.Count == 0 || request.Items.Count > MaxBatch)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["items"] = [$"Between 1 and {MaxBatch} items."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        // Whoever may not see a rate or price may not set one either (the whole batch is refused, naming the field).
        if (!ctx.CanViewFinancials)
            for (var i = 0; i < request.Items.Count; i++)
                if (request.Items[i].Changes?.Select(c => c.Key).FirstOrDefault(FinancialMask.IsFinancial) is { } field)
                    return FinancialProblems.Hidden($"items[{i}].changes.{field}");

        await using var session = await access.BeginAsync(ctx, ct);
        var check = await DraftSaving.CheckAsync(session, request.Items, ct);
        var (saved, removed) = await DraftSaving.WriteAsync(session, check, request.SessionId, n => SaveLabel(request.Items, check.Pending.Count, n), ct);
        await session.CommitAsync(ct);
        if (saved + removed > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, saved, removed });
        return TypedResults.Ok(new SaveDraftsResponse(saved, removed, check.Errors));
    }

    public static async Task<Results<Ok<BulkResponse>, ValidationProblem, ProblemHttpResult>> Bulk(
        string orgCode, BulkRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var (op, errors) = ReadBulk(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        if (!ctx.CanViewFinancials && request.Operation is BulkKind.SetRate or BulkKind.SetPrice) return FinancialProblems.Hidden("operation");

        await using var session = await access.BeginAsync(ctx, ct);
        var journal = await DraftJournal.BeginAsync(session, ct);
        var result = await BulkOps.ApplyAsync(session, Selection(request), op, request.SessionId, ct);
        await DraftJournal.EndAsync(session, journal, n => BulkLabel(op, n), ct);
        var changed = result.Saved + result.Removed > 0;
        if (changed) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (changed) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, bulk = request.Operation.ToString(), result.Saved });
        return TypedResults.Ok(new BulkResponse(result.Matched, result.Saved, result.Removed, result.Skipped, result.SkippedReasons));
    }

    public static async Task<Results<Ok<BulkPreviewResponse>, ValidationProblem, ProblemHttpResult>> BulkPreview(
        string orgCode, BulkRequest request, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (op, errors) = ReadBulk(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;

        await using var session = await access.BeginAsync(ctx, ct); // read-only: disposed without commit
        if (!ctx.CanViewFinancials && request.Operation is BulkKind.SetRate or BulkKind.SetPrice) return FinancialProblems.Hidden("operation");
        var p = await BulkOps.PreviewAsync(session, Selection(request), op, ct);
        var money = ctx.CanViewFinancials;
        return TypedResults.Ok(new BulkPreviewResponse(p.Matched, p.Eligible, p.Changing, p.Skipped,
            FinancialMask.Amount(p.ForecastBefore, money), FinancialMask.Amount(p.ForecastAfter, money), FinancialMask.Amount(p.ForecastImpact, money), p.SkippedReasons,
            p.SkippedLines));
    }

    /// <summary>The request's operation, validated field by field (apply and preview accept exactly the same requests).</summary>
    private static (BulkOperation Op, Dictionary<string, string[]> Errors) ReadBulk(BulkRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        // A number outside the enum (only reachable if a client binds by number) is the client's error, never a 500.
        if (!Enum.IsDefined(request.Operation))
            errors["operation"] = [$"One of {string.Join(", ", Enum.GetNames<BulkKind>())}."];
        if (request.PfaIds is not { Length: > 0 } && request.Filter is null) errors["pfaIds"] = ["Give a selection (pfaIds) or a filter."];
        if (request.PfaIds is { Length: > 50_000 }) errors["pfaIds"] = ["At most 50000 ids."];
        var op = new BulkOperation(request.Operation)
        {
            Days = request.Days ?? 0, Months = request.Months ?? 0, Start = request.Start, End = request.End, Amount = request.Amount,
            Text = request.Value, Class = request.Class,
        };
        switch (request.Operation)
        {
            case BulkKind.ShiftForecast when request.Days is > 3650 or < -3650:
                errors["days"] = ["Within ±3650 days."]; break;
            case BulkKind.ShiftForecast when request.Months is > 120 or < -120:
                errors["months"] = ["Within ±120 months."]; break;
            case BulkKind.ShiftForecast when (request.Days ?? 0) == 0 && (request.Months ?? 0) == 0:
                errors["days"] = ["A non-zero number of days (or months)."]; break;
            case BulkKind.SetDuration when request.Days is null or < 1 or > 3650:
                errors["days"] = ["A duration of 1 to 3650 days."]; break;
            case BulkKind.SetForecastDates when request.Start is null && request.End is null:
                errors["start"] = ["Give start, end or both."]; break;
            case BulkKind.SetForecastDates when request.Start > request.End:
                errors["end"] = ["End must be on or after start."]; break;
            // The same field rules as a single edit (FieldRules): a bulk edit never stores what one line at a time would refuse.
            case BulkKind.SetRate or BulkKind.SetPrice when request.Amount is null:
                errors["amount"] = ["Zero or more."]; break;
            case BulkKind.SetRate or BulkKind.SetPrice when FieldRules.MoneyError(request.Amount.Value) is { } moneyError:
                errors["amount"] = [moneyError]; break;
            case BulkKind.SetSource when FieldRules.TryParseName<PfaSource>(request.Value, out var source):
                op = op with { Text = source.ToString() }; break;
            case BulkKind.SetSource:
                errors["value"] = ["Rental or Purchase."]; break;
            case BulkKind.SetDor when FieldRules.TryParseName<Dor>(request.Value, out var dor):
                op = op with { Text = dor.ToString() }; break;
            case BulkKind.SetDor:
                errors["value"] = ["BEO or PROJECT."]; break;
            case BulkKind.SetCategory when string.IsNullOrWhiteSpace(request.Value):
                errors["value"] = ["A category code."]; break;
            case BulkKind.SetCategory:
                if (FieldRules.TextError(request.Value.Trim()) is { } valueError) errors["value"] = [valueError];
                if (request.Class is not null && FieldRules.TextError(request.Class.Trim()) is { } classError) errors["class"] = [classError];
                op = op with { Text = request.Value.Trim(), Class = request.Class?.Trim() };
                break;
        }
        return (op, errors);
    }

    private static PfaFilter Selection(BulkRequest request)
    {
        var f = request.Filter;
        return new PfaFilter
        {
            PfaIds = request.PfaIds,
            Category = f?.Category, Class = f?.Class, Source = f?.Source, Dor = f?.Dor, AreaSilo = f?.AreaSilo, Status = f?.Status,
            ForecastStartFrom = f?.ForecastStartFrom, ForecastStartTo = f?.ForecastStartTo, ForecastEndFrom = f?.ForecastEndFrom,
            ForecastEndTo = f?.ForecastEndTo, Search = f?.Search, ChangedOnly = f?.ChangedOnly ?? false,
        };
    }

    public static async Task<Results<Ok<DiscardResponse>, ValidationProblem, ProblemHttpResult>> Discard(
        string orgCode, DiscardRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        if (!request.All && request.PfaIds is not { Length: > 0 } && string.IsNullOrEmpty(request.SessionId))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["all"] = ["Say all=true, or give pfaIds or a sessionId."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var journal = await DraftJournal.BeginAsync(session, ct);
        var n = await PfaStore.DiscardAsync(session, request.All ? null : request.PfaIds, request.All ? null : request.SessionId, ct);
        await DraftJournal.EndAsync(session, journal, lines => $"Discard {Lines(lines)}", ct);
        if (n > 0) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (n > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsDiscarded, new { user = ctx.UserId, discarded = n });
        return TypedResults.Ok(new DiscardResponse(n));
    }

    public static async Task<Results<Ok<CommitResponse>, ProblemHttpResult>> Commit(
        string orgCode, CommitRequest request, ClaimsPrincipal user, OrgAccess access, EventPublisher events, HttpContext http, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Commit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var result = await PfaStore.CommitAsync(session, request.SessionId, ctx.UserName, ct);
        await DraftJournal.ForgetCommittedAsync(session, ct);
        // In the commit's transaction: the row exists exactly when the commit does.
        await AuditTrail.RecordAsync(session, new AuditEntry(AuditActions.Commit, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "pfa_modification",
            Details: new { lines = result.Committed, conflicts = result.Conflicts }, Ip: http.ClientIp()), ct);
        await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsCommitted, new { user = ctx.UserId, result.Committed, result.Conflicts });
        return TypedResults.Ok(new CommitResponse(result.Committed, result.Conflicts,
            result.ConflictDetails.Select(c => new ConflictDto(c.PfaId, c.Fields)).ToList()));
    }

    public static Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> Undo(
        string orgCode, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct) =>
        ReplayAsync(orgCode, undo: true, user, access, events, ct);

    public static Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> Redo(
        string orgCode, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct) =>
        ReplayAsync(orgCode, undo: false, user, access, events, ct);

    private static async Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> ReplayAsync(
        string orgCode, bool undo, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Edit, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var replay = undo ? await DraftJournal.UndoAsync(session, ct) : await DraftJournal.RedoAsync(session, ct);
        if (replay is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: undo ? "Nothing to undo." : "Nothing to redo.");
        if (replay.Restored > 0) await PfaStore.BumpDraftVersionAsync(session, ct);
        await session.CommitAsync(ct);
        if (replay.Restored > 0)
            await events.PublishAsync(ctx.OrganizationCode, "drafts-saved", new { user = ctx.UserId, replay = undo ? "undo" : "redo", restored = replay.Restored });
        var verb = undo ? "Undid" : "Redid";
        var message = replay.Skipped == 0
            ? $"{verb} \"{replay.Label}\" ({Lines(replay.Restored)})."
            : $"{verb} \"{replay.Label}\" on {Lines(replay.Restored)}; {Lines(replay.Skipped)} left untouched because committed or changed meanwhile ({string.Join(", ", replay.SkippedPfaIds)}{(replay.Skipped > replay.SkippedPfaIds.Count ? ", …" : "")}).";
        return TypedResults.Ok(new ReplayResponse(replay.Label, replay.Restored, replay.Skipped, replay.SkippedPfaIds, message));
    }

    public static async Task<Results<Ok<DraftHistoryResponse>, ProblemHttpResult>> History(
        string orgCode, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var entries = await DraftJournal.HistoryAsync(session, ct);
        await session.CommitAsync(ct);
        JournalEntryDto Dto(JournalEntryInfo e) => new(e.Id, e.Label, e.State, e.Lines, e.CreatedAt);
        var undoStack = entries.Where(e => e.State == DraftJournalState.Done).Select(Dto).ToList();
        var redoStack = entries.Where(e => e.State == DraftJournalState.Undone).Select(Dto).ToList();
        return TypedResults.Ok(new DraftHistoryResponse(undoStack.FirstOrDefault()?.Label, redoStack.FirstOrDefault()?.Label, undoStack, redoStack));
    }

    public static async Task<Results<Ok<IReadOnlyList<WriteBackLine>>, ValidationProblem, ProblemHttpResult>> WriteBack(
        string orgCode, int? hours, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        if (hours is < 1 or > 24 * 30)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["hours"] = ["Between 1 and 720."] });
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var lines = await WriteBackStatus.MineAsync(session, DateTimeOffset.UtcNow.AddHours(-(hours ?? 24)), MaxBatch, ct);
        await session.CommitAsync(ct);
        return TypedResults.Ok(lines);
    }

    internal static string Lines(int n) => n == 1 ? "1 line" : $"{n.ToString("N0", CultureInfo.InvariantCulture)} lines";

    private static string SaveLabel(IReadOnlyList<DraftItem> items, int validLines, int touched)
    {
        var fields = items.SelectMany(i => i.Changes?.Select(c => c.Key) ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var what = fields.Count is > 0 and <= 3 ? string.Join(", ", fields.Select(Pfa.Domain.PfaColumns.LabelOf)) : "fields";
        var ids = items.Select(i => i.PfaId).Distinct().ToList();
        return ids.Count == 1 && validLines == 1 ? $"Edit {what} of {ids[0]}" : $"Edit {what} on {Lines(touched)}";
    }

    private static string BulkLabel(BulkOperation op, int n) => op.Kind switch
    {
        BulkKind.ShiftForecast => $"Shift {Lines(n)} " + string.Join(" ", new[]
            {
                op.Months == 0 ? null : $"{op.Months.ToString("+0;-0", CultureInfo.InvariantCulture)} mo",
                op.Days == 0 ? null : $"{op.Days.ToString("+0;-0", CultureInfo.InvariantCulture)} d",
            }.OfType<string>()),
        BulkKind.SetDuration => $"Set duration {op.Days} d on {Lines(n)}",
        BulkKind.SetForecastDates => $"Set dates {op.Start?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "…"} → {op.End?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "…"} on {Lines(n)}",
        BulkKind.SetRate => $"Set rate {op.Amount?.ToString("N2", CultureInfo.InvariantCulture)} on {Lines(n)}",
        BulkKind.SetPrice => $"Set price {op.Amount?.ToString("N2", CultureInfo.InvariantCulture)} on {Lines(n)}",
        BulkKind.SetSource => $"Set source {op.Text} on {Lines(n)}",
        BulkKind.SetDor => $"Set DOR {op.Text} on {Lines(n)}",
        BulkKind.SetCategory => $"Set category {op.Text} on {Lines(n)}",
        BulkKind.Discontinue => $"Discontinue {Lines(n)}",
        BulkKind.ResetToPlan => $"Reset {Lines(n)} to plan",
        _ => $"{op.Kind} on {Lines(n)}",
    };
}
