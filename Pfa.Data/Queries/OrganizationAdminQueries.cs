using Npgsql;

namespace Pfa.Data.Queries;

public sealed record OrganizationAdminRow(Guid Id, string Code, string Name, bool IsActive, bool SyncEnabled, int? SyncIntervalMinutes,
    string ServiceStatus, DateTimeOffset? LastFullSyncAt, DateTimeOffset? LastIncrementalSyncAt, DateTimeOffset? LastSyncStartedAt,
    string? LastSyncStatus, string? LastSyncKind, long LineCount, string? SsoAutoProvisionRole, string[] SsoEmailDomains);

/// <summary>Every organization with its schedule, last read run and line count (from the KPI summaries, not a scan).</summary>
public static class OrganizationAdminQueries
{
    public static async Task<IReadOnlyList<OrganizationAdminRow>> ListAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT o.id, o.code, o.name, o.is_active, o.sync_enabled, o.sync_interval_minutes, o.service_status,
                   o.last_full_sync_at, o.last_incremental_sync_at, l.started_at, l.status, l.kind,
                   coalesce((SELECT sum(k.line_count) FROM pfa_kpi_groups k WHERE k.organization_id = o.id), 0)::bigint,
                   o.sso_auto_provision_role, coalesce(o.sso_email_domains, '{}')
            FROM organizations o
            LEFT JOIN LATERAL (SELECT started_at, status, kind FROM sync_log s
                               WHERE s.organization_id = o.id AND s.direction = 'read' AND s.status <> 'requested'
                               ORDER BY s.started_at DESC LIMIT 1) l ON true
            ORDER BY o.code
            """);
        var rows = new List<OrganizationAdminRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new OrganizationAdminRow(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetBoolean(4),
                r.IsDBNull(5) ? null : r.GetInt32(5), r.GetString(6),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
                r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.IsDBNull(11) ? null : r.GetString(11), r.GetInt64(12), r.IsDBNull(13) ? null : r.GetString(13),
                r.GetFieldValue<string[]>(14)));
        return rows;
    }
}
