using System.Text.Json.Nodes;
using Npgsql;

namespace Pfa.Data.Queries;

/// <summary>
/// Lines created in the app (not yet in PEMS). Each is a <c>pfa_mirror</c> row with a provisional <c>NEW-…</c> PFA id,
/// <c>new_line_owner</c> = its author (RLS shows it to nobody else) and the PEMS-owned part of the record (description,
/// area, plan dates), plus its author's draft delta holding the editable values — so the merged list, KPIs, tray, commit,
/// discard and undo treat it like any other drafted line. The triggers of migration 20261206140000 tombstone the row when
/// its delta goes (discard, undo) and revive it when the delta comes back (redo).
/// </summary>
public static class NewLines
{
    public const string IdPrefix = "NEW-";

    /// <summary>Creates <paramref name="count"/> lines and their drafts in one statement; returns the provisional ids.</summary>
    /// <param name="baseData">The mirror part of the record (without <c>pfaId</c>, set per line).</param>
    /// <param name="changes">The validated editable values (the draft delta against <paramref name="baseData"/>).</param>
    public static async Task<IReadOnlyList<string>> CreateAsync(TenantSession s, JsonObject baseData, JsonObject changes, int count, string? sessionId,
        CancellationToken ct)
    {
        await using var cmd = s.Command("""
            WITH ids AS (
              SELECT @prefix || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 12)) AS pfa_id FROM generate_series(1, @count)
            ), rows AS (
              SELECT pfa_id, @data::jsonb || jsonb_build_object('pfaId', pfa_id) AS data FROM ids
            ), ins AS (
              INSERT INTO pfa_mirror (organization_id, pfa_id, data, content_hash, mirror_version, last_synced_at, new_line_owner)
              SELECT @org, pfa_id, data, sha256(convert_to(data::text, 'UTF8')), 1, now(), @user FROM rows
              RETURNING id, pfa_id, data
            ), drafts AS (
              INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, session_id, changes, base_values,
                                            base_mirror_version, base_pems_version, state, change_reason, created_at, updated_at, attempts)
              SELECT gen_random_uuid(), @org, i.id, @user, @session, @changes::jsonb,
                     coalesce((SELECT jsonb_object_agg(k, coalesce(i.data->k, 'null'::jsonb)) FROM jsonb_object_keys(@changes::jsonb) k), '{}'::jsonb),
                     1, NULL, 'draft', 'New line', now(), now(), 0
              FROM ins i
              RETURNING 1
            )
            SELECT pfa_id FROM ins ORDER BY pfa_id
            """);
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
        cmd.Parameters.AddWithValue("prefix", IdPrefix);
        cmd.Parameters.AddWithValue("count", count);
        cmd.Parameters.AddWithValue("data", baseData.ToJsonString());
        cmd.Parameters.AddWithValue("changes", changes.ToJsonString());
        cmd.Parameters.Add(new NpgsqlParameter("session", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)sessionId ?? DBNull.Value });
        var ids = new List<string>(count);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids.Add(r.GetString(0));
        return ids;
    }
}
