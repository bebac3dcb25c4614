using Pfa.Data.Queries;
using System.Diagnostics;
using System.Threading.Channels;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.Domain;

namespace Pfa.SyncWorker;

public enum SyncKind { Incremental, Full }

public enum SyncOutcome { Completed, Failed, Skipped }

/// <summary>What one run did; <see cref="SyncId"/> is its sync_log row (null when skipped because another replica holds the org).</summary>
public sealed record SyncRunResult(
    long? SyncId, SyncOutcome Outcome, SyncKind Kind, int Fetched, int Inserted, int Updated, int Unchanged, int Deleted, int Rejected,
    int Conflicts, long MirrorVersion, string? Error)
{
    public bool Changed => Inserted + Updated + Deleted > 0;
}

/// <summary>
/// One read sync of one organization: advisory lock, sync_log row (claiming a manual request from the API if one is
/// waiting), keyset-paged PEMS read pipelined with the writes, normalisation with rejections, one upsert transaction per page, tombstones after a
/// full read, conflicts, KPI summary refresh and mirror_version bump, event. Safe to kill at any point: committed pages are
/// consistent, the watermark only moves when a run completes, and the next run redoes the rest.
/// </summary>
public sealed class SyncRunner(
    NpgsqlDataSource db, PemsClient pems, PemsRowNormalizer normalizer, IOptions<SyncOptions> options, SyncEvents events,
    ILogger<SyncRunner> logger, TimeProvider? time = null, PemsConnections? connections = null)
{
    // First key of the two-int advisory lock: "PFAS"; the second is derived from the organization id.
    private const int LockSpace = 0x50464153;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<SyncRunResult> RunAsync(Guid organizationId, string organizationCode, SyncKind? kind = null, string triggeredBy = "schedule",
        CancellationToken ct = default)
    {
        var o = options.Value;
        await using var lockConn = await db.OpenConnectionAsync(ct);
        if (!await TryLockAsync(lockConn, organizationId, ct))
        {
            logger.LogInformation("Sync of {Org} skipped: another worker holds it", organizationCode);
            SyncTelemetry.Runs.Add(1, new("kind", kind?.ToString() ?? "any"), new("status", "skipped"));
            return new SyncRunResult(null, SyncOutcome.Skipped, kind ?? SyncKind.Incremental, 0, 0, 0, 0, 0, 0, 0, 0, null);
        }

        using var activity = SyncTelemetry.Source.StartActivity("sync.run");
        activity?.SetTag("pfa.organization", organizationCode);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // We hold the lock, so a 'running' row of this org is a run that died; its work is redone below.
            var recovered = await ExecAsync(lockConn, """
                UPDATE sync_log SET status = 'failed', completed_at = now(), error_message = 'Interrupted: the worker stopped mid-run; the next run completed the work'
                WHERE organization_id = @org AND direction = 'read' AND status = 'running'
                """, ct, ("org", organizationId)) > 0;

            var (lastFull, watermark) = await ReadStateAsync(lockConn, organizationId, ct);
            var now = _time.GetUtcNow();
            var runKind = kind ?? (lastFull is null || watermark is null || now - lastFull >= o.FullReconciliationInterval ? SyncKind.Full : SyncKind.Incremental);
            activity?.SetTag("pfa.sync.kind", runKind.ToString());
            var syncId = await StartLogAsync(lockConn, organizationId, runKind, triggeredBy, ct);
            activity?.SetTag("pfa.sync.id", syncId);
            await events.PublishAsync(organizationCode, PfaEvents.SyncStarted, new { syncId, kind = KindName(runKind), triggeredBy });

            var tally = new Tally();
            Exception? failure = null;
            try
            {
                var client = connections is null ? pems : await connections.ClientForAsync(organizationId, ct);
                await ReadAndUpsertAsync(client, organizationId, organizationCode, syncId, runKind, watermark, tally, ct);
                if (runKind == SyncKind.Full || tally.Inserted + tally.Updated > 0)
                {
                    await using var conn = await db.OpenConnectionAsync(ct);
                    await using var tx = await conn.BeginTransactionAsync(ct);
                    if (runKind == SyncKind.Full) tally.Deleted = await MirrorUpsert.TombstoneUnseenAsync(conn, tx, organizationId, syncId, ct);
                    if (tally.Inserted + tally.Updated + tally.Deleted > 0) tally.Conflicts = await MirrorUpsert.MarkConflictsAsync(conn, tx, organizationId, ct);
                    await tx.CommitAsync(ct);
                }
            }
            catch (Exception e)
            {
                // Recorded, never rethrown: the worker loop goes on with the next organization.
                failure = e;
                logger.LogWarning(e, "Sync {SyncId} of {Org} failed after {Fetched} rows", syncId, organizationCode, tally.Fetched);
            }

            // KPI summaries and version follow any committed change, even from a failed or recovered run, so readers never see a stale KPI.
            var finishCt = CancellationToken.None;
            var changed = tally.Inserted + tally.Updated + tally.Deleted > 0;
            long mirrorVersion;
            if (changed || recovered)
            {
                mirrorVersion = await PfaStore.MirrorChangedAsync(db, organizationId, finishCt);
            }
            else mirrorVersion = await ScalarAsync<long>(lockConn, "SELECT mirror_version FROM organizations WHERE id = @org", finishCt, ("org", organizationId));

            var elapsed = Stopwatch.GetElapsedTime(started);
            await FinishLogAsync(lockConn, organizationId, syncId, runKind, failure, tally, (long)elapsed.TotalMilliseconds, finishCt);

            var outcome = failure is null ? SyncOutcome.Completed : SyncOutcome.Failed;
            SyncTelemetry.Runs.Add(1, new("kind", runKind.ToString()), new("status", outcome.ToString()));
            SyncTelemetry.Duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", runKind.ToString()));
            foreach (var (name, n) in new[] { ("inserted", tally.Inserted), ("updated", tally.Updated), ("unchanged", tally.Unchanged), ("deleted", tally.Deleted), ("rejected", tally.Rejected) })
                if (n > 0) SyncTelemetry.Records.Add(n, new KeyValuePair<string, object?>("outcome", name));
            activity?.SetStatus(failure is null ? ActivityStatusCode.Ok : ActivityStatusCode.Error, failure?.Message);

            await events.PublishAsync(organizationCode, PfaEvents.SyncFinished, new
            {
                syncId, kind = KindName(runKind), outcome = outcome.ToString(), error = failure?.Message, fetched = tally.Fetched, inserted = tally.Inserted,
                updated = tally.Updated, unchanged = tally.Unchanged, deleted = tally.Deleted, rejected = tally.Rejected, durationMs = (long)elapsed.TotalMilliseconds,
            });
            if (changed || recovered)
                await events.PublishAsync(organizationCode, SyncEvents.OrganizationSynced, new
                {
                    syncId, kind = runKind.ToString(), tally.Inserted, tally.Updated, tally.Deleted, tally.Conflicts, mirrorVersion,
                });
            logger.LogInformation("Sync {SyncId} of {Org} ({Kind}) {Outcome}: fetched {Fetched}, inserted {Inserted}, updated {Updated}, unchanged {Unchanged}, deleted {Deleted}, rejected {Rejected}, conflicts {Conflicts} in {Ms} ms",
                syncId, organizationCode, runKind, outcome, tally.Fetched, tally.Inserted, tally.Updated, tally.Unchanged, tally.Deleted, tally.Rejected, tally.Conflicts, (long)elapsed.TotalMilliseconds);
            return new SyncRunResult(syncId, outcome, runKind, tally.Fetched, tally.Inserted, tally.Updated, tally.Unchanged, tally.Deleted,
                tally.Rejected, tally.Conflicts, mirrorVersion, failure?.Message);
        }
        finally
        {
            // Closing the connection would release it too; unlocking first returns a clean connection to the pool.
            await ExecAsync(lockConn, "SELECT pg_advisory_unlock(@k1, @k2)", CancellationToken.None, ("k1", LockSpace), ("k2", LockKey(organizationId)));
        }
    }

    private async Task ReadAndUpsertAsync(PemsClient pems, Guid orgId, string orgCode, long syncId, SyncKind kind, DateTimeOffset? watermark, Tally tally, CancellationToken ct)
    {
        var o = options.Value;
        // Keyset paging by pfs_id for both kinds: a record deleted or edited mid-read cannot shift another out of the read.
        var query = new GridQuery
        {
            KeysetPaging = true,
            PageSize = o.PageSize,
            ModifiedSince = kind == SyncKind.Incremental ? watermark - o.IncrementalOverlap : null,
        };
        // Pipelined: PEMS (and our parsing/normalising) produces page N+1 while PostgreSQL writes page N. The bounded
        // channel holds one page, so memory stays at ~3 pages; a failure on either side ends both.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pages = Channel.CreateBounded<SyncBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var page in pems.ReadGridPagesAsync(orgCode, query, stop.Token))
                    await pages.Writer.WriteAsync(SyncBatch.From(page, orgCode, normalizer), stop.Token);
                pages.Writer.Complete();
            }
            catch (Exception e)
            {
                pages.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var batch in pages.Reader.ReadAllAsync(ct))
            {
                using var span = SyncTelemetry.Source.StartActivity("sync.batch");
                span?.SetTag("pfa.sync.rows", batch.Fetched);
                tally.Fetched += batch.Fetched;
                foreach (var (pfaId, reasons) in batch.Rejections) tally.Reject(pfaId, reasons, o.MaxRejectionsLogged);
                if (batch.MaxStamp is { } lm && (tally.MaxStamp is null || lm > tally.MaxStamp)) tally.MaxStamp = lm;
                var counts = await MirrorUpsert.UpsertBatchAsync(db, orgId, syncId, kind == SyncKind.Full, batch.Records.Values, batch.RejectedIds, ct);
                tally.Inserted += counts.Inserted;
                tally.Updated += counts.Updated;
                tally.Unchanged += counts.Unchanged + batch.Duplicates; // duplicates within a page count once
                tally.Pages++;
                // Progress for the UI's bar: PEMS's TOTAL-COUNT of the query (absent on some pages) against rows read so far.
                if (batch.Total is { } total) tally.Total = total;
                await events.PublishAsync(orgCode, PfaEvents.SyncProgress, new { syncId, kind = KindName(kind), pages = tally.Pages, fetched = tally.Fetched, total = tally.Total });
            }
        }
        finally
        {
            // Normally the producer is done; after a write failure it is stopped before it reads further.
            await stop.CancelAsync();
            await producer;
        }
    }

    /// <summary>The (space, key) pair of the per-organization advisory lock; a key collision only serialises two orgs, never breaks them.</summary>
    public static (int Space, int Key) AdvisoryLock(Guid organizationId) => (LockSpace, LockKey(organizationId));

    private static int LockKey(Guid organizationId)
    {
        var bytes = organizationId.ToByteArray();
        return BitConverter.ToInt32(bytes, 0) ^ BitConverter.ToInt32(bytes, 12);
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection conn, Guid organizationId, CancellationToken ct) =>
        await ScalarAsync<bool>(conn, "SELECT pg_try_advisory_lock(@k1, @k2)", ct, ("k1", LockSpace), ("k2", LockKey(organizationId)));

    private static async Task<(DateTimeOffset? LastFull, DateTimeOffset? Watermark)> ReadStateAsync(NpgsqlConnection conn, Guid org, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT last_full_sync_at, last_incremental_sync_at FROM organizations WHERE id = @org", conn);
        cmd.Parameters.AddWithValue("org", org);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException($"Organization {org} does not exist.");
        return (r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0), r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>Claims the API's outstanding manual request for this org (so a click and a schedule coalesce), else starts a new row.</summary>
    private static async Task<long> StartLogAsync(NpgsqlConnection conn, Guid org, SyncKind kind, string triggeredBy, CancellationToken ct) =>
        await ScalarAsync<long>(conn, """
            WITH claimed AS (
              UPDATE sync_log SET status = 'running', kind = @kind, started_at = now()
              WHERE id = (SELECT min(id) FROM sync_log WHERE organization_id = @org AND direction = 'read' AND status = 'requested')
              RETURNING id
            ), started AS (
              INSERT INTO sync_log (organization_id, direction, kind, status, started_at, fetched, inserted, updated, unchanged, deleted, rejected, triggered_by)
              SELECT @org, 'read', @kind, 'running', now(), 0, 0, 0, 0, 0, 0, @by WHERE NOT EXISTS (SELECT 1 FROM claimed)
              RETURNING id
            )
            SELECT id FROM claimed UNION ALL SELECT id FROM started
            """, ct, ("org", org), ("kind", KindName(kind)), ("by", triggeredBy));

    private async Task FinishLogAsync(NpgsqlConnection conn, Guid org, long syncId, SyncKind kind, Exception? failure, Tally t, long durationMs, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (failure is null)
        {
            // The watermark (a PEMS stamp, so PEMS's clock) only moves when every page arrived: a failed run is redone from the old mark.
            await ExecAsync(conn, """
                UPDATE organizations SET
                  last_incremental_sync_at = greatest(last_incremental_sync_at, @mark::timestamptz),
                  last_full_sync_at = CASE WHEN @full THEN @full_at ELSE last_full_sync_at END
                WHERE id = @org
                """, ct, ("org", org), ("mark", (object?)t.MaxStamp ?? DBNull.Value), ("full", kind == SyncKind.Full),
                ("full_at", _time.GetUtcNow()));
        }
        var details = t.Rejections.Count == 0 && failure is null ? null
            : JsonSerializer.Serialize(new { rejected = t.Rejections, rejectedTotal = t.Rejected, error = failure?.GetType().Name });
        await ExecAsync(conn, """
            UPDATE sync_log SET status = @status, kind = @kind, completed_at = now(), duration_ms = @ms, fetched = @fetched,
              inserted = @ins, updated = @upd, unchanged = @unch, deleted = @del, rejected = @rej, error_message = @err, error_details = @details::jsonb
            WHERE id = @id
            """, ct, ("id", syncId), ("status", failure is null ? "completed" : "failed"), ("kind", KindName(kind)), ("ms", durationMs),
            ("fetched", t.Fetched), ("ins", t.Inserted), ("upd", t.Updated), ("unch", t.Unchanged), ("del", t.Deleted), ("rej", t.Rejected),
            ("err", (object?)failure?.Message ?? DBNull.Value), ("details", (object?)details ?? DBNull.Value));
        await tx.CommitAsync(ct);
    }

    public static string KindName(SyncKind kind) => kind == SyncKind.Full ? "full" : "incremental";

    private static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private sealed class Tally
    {
        public int Fetched, Inserted, Updated, Unchanged, Deleted, Rejected, Conflicts, Pages;
        public long? Total;
        public DateTimeOffset? MaxStamp;
        public List<object> Rejections { get; } = [];

        public void Reject(string? pfaId, IReadOnlyList<string> reasons, int maxListed)
        {
            Rejected++;
            if (Rejections.Count < maxListed) Rejections.Add(new { pfaId, reasons });
        }
    }
}
