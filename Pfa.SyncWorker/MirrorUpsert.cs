using Npgsql;
using NpgsqlTypes;

namespace Pfa.SyncWorker;

public readonly record struct UpsertCounts(int Inserted, int Updated, int Unchanged);

/// <summary>
/// The set-based mirror write of docs/data-model.md: binary COPY into a temp stage, history for real changes only,
/// INSERT … ON CONFLICT … WHERE the content hash differs. One transaction per batch, so a crash loses at most the batch
/// in flight and never leaves a half-written one.
/// </summary>
public static class MirrorUpsert
{
    /// <summary>
    /// Seconds a set-based statement of the sync may run (Npgsql's default is 30). A page upsert or the tombstone pass over a
    /// 50,000-line organization takes about a second, but on a saturated machine it was seen to pass 30 s and fail the run.
    /// </summary>
    private const int StatementTimeoutSeconds = 300;

    public static async Task<UpsertCounts> UpsertBatchAsync(
        NpgsqlDataSource db, Guid organizationId, long syncId, bool stampSeen, IReadOnlyCollection<MirrorRecord> batch,
        IReadOnlyCollection<string> rejectedIds, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var counts = await UpsertBatchAsync(conn, tx, organizationId, syncId, stampSeen, batch, rejectedIds, ct);
        await tx.CommitAsync(ct);
        return counts;
    }

    /// <summary>The same upsert inside the caller's transaction (the write-back closes a delta and refreshes its line atomically).</summary>
    public static async Task<UpsertCounts> UpsertBatchAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Guid organizationId, long syncId, bool stampSeen, IReadOnlyCollection<MirrorRecord> batch,
        IReadOnlyCollection<string> rejectedIds, CancellationToken ct)
    {
        if (await NoneInMirrorAsync(conn, tx, organizationId, batch, ct))
            return await InsertNewAsync(conn, tx, organizationId, syncId, stampSeen, batch, rejectedIds, ct);

        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE pfa_stage (pfa_id text PRIMARY KEY, data text, pems_version text, content_hash bytea) ON COMMIT DROP", conn, tx))
            await create.ExecuteNonQueryAsync(ct);

        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY pfa_stage (pfa_id, data, pems_version, content_hash) FROM STDIN (FORMAT BINARY)", ct))
        {
            copy.Timeout = TimeSpan.FromSeconds(StatementTimeoutSeconds);
            foreach (var r in batch)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(r.PfaId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Data, NpgsqlDbType.Text, ct);
                if (r.PemsVersion is null) await copy.WriteNullAsync(ct);
                else await copy.WriteAsync(r.PemsVersion, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.ContentHash, NpgsqlDbType.Bytea, ct);
            }
            await copy.CompleteAsync(ct);
        }

        // The staged lines meet their mirror rows in one join, read once for both history and upsert. The join is bounded
        // by the page's pfa_id range (a keyset page is a contiguous range), so the unique index reads ~one page of lines,
        // not the whole organization; it is a plain join on purpose: a per-line probe (LATERAL) lets the planner pick any
        // index led by organization_id when its statistics do not know the organization yet (a first sync), and then
        // scans the organization once per line. Unchanged live lines drop out here, before the conflict check:
        // ON CONFLICT … DO UPDATE … WHERE false would still lock (and so write) each of them, which in a no-change full
        // reconciliation is every line. History gets the old row of every real change, keyed by its (old) version. The
        // stage holds the JSON as text, so only lines that are written are parsed into jsonb.
        int inserted = 0, updated = 0;
        await using (var upsert = new NpgsqlCommand("""
            WITH s AS MATERIALIZED (
              SELECT s.pfa_id, s.data, s.pems_version, s.content_hash,
                     m.id AS old_id, m.mirror_version AS old_version, m.data AS old_data, m.pems_version AS old_pems_version, m.content_hash AS old_hash
              FROM pfa_stage s
              LEFT JOIN pfa_mirror m ON m.organization_id = @org AND m.pfa_id = s.pfa_id
                AND m.pfa_id BETWEEN (SELECT min(pfa_id) FROM pfa_stage) AND (SELECT max(pfa_id) FROM pfa_stage)
              WHERE m.id IS NULL OR m.content_hash <> s.content_hash OR m.deleted_in_pems_at IS NOT NULL
            ), history AS (
              INSERT INTO pfa_mirror_history (mirror_id, organization_id, mirror_version, data, pems_version, content_hash, recorded_at, changed_by)
              SELECT old_id, @org, old_version, old_data, old_pems_version, old_hash, now(), 'PEMS_SYNC' FROM s WHERE old_hash <> content_hash
            )
            INSERT INTO pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at, last_seen_sync_id)
            SELECT @org, pfa_id, data::jsonb, pems_version, content_hash, 1, now(), @sync FROM s
            ON CONFLICT (organization_id, pfa_id) DO UPDATE
            SET data = EXCLUDED.data, pems_version = EXCLUDED.pems_version, content_hash = EXCLUDED.content_hash,
                mirror_version = pfa_mirror.mirror_version + 1, last_synced_at = now(), last_seen_sync_id = EXCLUDED.last_seen_sync_id,
                deleted_in_pems_at = NULL
            WHERE pfa_mirror.content_hash <> EXCLUDED.content_hash OR pfa_mirror.deleted_in_pems_at IS NOT NULL
            RETURNING (xmax = 0)
            """, conn, tx))
        {
            upsert.CommandTimeout = StatementTimeoutSeconds;
            upsert.Parameters.AddWithValue("org", organizationId);
            upsert.Parameters.AddWithValue("sync", syncId);
            await using var r = await upsert.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                if (r.GetBoolean(0)) inserted++; else updated++;
        }

        if (stampSeen) await StampSeenAsync(conn, tx, syncId, "SELECT pfa_id FROM pfa_stage", null, rejectedIds, ct);

        return new UpsertCounts(inserted, updated, batch.Count - inserted - updated);
    }

    /// <summary>
    /// True when no line of the batch is in the organization's mirror yet, live or tombstoned (a first sync, or lines PEMS
    /// just created): one probe of the unique (organization, pfa_id) index per line.
    /// </summary>
    private static async Task<bool> NoneInMirrorAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid organizationId,
        IReadOnlyCollection<MirrorRecord> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return false;
        await using var probe = new NpgsqlCommand(
            "SELECT NOT EXISTS (SELECT 1 FROM pfa_mirror WHERE organization_id = @org AND pfa_id = ANY(@ids))", conn, tx);
        probe.CommandTimeout = StatementTimeoutSeconds;
        probe.Parameters.AddWithValue("org", organizationId);
        probe.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = batch.Select(r => r.PfaId).ToArray() });
        return (bool)(await probe.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// A batch of lines the mirror has never held: binary COPY straight into <c>pfa_mirror</c>, as the upsert would insert
    /// them (version 1, this run's stamps), without the stage table, the join and the conflict check that only existing
    /// lines need. The first full sync of a 50,000-line organization is all such batches. A line inserted meanwhile by
    /// another writer makes the COPY fail on the unique index, and the batch with it (nothing is half-written).
    /// </summary>
    private static async Task<UpsertCounts> InsertNewAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid organizationId, long syncId,
        bool stampSeen, IReadOnlyCollection<MirrorRecord> batch, IReadOnlyCollection<string> rejectedIds, CancellationToken ct)
    {
        // The transaction's now(), as the upsert's statements stamp it.
        DateTime now;
        await using (var clock = new NpgsqlCommand("SELECT now()", conn, tx))
            now = (DateTime)(await clock.ExecuteScalarAsync(ct))!;
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at, last_seen_sync_id) FROM STDIN (FORMAT BINARY)", ct))
        {
            copy.Timeout = TimeSpan.FromSeconds(StatementTimeoutSeconds);
            foreach (var r in batch)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(organizationId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(r.PfaId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.Data, NpgsqlDbType.Jsonb, ct);
                if (r.PemsVersion is null) await copy.WriteNullAsync(ct);
                else await copy.WriteAsync(r.PemsVersion, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.ContentHash, NpgsqlDbType.Bytea, ct);
                await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(syncId, NpgsqlDbType.Bigint, ct);
            }
            await copy.CompleteAsync(ct);
        }
        if (stampSeen)
            await StampSeenAsync(conn, tx, syncId, "SELECT unnest(@ids::text[])", batch.Select(r => r.PfaId).ToArray(), rejectedIds, ct);
        return new UpsertCounts(batch.Count, 0, 0);
    }

    /// <summary>
    /// Full reconciliation only: every line PEMS returned (rejected ones too) joins the run's seen set, so it is not
    /// tombstoned; the mirror rows themselves are not touched. Incremental runs skip this.
    /// </summary>
    private static async Task StampSeenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long syncId, string returnedIds, string[]? ids,
        IReadOnlyCollection<string> rejectedIds, CancellationToken ct)
    {
        await using var seen = new NpgsqlCommand($"""
            INSERT INTO pfa_sync_seen (sync_id, pfa_id)
            SELECT @sync, pfa_id FROM ({returnedIds}) AS r(pfa_id) UNION ALL SELECT @sync, unnest(@rejected::text[])
            ON CONFLICT DO NOTHING
            """, conn, tx);
        seen.CommandTimeout = StatementTimeoutSeconds;
        seen.Parameters.AddWithValue("sync", syncId);
        if (ids is not null) seen.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        seen.Parameters.Add(new NpgsqlParameter("rejected", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rejectedIds.ToArray() });
        await seen.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// After a complete full read: lines PEMS no longer has get a tombstone (never a hard delete, so open drafts keep their line).
    /// Returns how many lines were tombstoned.
    /// </summary>
    public static async Task<int> TombstoneUnseenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid organizationId, long syncId, CancellationToken ct)
    {
        // The seen set is filled and emptied by every full run, so its statistics are stale by construction (autovacuum last
        // saw it empty): the planner then nested-loops the organization's 50,000 lines over the whole set (2.5 × 10⁹
        // comparisons, 150 s in the 1M benchmark) instead of hashing it. Analysing the set first costs tens of ms.
        await using (var analyze = new NpgsqlCommand("ANALYZE pfa_sync_seen", conn, tx))
        {
            analyze.CommandTimeout = StatementTimeoutSeconds;
            await analyze.ExecuteNonQueryAsync(ct);
        }
        await using var cmd = new NpgsqlCommand("""
            UPDATE pfa_mirror m SET deleted_in_pems_at = now(), last_synced_at = now()
            WHERE m.organization_id = @org AND m.deleted_in_pems_at IS NULL AND m.new_line_owner IS NULL -- not in PEMS yet, by design
              AND NOT EXISTS (SELECT 1 FROM pfa_sync_seen s WHERE s.sync_id = @sync AND s.pfa_id = m.pfa_id)
            """, conn, tx);
        cmd.CommandTimeout = StatementTimeoutSeconds;
        cmd.Parameters.AddWithValue("org", organizationId);
        cmd.Parameters.AddWithValue("sync", syncId);
        var tombstoned = await cmd.ExecuteNonQueryAsync(ct);
        // The run's set has served; sets of runs that died before this point go with it (no run of theirs is still running).
        await using var forget = new NpgsqlCommand("""
            DELETE FROM pfa_sync_seen s
            WHERE s.sync_id = @sync OR NOT EXISTS (SELECT 1 FROM sync_log l WHERE l.id = s.sync_id AND l.status = 'running')
            """, conn, tx);
        forget.CommandTimeout = StatementTimeoutSeconds;
        forget.Parameters.AddWithValue("sync", syncId);
        await forget.ExecuteNonQueryAsync(ct);
        return tombstoned;
    }

    /// <summary>
    /// Committed or queued deltas whose touched fields no longer match their base (the conflict rule of docs/data-model.md),
    /// or whose line was deleted in PEMS, become conflicts; their pending outbox rows are stopped so nothing overwrites PEMS.
    /// Drafts are left alone: commit re-checks them.
    /// </summary>
    public static async Task<int> MarkConflictsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid organizationId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH c AS (
              SELECT d.id, array_agg(k.key ORDER BY k.key) AS fields
              FROM pfa_modification d
              JOIN pfa_mirror m ON m.id = d.mirror_id
              CROSS JOIN LATERAL jsonb_each(d.base_values) k
              WHERE d.organization_id = @org AND d.state IN ('committed', 'queued')
                AND (m.deleted_in_pems_at IS NOT NULL OR coalesce(m.data -> k.key, 'null'::jsonb) IS DISTINCT FROM k.value)
              GROUP BY d.id
            ), upd AS (
              UPDATE pfa_modification d SET state = 'conflict', conflict_fields = c.fields, updated_at = now()
              FROM c WHERE d.id = c.id
              RETURNING d.id
            ), ob AS (
              UPDATE pfa_outbox o SET status = 'failed', last_error = 'Superseded: PEMS changed a field of this delta (conflict)'
              FROM upd WHERE o.modification_id = upd.id AND o.status = 'pending'
              RETURNING 1
            )
            SELECT count(*)::int FROM upd
            """, conn, tx);
        cmd.CommandTimeout = StatementTimeoutSeconds;
        cmd.Parameters.AddWithValue("org", organizationId);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
