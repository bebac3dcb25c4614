using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Legacy;
using Pfa.Ops;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Legacy;

/// <summary>
/// <c>./pfa import-legacy</c> end to end: a legacy SQLite database and JSON export written in the documented formats, imported
/// into a migrated PostgreSQL database of the shared infrastructure (one database for the class; every test uses its own
/// usernames and organization codes).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LegacyImportTests(InfrastructureFixture infra) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _database;

    private const string LegacyKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private const string PemsPassword = "Pems+Secret&1";
    private readonly string _folder = PfaApp.NewDataDirectory();
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();

    public void Dispose() => PfaApp.DeleteDataDirectory(_folder);

    [Fact]
    public async Task A_SQLite_database_imports_verified_its_JSON_export_then_changes_nothing_and_a_dry_run_writes_nothing()
    {
        var data = Sample(records: 30);
        var db = data.WriteSqlite(Path.Combine(_folder, "legacy.db"));
        var connectionString = await DatabaseAsync();

        var (code, output, errors) = await RunAsync(connectionString, LegacyKey, "import-legacy", db, "--dry-run");
        Assert.True(code == 0, errors);
        Assert.Contains("Dry run from the SQLite database", output, StringComparison.Ordinal);
        Assert.Matches(@"users\s+2 in source: 2 to create, 0 to update, 0 unchanged", output);
        Assert.Matches(@"pfa_records → pfa_mirror\s+30 in source: 30 to create", output);
        Assert.Equal(0L, await ScalarAsync<long>(connectionString, $"SELECT count(*) FROM organizations WHERE code LIKE '%{_tag}'"));

        (code, output, errors) = await RunAsync(connectionString, LegacyKey, "import-legacy", db);
        Assert.True(code == 0, errors + output);
        Assert.Matches(@"users\s+2 in source: 2 created, 0 updated, 0 unchanged", output);
        Assert.Matches(@"organizations\s+2 in source: 2 created", output);
        // m1, m2, and Ada (a legacy global admin, who could open every organization) as Admin of HOLNG too.
        Assert.Matches(@"user_organizations\s+3 in source: 3 created", output);
        Assert.Contains("1 Admin membership(s) added for legacy global admins", output, StringComparison.Ordinal);
        Assert.Matches(@"api_configurations → pems_connection\s+2 in source: 2 created.*re-encrypted", output);
        Assert.Matches(@"pfa_records → pfa_mirror\s+30 in source: 30 created", output);
        Assert.Matches(@"field_configurations\s+1 skipped: no place", output);
        Assert.Matches(@"sync_logs\s+1 skipped", output);
        Assert.Matches(@"api_configurations\s+1 skipped", output);
        Assert.Contains("Imported and verified", output, StringComparison.Ordinal);
        Assert.DoesNotContain(PemsPassword, output, StringComparison.Ordinal);
        Assert.DoesNotContain("MISMATCH", output, StringComparison.Ordinal);
        var rowVersions = await RowVersionsAsync(connectionString);

        // What landed: roles, the carried-over bcrypt hash that verifies (and is due for a rehash), the re-encrypted PEMS
        // password, and records as the sync would store them.
        await using var source = NpgsqlDataSource.Create(connectionString);
        var hash = await ScalarAsync<string>(connectionString, $"SELECT password_hash FROM users WHERE username = 'ada{_tag.ToLowerInvariant()}'");
        Assert.True(Passwords.Verify(hash, "Legacy-Pass-1"));
        Assert.False(Passwords.Verify(hash, "wrong"));
        Assert.True(Passwords.NeedsRehash(hash));
        Assert.True(await ScalarAsync<bool>(connectionString, $"SELECT must_change_password FROM users WHERE username = 'pems{_tag.ToLowerInvariant()}'"));
        Assert.Equal("Admin", await ScalarAsync<string>(connectionString,
            $"SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id WHERE u.username = 'ada{_tag.ToLowerInvariant()}' AND o.code = 'RIO{_tag}'"));
        var protectedPassword = await ScalarAsync<string>(connectionString,
            $"SELECT c.password_protected FROM pems_connection c JOIN organizations o ON o.id = c.organization_id WHERE o.code = 'RIO{_tag}'");
        Assert.NotEqual(PemsPassword, protectedPassword);
        Assert.Equal(PemsPassword, Protector(connectionString).Unprotect(protectedPassword));
        Assert.Equal("https://pems.example.com|BECHTEL_DEV|100541|pems-user", await ScalarAsync<string>(connectionString,
            $"SELECT c.base_url || '|' || c.tenant || '|' || c.grid_id || '|' || c.username FROM pems_connection c JOIN organizations o ON o.id = c.organization_id WHERE o.code = 'HOLNG{_tag}'"));
        Assert.Equal("7|Rental|1500.5|2026-02-01|t", await ScalarAsync<string>(connectionString, $"""
            SELECT (SELECT count(*) FROM pfa_mirror m2 WHERE m2.organization_id = m.organization_id) || '|' || (m.data->>'source') || '|' || (m.data->>'monthlyRate') || '|' ||
                   (m.data->>'forecastStart') || '|' || CASE WHEN (m.data->>'isActualized')::boolean THEN 't' ELSE 'f' END
            FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = 'HOLNG{_tag}' AND m.pfa_id = 'PFA-0003'
            """));

        // The export of the same data (ISO dates, true/false, checksums) maps to exactly the same rows: nothing changes.
        var export = data.WriteExport(Path.Combine(_folder, "export"));
        (code, output, errors) = await RunAsync(connectionString, LegacyKey, "import-legacy", export);
        Assert.True(code == 0, errors + output);
        Assert.Contains("JSON export", output, StringComparison.Ordinal);
        foreach (var table in new[] { "users", "organizations", "user_organizations", "api_configurations → pems_connection", "pfa_records → pfa_mirror" })
            Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(table)}\s+\d+ in source: 0 created, 0 updated, \d+ unchanged", output);
        Assert.Contains("Imported and verified", output, StringComparison.Ordinal);
        // Unchanged rows were neither written nor locked (a lock would set xmax).
        Assert.Equal(rowVersions, await RowVersionsAsync(connectionString));

        // Without the legacy key the connections are kept as they are (their credentials are not wiped) and the run says so.
        (code, output, _) = await RunAsync(connectionString, null, "import-legacy", db);
        Assert.Equal(0, code);
        Assert.Matches(@"api_configurations → pems_connection\s+2 in source: 0 created, 0 updated, 2 unchanged \(2 without credentials: re-enter credentials\)", output);
        Assert.Equal(PemsPassword, Protector(connectionString).Unprotect(await ScalarAsync<string>(connectionString,
            $"SELECT c.password_protected FROM pems_connection c JOIN organizations o ON o.id = c.organization_id WHERE o.code = 'RIO{_tag}'")));
    }

    [Fact]
    public async Task A_re_import_that_deactivates_a_user_or_changes_the_system_admin_flag_ends_that_users_sessions()
    {
        var connectionString = await DatabaseAsync();
        var data = Sample(records: 3);
        Assert.Equal(0, (await RunAsync(connectionString, LegacyKey, "import-legacy", data.WriteSqlite(Path.Combine(_folder, "first.db")))).Code);
        var (ada, pems) = (await StampAsync(connectionString, "ada"), await StampAsync(connectionString, "pems"));

        // Ada only gets a new name (sessions stay); the PEMS user is deactivated (sessions end).
        var (adaRow, pemsRow) = (data.Tables["users"].Single(u => (string?)u["id"] == "u1"), data.Tables["users"].Single(u => (string?)u["id"] == "u2"));
        adaRow["firstName"] = "Augusta";
        pemsRow["isActive"] = false;
        var (code, output, errors) = await RunAsync(connectionString, LegacyKey, "import-legacy", data.WriteSqlite(Path.Combine(_folder, "second.db")));
        Assert.True(code == 0, errors + output);
        Assert.Matches(@"users\s+2 in source: 0 created, 2 updated, 0 unchanged", output);
        Assert.Equal(ada, await StampAsync(connectionString, "ada"));
        Assert.NotEqual(pems, await StampAsync(connectionString, "pems"));

        // Ada is no longer a legacy global admin: the flag changes, and so does her stamp.
        adaRow["role"] = "user";
        (code, output, errors) = await RunAsync(connectionString, LegacyKey, "import-legacy", data.WriteSqlite(Path.Combine(_folder, "third.db")));
        Assert.True(code == 0, errors + output);
        Assert.Matches(@"users\s+2 in source: 0 created, 1 updated, 1 unchanged", output);
        Assert.False(await ScalarAsync<bool>(connectionString, $"SELECT is_system_admin FROM users WHERE username = 'ada{_tag.ToLowerInvariant()}'"));
        Assert.NotEqual(ada, await StampAsync(connectionString, "ada"));
    }

    [Fact]
    public async Task Broken_sources_are_refused_with_the_reason_and_nothing_is_written()
    {
        var connectionString = await DatabaseAsync();
        var cases = new List<(string Name, string Path, string? Key, string Expected)>();

        var export = Sample(records: 3).WriteExport(Path.Combine(_folder, "bad-checksum"));
        var users = Path.Combine(export, "users.json");
        File.WriteAllText(users, File.ReadAllText(users).Replace("Ada", "Eve", StringComparison.Ordinal));
        cases.Add(("bad checksum", export, LegacyKey, "Table users: SHA-256 of its rows"));

        var missing = Sample(records: 3);
        missing.Tables.Remove("user_organizations");
        cases.Add(("missing table", missing.WriteSqlite(Path.Combine(_folder, "missing.db")), LegacyKey, "Table user_organizations is missing from"));

        var duplicate = Sample(records: 3).Add("users", ("id", "u9"), ("username", $"ADA{_tag}"), ("passwordHash", ""), ("role", "user"), ("isActive", true), ("updatedAt", At));
        duplicate.Add("pfa_records", ("id", "r-dup"), ("pfaId", "PFA-0001"), ("organizationId", "o1"), ("updatedAt", At));
        cases.Add(("duplicate keys", duplicate.WriteSqlite(Path.Combine(_folder, "duplicate.db")), LegacyKey, "username 'ada"));

        var orphan = Sample(records: 3).Add("user_organizations", ("id", "m9"), ("userId", "u1"), ("organizationId", "o-gone"), ("role", "member"));
        cases.Add(("orphan membership", orphan.WriteSqlite(Path.Combine(_folder, "orphan.db")), LegacyKey, "user_organizations m9: organization o-gone does not exist (orphan membership)"));

        // The API's username and e-mail rules (UserAdministration): every offending row is named.
        var invalid = Sample(records: 3)
            .Add("users", ("id", "u8"), ("username", "a b"), ("passwordHash", ""), ("role", "user"), ("isActive", true), ("updatedAt", At))
            .Add("users", ("id", "u7"), ("username", $"eve{_tag}"), ("email", "eve at example.com"), ("passwordHash", ""), ("role", "user"), ("isActive", true), ("updatedAt", At));
        cases.Add(("invalid username and e-mail", invalid.WriteSqlite(Path.Combine(_folder, "invalid.db")), LegacyKey,
            "users u8: username 'a b' is not accepted here (Letters, digits and . _ - @ only)"));

        var garbage = Path.Combine(_folder, "garbage.db");
        File.WriteAllBytes(garbage, System.Security.Cryptography.RandomNumberGenerator.GetBytes(8192));
        cases.Add(("unreadable .db", garbage, LegacyKey, "cannot be read as a SQLite database"));

        cases.Add(("wrong legacy key", Sample(records: 3).WriteSqlite(Path.Combine(_folder, "key.db")), new string('1', 64), "cannot be decrypted with LEGACY_ENCRYPTION_KEY"));

        var refusals = new Dictionary<string, string>();
        foreach (var (name, path, key, expected) in cases)
        {
            var (code, output, errors) = await RunAsync(connectionString, key, "import-legacy", path);
            Assert.True(code == 1, $"{name}: exit {code}\n{output}{errors}");
            Assert.Contains(expected, errors, StringComparison.Ordinal);
            Assert.DoesNotContain(PemsPassword, errors + output, StringComparison.Ordinal);
            refusals[name] = errors;
        }
        Assert.Contains("pfa_records r-dup: PFA PFA-0001 appears twice", refusals["duplicate keys"], StringComparison.Ordinal);
        Assert.Contains("users u7: e-mail 'eve at example.com' is not a valid e-mail address", refusals["invalid username and e-mail"], StringComparison.Ordinal);

        // What only the target can tell: Ada's e-mail address already belongs to another user here.
        var holder = $"grace-{Guid.NewGuid():N}";
        await using (var db = new NpgsqlConnection(connectionString))
        {
            await db.OpenAsync(Ct);
            await using var insert = new NpgsqlCommand(
                "INSERT INTO users (id, username, display_name, email, password_hash, is_active, created_at) VALUES (gen_random_uuid(), @u, @u, @e, '', true, now())", db);
            insert.Parameters.AddWithValue("u", holder);
            insert.Parameters.AddWithValue("e", $"ada{_tag}@example.com".ToLowerInvariant());
            await insert.ExecuteNonQueryAsync(Ct);
        }
        var (taken, _, takenError) = await RunAsync(connectionString, LegacyKey, "import-legacy", Sample(records: 3).WriteSqlite(Path.Combine(_folder, "taken.db")));
        Assert.Equal(1, taken);
        Assert.Contains($"already belongs to user '{holder}' here", takenError, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync<long>(connectionString,
            $"SELECT (SELECT count(*) FROM organizations WHERE code LIKE '%{_tag}') + (SELECT count(*) FROM users WHERE username LIKE '%{_tag.ToLowerInvariant()}')"));

        // The key is never taken from the command line.
        var (refused, _, message) = await RunAsync(connectionString, null, "import-legacy", cases.Single(c => c.Name == "wrong legacy key").Path, $"--LEGACY_ENCRYPTION_KEY={LegacyKey}");
        Assert.Equal(2, refused);
        Assert.Contains("never from the command line", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_commands_exist_on_pfadb_and_say_where_the_legacy_data_is_expected()
    {
        await infra.App.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Database, Ct);

        var result = await infra.App.ResourceCommands.ExecuteCommandAsync(PfaResources.Database, Pfa.AppHost.Hosting.LegacyImportCommands.DryRunName, Ct);

        Assert.False(result.Success);
        Assert.Contains($"No legacy data at {Path.Combine(infra.DataDirectory, "legacy-import")}", result.Message, StringComparison.Ordinal);
        Assert.Contains(Pfa.AppHost.Hosting.LegacyImportCommands.SourceKey, result.Message, StringComparison.Ordinal);
    }

    private static readonly DateTimeOffset At = new(2025, 11, 25, 10, 0, 0, 123, TimeSpan.Zero);

    /// <summary>Two users (one bcrypt, one PEMS user without a password), two organizations, a global PEMS read configuration with encrypted credentials, and records.</summary>
    private LegacyData Sample(int records)
    {
        var secretUser = LegacySecrets.Encrypt("pems-user", LegacyKey);
        var secretPassword = LegacySecrets.Encrypt(PemsPassword, LegacyKey);
        var data = new LegacyData()
            .Add("users", ("id", "u1"), ("username", $"Ada{_tag}"), ("email", $"ada{_tag}@example.com"), ("firstName", "Ada"), ("lastName", "Lovelace"),
                ("passwordHash", BCrypt.Net.BCrypt.HashPassword("Legacy-Pass-1", 4).Replace("$2b$", "$2a$", StringComparison.Ordinal)), ("role", "admin"), ("isActive", true), ("createdAt", At), ("updatedAt", At))
            .Add("users", ("id", "u2"), ("username", $"PEMS{_tag}"), ("email", null), ("firstName", null), ("lastName", null), ("passwordHash", ""), ("role", "user"),
                ("isActive", true), ("createdAt", At), ("updatedAt", At))
            .Add("organizations", ("id", "o1"), ("code", $"RIO{_tag}"), ("name", "Rio Tinto "), ("description", "BEO IS&T"), ("isActive", true), ("createdAt", At), ("updatedAt", At))
            .Add("organizations", ("id", "o2"), ("code", $"HOLNG{_tag}"), ("name", "Hol NG"), ("description", null), ("isActive", false), ("createdAt", At), ("updatedAt", At))
            .Add("user_organizations", ("id", "m1"), ("userId", "u1"), ("organizationId", "o1"), ("role", "owner"), ("createdAt", At))
            .Add("user_organizations", ("id", "m2"), ("userId", "u2"), ("organizationId", "o2"), ("role", "member"), ("createdAt", At))
            .Add("api_configurations", ("id", "pems-global-pfa-read"), ("organizationId", null), ("name", "PEMS PFA read"), ("url", "https://pems.example.com/axis/restservices/griddata"),
                ("usage", "PEMS_PFA_READ"), ("authType", "basic"), ("authKeyEncrypted", secretUser), ("authValueEncrypted", secretPassword),
                ("customHeaders", """[{"key":"tenant","value":"BECHTEL_DEV"},{"key":"gridCode","value":"CUPFAG"},{"key":"gridId","value":"100541"}]"""),
                ("operationType", "read"), ("feeds", null), ("status", "connected"), ("createdAt", At), ("updatedAt", At))
            .Add("api_configurations", ("id", "ai-gemini"), ("organizationId", null), ("name", "Gemini"), ("url", "https://ai.example.com"), ("usage", "AI_GEMINI"),
                ("authType", "apiKey"), ("authKeyEncrypted", null), ("authValueEncrypted", null), ("customHeaders", null), ("operationType", "read"), ("feeds", null),
                ("status", "untested"), ("createdAt", At), ("updatedAt", At))
            .Add("field_configurations", ("id", "default-pfa-config"), ("name", "Default"), ("organizationId", null), ("isDefault", true),
                ("fieldMappings", """[{"field":"pfaId","label":"PFA ID","enabled":true,"order":1}]"""), ("createdAt", At), ("updatedAt", At))
            .Add("sync_logs", ("id", "s1"), ("organizationId", "o1"), ("syncType", "full"), ("status", "success"), ("recordsProcessed", 30), ("durationMs", 1200), ("triggeredBy", "system"), ("createdAt", At));
        for (var i = 1; i <= records; i++)
        {
            data.Add("pfa_records", ("id", $"r{i}"), ("pfaId", $"PFA-{i:D4}"), ("organizationId", i % 4 == 3 ? "o2" : "o1"), ("areaSilo", $"Area {(char)('A' + i % 3)}"),
                ("category", "Cranes"), ("forecastCategory", null), ("class", "CR-50"), ("source", i % 5 == 0 ? "Purchase" : "Rental"), ("dor", i % 2 == 0 ? "BEO" : "PROJECT"),
                ("isActualized", i == 3), ("isDiscontinued", false), ("isFundsTransferable", i % 7 == 0), ("monthlyRate", 1500.5 * (i == 3 ? 1 : i)), ("purchasePrice", i % 5 == 0 ? 250000.0 : null),
                ("manufacturer", "Liebherr"), ("model", "LTM 1050"), ("contract", null), ("equipment", $"EQ-{i}"),
                ("originalStart", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), ("originalEnd", new DateTimeOffset(2026, 6, 30, 0, 0, 0, TimeSpan.Zero)),
                ("forecastStart", new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)), ("forecastEnd", new DateTimeOffset(2026, 7, 31, 0, 0, 0, TimeSpan.Zero)),
                ("actualStart", i == 3 ? new DateTimeOffset(2026, 2, 3, 0, 0, 0, TimeSpan.Zero) : null), ("actualEnd", null),
                ("hasPlan", true), ("hasActuals", i == 3), ("syncState", i == 1 ? "modified" : "pristine"), ("pemsVersion", "2025-11-20T08:00:00"), ("localVersion", 1),
                ("createdAt", At), ("updatedAt", At));
        }
        return data;
    }

    private static async Task<(int Code, string Output, string Errors)> RunAsync(string connectionString, string? key, params string[] args)
    {
        var settings = new OpsSettings(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{PfaResources.Database}"] = connectionString,
            [LegacySecrets.KeyVariable] = key,
        }).Build());
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await OpsCommands.RunAsync(args, settings, output, errors, Ct);
        return (code, output.ToString(), errors.ToString());
    }

    private Task<Guid> StampAsync(string connectionString, string user) =>
        ScalarAsync<Guid>(connectionString, $"SELECT security_stamp FROM users WHERE username = '{user}{_tag.ToLowerInvariant()}'");

    /// <summary>
    /// xmin/xmax of this test's users, organizations and memberships: an update changes xmin, a row lock xmax (ON CONFLICT …
    /// DO UPDATE … WHERE false still locks the row it meets).
    /// </summary>
    private Task<string> RowVersionsAsync(string connectionString) => ScalarAsync<string>(connectionString, $"""
        SELECT string_agg(v, ',' ORDER BY v) FROM (
          SELECT 'u:' || username || ':' || xmin || '/' || xmax AS v FROM users WHERE username LIKE '%{_tag.ToLowerInvariant()}'
          UNION ALL SELECT 'o:' || code || ':' || xmin || '/' || xmax FROM organizations WHERE code LIKE '%{_tag}'
          UNION ALL SELECT 'm:' || u.username || ':' || m.organization_id || ':' || m.xmin || '/' || m.xmax
            FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username LIKE '%{_tag.ToLowerInvariant()}') x
        """);

    private static PemsConnectionSecrets Protector(string connectionString) =>
        new ServiceCollection().AddDbContext<PfaDbContext>(o => o.UseNpgsql(connectionString)).AddPfaDataProtection()
            .BuildServiceProvider().GetRequiredService<PemsConnectionSecrets>();

    /// <summary>One migrated database for the class, created by the first test that needs it.</summary>
    private async Task<string> DatabaseAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            if (_database is not null) return _database;
            var name = $"legacy_{Guid.NewGuid():N}"[..20];
            await using (var admin = new NpgsqlConnection(infra.PostgresConnectionString))
            {
                await admin.OpenAsync(Ct);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin); // our own name, not input
                await create.ExecuteNonQueryAsync(Ct);
            }
            var connectionString = new NpgsqlConnectionStringBuilder(infra.PostgresConnectionString) { Database = name }.ConnectionString;
            await using (var db = new PfaDbContext(new DbContextOptionsBuilder<PfaDbContext>().UseNpgsql(connectionString).Options))
                await db.MigrateSeriallyAsync(Ct);
            return _database = connectionString;
        }
        finally { Gate.Release(); }
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync(Ct))!;
    }
}
