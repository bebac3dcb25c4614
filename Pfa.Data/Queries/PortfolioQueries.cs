using Npgsql;

namespace Pfa.Data.Queries;

/// <summary>One organization's committed KPI figures by source, and how fresh its mirror is.</summary>
public sealed record PortfolioRow(Guid OrganizationId, string Code, string Name, long MirrorVersion, string? Source,
    long Lines, decimal Plan, decimal Forecast, decimal Actual);

public sealed record PortfolioSync(Guid OrganizationId, string Status, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt, string? Error,
    DateTimeOffset? LastSucceededAt);

/// <summary>
/// The cross-organization (BEO analyst) view. Runs inside a <see cref="TenantSession"/> opened for every organization the
/// caller may see, so row-level security still bounds what the queries return. Committed figures only: drafts are per user
/// and per organization.
/// </summary>
public static class PortfolioQueries
{
    public static async Task<IReadOnlyList<PortfolioRow>> KpisAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            SELECT o.id, o.code, o.name, o.mirror_version, k.source,
                   coalesce(sum(k.line_count), 0)::bigint, coalesce(sum(k.plan_cost), 0), coalesce(sum(k.forecast_cost), 0), coalesce(sum(k.actual_cost), 0)
            FROM organizations o
            LEFT JOIN pfa_kpi_groups_tenant k ON k.organization_id = o.id
            WHERE o.is_active AND o.id = ANY(pfa_current_orgs())
            GROUP BY o.id, o.code, o.name, o.mirror_version, k.source
            ORDER BY o.code, k.source
            """);
        var rows = new List<PortfolioRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new PortfolioRow(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetInt64(5), r.GetDecimal(6), r.GetDecimal(7), r.GetDecimal(8)));
        return rows;
    }

    /// <summary>Latest finished (or running) read sync per organization, and when one last succeeded.</summary>
    public static async Task<IReadOnlyList<PortfolioSync>> LastSyncsAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            SELECT DISTINCT ON (l.organization_id) l.organization_id, l.status, l.started_at, l.completed_at, l.error_message,
                   (SELECT max(ok.completed_at) FROM sync_log ok
                    WHERE ok.organization_id = l.organization_id AND ok.direction = 'read' AND ok.status = 'completed')
            FROM sync_log l
            WHERE l.direction = 'read' AND l.status IN ('running', 'completed', 'failed')
            ORDER BY l.organization_id, l.started_at DESC, l.id DESC
            """);
        var rows = new List<PortfolioSync>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new PortfolioSync(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2),
                r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5)));
        return rows;
    }

    /// <summary>Every active organization, for opening a cross-organization session.</summary>
    public static async Task<(Guid Id, long MirrorVersion)[]> ActiveOrganizationsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, mirror_version FROM organizations WHERE is_active ORDER BY id");
        var list = new List<(Guid, long)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetGuid(0), r.GetInt64(1)));
        return [.. list];
    }
}
