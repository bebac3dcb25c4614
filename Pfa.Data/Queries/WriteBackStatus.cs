using Npgsql;

namespace Pfa.Data.Queries;

/// <summary>
/// Where one of my committed lines is on its way to PEMS (committed/queued → syncing → synced, or conflict/failed).
/// <see cref="MirrorCurrent"/> is false while a synced line's mirror row has not yet been re-read from PEMS (the worker marks the
/// delta synced first), so a reader knows the merged values are about to change once more.
/// </summary>
public sealed record WriteBackLine(string PfaId, string State, string[] Fields, string[] ConflictFields, string? LastError,
    DateTimeOffset? CommittedAt, DateTimeOffset UpdatedAt, bool MirrorCurrent);

public static class WriteBackStatus
{
    /// <summary>The caller's committed lines since <paramref name="since"/>, newest first; the latest delta per line only.</summary>
    public static async Task<IReadOnlyList<WriteBackLine>> MineAsync(TenantSession s, DateTimeOffset since, int limit, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            SELECT DISTINCT ON (m.pfa_id) m.pfa_id, d.state, array(SELECT jsonb_object_keys(d.changes)), coalesce(d.conflict_fields, ARRAY[]::text[]),
                   d.last_error, d.committed_at, d.updated_at,
                   -- A write that changed nothing in PEMS leaves the mirror untouched: after 30 s stop waiting for it.
                   d.state <> 'synced' OR m.last_synced_at >= d.updated_at OR d.updated_at < now() - interval '30 seconds'
            FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
            WHERE d.organization_id = @org AND d.user_id = @user AND d.state <> 'draft' AND d.updated_at >= @since
            ORDER BY m.pfa_id, d.updated_at DESC
            """);
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
        cmd.Parameters.AddWithValue("since", since);
        var lines = new List<WriteBackLine>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            lines.Add(new WriteBackLine(r.GetString(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetFieldValue<string[]>(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6), r.GetBoolean(7)));
        return lines.OrderByDescending(l => l.UpdatedAt).Take(limit).ToList();
    }
}
