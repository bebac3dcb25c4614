namespace Pfa.Data;

/// <summary>Roles per organization membership (pfa-domain.md §1 role templates).</summary>
public enum OrgRole { Viewer, Editor, PortfolioManager, BeoAnalyst, Admin }

/// <summary>Role shorthands over <see cref="Permissions.Template"/> (the API checks effective permissions, overrides included).</summary>
public static class OrgRoleRules
{
    public static bool CanEdit(this OrgRole role) => Permissions.Template(role).HasFlag(Permission.Edit);
    public static bool CanCommit(this OrgRole role) => Permissions.Template(role).HasFlag(Permission.Commit);
    /// <summary>The BEO analysts' cross-organization portfolio (read-only, committed figures): perm_ViewAllOrgs of the original.</summary>
    public static bool CanViewAllOrganizations(this OrgRole role) => Permissions.Template(role).HasFlag(Permission.ViewAllOrganizations);
    public static bool CanAdminister(this OrgRole role) => Permissions.Template(role).HasFlag(Permission.ManageOrganization);
}

/// <summary>Life of a delta. Open states (all but synced/failed) allow at most one row per user per record.</summary>
public static class ModificationState
{
    public const string Draft = "draft", Committed = "committed", Queued = "queued", Syncing = "syncing",
        Synced = "synced", Conflict = "conflict", Failed = "failed";
    public static readonly string[] Open = [Draft, Committed, Queued, Syncing, Conflict];
    public const string OpenSqlList = "'draft','committed','queued','syncing','conflict'";
}

public sealed class Organization
{
    public Guid Id { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool IsActive { get; set; } = true;
    public bool SyncEnabled { get; set; } = true;
    public string ServiceStatus { get; set; } = "active";
    /// <summary>Bumped by the sync whenever at least one mirror row really changed; part of the KPI cache key.</summary>
    public long MirrorVersion { get; set; }
    public DateTimeOffset? LastFullSyncAt { get; set; }
    public DateTimeOffset? LastIncrementalSyncAt { get; set; }
    /// <summary>Scheduled sync interval set by a system admin; null = the worker's configured interval (Sync:Interval).</summary>
    public int? SyncIntervalMinutes { get; set; }
    /// <summary>Role given to a user signing in through SSO without an account; null = SSO never creates accounts here.</summary>
    public OrgRole? SsoAutoProvisionRole { get; set; }
    /// <summary>E-mail domains (lower case, no @) whose unknown SSO users are provisioned into this organization.</summary>
    public string[]? SsoEmailDomains { get; set; }
}

/// <summary>Service status of an organization (pfa-domain.md §6): only active ones are synced and usable.</summary>
public static class OrganizationServiceStatus
{
    public const string Active = "active", Suspended = "suspended", Archived = "archived";
    public static readonly string[] All = [Active, Suspended, Archived];
}

/// <summary>A user's identity at an external OpenID Connect issuer (issuer + subject), linked on first SSO sign-in.</summary>
public sealed class ExternalLogin
{
    public required string Issuer { get; set; }
    public required string Subject { get; set; }
    public Guid UserId { get; set; }
    public string? Email { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSignInAt { get; set; }
}

public sealed class AppUser
{
    public Guid Id { get; set; }
    public required string Username { get; set; }
    public required string DisplayName { get; set; }
    public string? Email { get; set; }
    public required string PasswordHash { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Carried in every token as claim <c>stamp</c>; a new value ends every issued session at once.</summary>
    public Guid SecurityStamp { get; set; } = Guid.NewGuid();
    /// <summary>Set for the bootstrap admin and after an admin sets a temporary password: the API allows only a password change.</summary>
    public bool MustChangePassword { get; set; }
    /// <summary>Global administrator: manages every user and reads every organization's audit trail.</summary>
    public bool IsSystemAdmin { get; set; }
}

public sealed class Membership
{
    public Guid UserId { get; set; }
    public Guid OrganizationId { get; set; }
    public OrgRole Role { get; set; }
    /// <summary>Bumped on every draft write by this user in this organization; part of the KPI cache key.</summary>
    public long DraftVersion { get; set; }
    /// <summary><see cref="Permission"/> bits added to the role's template for this membership.</summary>
    public int PermissionsGranted { get; set; }
    /// <summary><see cref="Permission"/> bits removed from the role's template (wins over granted).</summary>
    public int PermissionsRevoked { get; set; }
}

/// <summary>One row per PEMS line. Typed columns are STORED generated from <see cref="Data"/> (see docs/data-model.md).</summary>
public sealed class PfaMirror
{
    public long Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string PfaId { get; set; }
    public required string Data { get; set; }
    public string? PemsVersion { get; set; }
    public required byte[] ContentHash { get; set; }
    public int MirrorVersion { get; set; } = 1;
    public DateTimeOffset LastSyncedAt { get; set; }
    public long? LastSeenSyncId { get; set; }
    public DateTimeOffset? DeletedInPemsAt { get; set; }
    /// <summary>
    /// Set on a line created in the app and not yet in PEMS (provisional <see cref="PfaId"/> <c>NEW-…</c>): its author, the only user
    /// who sees it (RLS). Cleared by the write-back when PEMS's ADD returned the real PFS_ID.
    /// </summary>
    public Guid? NewLineOwner { get; set; }
}

public sealed class PfaMirrorHistory
{
    public long Id { get; set; }
    public long MirrorId { get; set; }
    public Guid OrganizationId { get; set; }
    public int MirrorVersion { get; set; }
    public required string Data { get; set; }
    public string? PemsVersion { get; set; }
    public required byte[] ContentHash { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public string ChangedBy { get; set; } = "PEMS_SYNC";
}

public sealed class PfaModification
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public long MirrorId { get; set; }
    public Guid UserId { get; set; }
    public string? SessionId { get; set; }
    public required string Changes { get; set; }
    public required string BaseValues { get; set; }
    public int BaseMirrorVersion { get; set; }
    public string? BasePemsVersion { get; set; }
    public string State { get; set; } = ModificationState.Draft;
    public string? ChangeReason { get; set; }
    public string[]? ConflictFields { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CommittedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
}

/// <summary>
/// One undoable draft operation (save, bulk edit, discard) of a user in an organization. <see cref="State"/> is
/// <c>done</c> (on the undo stack) or <c>undone</c> (on the redo stack, cleared by the next edit).
/// </summary>
public sealed class DraftJournalEntry
{
    public long Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid UserId { get; set; }
    public required string Label { get; set; }
    public string State { get; set; } = DraftJournalState.Done;
    public int Lines { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UndoneAt { get; set; }
}

public static class DraftJournalState
{
    public const string Done = "done", Undone = "undone";
}

/// <summary>A line an operation touched: the caller's delta row before and after it (<c>to_jsonb</c> of pfa_modification; null = no draft).</summary>
public sealed class DraftJournalLine
{
    public long EntryId { get; set; }
    public long MirrorId { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
}

/// <summary>Write-back outbox: one row per committed delta, consumed by the SyncWorker.</summary>
public sealed class PfaOutbox
{
    public long Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid ModificationId { get; set; }
    public long MirrorId { get; set; }
    public required string PfaId { get; set; }
    public required string Payload { get; set; }
    public string Status { get; set; } = "pending";
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public string? LastError { get; set; }
}

public sealed class SyncLog
{
    public long Id { get; set; }
    public Guid OrganizationId { get; set; }
    public string Direction { get; set; } = "read";
    public string Kind { get; set; } = "incremental";
    /// <summary>requested (manual trigger, picked up by the worker) | running | completed | failed | skipped.</summary>
    public string Status { get; set; } = "running";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public long? DurationMs { get; set; }
    /// <summary>Rows read from PEMS (read runs) or outbox rows claimed (write-back passes).</summary>
    public int Fetched { get; set; }
    public int Inserted { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }
    public int Deleted { get; set; }
    /// <summary>Malformed rows rejected with their reasons (read runs); failed or conflicting writes (write-back passes).</summary>
    public int Rejected { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorDetails { get; set; }
    public string? TriggeredBy { get; set; }
}

public sealed class AuditLog
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public Guid? UserId { get; set; }
    public Guid? OrganizationId { get; set; }
    public required string Action { get; set; }
    public string? Entity { get; set; }
    public string? EntityId { get; set; }
    public string? Details { get; set; }
    /// <summary><see cref="AuditOutcome"/>: success, failure or denied.</summary>
    public string Outcome { get; set; } = AuditOutcome.Success;
    public string? ActorName { get; set; }
    public string? Ip { get; set; }
}

/// <summary>
/// An organization's own PEMS endpoint and service user; without a row the worker uses its configured default. The
/// password is stored only as ASP.NET Core Data Protection ciphertext (<see cref="PemsConnectionSecrets"/>).
/// </summary>
public sealed class PemsConnection
{
    public Guid OrganizationId { get; set; }
    public required string BaseUrl { get; set; }
    public required string Tenant { get; set; }
    public required string GridId { get; set; }
    public required string ScreenId { get; set; }
    public required string Username { get; set; }
    public string? PasswordProtected { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}
