using System.Globalization;
using Npgsql;
using Pfa.Data.Backups;

namespace Pfa.Ops;

/// <summary>The commands; each prints what it did, or one clear line on stderr and exit code 1.</summary>
public static class OpsCommands
{
    public const string Usage = """
        usage: ./pfa backup  [--Backups:KeepLast=N] [--Backups:KeepDays=N] [--Backups:Directory=PATH]
               ./pfa restore <backup .dump or .manifest.json> [--into DATABASE]
               ./pfa backups                      list the backups in the backups folder
               ./pfa import-legacy <export folder> --dry-run   verify the old system's JSON export and show the mapping
        The database is ConnectionStrings__pfadb from the environment, else the local stack of ./pfa run.
        """;

    public static async Task<int> RunAsync(string[] args, OpsSettings settings, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !IsOptionValue(args, a)).ToList();
        try
        {
            switch (positional.FirstOrDefault())
            {
                case "backup":
                    await BackupAsync(settings, output, ct);
                    return 0;
                case "restore" when positional.Count == 2:
                    await RestoreAsync(settings, positional[1], Option(args, "--into"), output, ct);
                    return 0;
                case "backups":
                    ListBackups(settings, output);
                    return 0;
                case "import-legacy" when positional.Count == 2:
                    return await ImportLegacyAsync(positional[1], args.Contains("--dry-run"), output, errors, ct);
                default:
                    await errors.WriteLineAsync(Usage);
                    return 2;
            }
        }
        catch (BackupException e)
        {
            await errors.WriteLineAsync(e.Message);
            return 1;
        }
        catch (Pfa.Data.Legacy.LegacyImportException e)
        {
            await errors.WriteLineAsync(e.Message);
            return 1;
        }
        catch (NpgsqlException e)
        {
            await errors.WriteLineAsync($"PostgreSQL: {e.Message} (is the stack running? ./pfa run)");
            return 1;
        }
    }

    private static async Task BackupAsync(OpsSettings settings, TextWriter output, CancellationToken ct)
    {
        var options = settings.BackupOptions();
        var result = await DatabaseBackups.BackupAsync(settings.ConnectionString(), settings.BackupDirectory(), options, ct);
        var m = result.Manifest;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Backed up {m.Database}: {m.Tables.Count} tables, {m.Tables.Sum(t => t.Rows):N0} rows, {m.DumpBytes / 1048576.0:N1} MiB in {result.Duration.TotalSeconds:N1} s"));
        await output.WriteLineAsync($"  {result.DumpPath}");
        await output.WriteLineAsync($"  {result.ManifestPath} (SHA-256 {m.DumpSha256})");
        if (result.Deleted.Count > 0)
            await output.WriteLineAsync($"Retention (keep last {options.KeepLast}, {options.KeepDays} days) deleted {result.Deleted.Count}: {string.Join(", ", result.Deleted.Select(Path.GetFileName))}");
    }

    private static async Task RestoreAsync(OpsSettings settings, string file, string? into, TextWriter output, CancellationToken ct)
    {
        var source = new NpgsqlConnectionStringBuilder(settings.ConnectionString());
        var database = into ?? $"{source.Database}_restored_{DateTime.UtcNow:yyyyMMddHHmmss}";
        var target = new NpgsqlConnectionStringBuilder(source.ConnectionString) { Database = database };
        var result = await DatabaseBackups.RestoreAsync(file, target.ConnectionString, settings.BackupOptions(), ct);
        var m = result.Manifest;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Restored {Path.GetFileName(m.DumpFile)} into database '{database}' in {result.Duration.TotalSeconds:N1} s: file checksum and all {m.Tables.Count} tables ({m.Tables.Sum(t => t.Rows):N0} rows) match the manifest."));
        await output.WriteLineAsync($"To make it the application database, stop the stack and rename: ALTER DATABASE \"{source.Database}\" RENAME TO \"{source.Database}_old\"; ALTER DATABASE \"{database}\" RENAME TO \"{source.Database}\";");
    }

    /// <summary>Only the dry run exists yet: verification and mapping of the JSON export, nothing written (docs/architecture.md "Legacy import").</summary>
    private static async Task<int> ImportLegacyAsync(string path, bool dryRun, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        if (!Directory.Exists(path))
        {
            await errors.WriteLineAsync($"{path} is not an export folder (reading the old SQLite .db file is not built yet).");
            return 1;
        }
        var plan = Pfa.Data.Legacy.LegacyPlan.Build(await Pfa.Data.Legacy.LegacyExport.ReadAsync(path, ct));
        await output.WriteLineAsync($"Export verified (every table's row count and SHA-256, the overall checksum). It maps onto:");
        await output.WriteLineAsync($"  {plan.Users.Count} users ({plan.Users.Count(u => u.IsSystemAdmin)} system admins, {plan.Users.Count(u => !u.IsActive)} inactive); every one must set a new password at first sign-in");
        await output.WriteLineAsync($"  {plan.Organizations.Count} organizations: {string.Join(", ", plan.Organizations.Select(o => o.Code).Take(20))}{(plan.Organizations.Count > 20 ? ", …" : "")}");
        foreach (var role in plan.Memberships.GroupBy(m => m.Role).OrderBy(g => g.Key))
            await output.WriteLineAsync($"  {role.Count()} memberships as {role.Key} ({role.Count(m => m.Granted != 0 || m.Revoked != 0)} with permission overrides)");
        if (dryRun)
        {
            await output.WriteLineAsync("Dry run: nothing was written.");
            return 0;
        }
        await errors.WriteLineAsync("Only --dry-run is available yet: writing the import is not built.");
        return 1;
    }

    private static void ListBackups(OpsSettings settings, TextWriter output)
    {
        var directory = settings.BackupDirectory();
        var database = new NpgsqlConnectionStringBuilder(SafeConnectionString(settings)).Database ?? Pfa.ServiceDefaults.PfaResources.Database;
        var backups = DatabaseBackups.List(directory, database);
        output.WriteLine($"{backups.Count} backup(s) of {database} in {directory}");
        foreach (var (path, at) in backups)
        {
            var dump = path[..^BackupManifest.ManifestExtension.Length] + BackupManifest.DumpExtension;
            var size = File.Exists(dump) ? new FileInfo(dump).Length / 1048576.0 : 0;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {at:yyyy-MM-dd HH:mm:ss}Z  {size,8:N1} MiB  {dump}"));
        }
    }

    private static string SafeConnectionString(OpsSettings settings)
    {
        try { return settings.ConnectionString(); }
        catch (BackupException) { return ""; }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static bool IsOptionValue(string[] args, string value)
    {
        var i = Array.IndexOf(args, value);
        return i > 0 && args[i - 1] == "--into";
    }
}
