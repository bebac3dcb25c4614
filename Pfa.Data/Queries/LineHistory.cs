using System.Text.Json.Nodes;
using Npgsql;

namespace Pfa.Data.Queries;

/// <summary>One version of a line as PEMS held it: from <c>pfa_mirror_history</c>, or the current mirror row.</summary>
/// <param name="RecordedAt">When the mirror received this version (the time the previous version was superseded; for the first, when it was recorded).</param>
public sealed record LineVersion(int Version, DateTimeOffset RecordedAt, string ChangedBy, string? PemsVersion, bool IsCurrent, JsonObject Data);

/// <summary>A committed change of the line (any user): fields base → new, and where its write-back stands.</summary>
public sealed record LineChange(Guid Id, Guid UserId, string UserName, DateTimeOffset At, string State, JsonObject Changes, JsonObject? BaseValues,
    string[]? ConflictFields, string? LastError);

public sealed record LineHistoryData(long MirrorId, string PfaId, int CurrentVersion, bool IsNewLine, IReadOnlyList<LineVersion> Versions, IReadOnlyList<LineChange> Changes);

/// <summary>A line's PEMS versions and committed changes (history drawer, restore). Runs inside a <see cref="TenantSession"/> (RLS applies).</summary>
public static class LineHistory
{
    public const int MaxEntries = 200;

    public static async Task<LineHistoryData?> LoadAsync(TenantSession s, string pfaId, CancellationToken ct)
    {
        long mirrorId;
        int current;
        bool isNew;
        var versions = new List<LineVersion>();
        // Versions: the history rows plus the live row; each version arrived when its predecessor was recorded as superseded.
        await using (var cmd = s.Command("""
            WITH line AS (
              SELECT id, mirror_version, pems_version, last_synced_at, data, new_line_owner IS NOT NULL AS is_new
              FROM pfa_mirror WHERE organization_id = @org AND pfa_id = @pfa AND deleted_in_pems_at IS NULL
            ), v AS (
              SELECT h.mirror_version AS version, h.recorded_at, h.changed_by, h.pems_version, false AS is_current, h.data
              FROM pfa_mirror_history h JOIN line l ON h.mirror_id = l.id
              UNION ALL
              SELECT l.mirror_version, l.last_synced_at, CASE WHEN l.is_new THEN 'NEW_LINE' ELSE 'PEMS_SYNC' END, l.pems_version, true, l.data FROM line l
            )
            SELECT l.id, l.mirror_version, l.is_new, v.version,
                   coalesce(lag(v.recorded_at) OVER (ORDER BY v.version), v.recorded_at), v.changed_by, v.pems_version, v.is_current, v.data::text
            FROM line l CROSS JOIN v
            ORDER BY v.version DESC
            LIMIT @max
            """))
        {
            cmd.Parameters.AddWithValue("org", s.OrganizationId);
            cmd.Parameters.AddWithValue("pfa", pfaId);
            cmd.Parameters.AddWithValue("max", MaxEntries);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return null;
            (mirrorId, current, isNew) = (r.GetInt64(0), r.GetInt32(1), r.GetBoolean(2));
            do
            {
                versions.Add(new LineVersion(r.GetInt32(3), r.GetFieldValue<DateTimeOffset>(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
                    r.GetBoolean(7), JsonNode.Parse(r.GetString(8))!.AsObject()));
            } while (await r.ReadAsync(ct));
        }

        var changes = new List<LineChange>();
        await using (var cmd = s.Command($"""
            SELECT d.id, d.user_id, coalesce(u.display_name, 'unknown user'), coalesce(d.committed_at, d.updated_at), d.state,
                   d.changes::text, d.base_values::text, d.conflict_fields, d.last_error
            FROM pfa_modification d
            LEFT JOIN LATERAL pfa_user_names(ARRAY[d.user_id]) u ON true
            WHERE d.mirror_id = @id AND d.organization_id = @org AND d.state IN (@states)
            ORDER BY coalesce(d.committed_at, d.updated_at) DESC
            LIMIT @max
            """.Replace("@states", "'committed','queued','syncing','synced','conflict','failed'")))
        {
            cmd.Parameters.AddWithValue("id", mirrorId);
            cmd.Parameters.AddWithValue("org", s.OrganizationId);
            cmd.Parameters.AddWithValue("max", MaxEntries);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                changes.Add(new LineChange(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4),
                    JsonNode.Parse(r.GetString(5))!.AsObject(), r.IsDBNull(6) ? null : JsonNode.Parse(r.GetString(6))!.AsObject(),
                    r.IsDBNull(7) ? null : r.GetFieldValue<string[]>(7), r.IsDBNull(8) ? null : r.GetString(8)));
        }
        return new LineHistoryData(mirrorId, pfaId, current, isNew, versions, changes);
    }
}
