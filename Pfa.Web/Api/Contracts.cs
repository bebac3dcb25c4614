using System.Text.Json.Nodes;
using Pfa.Domain;

namespace Pfa.Web.Api;

// The web app's view of Pfa.Api's JSON (camelCase, enums as names). Kept here so the web never references the API project.

/// <summary>While <see cref="MustChangePassword"/> is set the API opens only the password change (and /me).</summary>
public sealed record LoginResult(string AccessToken, string TokenType, DateTimeOffset ExpiresAt, bool MustChangePassword = false);
public sealed record Membership(string Code, string Name, string Role, bool CanEdit, bool CanCommit, bool CanViewFinancials = true,
    IReadOnlyList<string>? Permissions = null)
{
    public bool Has(string permission) => Permissions?.Contains(permission) == true;
}
public sealed record MeResult(Guid Id, string Username, string DisplayName, string? Email, IReadOnlyList<Membership> Organizations,
    bool CanViewPortfolio = false, bool IsSystemAdmin = false, bool MustChangePassword = false)
{
    /// <summary>System admins read the whole trail; ViewAudit holders their organizations'.</summary>
    public bool CanViewAudit => IsSystemAdmin || Organizations.Any(o => o.Has("ViewAudit"));
    /// <summary>System admins manage every user; ManageUsers holders the members of their organizations.</summary>
    public bool CanManageUsers => IsSystemAdmin || Organizations.Any(o => o.Has("ManageUsers"));
}

/// <summary>A grid row; <see cref="BaseValues"/> is, per changed field, the PEMS value my draft started from.</summary>
public sealed record PfaRow(string PfaId, string DraftState, string[] ChangedFields, PfaRecord Record, JsonObject? BaseValues = null)
{
    public bool IsChanged(string field) => ChangedFields.Contains(field, StringComparer.OrdinalIgnoreCase);
}
public sealed record PfaPage(IReadOnlyList<PfaRow> Items, string? NextCursor, long? Total, bool TotalIsEstimate);

public sealed record KpiFigures(long Lines, decimal Plan, decimal Forecast, decimal Actual, decimal Variance, decimal? VariancePercent);
public sealed record KpiGroup(string Group, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase);
public sealed record KpiResult(bool IncludesDrafts, string? GroupBy, KpiFigures Total, KpiFigures Rental, KpiFigures Purchase,
    IReadOnlyList<KpiGroup>? Groups, long MirrorVersion, bool Cached);

/// <summary>Operation names of <c>POST /drafts/bulk</c>.</summary>
public static class BulkOps
{
    public const string ShiftForecast = "ShiftForecast";
    public const string SetForecastDates = "SetForecastDates";
    public const string SetDuration = "SetDuration";
    public const string SetRate = "SetRate";
    public const string SetPrice = "SetPrice";
    public const string SetSource = "SetSource";
    public const string SetDor = "SetDor";
    public const string SetCategory = "SetCategory";
    public const string Discontinue = "Discontinue";
    public const string ResetToPlan = "ResetToPlan";
}

public sealed record BulkFilter(string[]? Category, string[]? Class, string[]? Source, string[]? Dor, string[]? AreaSilo, string[]? Status,
    DateOnly? ForecastStartFrom, DateOnly? ForecastStartTo, string? Search, bool? ChangedOnly, DateOnly? ForecastEndFrom = null, DateOnly? ForecastEndTo = null);
public sealed record BulkCommand(string Operation, string[]? PfaIds, BulkFilter? Filter = null, int? Days = null, DateOnly? Start = null,
    DateOnly? End = null, decimal? Amount = null, string? Value = null, string? SessionId = null, int? Months = null);
public sealed record BulkResult(int Matched, int Changed, int Removed, int Skipped);
/// <summary>The forecast figures are null for a member without ViewFinancials.</summary>
public sealed record BulkPreview(int Matched, int Eligible, int Changing, int Skipped, decimal? ForecastBefore, decimal? ForecastAfter, decimal? ForecastImpact,
    IReadOnlyList<SkippedLine>? SkippedLines = null);
/// <summary>A line a bulk edit skips: its PFA id and the rule (or "dateOutOfRange").</summary>
public sealed record SkippedLine(string PfaId, string Reason);
public sealed record DiscardResult(int Discarded);
public sealed record CommitConflict(string PfaId, string[] Fields);
public sealed record CommitResult(int Committed, int Conflicts, IReadOnlyList<CommitConflict> ConflictDetails);

/// <summary>One sync_log row. <c>fetched</c>/<c>rejected</c> are the API's names for rows read from PEMS and rows refused.</summary>
public sealed record SyncRun(long Id, string Direction, string Kind, string Status, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    long? DurationMs, int Fetched, int Inserted, int Updated, int Unchanged, int Deleted, int Rejected, string? ErrorMessage, string? TriggeredBy)
{
    public bool IsRead => Direction == "read";
    public bool IsFinished => Status is "completed" or "failed";
}
public sealed record SyncStatus(string Organization, long MirrorVersion, long MirrorLines, int PendingWriteBack, int Conflicts,
    IReadOnlyList<SyncRun> History, DateTimeOffset? NextRunAt)
{
    /// <summary>The latest finished read (newest first in <see cref="History"/>).</summary>
    public SyncRun? LastRead => History.FirstOrDefault(r => r.IsRead && r.IsFinished);
    public SyncRun? Running => History.FirstOrDefault(r => r.IsRead && r.Status == "running");
    public bool Requested => History.Any(r => r.IsRead && r.Status == "requested");
}
public sealed record MonthlyCostResult(bool IncludesDrafts, IReadOnlyList<MonthCost> Months);
public sealed record SyncTriggerResult(long RequestId, bool AlreadyRequested);

/// <summary>A committed change of mine that collided with a PEMS edit: per field my value, PEMS's value now and the base both started from.</summary>
public sealed record ConflictItem(string PfaId, string[] Fields, System.Text.Json.Nodes.JsonObject Mine, System.Text.Json.Nodes.JsonObject Base,
    System.Text.Json.Nodes.JsonObject Pems);
/// <summary><c>KeepMine</c>, <c>TakePems</c> or <c>Merge</c> (with the fields whose draft value wins).</summary>
public sealed record ResolveConflictCommand(string Strategy, string[]? KeepMine);
public sealed record ResolveConflictResult(string PfaId, string Outcome);

/// <summary>One row of <c>GET /api/audit</c>.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, Guid? UserId, string? ActorName, string? Organization, string Action, string Outcome,
    string? Entity, string? EntityId, JsonObject? Details, string? Ip);
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);
/// <summary>Filters of the audit page (and its CSV download), as the API's query string.</summary>
public sealed record AuditFilter(string? Org = null, string? User = null, string? Action = null, string? Outcome = null,
    DateTime? From = null, DateTime? To = null)
{
    public string ToQueryString(string? cursor = null, int? limit = null)
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrWhiteSpace(value)) parts.Add($"{key}={Uri.EscapeDataString(value.Trim())}"); }
        Add("org", Org); Add("user", User); Add("action", Action); Add("outcome", Outcome);
        Add("from", From?.ToString("yyyy-MM-dd'T'00:00:00'Z'", System.Globalization.CultureInfo.InvariantCulture));
        // "to" is inclusive on the page: the API's bound is exclusive, so the next midnight.
        Add("to", To?.AddDays(1).ToString("yyyy-MM-dd'T'00:00:00'Z'", System.Globalization.CultureInfo.InvariantCulture));
        Add("cursor", cursor);
        if (limit is { } l) parts.Add($"limit={l}");
        return string.Join('&', parts);
    }
}

/// <summary>One event of <c>GET /events</c>: <c>{type, org, at, payload}</c> (see Pfa.Domain.PfaEvents).</summary>
public sealed record LiveEvent(string Type, string? Org, DateTimeOffset At, System.Text.Json.Nodes.JsonObject? Payload);
public sealed record SaveItem(string PfaId, JsonObject Changes);
public sealed record SaveItemError(int Index, string PfaId, IReadOnlyDictionary<string, string[]> Errors);
public sealed record SaveResult(int Saved, int Removed, IReadOnlyList<SaveItemError> Errors);

/// <summary>One undoable operation of mine (<c>GET /drafts/history</c>).</summary>
public sealed record JournalEntry(long Id, string Label, string State, int Lines, DateTimeOffset At);
public sealed record DraftHistory(string? UndoLabel, string? RedoLabel, IReadOnlyList<JournalEntry> Undo, IReadOnlyList<JournalEntry> Redo)
{
    public static readonly DraftHistory Empty = new(null, null, [], []);
}
public sealed record ReplayResult(string Label, int Restored, int Skipped, IReadOnlyList<string> SkippedPfaIds, string Message);

/// <summary>Write-back state of one of my committed lines (<c>GET /drafts/writeback</c>).</summary>
public sealed record WriteBackLine(string PfaId, string State, string[] Fields, string[] ConflictFields, string? LastError,
    DateTimeOffset? CommittedAt, DateTimeOffset UpdatedAt, bool MirrorCurrent = true);
