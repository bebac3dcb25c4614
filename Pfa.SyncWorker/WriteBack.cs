using Pfa.Data;
using Pfa.Data.Queries;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.Domain;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.Pems.Uds;

namespace Pfa.SyncWorker;

public sealed record WriteBackResult(int Written, int Conflicts, int Retrying, int Failed);

/// <summary>
/// Outbox → CUPFA2 UPDATE. Per organization under the same advisory lock as the read sync (so a write never races a
/// reconciliation). Before writing, PEMS's current values of the touched fields are compared with the delta's base: a
/// field PEMS changed meanwhile (to anything but our own value) is a conflict, never an overwrite. UPDATE carries
/// absolute values, so a write retried after a lost answer cannot apply twice. On success the mirror line is re-read
/// from PEMS through the normal upsert.
/// </summary>
public sealed class WriteBackRunner(NpgsqlDataSource db, PemsClient defaultPems, PemsRowNormalizer normalizer, ILogger<WriteBackRunner> logger,
    TimeProvider? time = null, PemsConnections? connections = null, SyncEvents? events = null)
{
    public const int MaxAttempts = 5;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly PemsWriteMapping _write = PemsWriteMapping.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<WriteBackResult> RunAsync(Guid organizationId, string organizationCode, CancellationToken ct)
    {
        await using var lockConn = await db.OpenConnectionAsync(ct);
        var (space, key) = SyncRunner.AdvisoryLock(organizationId);
        if (!await Scalar<bool>(lockConn, "SELECT pg_try_advisory_lock(@s, @k)", ct, ("s", space), ("k", key))) return new(0, 0, 0, 0);
        try
        {
            // Claimed rows carry a lease in next_attempt_at: a worker that dies mid-write leaves them to be re-claimed later.
            var claimed = new List<ClaimedWrite>();
            await using (var claim = new NpgsqlCommand("""
                WITH c AS (
                  SELECT o.id FROM pfa_outbox o JOIN pfa_modification d ON d.id = o.modification_id AND d.state IN ('committed', 'queued', 'syncing')
                  WHERE o.organization_id = @org AND ((o.status = 'pending' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now()))
                                                   OR (o.status = 'processing' AND o.next_attempt_at <= now()))
                  ORDER BY o.id LIMIT 100 FOR UPDATE OF o SKIP LOCKED
                ), o AS (
                  UPDATE pfa_outbox o SET status = 'processing', attempts = o.attempts + 1, next_attempt_at = now() + @lease
                  FROM c WHERE o.id = c.id RETURNING o.id, o.modification_id, o.pfa_id, o.attempts
                )
                SELECT o.id, o.modification_id, o.pfa_id, o.attempts, d.changes::text, d.base_values::text, d.user_id,
                       m.new_line_owner IS NOT NULL, m.id, (m.data || d.changes)::text
                FROM o JOIN pfa_modification d ON d.id = o.modification_id JOIN pfa_mirror m ON m.id = d.mirror_id
                ORDER BY o.id
                """, lockConn))
            {
                claim.Parameters.AddWithValue("org", organizationId);
                claim.Parameters.AddWithValue("lease", Lease);
                await using var r = await claim.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                    claimed.Add(new ClaimedWrite(r.GetInt64(0), r.GetGuid(1), r.GetString(2), r.GetInt32(3),
                        JsonNode.Parse(r.GetString(4))!.AsObject(), JsonNode.Parse(r.GetString(5))!.AsObject(), r.GetGuid(6))
                    {
                        IsNewLine = r.GetBoolean(7), MirrorId = r.GetInt64(8), Merged = JsonNode.Parse(r.GetString(9))!.AsObject(),
                    });
            }
            if (claimed.Count == 0) return new(0, 0, 0, 0);
            var pems = connections is null ? defaultPems : await connections.ClientForAsync(organizationId, ct);

            var syncId = await Scalar<long>(lockConn, """
                INSERT INTO sync_log (organization_id, direction, kind, status, started_at, fetched, inserted, updated, unchanged, deleted, rejected, triggered_by)
                VALUES (@org, 'write', 'writeback', 'running', now(), @n, 0, 0, 0, 0, 0, 'outbox') RETURNING id
                """, ct, ("org", organizationId), ("n", claimed.Count));
            int written = 0, conflicts = 0, retrying = 0, failed = 0;
            var mirrorChanged = false;
            foreach (var item in claimed)
            {
                using var span = SyncTelemetry.WriteBackSource.StartActivity("writeback.delta");
                span?.SetTag("pfa.organization", organizationCode);
                span?.SetTag("pfa.pfa_id", item.PfaId);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var (w0, c0, r0, f0) = (written, conflicts, retrying, failed);
                await StateAsync(organizationCode, item.PfaId, item.User, ModificationState.Syncing, null);
                try
                {
                  if (item.IsNewLine)
                  {
                    var pfsId = await AddNewLineAsync(pems, organizationCode, item, ct);
                    var line = await ReadLineAsync(pems, organizationCode, pfsId, ct);
                    await FinishAsync(item, "done", "synced", null, null, line, organizationId, syncId, ct, renameTo: pfsId);
                    mirrorChanged = true; // a line became visible to the organization
                    written++;
                  }
                  else
                  {
                    var current = AsMirrorHolds(_write.FromUds(await pems.GetRecordAsync(organizationCode, item.PfaId, ct), item.Changes.Select(c => c.Key)));
                    var conflicting = item.Changes
                        .Where(c => !Same(ToJson(current[c.Key]), item.Base[c.Key]) && !Same(ToJson(current[c.Key]), c.Value))
                        .Select(c => c.Key).Order(StringComparer.Ordinal).ToArray();
                    if (conflicting.Length > 0)
                    {
                        conflicts++;
                        // The mirror is behind PEMS on this line: bring it in with the conflict, so the conflict shows (and a resolution
                        // re-bases on) PEMS's value now.
                        var line = await ReadLineAsync(pems, organizationCode, item.PfaId, ct);
                        mirrorChanged |= await FinishAsync(item, "failed", "conflict", $"Conflict: PEMS changed {string.Join(", ", conflicting.Select(f => $"{f} (base {item.Base[f]?.ToJsonString() ?? "null"}, PEMS now {ToJson(current[f])?.ToJsonString() ?? "null"})"))} since the edit", conflicting, line, organizationId, syncId, ct);
                    }
                    else
                    {
                        // No `continue` above: the outcome's telemetry and event below must follow a conflict too.
                        var typed = item.Changes.ToDictionary(c => c.Key, c => FromJson(c.Key, c.Value), StringComparer.Ordinal);
                        await pems.UpdateRecordAsync(organizationCode, item.PfaId, _write.ToUds(typed), ct);
                        // The line re-read from PEMS lands in the mirror in the same transaction that closes the delta, so "synced"
                        // never shows beside the old values. A crash before it leaves the write to be retried, and a retried
                        // UPDATE finds PEMS already holding our values (no conflict, same result).
                        var line = await ReadLineAsync(pems, organizationCode, item.PfaId, ct);
                        mirrorChanged |= await FinishAsync(item, "done", "synced", null, null, line, organizationId, syncId, ct);
                        written++;
                    }
                  }
                }
                catch (PemsException e) when (IsTransient(e.Kind) && item.Attempts < MaxAttempts)
                {
                    retrying++;
                    // Exponential back-off with jitter on top of the client's own quick retries: PEMS may be down for minutes.
                    var delay = TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, item.Attempts - 1)) * (0.5 + Random.Shared.NextDouble() / 2));
                    // One statement, so the outbox row and the delta cannot disagree about the retry.
                    await Exec("""
                        WITH outbox AS (UPDATE pfa_outbox SET status = 'pending', next_attempt_at = @at, last_error = @err WHERE id = @id)
                        UPDATE pfa_modification SET state = 'queued', attempts = attempts + 1, last_error = @err, next_attempt_at = @at, updated_at = now()
                        WHERE id = @mid
                        """, ct, ("id", item.Id), ("mid", item.ModificationId), ("at", _time.GetUtcNow() + delay), ("err", e.PemsMessage ?? e.Message));
                }
                catch (Exception e) when (e is PemsException or ArgumentException or FormatException or JsonException)
                {
                    failed++;
                    var message = e is PemsException p ? p.PemsMessage ?? p.Message : e.Message;
                    logger.LogWarning("Write-back of {PfaId} ({Org}) failed: {Message}", item.PfaId, organizationCode, message);
                    await FinishAsync(item, "failed", "failed", message, null, [], organizationId, syncId, ct);
                }
                var outcome = written > w0 ? "written" : conflicts > c0 ? "conflict" : retrying > r0 ? "retrying" : failed > f0 ? "failed" : "unknown";
                await StateAsync(organizationCode, item.PfaId, item.User, outcome switch
                {
                    "written" => ModificationState.Synced,
                    "conflict" => ModificationState.Conflict,
                    "retrying" => ModificationState.Queued,
                    _ => ModificationState.Failed,
                }, outcome == "retrying" ? "PEMS did not answer; retrying later" : null);
                span?.SetTag("pfa.writeback.outcome", outcome);
                SyncTelemetry.Writes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
                SyncTelemetry.WriteLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            // Views and caches follow once per batch, not once per line.
            if (mirrorChanged) await PfaStore.MirrorChangedAsync(db, organizationId, CancellationToken.None);
            await Exec("""
                UPDATE sync_log SET status = 'completed', completed_at = now(), duration_ms = (extract(epoch FROM now() - started_at) * 1000)::bigint,
                  updated = @w, rejected = @f + @c, error_message = CASE WHEN @c > 0 THEN @c || ' conflict(s)' END
                WHERE id = @id
                """, CancellationToken.None, ("id", syncId), ("w", written), ("f", failed), ("c", conflicts));
            // One audit row per pass and organization (the per-line story is in sync_log and the deltas).
            await new AuditTrail(db).RecordAsync(new AuditEntry(AuditActions.WriteBack,
                failed + conflicts > 0 ? AuditOutcome.Failure : AuditOutcome.Success, ActorName: "syncworker", OrganizationId: organizationId,
                Entity: "sync_log", EntityId: syncId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Details: new { written, conflicts, retrying, failed }), CancellationToken.None);
            return new(written, conflicts, retrying, failed);
        }
        finally
        {
            await Scalar<bool>(lockConn, "SELECT pg_advisory_unlock(@s, @k)", CancellationToken.None, ("s", space), ("k", key));
        }
    }

    /// <summary>A line's write-back state for its owner's live view (the row in pfa_modification is the truth; this is a nudge).</summary>
    private Task StateAsync(string orgCode, string pfaId, Guid user, string state, string? message) =>
        events?.PublishAsync(orgCode, PfaEvents.WriteBackState, new { pfaId, user, state, message }) ?? Task.CompletedTask;

    private static bool IsTransient(PemsFailureKind kind) =>
        kind is PemsFailureKind.RateLimited or PemsFailureKind.ServerError or PemsFailureKind.Timeout or PemsFailureKind.Network or PemsFailureKind.MalformedResponse;

    /// <summary>
    /// Re-reads one written line from the grid. Best effort: the write is already recorded as done, and the next read
    /// sync brings the line in if this read fails.
    /// </summary>
    private async Task<IReadOnlyList<MirrorRecord>> ReadLineAsync(PemsClient pems, string orgCode, string pfaId, CancellationToken ct)
    {
        try
        {
            var query = new GridQuery { Filters = [new() { AliasName = CupfagGrid.PfaId, Operator = "=", Value = pfaId }] };
            var page = await pems.ReadGridPageAsync(orgCode, query, 0, ct);
            return page.Rows.Select(normalizer.Normalize).Where(n => n.IsValid && n.PfaId == pfaId).Select(MirrorRecord.From).ToList();
        }
        catch (PemsException e)
        {
            logger.LogWarning("Re-reading {PfaId} ({Org}) after its write-back failed: {Message}; the next sync brings it in", pfaId, orgCode, e.PemsMessage ?? e.Message);
            return [];
        }
    }

    /// <summary>Closes the outbox row and the delta, and upserts the line as PEMS holds it now; true when the mirror changed.</summary>
    private sealed record ClaimedWrite(long Id, Guid ModificationId, string PfaId, int Attempts, JsonObject Changes, JsonObject Base, Guid User)
    {
        /// <summary>A line created in the app: <see cref="PfaId"/> is provisional (NEW-…), <see cref="Merged"/> the whole line to ADD.</summary>
        public bool IsNewLine { get; init; }
        public long MirrorId { get; init; }
        public JsonObject Merged { get; init; } = [];
    }

    /// <summary>The marker a new line carries in its PEMS description, so a retried ADD finds the line instead of adding it twice.</summary>
    public static string NewLineMarker(string provisionalId) => $"[{provisionalId}]";

    /// <summary>
    /// CUPFA2 ADD of a line created in the app; returns PEMS's PFS_ID. ADD is not idempotent, so the description carries our
    /// provisional id as a marker: a retry (attempt 2+, after a lost answer, a timeout or a crash) first looks the marker up in
    /// the grid and takes the line it finds instead of adding another one.
    /// </summary>
    private async Task<string> AddNewLineAsync(PemsClient pems, string orgCode, ClaimedWrite item, CancellationToken ct)
    {
        var marker = NewLineMarker(item.PfaId);
        if (item.Attempts > 1)
        {
            var query = new GridQuery { Filters = [new() { AliasName = "description", Operator = "ENDS", Value = marker }] };
            var page = await pems.ReadGridPageAsync(orgCode, query, 0, ct);
            // The raw id cell, not the normalised row: a line PEMS holds must be found even if our mapping would reject it.
            var found = page.Rows.Select(r => r[CupfagGrid.PfaId]?.Trim()).FirstOrDefault(id => !string.IsNullOrEmpty(id));
            if (found is not null)
            {
                logger.LogInformation("New line {Provisional} ({Org}) was already added to PEMS as {PfaId}; not adding it again", item.PfaId, orgCode, found);
                return found;
            }
        }
        var record = PfaJson.FromJson(item.Merged);
        var typed = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in PemsWriteMapping.EditableFields)
        {
            if (field == PfaFieldNames.Description || _write.Find(field) is null || item.Merged[field] is null) continue;
            typed[field] = FromJson(field, item.Merged[field]);
        }
        var pairs = _write.ToUds(typed);
        pairs.Add(new UdsFieldValuePair("DESCRIPTION", UdsFieldValue.Text($"{record.Description} {marker}".Trim())));
        if (record.AreaSilo is { Length: > 0 } area) pairs.Add(new UdsFieldValuePair("PFS_F_AREA", UdsFieldValue.Text(area)));
        var added = await pems.AddRecordAsync(orgCode, pairs, ct);
        return added.PfaId is { Length: > 0 } id ? id : throw new FormatException("PEMS's ADD answer carries no PFS_ID.");
    }

    private async Task<bool> FinishAsync(
        ClaimedWrite item,
        string outboxStatus, string state, string? error, string[]? conflictFields, IReadOnlyCollection<MirrorRecord> line,
        Guid organizationId, long syncId, CancellationToken ct, string? renameTo = null)
    {
        var (outboxId, modificationId) = (item.Id, item.ModificationId);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (renameTo is not null)
        {
            // The provisional line becomes PEMS's line: same mirror row (its delta stays attached), PEMS's id, visible to all.
            // The re-read below then updates it in place through the normal upsert (same org + PFA id).
            // Should a read sync have brought the line in first (a crash between ADD and here), the delta moves to that row and the
            // provisional one is tombstoned, so there is never a second row for one PEMS line.
            await using var rename = new NpgsqlCommand("""
                WITH existing AS (SELECT id FROM pfa_mirror WHERE organization_id = @org AND pfa_id = @pfs AND id <> @id),
                moved AS (UPDATE pfa_modification SET mirror_id = (SELECT id FROM existing) WHERE id = @mod AND EXISTS (SELECT 1 FROM existing) RETURNING 1),
                gone AS (UPDATE pfa_mirror SET deleted_in_pems_at = now() WHERE id = @id AND EXISTS (SELECT 1 FROM existing) RETURNING 1)
                UPDATE pfa_mirror SET pfa_id = @pfs, new_line_owner = NULL, data = jsonb_set(data, '{pfaId}', to_jsonb(@pfs::text))
                WHERE id = @id AND new_line_owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM existing);
                UPDATE pfa_outbox SET pfa_id = @pfs, mirror_id = coalesce((SELECT id FROM pfa_mirror WHERE organization_id = @org AND pfa_id = @pfs
                                                                           AND deleted_in_pems_at IS NULL), mirror_id)
                WHERE id = @outbox;
                """, conn, tx);
            rename.Parameters.AddWithValue("org", organizationId);
            rename.Parameters.AddWithValue("mod", modificationId);
            rename.Parameters.AddWithValue("pfs", renameTo);
            rename.Parameters.AddWithValue("id", item.MirrorId);
            rename.Parameters.AddWithValue("outbox", outboxId);
            await rename.ExecuteNonQueryAsync(ct);
        }
        var counts = line.Count == 0 ? default
            : await MirrorUpsert.UpsertBatchAsync(conn, tx, organizationId, syncId, stampSeen: false, line, [], ct);
        await using (var o = new NpgsqlCommand("UPDATE pfa_outbox SET status = @s, last_error = @e, next_attempt_at = NULL WHERE id = @id", conn, tx))
        {
            o.Parameters.AddWithValue("id", outboxId);
            o.Parameters.AddWithValue("s", outboxStatus);
            o.Parameters.AddWithValue("e", (object?)error ?? DBNull.Value);
            await o.ExecuteNonQueryAsync(ct);
        }
        await using (var d = new NpgsqlCommand("UPDATE pfa_modification SET state = @s, last_error = @e, conflict_fields = @f, updated_at = now() WHERE id = @id", conn, tx))
        {
            d.Parameters.AddWithValue("id", modificationId);
            d.Parameters.AddWithValue("s", state);
            d.Parameters.AddWithValue("e", (object?)error ?? DBNull.Value);
            d.Parameters.Add(new NpgsqlParameter("f", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)conflictFields ?? DBNull.Value });
            await d.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return counts.Inserted + counts.Updated > 0;
    }

    private object? FromJson(string field, JsonNode? value)
    {
        if (value is null) return null;
        var rule = _write.Find(field) ?? throw new ArgumentException($"{field} cannot be written to PEMS.");
        return rule.Conversion switch
        {
            PemsValueConversion.Decimal => value.GetValue<decimal>(),
            PemsValueConversion.Integer => value.GetValue<long>(),
            PemsValueConversion.Date => DateOnly.ParseExact(value.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture),
            PemsValueConversion.Flag => value.GetValue<bool>(),
            _ => value.GetValue<string>(),
        };
    }

    /// <summary>
    /// CUPFA2 returns an empty number as null where the grid read (and so the mirror and the delta's base) holds 0: compare
    /// like with like, or every purchase line's empty rate would look like a PEMS edit.
    /// </summary>
    private Dictionary<string, object?> AsMirrorHolds(Dictionary<string, object?> values)
    {
        foreach (var (field, value) in values.ToList())
            if (value is null && _write.Find(field)?.Conversion == PemsValueConversion.Decimal) values[field] = 0m;
        return values;
    }

    private static JsonNode? ToJson(object? value) => value is null ? null : JsonSerializer.SerializeToNode(value, PfaJson.Options);

    /// <summary>JSON equality where 100 and 100.00 are the same number (as jsonb compares them).</summary>
    private static bool Same(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null || a.GetValueKind() == JsonValueKind.Null || b.GetValueKind() == JsonValueKind.Null)
            return (a is null || a.GetValueKind() == JsonValueKind.Null) && (b is null || b.GetValueKind() == JsonValueKind.Null);
        if (a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number) return a.GetValue<decimal>() == b.GetValue<decimal>();
        return JsonNode.DeepEquals(a, b);
    }

    private async Task Exec(string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection conn, string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
