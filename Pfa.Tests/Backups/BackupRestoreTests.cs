using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Backups;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Backups;

/// <summary>
/// Backup and verified restore (Pfa.Data/Backups) against the real PostgreSQL of the app model: a migrated database with
/// data in the application's tables and in an awkward table of our own (no primary key, odd name, NULLs, bytea, floats,
/// duplicates). The state compared is the test's own (count and md5 of the rows' text per table), not the library's hashes.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class BackupRestoreTests(InfrastructureFixture infra) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _directory = PfaApp.NewDataDirectory();
    private static readonly BackupOptions Options = new() { KeepLast = 3, KeepDays = 0 };

    public void Dispose() => PfaApp.DeleteDataDirectory(_directory);

    [Fact]
    public async Task A_backup_restored_into_a_fresh_database_has_every_table_as_it_was_at_backup_time()
    {
        var source = await NewSeededDatabaseAsync();
        var atBackup = await StateAsync(source);

        var backup = await DatabaseBackups.BackupAsync(source, _directory, Options, Ct);

        Assert.True(File.Exists(backup.DumpPath) && File.Exists(backup.ManifestPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup.DumpPath));
        Assert.Equal(atBackup.Keys.Order(), backup.Manifest.Tables.Select(t => t.Name).Order());
        foreach (var table in backup.Manifest.Tables) Assert.Equal(atBackup[table.Name].Rows, table.Rows);
        Assert.Contains("pfa_app", backup.Manifest.Roles);
        Assert.Equal(await BackupFiles.Sha256Async(backup.DumpPath, Ct), backup.Manifest.DumpSha256);

        // Changes after the backup: none of them may come back.
        await ExecuteAsync(source, """
            UPDATE pfa_mirror SET data = data || '{"monthlyRate": 1}' WHERE id % 3 = 0;
            DELETE FROM pfa_mirror WHERE id % 7 = 0;
            UPDATE users SET display_name = 'changed', is_active = false;
            INSERT INTO extra."Odd Table" VALUES (42, 'after the backup', NULL, NULL, NULL);
            DELETE FROM memberships;
            """);
        Assert.NotEqual(Describe(atBackup), Describe(await StateAsync(source)));

        var target = Rename(source, Unique("restored"));
        var restored = await DatabaseBackups.RestoreAsync(backup.DumpPath, target, Options, Ct);

        Assert.Equal(Describe(atBackup), Describe(await StateAsync(target)));
        Assert.Equal(backup.Manifest.Tables.Count, restored.Manifest.Tables.Count);
        // The grants the row-level security depends on came back with the role they name.
        await using var connection = new NpgsqlConnection(target);
        await connection.OpenAsync(Ct);
        await using var grant = new NpgsqlCommand("SELECT has_table_privilege('pfa_app', 'pfa_mirror', 'SELECT')", connection);
        Assert.True((bool)(await grant.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task A_truncated_backup_file_is_refused_before_anything_is_created()
    {
        var source = await NewSeededDatabaseAsync();
        var backup = await DatabaseBackups.BackupAsync(source, _directory, Options, Ct);
        await using (var file = new FileStream(backup.DumpPath, FileMode.Open)) file.SetLength(file.Length / 2);

        var target = Rename(source, Unique("truncated"));
        var error = await Assert.ThrowsAsync<BackupException>(() => DatabaseBackups.RestoreAsync(backup.DumpPath, target, Options, Ct));

        Assert.Contains("corrupted", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was restored", error.Message, StringComparison.Ordinal);
        Assert.False(await DatabaseExistsAsync(target));
    }

    [Fact]
    public async Task A_damaged_dump_whose_manifest_vouches_for_it_fails_in_pg_restore_and_leaves_no_database()
    {
        var source = await NewSeededDatabaseAsync();
        var backup = await DatabaseBackups.BackupAsync(source, _directory, Options, Ct);
        // Flip bytes inside the compressed table data (most of the file), then re-sign the manifest as a bad writer would.
        var bytes = await File.ReadAllBytesAsync(backup.DumpPath, Ct);
        for (var i = bytes.Length * 6 / 10; i < bytes.Length * 6 / 10 + 64; i++) bytes[i] ^= 0x5A;
        await File.WriteAllBytesAsync(backup.DumpPath, bytes, Ct);
        await (backup.Manifest with { DumpSha256 = await BackupFiles.Sha256Async(backup.DumpPath, Ct) }).WriteAsync(backup.ManifestPath, Ct);

        var target = Rename(source, Unique("damaged"));
        var error = await Assert.ThrowsAsync<BackupException>(() => DatabaseBackups.RestoreAsync(backup.ManifestPath, target, Options, Ct));

        Assert.Contains("nothing was restored", error.Message, StringComparison.Ordinal);
        Assert.False(await DatabaseExistsAsync(target));
    }

    [Fact]
    public async Task A_dump_without_its_manifest_or_a_taken_name_is_refused()
    {
        var source = await NewSeededDatabaseAsync();
        var backup = await DatabaseBackups.BackupAsync(source, _directory, Options, Ct);

        var exists = await Assert.ThrowsAsync<BackupException>(() => DatabaseBackups.RestoreAsync(backup.DumpPath, source, Options, Ct));
        Assert.Contains("already exists", exists.Message, StringComparison.Ordinal);

        File.Delete(backup.ManifestPath);
        var target = Rename(source, Unique("nomanifest"));
        var missing = await Assert.ThrowsAsync<BackupException>(() => DatabaseBackups.RestoreAsync(backup.DumpPath, target, Options, Ct));
        Assert.Contains("No manifest", missing.Message, StringComparison.Ordinal);
        Assert.False(await DatabaseExistsAsync(target));
    }

    [Fact]
    public void Retention_keeps_the_newest_N_and_those_younger_than_N_days()
    {
        var now = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
        var ages = new[] { 0, 1, 2, 5, 9, 20, 40 }; // days
        foreach (var age in ages)
        {
            var dump = Path.Combine(_directory, BackupFiles.DumpFileName("pfadb", now.AddDays(-age)));
            File.WriteAllText(dump, "x");
            File.WriteAllText(BackupManifest.ManifestPathFor(dump), "{}");
        }
        File.WriteAllText(Path.Combine(_directory, "otherdb-20200101T000000000Z.manifest.json"), "{}"); // another database's: never touched

        var deleted = DatabaseBackups.ApplyRetention(_directory, "pfadb", new BackupOptions { KeepLast = 2, KeepDays = 7 }, now);

        // Kept: the newest two (0, 1) and everything younger than 7 days (2, 5); deleted: 9, 20, 40 days old.
        Assert.Equal(3, deleted.Count);
        Assert.Equal([0, 1, 2, 5], DatabaseBackups.List(_directory, "pfadb").Select(b => (int)(now - b.CreatedAt).TotalDays).ToArray());
        Assert.All(deleted, d => Assert.False(File.Exists(d)));
        Assert.True(File.Exists(Path.Combine(_directory, "otherdb-20200101T000000000Z.manifest.json")));

        // Count only: the newest one always stays even with KeepLast = 0 and no age rule.
        DatabaseBackups.ApplyRetention(_directory, "pfadb", new BackupOptions { KeepLast = 0, KeepDays = 0 }, now);
        Assert.Single(DatabaseBackups.List(_directory, "pfadb"));
    }

    // ---- helpers ----

    private static string Unique(string prefix) => $"bk_{prefix}_{Guid.NewGuid():N}"[..24];

    private string Rename(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database, Pooling = false }.ConnectionString;

    /// <summary>A new database with the application's schema (EF migrations), data in its tables and one awkward table.</summary>
    private async Task<string> NewSeededDatabaseAsync()
    {
        var name = Unique("src");
        await using (var admin = new NpgsqlConnection(infra.PostgresConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync(Ct);
        }
        var connectionString = Rename(infra.PostgresConnectionString, name);
        await using (var db = new PfaDbContext(new DbContextOptionsBuilder<PfaDbContext>().UseNpgsql(connectionString).Options))
            await db.MigrateSeriallyAsync(Ct);

        await ExecuteAsync(connectionString, """
            INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version)
            VALUES ('00000000-0000-0000-0000-0000000000a1', 'RIO', 'Rio', true, true, 'active', 3),
                   ('00000000-0000-0000-0000-0000000000a2', 'HOLNG', 'Hol NG', true, false, 'suspended', 0);
            INSERT INTO users (id, username, display_name, email, password_hash, is_active, created_at, security_stamp, must_change_password, is_system_admin)
            SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'user' || g, 'User ' || g || E'\nwith a newline', NULL,
                   'AQAAAAIAAYagAAAAE' || md5(g::text), g % 5 <> 0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour',
                   gen_random_uuid(), g = 1, g = 1
            FROM generate_series(1, 40) g;
            INSERT INTO memberships (user_id, organization_id, role, draft_version, permissions_granted, permissions_revoked)
            SELECT id, '00000000-0000-0000-0000-0000000000a1', 'Editor', 0, 0, CASE WHEN username = 'user2' THEN 1 ELSE 0 END FROM users;
            INSERT INTO pfa_mirror (organization_id, pfa_id, data, content_hash, mirror_version, last_synced_at)
            SELECT '00000000-0000-0000-0000-0000000000a1', 'PFA-' || lpad(g::text, 6, '0'),
                   jsonb_build_object('description', 'Crane ' || g, 'monthlyRate', g * 12.5, 'forecastStart', '2026-0' || (1 + g % 9) || '-01',
                                      'forecastEnd', '2027-01-01', 'source', CASE WHEN g % 2 = 0 THEN 'Rental' ELSE 'Purchase' END, 'category', 'C' || (g % 17)),
                   sha256(g::text::bytea), 1, now()
            FROM generate_series(1, 20000) g;
            INSERT INTO audit_log (at, action, outcome, details) VALUES (now(), 'test.seed', 'success', '{"rows": 20000}');
            CREATE SCHEMA extra;
            CREATE TABLE extra."Odd Table" (n numeric, t text, b bytea, f double precision, at timestamptz);
            INSERT INTO extra."Odd Table" SELECT g / 7.0, CASE WHEN g % 4 = 0 THEN NULL ELSE 'é\t' || g END, decode(md5(g::text), 'hex'), g * 0.1, NULL
            FROM generate_series(1, 500) g;
            INSERT INTO extra."Odd Table" VALUES (1, 'twice', NULL, 0.3, '2026-12-06 10:00+01'), (1, 'twice', NULL, 0.3, '2026-12-06 10:00+01');
            """);
        return connectionString;
    }

    /// <summary>Per table: row count and md5 of the rows' text in a fixed order (independent of the library's binary hashes).</summary>
    private static async Task<Dictionary<string, (long Rows, string Md5)>> StateAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using (var settings = new NpgsqlCommand("SET TimeZone = 'UTC'; SET extra_float_digits = 3", connection)) await settings.ExecuteNonQueryAsync(Ct);
        var tables = new List<(string Name, string Quoted)>();
        await using (var list = new NpgsqlCommand("""
            SELECT schemaname || '.' || tablename, format('%I.%I', schemaname, tablename) FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct)) tables.Add((reader.GetString(0), reader.GetString(1)));
        }
        var state = new Dictionary<string, (long, string)>();
        foreach (var (name, quoted) in tables)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '') FROM {quoted} t", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            await reader.ReadAsync(Ct);
            state[name] = (reader.GetInt64(0), reader.GetString(1));
        }
        return state;
    }

    private static string Describe(Dictionary<string, (long Rows, string Md5)> state) =>
        string.Join('\n', state.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value.Rows} {s.Value.Md5}"));

    private async Task<bool> DatabaseExistsAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var admin = new NpgsqlConnection(infra.PostgresConnectionString);
        await admin.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin);
        command.Parameters.AddWithValue("name", name!);
        return await command.ExecuteScalarAsync(Ct) is not null;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
