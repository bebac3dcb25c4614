using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Dashboard commands for what a developer would otherwise script: "Sync now" on the worker, "Reset demo data" on the API.
/// They run inside the AppHost, which already holds the database's connection string: no secret on a command line and
/// no extra endpoint on any service.
/// </summary>
public static class DeveloperCommands
{
    public const string SyncNowName = "sync-now";
    public const string ResetDemoDataName = "reset-demo-data";

    /// <summary>Who the sync_log rows name as the trigger (the API writes the signed-in user's name there).</summary>
    public const string TriggeredBy = "dashboard";

    /// <summary>
    /// "Sync now": a manual sync request for every active, sync-enabled organization, recorded exactly as the API's
    /// <c>POST /api/orgs/{org}/sync/trigger</c> does (a sync_log row with status 'requested', at most one outstanding per
    /// organization), which the worker's scheduler picks up on its next poll.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSyncNowCommand(this IResourceBuilder<ProjectResource> worker,
        IResourceBuilder<PostgresDatabaseResource> database) =>
        worker.WithCommand(SyncNowName, "Sync now", async context =>
        {
            var ct = context.CancellationToken;
            try
            {
                await using var connection = new NpgsqlConnection(await database.Resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
                await connection.OpenAsync(ct).ConfigureAwait(false);
                // Same row as the API's trigger; organizations that already have a request waiting keep it (a repeated click coalesces).
                await using var command = new NpgsqlCommand("""
                    WITH orgs AS (
                      SELECT id, code FROM organizations WHERE is_active AND sync_enabled
                    ), inserted AS (
                      INSERT INTO sync_log (organization_id, direction, kind, status, started_at, fetched, inserted, updated, unchanged, deleted, rejected, triggered_by)
                      SELECT o.id, 'read', 'manual', 'requested', now(), 0, 0, 0, 0, 0, 0, @by FROM orgs o
                      WHERE NOT EXISTS (SELECT 1 FROM sync_log l WHERE l.organization_id = o.id AND l.status = 'requested')
                      RETURNING organization_id
                    )
                    SELECT o.code, o.id IN (SELECT organization_id FROM inserted) FROM orgs o ORDER BY o.code
                    """, connection);
                command.Parameters.AddWithValue("by", TriggeredBy);
                var (requested, waiting) = (new List<string>(), new List<string>());
                await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false)) (reader.GetBoolean(1) ? requested : waiting).Add(reader.GetString(0));
                }
                if (requested.Count + waiting.Count == 0) return CommandResults.Failure("No active, sync-enabled organization to sync.");
                var message = $"Sync requested for {requested.Count} organization(s){List(requested)}";
                if (waiting.Count > 0) message += $"; {waiting.Count} already had a request waiting{List(waiting)}";
                context.Logger.LogInformation("{Message} (from the dashboard).", message);
                return CommandResults.Success(message + ". The worker starts them on its next poll.");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                return CommandResults.Failure("The schema is not there yet: wait until the api has migrated the database.");
            }
        }, new CommandOptions
        {
            Description = "Request a sync of every active, sync-enabled organization now, as the API's sync trigger does.",
            ConfirmationMessage = "Sync every active, sync-enabled organization with PEMS now? Large organizations take PEMS a while to serve.",
            IconName = "ArrowSync",
            IsHighlighted = true,
            // Only a running, healthy worker picks the request up; otherwise the click would look like it did nothing.
            UpdateState = context => IsRunningAndHealthy(context.ResourceSnapshot) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });

    /// <summary>
    /// "Reset demo data" (run mode in Development only; elsewhere nothing is added): stops the API and the PEMS
    /// simulator, drops and recreates the application database, discards the simulator's edit journal, then starts them
    /// again: the API migrates and seeds the demo organizations and users, and the worker re-reads PEMS into the mirror.
    /// Dropping the database rather than deleting rows keeps the reset correct whatever tables later migrations add.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithResetDemoDataCommand(this IResourceBuilder<ProjectResource> api,
        IResourceBuilder<PostgresDatabaseResource> database, IResourceBuilder<ProjectResource> pems)
    {
        var app = api.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode || !app.Environment.IsDevelopment()) return api;

        return api.WithCommand(ResetDemoDataName, "Reset demo data", async context =>
        {
            var ct = context.CancellationToken;
            var services = context.Services;
            var commands = services.GetRequiredService<ResourceCommandService>();
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            var log = context.Logger;

            // Read before stopping: where the simulator journals edits (relative paths are against its working directory).
            var journal = await PemsJournalAsync(pems.Resource, ct).ConfigureAwait(false);

            var startedBefore = new Dictionary<string, DateTime?>();
            // The API seeds only when it starts, the simulator replays its journal only when it starts: those two restart.
            // The worker keeps running: dropping the database ends its connections, its loop retries, and it syncs the
            // demo organizations again once the API has seeded them (and it would need a graceful stop mid-sync otherwise).
            foreach (var resource in new IResource[] { api.Resource, pems.Resource })
            {
                var current = await notifications.WaitForResourceAsync(resource.Name, _ => true, ct).ConfigureAwait(false);
                startedBefore[resource.Name] = current.Snapshot.StartTimeStamp;
                if (KnownResourceStates.TerminalStates.Contains(current.Snapshot.State?.Text)) continue;
                log.LogInformation("Reset demo data: stopping {Resource}.", resource.Name);
                // Aspire gives a stop ~15 s before it calls it failed; a worker finishing a sync page may need longer to exit
                // gracefully. The process's own end is what counts, so wait for it with a bound of our own.
                var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, ct).ConfigureAwait(false);
                using var stopTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                stopTimeout.CancelAfter(TimeSpan.FromSeconds(90));
                try
                {
                    await notifications.WaitForResourceAsync(resource.Name, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), stopTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return CommandResults.Failure($"Could not stop {resource.Name}: {result.Message ?? "it did not exit within 90 s"}");
                }
            }

            await RecreateDatabaseAsync(database.Resource, ct).ConfigureAwait(false);
            log.LogInformation("Reset demo data: dropped and recreated database {Database}.", database.Resource.DatabaseName);
            if (journal is not null && File.Exists(journal))
            {
                File.Delete(journal);
                log.LogInformation("Reset demo data: deleted the PEMS simulator's journal {Journal}.", journal);
            }

            // The API migrates and seeds on start (Development).
            foreach (var resource in new IResource[] { pems.Resource, api.Resource })
            {
                log.LogInformation("Reset demo data: starting {Resource}.", resource.Name);
                var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, ct).ConfigureAwait(false);
                if (!result.Success) return CommandResults.Failure($"Could not start {resource.Name}: {result.Message}");
                // A stale "Healthy" from before the stop must not count: wait for a new start (DCP's timestamps are whole seconds).
                using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                startTimeout.CancelAfter(TimeSpan.FromMinutes(3));
                try
                {
                    await notifications.WaitForResourceAsync(resource.Name,
                        e => IsRunningAndHealthy(e.Snapshot) && e.Snapshot.StartTimeStamp != startedBefore.GetValueOrDefault(resource.Name), startTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return CommandResults.Failure($"{resource.Name} did not come back healthy within 3 minutes: see its console.");
                }
            }
            return CommandResults.Success(
                $"Demo data reset: database '{database.Resource.DatabaseName}' recreated, migrated and seeded (demo organizations and users), " +
                $"PEMS simulator back to its seed{(journal is null ? "" : " (journal deleted)")}; the worker is re-reading PEMS into the mirror.");
        }, new CommandOptions
        {
            Description = "Bring the database and the PEMS simulator back to the freshly seeded demo state (Development only).",
            ConfirmationMessage =
                $"This drops the '{database.Resource.DatabaseName}' database: every draft, commit, write-back, conflict, journal entry, sync history and " +
                "every user or organization created since the demo seed is lost, and the PEMS simulator forgets the changes written to it. " +
                "The api and pems restart and the worker syncs the demo organizations again; signed-in users must sign in again. Continue?",
            IconName = "ArrowReset",
            UpdateState = context => IsRunningAndHealthy(context.ResourceSnapshot) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
    }

    private static bool IsRunningAndHealthy(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus == HealthStatus.Healthy;

    private static string List(List<string> codes) => codes.Count == 0 ? "" : $" ({string.Join(", ", codes)})";

    /// <summary>DROP … WITH (FORCE) ends the connections the stopped services may have left behind (and this process's pool).</summary>
    private static async Task RecreateDatabaseAsync(PostgresDatabaseResource database, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(await database.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false))
        {
            Database = "postgres", Pooling = false,
        };
        var name = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", $"CREATE DATABASE {name}" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        // The database's health check pools connections in this process: they point at the dropped database.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>The simulator's edit journal (its GET /admin/stats), as an absolute path; null when it keeps edits in memory or does not answer.</summary>
    private static async Task<string?> PemsJournalAsync(ProjectResource pems, CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(pems.GetEndpoint("http").Url), Timeout = TimeSpan.FromSeconds(10) };
            var stats = await http.GetFromJsonAsync<JsonObject>("/admin/stats", ct).ConfigureAwait(false);
            if (stats?["journal"]?.GetValue<string>() is not { Length: > 0 } journal) return null;
            var workingDirectory = Path.GetDirectoryName(pems.GetProjectMetadata().ProjectPath)!;
            return Path.GetFullPath(journal, workingDirectory);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
        {
            return null; // admin API off or simulator down: the restart alone resets an in-memory simulator
        }
    }
}
