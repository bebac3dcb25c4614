namespace Pfa.Domain;

/// <summary>
/// The live events of an organization: one Redis channel per organization, JSON <c>{type, org, at, payload}</c>, relayed
/// to the browser by the API's <c>/events</c> stream. A payload with a <c>user</c> (a user id) concerns that user alone.
/// </summary>
public static class PfaEvents
{
    public static string Channel(string orgCode) => $"pfa:events:{orgCode}";

    // Sync worker: read sync.
    public const string SyncStarted = "sync-started";
    public const string SyncProgress = "sync-progress";
    public const string SyncFinished = "sync-finished";
    public const string OrganizationSynced = "organization-synced";
    // Sync worker: write-back of one line (payload: pfaId, user, state).
    public const string WriteBackState = "writeback-state";
    // API.
    public const string SyncRequested = "sync-requested";
    public const string DraftsSaved = "drafts-saved";
    public const string DraftsDiscarded = "drafts-discarded";
    public const string DraftsCommitted = "drafts-committed";
    public const string ConflictResolved = "conflict-resolved";
    // The /events stream itself.
    public const string Connected = "connected";
    public const string Heartbeat = "heartbeat";
}
