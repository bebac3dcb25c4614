namespace Pfa.SyncWorker;

/// <summary>Section "Sync": schedule and batch knobs of the read sync.</summary>
public sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>Scheduled run interval for every organization unless <see cref="Organizations"/> overrides it.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A run becomes a full reconciliation (keyset read of everything, tombstones) once this has passed since the last one.</summary>
    public TimeSpan FullReconciliationInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Incremental reads start this much before the PEMS high-water mark, so rows committed out of stamp order are not missed.</summary>
    public TimeSpan IncrementalOverlap { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the worker looks for due organizations and manual requests from the API.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Rows asked per PEMS page; one page is one upsert batch (one transaction). PEMS's maximum: fewer round trips, and PEMS
    /// filters and sorts the whole organization for every page it serves.
    /// </summary>
    public int PageSize { get; set; } = Pfa.Pems.Grid.CupfagGrid.MaxPageSize;

    /// <summary>At most this many rejected rows are listed (with reasons) in sync_log.error_details; the count is always exact.</summary>
    public int MaxRejectionsLogged { get; set; } = 200;

    /// <summary>Per-organization overrides keyed by organization code, e.g. Sync:Organizations:RIO:Interval = 00:05:00.</summary>
    public Dictionary<string, OrganizationSyncOptions> Organizations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public TimeSpan IntervalFor(string organizationCode) =>
        Organizations.TryGetValue(organizationCode, out var o) && o.Interval is { } i ? i : Interval;

    /// <summary>The schedule a system admin set on the organization (organizations.sync_interval_minutes) wins over configuration.</summary>
    public TimeSpan IntervalFor(string organizationCode, int? organizationMinutes) =>
        organizationMinutes is { } m ? TimeSpan.FromMinutes(m) : IntervalFor(organizationCode);
}

public sealed class OrganizationSyncOptions
{
    public TimeSpan? Interval { get; set; }
}
