using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// "Import legacy data" (and its dry run) on the database in the dashboard: runs the same <c>./pfa import-legacy</c> (Pfa.Ops) on
/// the configured source, <c>LegacyImport:Source</c> (an export folder or a .db file; default <c>&lt;data directory&gt;/legacy-import</c>).
/// The connection string and the old system's key (<c>LEGACY_ENCRYPTION_KEY</c> from the AppHost's configuration or user
/// secrets) reach the child process through its environment only, never its command line. The report is the command's result.
/// </summary>
public static class LegacyImportCommands
{
    public const string ImportName = "import-legacy", DryRunName = "import-legacy-dry-run";
    public const string SourceKey = "LegacyImport:Source";
    private const string KeyVariable = Pfa.Data.Legacy.LegacySecrets.KeyVariable;

    public static IResourceBuilder<PostgresDatabaseResource> WithLegacyImportCommands(this IResourceBuilder<PostgresDatabaseResource> database)
    {
        var app = database.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode) return database;
        var source = Path.GetFullPath(app.Configuration[SourceKey] is { Length: > 0 } configured ? configured : Path.Combine(LocalDataStores.DataDirectory(app), "legacy-import"));
        var ops = Path.GetFullPath(Path.Combine(app.AppHostDirectory, "..", "Pfa.Ops"));
        var key = app.Configuration[KeyVariable];

        foreach (var (name, title, dryRun) in new[] { (DryRunName, "Import legacy data (dry run)", true), (ImportName, "Import legacy data", false) })
        {
            database.WithCommand(name, title, async context =>
            {
                if (!Directory.Exists(source) && !File.Exists(source))
                    return CommandResults.Failure($"No legacy data at {source}: put the old system's export folder or .db file there, or set {SourceKey}.");
                var connectionString = await database.Resource.ConnectionStringExpression.GetValueAsync(context.CancellationToken).ConfigureAwait(false);
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { "run", "--project", ops, "-v", "q", "--", "import-legacy", source }) start.ArgumentList.Add(arg);
                if (dryRun) start.ArgumentList.Add("--dry-run");
                start.Environment[$"ConnectionStrings__{Pfa.ServiceDefaults.PfaResources.Database}"] = connectionString;
                if (!string.IsNullOrEmpty(key)) start.Environment[KeyVariable] = key;
                using var process = Process.Start(start)!;
                var output = process.StandardOutput.ReadToEndAsync(context.CancellationToken);
                var errors = process.StandardError.ReadToEndAsync(context.CancellationToken);
                await process.WaitForExitAsync(context.CancellationToken).ConfigureAwait(false);
                var report = ((await output.ConfigureAwait(false)) + (await errors.ConfigureAwait(false))).Trim();
                foreach (var line in report.Split('\n')) context.Logger.LogInformation("{Line}", line);
                return process.ExitCode == 0 ? CommandResults.Success(report) : CommandResults.Failure(report);
            }, new CommandOptions
            {
                Description = $"./pfa import-legacy {source}{(dryRun ? " --dry-run: what would be created, updated, unchanged or skipped; nothing is written" : ": idempotent, verified; a second run changes nothing")}.",
                ConfirmationMessage = dryRun ? null : $"Import the old system's data from {source} into this database?",
                IconName = "ArrowImport",
                UpdateState = context => context.ResourceSnapshot.State?.Text == KnownResourceStates.Running && context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                    ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            });
        }
        return database;
    }
}
