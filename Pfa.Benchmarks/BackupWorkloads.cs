using System.Diagnostics;
using Npgsql;
using Pfa.Data.Backups;

namespace Pfa.Benchmarks;

/// <summary>
/// Backup and verified restore (Pfa.Data/Backups) of the benchmark's whole database as loaded: time and size of the dump,
/// then restore into a fresh database with its checks (file SHA-256, pg_restore, every table's count and hash), then drop it.
/// </summary>
public sealed class BackupWorkloads(string connectionString, string dataDirectory, BenchmarkReport report, Action<string> log, CancellationToken ct)
{
    public async Task RunAsync()
    {
        var options = new BackupOptions { KeepLast = 1, KeepDays = 0 };
        long databaseBytes;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var size = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
            databaseBytes = (long)(await size.ExecuteScalarAsync(ct))!;
        }

        log("Backing up the whole database (pg_dump custom format + manifest)…");
        var backup = await DatabaseBackups.BackupAsync(connectionString, BackupFiles.BackupDirectory(dataDirectory), options, ct);
        var rows = backup.Manifest.Tables.Sum(t => t.Rows);
        var mirrorRows = backup.Manifest.Tables.SingleOrDefault(t => t.Name == "public.pfa_mirror")?.Rows ?? 0;
        var note = $"{backup.Manifest.Tables.Count} tables, {rows:N0} rows ({mirrorRows:N0} mirror lines), database {databaseBytes / 1048576.0:F1} MiB on disk";
        report.Metrics.Add(new Metric("backup: pg_dump + manifest of the whole database", "s", Value: backup.Duration.TotalSeconds, Note: note));
        report.Metrics.Add(new Metric("backup: dump file size", "MiB", Value: backup.Manifest.DumpBytes / 1048576.0,
            Note: $"custom format, compression {options.Compression}; {(double)databaseBytes / backup.Manifest.DumpBytes:F1}× smaller than the database on disk"));
        log($"  backup: {backup.Duration.TotalSeconds:F1} s, {backup.Manifest.DumpBytes / 1048576.0:F1} MiB ({note})");

        var target = new NpgsqlConnectionStringBuilder(connectionString) { Database = $"bench_restore_{Guid.NewGuid():N}"[..24], Pooling = false };
        var clock = Stopwatch.StartNew();
        var restored = await DatabaseBackups.RestoreAsync(backup.DumpPath, target.ConnectionString, options, ct);
        report.Metrics.Add(new Metric("restore: checksum + pg_restore + verification of every table", "s", Value: clock.Elapsed.TotalSeconds,
            Note: $"into a fresh database; {restored.Manifest.Tables.Count} tables' counts and hashes compared"));
        log($"  restore + verify: {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        await DatabaseBackups.VerifyDatabaseAsync(target.ConnectionString, restored.Manifest, ct);
        report.Metrics.Add(new Metric("restore: of which the verification pass (counts + hashes of every table)", "s", Value: clock.Elapsed.TotalSeconds,
            Note: "measured again on its own after the restore"));

        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync(ct);
        await using var drop = new NpgsqlCommand($"DROP DATABASE \"{target.Database}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync(ct);
        File.Delete(backup.DumpPath);
        File.Delete(backup.ManifestPath);
    }
}
