using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Aspire copies a parent's state to its children only for containers; a database under a local-process server
/// would stay "Unknown" and everything that waits for it would wait forever. This publishes the databases' states:
/// Starting with the server, Running once created (their stock health checks then make them Healthy), and the
/// server's failure or exit, so dependents fail with a message instead of waiting.
/// </summary>
internal static class DatabaseStates
{
    public static void FollowServer(IDistributedApplicationBuilder app, LocalPostgresServerResource local)
    {
        // From before start, not after the resources are created: a dependent blocked in WaitFor would hold creation up forever.
        app.Eventing.Subscribe<BeforeStartEvent>((e, startToken) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var loggers = e.Services.GetRequiredService<ResourceLoggerService>();
            var ct = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in notifications.WatchAsync(ct).ConfigureAwait(false))
                    {
                        if (change.Resource != local || change.Snapshot.State?.Text is not { } state) continue;
                        if (state == KnownResourceStates.Starting)
                        {
                            await PublishAsync(Databases(local, e.Services), notifications, KnownResourceStates.Starting).ConfigureAwait(false);
                        }
                        else if (KnownResourceStates.TerminalStates.Contains(state) || state == KnownResourceStates.RuntimeUnhealthy)
                        {
                            foreach (var database in Databases(local, e.Services))
                            {
                                loggers.GetLogger(database).LogError("Server '{Server}' is {State}{ExitCode}: see its console log.", local.Name, state,
                                    change.Snapshot.ExitCode is { } code ? $" (exit code {code})" : "");
                            }
                            await PublishAsync(Databases(local, e.Services), notifications, state == KnownResourceStates.Exited && change.Snapshot.ExitCode is 0 ? KnownResourceStates.Finished : state).ConfigureAwait(false);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        });
    }

    /// <summary>The server created its databases: they run (and their health checks decide when they are Healthy).</summary>
    public static async Task PublishReadyAsync(LocalPostgresServerResource local, IServiceProvider services, CancellationToken ct)
    {
        var eventing = services.GetRequiredService<Aspire.Hosting.Eventing.IDistributedApplicationEventing>();
        foreach (var database in Databases(local, services))
        {
            // Feeds the stock database health check its connection string, and the dashboard its connection-string property.
            await eventing.PublishAsync(new ConnectionStringAvailableEvent(database, services), ct).ConfigureAwait(false);
        }
        await PublishAsync(Databases(local, services), services.GetRequiredService<ResourceNotificationService>(), KnownResourceStates.Running).ConfigureAwait(false);
    }

    private static async Task PublishAsync(IEnumerable<PostgresDatabaseResource> databases, ResourceNotificationService notifications, string state)
    {
        foreach (var database in databases)
        {
            await notifications.PublishUpdateAsync(database, s => s with
            {
                State = state,
                StartTimeStamp = state == KnownResourceStates.Running ? DateTime.UtcNow : s.StartTimeStamp,
                StopTimeStamp = KnownResourceStates.TerminalStates.Contains(state) ? DateTime.UtcNow : null,
            }).ConfigureAwait(false);
        }
    }

    private static IEnumerable<PostgresDatabaseResource> Databases(LocalPostgresServerResource local, IServiceProvider services) =>
        services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PostgresDatabaseResource>().Where(d => d.Parent == local.Server);
}
