using System.Globalization;
using Npgsql;
using Pfa.Data.Backups;
using Pfa.Data.Legacy;

namespace Pfa.Ops;

/// <summary>The commands; each prints what it did, or one clear line on stderr and exit code 1.</summary>
public static class OpsCommands
{
    public const string Usage = """
        usage: ./pfa backup  [--Backups:KeepLast=N] [--Backups:KeepDays=N] [--Backups:Directory=PATH]
               ./pfa restore <backup .dump or .manifest.json> [--into DATABASE]
               ./pfa backups                      list the backups in the backups folder
               ./pfa import-legacy <export folder | .db file> [--dry-run]   import the old system's data (idempotent; verified)
        The database is ConnectionStrings__pfadb from the environment, else the local stack of ./pfa run.
        The old system's ENCRYPTION_KEY (for PEMS credentials) is LEGACY_ENCRYPTION_KEY in the environment; without it they must be re-entered.
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
                case "generate-legacy-db" when positional.Count == 2: // hidden: the import's benchmark input
                    LegacyGenerator.Generate(positional[1], int.Parse(Option(args, "--records") ?? "100000", CultureInfo.InvariantCulture));
                    await output.WriteLineAsync($"Wrote {positional[1]}");
                    return 0;
                case "import-legacy" when positional.Count == 2:
                    return await ImportLegacyAsync(settings, args, positional[1], args.Contains("--dry-run"), output, errors, ct);
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

    /// <summary>
    /// Imports the old system's JSON export folder or SQLite .db file (docs/architecture.md "Legacy import"); the old
    /// ENCRYPTION_KEY comes from <see cref="LegacySecrets.KeyVariable"/> in the environment or configuration only.
    /// </summary>
    private static async Task<int> ImportLegacyAsync(OpsSettings settings, string[] args, string path, bool dryRun, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        if (args.Any(a => a.Contains(LegacySecrets.KeyVariable, StringComparison.OrdinalIgnoreCase)))
        {
            await errors.WriteLineAsync($"{LegacySecrets.KeyVariable} is read from the environment only, never from the command line (where it would show in the process list and shell history).");
            return 2;
        }
        var report = await LegacyImport.RunAsync(path, settings.ConnectionString(), settings.Configuration[LegacySecrets.KeyVariable], dryRun, ct);
        foreach (var line in report.Lines()) await output.WriteLineAsync(line);
        return report.DryRun || report.Verified ? 0 : 1;
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
        return i > 0 && args[i - 1] is "--into" or "--records";
    }
}
