using System.Data;
using System.Diagnostics;
using Npgsql;

namespace Pfa.Data.Backups;

/// <summary>
/// Backup and verified restore of one PostgreSQL database: pg_dump's custom format (compressed) plus a manifest with the
/// dump's SHA-256 and every table's row count and content hash, all from one snapshot. A restore goes into a fresh
/// database only, checks the file before touching the server, and compares every table with the manifest after; a
/// restore that fails anywhere drops the database it created, so nothing half-restored is left.
/// Used by the dashboard's "Back up" command on pfadb and by <c>./pfa backup|restore</c> (Pfa.Ops).
/// </summary>
public static class DatabaseBackups
{
    public static async Task<BackupResult> BackupAsync(string connectionString, string directory, BackupOptions options, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var source = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        var database = source.Database ?? throw new BackupException("The connection string names no database.");
        var pgDump = PgTools.Find("pg_dump", options.PgBinDirectory);
        BackupFiles.EnsurePrivateDirectory(directory);
        var createdAt = DateTimeOffset.UtcNow;
        var dumpPath = Path.Combine(directory, BackupFiles.DumpFileName(database, createdAt));
        var partialPath = dumpPath + ".partial";

        try
        {
            await using var connection = new NpgsqlConnection(source.ConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            var serverVersion = connection.PostgreSqlVersion.ToString();
            // One snapshot for the dump and the fingerprints: writes made meanwhile are in neither, so they agree.
            await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            string snapshotId;
            await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, snapshot))
                snapshotId = (string)(await export.ExecuteScalarAsync(ct).ConfigureAwait(false))!;

            // pg_dump compresses on its own core while this connection hashes the same snapshot.
            var dump = PgTools.RunAsync(pgDump,
                ["--format=custom", $"--compress={options.Compression}", $"--snapshot={snapshotId}", "--no-password", $"--file={partialPath}"], source, ct);
            IReadOnlyList<TableFingerprint> tables;
            IReadOnlyList<string> roles;
            try
            {
                tables = await TableFingerprints.ComputeAsync(connection, ct).ConfigureAwait(false);
                roles = await TableFingerprints.RolesAsync(connection, ct).ConfigureAwait(false);
            }
            finally
            {
                await dump.ConfigureAwait(false); // never leave pg_dump running (or its failure unobserved)
            }
            await snapshot.CommitAsync(ct).ConfigureAwait(false);

            BackupFiles.MakePrivate(partialPath);
            var manifest = new BackupManifest
            {
                Database = database,
                CreatedAt = createdAt,
                ServerVersion = serverVersion,
                DumpFile = Path.GetFileName(dumpPath),
                DumpBytes = new FileInfo(partialPath).Length,
                DumpSha256 = await BackupFiles.Sha256Async(partialPath, ct).ConfigureAwait(false),
                Roles = roles,
                Tables = tables,
            };
            File.Move(partialPath, dumpPath);
            var manifestPath = BackupManifest.ManifestPathFor(dumpPath);
            await manifest.WriteAsync(manifestPath, ct).ConfigureAwait(false); // last: a manifest means a complete backup
            var deleted = ApplyRetention(directory, database, options, createdAt);
            return new BackupResult(dumpPath, manifestPath, manifest, clock.Elapsed, deleted);
        }
        catch
        {
            File.Delete(partialPath);
            if (!File.Exists(BackupManifest.ManifestPathFor(dumpPath))) File.Delete(dumpPath);
            throw;
        }
    }

    /// <summary>
    /// Restores a backup (its dump or its manifest path) into <paramref name="targetConnectionString"/>'s database, which
    /// must not exist yet. Order: manifest and file checksum (nothing on the server is touched if they disagree), create
    /// the database, create missing roles the dump grants to, pg_restore in one transaction, then every table's row count
    /// and content hash against the manifest. Any failure drops the new database and throws <see cref="BackupException"/>.
    /// </summary>
    public static async Task<RestoreResult> RestoreAsync(string backupPath, string targetConnectionString, BackupOptions options, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var (dumpPath, manifest) = await VerifyFileAsync(backupPath, ct).ConfigureAwait(false);
        var pgRestore = PgTools.Find("pg_restore", options.PgBinDirectory);

        var target = new NpgsqlConnectionStringBuilder(targetConnectionString) { Pooling = false };
        var database = target.Database ?? throw new BackupException("The target connection string names no database.");
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using (var admin = new NpgsqlConnection(maintenance.ConnectionString))
        {
            await admin.OpenAsync(ct).ConfigureAwait(false);
            await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin))
            {
                exists.Parameters.AddWithValue("name", database);
                if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
                    throw new BackupException($"Database '{database}' already exists: a restore goes into a fresh database only. Choose another name or drop it first. Nothing was restored.");
            }
            // template0: nothing a local template1 may hold gets in the way of the dump's own objects.
            await using (var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(database)} TEMPLATE template0 ENCODING 'UTF8'", admin))
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            try
            {
                await EnsureRolesAsync(admin, manifest.Roles, ct).ConfigureAwait(false);
            }
            catch
            {
                await DropAsync(admin, database).ConfigureAwait(false);
                throw;
            }
        }

        try
        {
            // --no-owner: objects belong to the restoring user (a managed server's admin is not the source's owner).
            await PgTools.RunAsync(pgRestore, ["--no-owner", "--single-transaction", "--exit-on-error", "--no-password", $"--dbname={database}", dumpPath], target, ct)
                .ConfigureAwait(false);
            await VerifyDatabaseAsync(target.ConnectionString, manifest, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await using var admin = new NpgsqlConnection(maintenance.ConnectionString);
            await admin.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await DropAsync(admin, database).ConfigureAwait(false);
            if (e is BackupException) throw new BackupException($"{e.Message} The new database '{database}' was dropped: nothing was restored.", e);
            throw;
        }
        return new RestoreResult(database, manifest, clock.Elapsed);
    }

    /// <summary>The manifest beside the file, and the file's size and SHA-256 against it. Touches no server.</summary>
    public static async Task<(string DumpPath, BackupManifest Manifest)> VerifyFileAsync(string backupPath, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(backupPath);
        var manifestPath = full.EndsWith(BackupManifest.ManifestExtension, StringComparison.Ordinal) ? full : BackupManifest.ManifestPathFor(full);
        if (!File.Exists(manifestPath))
            throw new BackupException($"No manifest {manifestPath} beside the backup: without it the file cannot be verified, nothing was restored.");
        var manifest = await BackupManifest.ReadAsync(manifestPath, ct).ConfigureAwait(false);
        var dumpPath = Path.Combine(Path.GetDirectoryName(manifestPath)!, Path.GetFileName(manifest.DumpFile));
        if (!File.Exists(dumpPath)) throw new BackupException($"The backup file {dumpPath} is missing: nothing was restored.");
        var length = new FileInfo(dumpPath).Length;
        var sha = await BackupFiles.Sha256Async(dumpPath, ct).ConfigureAwait(false);
        if (length != manifest.DumpBytes || sha != manifest.DumpSha256)
        {
            throw new BackupException(
                $"The backup file {dumpPath} is corrupted: {length:N0} bytes with SHA-256 {sha}, but its manifest says {manifest.DumpBytes:N0} bytes with SHA-256 {manifest.DumpSha256}" +
                $"{(length < manifest.DumpBytes ? " (the file is truncated)" : "")}. Nothing was restored.");
        }
        return (dumpPath, manifest);
    }

    /// <summary>Every table of the database against the manifest: same tables, row counts and content hashes.</summary>
    public static async Task VerifyDatabaseAsync(string connectionString, BackupManifest manifest, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var actual = (await TableFingerprints.ComputeAsync(connection, ct).ConfigureAwait(false)).ToDictionary(t => t.Name);
        var problems = new List<string>();
        foreach (var expected in manifest.Tables)
        {
            if (!actual.Remove(expected.Name, out var found)) problems.Add($"{expected.Name}: missing");
            else if (found.Rows != expected.Rows) problems.Add($"{expected.Name}: {found.Rows:N0} rows, the backup had {expected.Rows:N0}");
            else if (found.Sha256 != expected.Sha256) problems.Add($"{expected.Name}: content hash differs");
        }
        problems.AddRange(actual.Keys.Select(name => $"{name}: not in the backup"));
        if (problems.Count > 0)
            throw new BackupException($"The restored database does not match the backup's manifest: {string.Join("; ", problems.Take(20))}{(problems.Count > 20 ? $" and {problems.Count - 20} more" : "")}.");
    }

    /// <summary>Complete backups of a database in a folder, newest first.</summary>
    public static IReadOnlyList<(string ManifestPath, DateTimeOffset CreatedAt)> List(string directory, string database) =>
        !Directory.Exists(directory) ? []
            : Directory.EnumerateFiles(directory, $"{database}-*{BackupManifest.ManifestExtension}")
                .Select(p => (Path: p, At: BackupFiles.StampOf(p, database)))
                .Where(x => x.At is not null)
                .Select(x => (x.Path, x.At!.Value))
                .OrderByDescending(x => x.Value)
                .ToList();

    /// <summary>
    /// Deletes the database's backups that neither rule keeps: a backup stays if it is one of the newest
    /// <see cref="BackupOptions.KeepLast"/> or younger than <see cref="BackupOptions.KeepDays"/>. The newest always stays.
    /// </summary>
    public static IReadOnlyList<string> ApplyRetention(string directory, string database, BackupOptions options, DateTimeOffset now)
    {
        var deleted = new List<string>();
        var backups = List(directory, database);
        for (var i = 1; i < backups.Count; i++)
        {
            var (manifestPath, createdAt) = backups[i];
            var byCount = options.KeepLast > 0 && i < options.KeepLast;
            var byAge = options.KeepDays > 0 && now - createdAt < TimeSpan.FromDays(options.KeepDays);
            if (byCount || byAge) continue;
            var dumpPath = manifestPath[..^BackupManifest.ManifestExtension.Length] + BackupManifest.DumpExtension;
            File.Delete(manifestPath); // manifest first: a dump without one is never taken for a backup
            File.Delete(dumpPath);
            deleted.Add(dumpPath);
        }
        return deleted;
    }

    private static async Task EnsureRolesAsync(NpgsqlConnection admin, IReadOnlyList<string> roles, CancellationToken ct)
    {
        foreach (var role in roles)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = @role", admin);
            exists.Parameters.AddWithValue("role", role);
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null) continue;
            // As the migrations create it: a group role without login.
            await using var create = new NpgsqlCommand($"CREATE ROLE {QuoteIdentifier(role)} NOLOGIN", admin);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task DropAsync(NpgsqlConnection admin, string database)
    {
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(database)} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
