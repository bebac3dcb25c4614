using System.Text.Json.Nodes;
using Pfa.Domain;
using Pfa.Web.Api;

namespace Pfa.Web.State;

/// <summary>A read sync in flight, from the worker's progress events: pages read, rows fetched, PEMS's total when it gave one.</summary>
public sealed record SyncProgress(long SyncId, string Kind, int Pages, int Fetched, long? Total)
{
    /// <summary>0–100 when the total is known, else null (an indeterminate bar).</summary>
    public double? Percent => Total is > 0 ? Math.Min(100, Fetched * 100.0 / Total.Value) : null;
}

/// <summary>
/// Sync status of the current organization for one circuit: the API's status (history, next run, conflicts) refreshed
/// when live events say it changed, and the progress of a running sync straight from its events.
/// </summary>
public sealed class SyncMonitor : IDisposable
{
    private readonly PfaApiClient _api;
    private readonly LiveEvents _live;

    public SyncMonitor(PfaApiClient api, LiveEvents live)
    {
        (_api, _live) = (api, live);
        _live.Received += OnEvent;
    }

    public string? Org { get; private set; }
    public SyncStatus? Status { get; private set; }
    public SyncProgress? Progress { get; private set; }
    public string? Error { get; private set; }
    public event Action? Changed;

    public async Task OpenAsync(string org)
    {
        if (!string.Equals(Org, org, StringComparison.OrdinalIgnoreCase)) (Status, Progress) = (null, null);
        Org = org;
        _live.Watch(org);
        await RefreshAsync();
    }

    public async Task RefreshAsync()
    {
        if (Org is not { } org) return;
        try
        {
            var status = await _api.SyncStatusAsync(org);
            if (!string.Equals(org, Org, StringComparison.OrdinalIgnoreCase)) return; // switched meanwhile
            Status = status;
            Error = null;
            // A run the API no longer reports as running has finished (its sync-finished event may have been missed).
            if (Progress is not null && status.Running?.Id != Progress.SyncId) Progress = null;
        }
        catch (PfaApiException e) { Error = e.Describe(); }
        Changed?.Invoke();
    }

    /// <summary>Folds one event into the state; returns whether the API's status should be re-read.</summary>
    public static (SyncProgress? Progress, bool Reload) Apply(SyncProgress? progress, LiveEvent e)
    {
        var p = e.Payload;
        return e.Type switch
        {
            PfaEvents.SyncStarted => (new SyncProgress(Long(p, "syncId"), Str(p, "kind"), 0, 0, null), true),
            PfaEvents.SyncProgress => (new SyncProgress(Long(p, "syncId"), Str(p, "kind"), (int)Long(p, "pages"), (int)Long(p, "fetched"),
                p?["total"] is JsonValue t ? t.GetValue<long>() : null), false),
            PfaEvents.SyncFinished => (null, true),
            PfaEvents.OrganizationSynced or PfaEvents.SyncRequested or PfaEvents.ConflictResolved or PfaEvents.DraftsCommitted
                or PfaEvents.WriteBackState or PfaEvents.Connected => (progress, true),
            _ => (progress, false),
        };
    }

    private void OnEvent(LiveEvent e)
    {
        if (e.Org is { } org && !string.Equals(org, Org, StringComparison.OrdinalIgnoreCase)) return;
        var (progress, reload) = Apply(Progress, e);
        var changed = progress != Progress;
        Progress = progress;
        if (reload) _ = RefreshAsync();
        else if (changed) Changed?.Invoke();
    }

    private static long Long(JsonObject? o, string key) => o?[key] is JsonValue v ? v.GetValue<long>() : 0;
    private static string Str(JsonObject? o, string key) => o?[key] is JsonValue v ? v.ToString() : "";

    public void Dispose() => _live.Received -= OnEvent;
}
