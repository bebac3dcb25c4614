using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Pfa.Data.Backups;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// "Back up" on the database in the dashboard: the same backup as <c>./pfa backup</c> (Pfa.Data/Backups), into
/// <c>&lt;data directory&gt;/backups</c> with the <c>Backups</c> settings' retention. The AppHost already holds the
/// connection string, so no password leaves the process except to pg_dump through its environment.
/// </summary>
public static class BackupCommands
{
    public const string BackupName = "backup";

    public static IResourceBuilder<PostgresDatabaseResource> WithBackupCommand(this IResourceBuilder<PostgresDatabaseResource> database)
    {
        var app = database.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode) return database;
        var options = app.Configuration.GetSection(BackupOptions.Section).Get<BackupOptions>() ?? new BackupOptions();
        var directory = Path.GetFullPath(options.Directory is { Length: > 0 } configured ? configured : BackupFiles.BackupDirectory(LocalDataStores.DataDirectory(app)));

        return database.WithCommand(BackupName, "Back up", async context =>
        {
            try
            {
                var connectionString = await database.Resource.ConnectionStringExpression.GetValueAsync(context.CancellationToken).ConfigureAwait(false);
                var result = await DatabaseBackups.BackupAsync(connectionString!, directory, options, context.CancellationToken).ConfigureAwait(false);
                var m = result.Manifest;
                var message = $"Backed up {m.Tables.Count} tables ({m.Tables.Sum(t => t.Rows):N0} rows, {m.DumpBytes / 1048576.0:N1} MiB) in " +
                    $"{result.Duration.TotalSeconds:N1} s to {result.DumpPath}" +
                    (result.Deleted.Count > 0 ? $"; retention deleted {result.Deleted.Count} older backup(s)" : "") + ".";
                context.Logger.LogInformation("{Message}", message);
                return CommandResults.Success(message);
            }
            catch (BackupException e)
            {
                context.Logger.LogError("Backup failed: {Message}", e.Message);
                return CommandResults.Failure(e.Message);
            }
        }, new CommandOptions
        {
            Description = $"pg_dump (custom format, compressed) with a SHA-256 manifest of every table into {directory}; " +
                $"keeps the newest {options.KeepLast} and those younger than {options.KeepDays} days. Restore with ./pfa restore <file>.",
            IconName = "DatabaseArrowDown",
            UpdateState = context => context.ResourceSnapshot.State?.Text == KnownResourceStates.Running && context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
    }
}
