using Microsoft.Extensions.Options;
using Npgsql;

namespace Pfa.SyncWorker;

/// <summary>
/// Polls for organizations whose interval has passed or that have a manual request from the API (sync_log status
/// 'requested'), and runs them one at a time. Replicas can all poll: the advisory lock in <see cref="SyncRunner"/>
/// lets only one sync an organization, the others skip it.
/// </summary>
public sealed class SyncScheduler(
    NpgsqlDataSource db, SyncRunner runner, WriteBackRunner writeBack, SchemaGuard schema, IOptions<SyncOptions> options, ILogger<SyncScheduler> logger,
    TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await schema.EnsureAsync(stoppingToken))
                    foreach (var due in await DueOrganizationsAsync(db, options.Value, _time.GetUtcNow(), stoppingToken))
                    {
                        if (stoppingToken.IsCancellationRequested) break;
                        await runner.RunAsync(due.Id, due.Code, triggeredBy: due.Requested ? "manual" : "schedule", ct: stoppingToken);
                    }
                if (schema.IsReady)
                    foreach (var (id, code) in await WriteBackDueAsync(db, stoppingToken))
                    {
                        if (stoppingToken.IsCancellationRequested) break;
                        await writeBack.RunAsync(id, code, stoppingToken);
                    }
                if (failures > 0) logger.LogInformation("Sync scheduling resumed after {Failures} failed passes", failures);
                failures = 0;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                logger.LogError(e, "Sync scheduling pass failed ({Failures} in a row); retrying in {Delay}", failures, RetryDelay(options.Value.PollInterval, failures));
            }
            try { await Task.Delay(RetryDelay(options.Value.PollInterval, failures), _time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Longest wait between failing passes (PostgreSQL down): the worker resumes within this after it returns.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The poll interval after a good pass; after consecutive failures (database down, schema missing) it doubles per failure
    /// up to <see cref="MaxRetryDelay"/>, so an outage is not hammered nor flooded with log errors.
    /// </summary>
    public static TimeSpan RetryDelay(TimeSpan pollInterval, int failures)
    {
        if (failures <= 0) return pollInterval;
        var factor = Math.Pow(2, Math.Min(failures - 1, 16));
        return TimeSpan.FromTicks((long)Math.Min(pollInterval.Ticks * factor, Math.Max(pollInterval.Ticks, MaxRetryDelay.Ticks)));
    }

    /// <summary>Organizations with outbox rows due for a write (pending and due, or claimed by a worker whose lease ran out).</summary>
    public static async Task<IReadOnlyList<(Guid Id, string Code)>> WriteBackDueAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT o.id, o.code FROM organizations o
            WHERE o.is_active AND o.sync_enabled AND EXISTS (
              SELECT 1 FROM pfa_outbox x WHERE x.organization_id = o.id
                AND ((x.status = 'pending' AND (x.next_attempt_at IS NULL OR x.next_attempt_at <= now())) OR (x.status = 'processing' AND x.next_attempt_at <= now())))
            ORDER BY o.code
            """);
        var list = new List<(Guid, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetGuid(0), r.GetString(1)));
        return list;
    }

    public sealed record DueOrganization(Guid Id, string Code, bool Requested);

    /// <summary>Active, sync-enabled organizations whose interval (organizations.sync_interval_minutes, else Sync:Interval) has passed since their last run, or with a manual request waiting.</summary>
    public static async Task<IReadOnlyList<DueOrganization>> DueOrganizationsAsync(NpgsqlDataSource db, SyncOptions options, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT o.id, o.code,
                   (SELECT max(started_at) FROM sync_log l WHERE l.organization_id = o.id AND l.direction = 'read' AND l.status <> 'requested'),
                   EXISTS (SELECT 1 FROM sync_log l WHERE l.organization_id = o.id AND l.direction = 'read' AND l.status = 'requested'),
                   o.sync_interval_minutes
            FROM organizations o WHERE o.is_active AND o.sync_enabled AND o.service_status = 'active'
            ORDER BY o.code
            """);
        var due = new List<DueOrganization>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var code = r.GetString(1);
            var requested = r.GetBoolean(3);
            var lastRun = r.IsDBNull(2) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(2);
            var interval = options.IntervalFor(code, r.IsDBNull(4) ? null : r.GetInt32(4));
            if (requested || lastRun is null || now - lastRun >= interval)
                due.Add(new DueOrganization(r.GetGuid(0), code, requested));
        }
        // Manual requests first: someone is waiting for them.
        return [.. due.OrderByDescending(d => d.Requested)];
    }
}
