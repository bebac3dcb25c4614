using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pfa.Data;
using Pfa.Data.Legacy;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Legacy;

/// <summary>
/// Reading and verifying the old system's JSON export (Pfa.Data/Legacy/LegacyExport). The fixtures are built here: each
/// table's rows are written as the compact text Node's JSON.stringify produces, and the checksums are SHA-256 of exactly
/// that text, so the test does not trust the reader's own serializer; the files on disk are indented like the real export.
/// </summary>
public sealed class LegacyExportTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _folder = PfaApp.NewDataDirectory();

    // What JSON.stringify writes: '+' and '&' and non-ASCII as they are, control characters escaped, numbers as given.
    private const string Users = """[{"id":"u1","username":"admin","email":null,"passwordHash":"$2a$10$abc+def/ghi","role":"admin","isActive":true,"createdAt":"2025-11-25T10:00:00.000Z"},{"id":"u2","username":"BEO IS&T","email":"beo@example.com","passwordHash":"","role":"user","isActive":false,"createdAt":"2025-11-25T10:00:00.000Z","note":"é\nline\u0001"}]""";
    private const string Organizations = """[{"id":"o1","code":"RIO","name":"Rio Tinto ","monthlyBudget":10.5,"isActive":true},{"id":"o2","code":"26026","name":"Org 26026","monthlyBudget":0.3,"isActive":true}]""";
    private const string Memberships = """[{"id":"m1","userId":"u2","organizationId":"o1","role":"member","createdAt":"2025-11-25T10:00:00.000Z"}]""";

    public void Dispose() => PfaApp.DeleteDataDirectory(_folder);

    [Fact]
    public async Task A_complete_export_is_verified_and_its_rows_read_in_file_order()
    {
        WriteExport(("users", Users), ("organizations", Organizations), ("user_organizations", Memberships), ("pfa_records", "[]"));

        using var export = await LegacyExport.ReadAsync(_folder, Ct);

        Assert.Equal(["admin", "BEO IS&T"], export.Rows("users").Select(r => r.GetProperty("username").GetString()!).ToArray());
        Assert.Equal("é\nline\u0001", export.Rows("users").Last().GetProperty("note").GetString());
        Assert.Empty(export.Rows("pfa_records"));
        Assert.Empty(export.Rows("sync_logs")); // not in this export
        // The empty table's checksum is the known SHA-256 of "[]" (the real export's value for empty tables).
        Assert.Equal("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", Sha256("[]"));
    }

    [Fact]
    public async Task A_changed_value_fails_its_tables_checksum()
    {
        WriteExport(("users", Users), ("organizations", Organizations), ("user_organizations", Memberships));
        var path = Path.Combine(_folder, "organizations.json");
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path, Ct)).Replace("10.5", "10.50", StringComparison.Ordinal), Ct);

        var error = await Assert.ThrowsAsync<LegacyImportException>(() => LegacyExport.ReadAsync(_folder, Ct));

        Assert.StartsWith("Table organizations: SHA-256 of its rows", error.Message, StringComparison.Ordinal);
        Assert.Contains("altered or damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_table_file_or_a_required_table_absent_from_the_manifest_is_refused()
    {
        WriteExport(("users", Users), ("organizations", Organizations), ("user_organizations", Memberships));
        File.Delete(Path.Combine(_folder, "user_organizations.json"));
        var missingFile = await Assert.ThrowsAsync<LegacyImportException>(() => LegacyExport.ReadAsync(_folder, Ct));
        Assert.Contains("user_organizations.json is missing", missingFile.Message, StringComparison.Ordinal);

        WriteExport(("users", Users), ("organizations", Organizations));
        var missingTable = await Assert.ThrowsAsync<LegacyImportException>(() => LegacyExport.ReadAsync(_folder, Ct));
        Assert.Equal("Table user_organizations is missing from the export: nothing can be imported without it.", missingTable.Message);
    }

    [Fact]
    public async Task A_row_count_or_overall_checksum_that_disagrees_is_refused()
    {
        WriteExport(("users", Users), ("organizations", Organizations), ("user_organizations", Memberships));
        var manifestPath = Path.Combine(_folder, "manifest.json");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath, Ct))!;
        manifest["tables"]![0]!["rowCount"] = 3;
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString(), Ct);
        var count = await Assert.ThrowsAsync<LegacyImportException>(() => LegacyExport.ReadAsync(_folder, Ct));
        Assert.Equal("Table users: 2 rows in the file, but the manifest says 3.", count.Message);

        WriteExport(("users", Users), ("organizations", Organizations), ("user_organizations", Memberships));
        manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath, Ct))!;
        manifest["overallChecksum"] = Sha256("something else");
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString(), Ct);
        var overall = await Assert.ThrowsAsync<LegacyImportException>(() => LegacyExport.ReadAsync(_folder, Ct));
        Assert.Contains("the manifest was altered", overall.Message, StringComparison.Ordinal);
    }

    /// <summary>The export's layout: indented table files and a manifest whose checksums are over the compact text.</summary>
    private void WriteExport(params (string Table, string CompactRows)[] tables)
    {
        foreach (var file in Directory.GetFiles(_folder)) File.Delete(file);
        var indented = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var listed = new StringBuilder("[");
        var manifestTables = new JsonArray();
        foreach (var (table, rows) in tables)
        {
            var checksum = Sha256(rows);
            var count = JsonNode.Parse(rows)!.AsArray().Count;
            var file = new JsonObject
            {
                ["tableName"] = table, ["rowCount"] = count, ["checksum"] = checksum, ["exportedAt"] = "2025-11-25T10:00:00.000Z",
                ["data"] = JsonNode.Parse(rows),
            };
            File.WriteAllText(Path.Combine(_folder, table + ".json"), file.ToJsonString(indented));
            manifestTables.Add(new JsonObject { ["tableName"] = table, ["rowCount"] = count, ["checksum"] = checksum, ["exportedAt"] = "2025-11-25T10:00:00.000Z" });
            listed.Append(listed.Length > 1 ? "," : "").Append($$"""{"tableName":"{{table}}","rowCount":{{count}},"checksum":"{{checksum}}"}""");
        }
        var manifest = new JsonObject
        {
            ["version"] = "1.0.0", ["exportedAt"] = "2025-11-25T10:00:00.000Z", ["databaseType"] = "sqlite",
            ["overallChecksum"] = Sha256(listed.Append(']').ToString()), ["tables"] = manifestTables,
        };
        File.WriteAllText(Path.Combine(_folder, "manifest.json"), manifest.ToJsonString(indented));
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>The export's users, organizations and memberships mapped onto ours (Pfa.Data/Legacy/LegacyPlan), or refused whole.</summary>
public sealed class LegacyPlanTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _folder = PfaApp.NewDataDirectory();

    public void Dispose() => PfaApp.DeleteDataDirectory(_folder);

    [Fact]
    public async Task Users_organizations_and_memberships_map_onto_our_roles_and_bcrypt_hashes_are_carried_over()
    {
        var bcrypt = BCrypt.Net.BCrypt.HashPassword("old-password", 4);
        using var source = await ExportAsync(
            $$"""[{"id":"u1","username":"ADMIN","firstName":"Ada","lastName":"Min","email":"Ada@Example.com","passwordHash":"{{bcrypt}}","role":"admin","isActive":1,"createdAt":1764064800000},{"id":"u2","username":"planner","passwordHash":"","role":"user","isActive":false,"createdAt":"2025-11-25 10:00:00"}]""",
            """[{"id":"o1","code":"rio","name":"Rio Tinto ","isActive":true}]""",
            """[{"id":"m1","userId":"u1","organizationId":"o1","role":"owner"},{"id":"m2","userId":"u2","organizationId":"o1","role":"member","perm_Read":true,"perm_EditForecast":true,"perm_Export":true,"perm_Sync":true,"perm_ViewFinancials":false}]""");
        var plan = LegacyPlan.Build(source, secrets: null);

        var admin = plan.Users.Single(u => u.LegacyId == "u1");
        Assert.Equal(("admin", "Ada Min", "ada@example.com", true, true), (admin.Username, admin.DisplayName, admin.Email, admin.IsActive, admin.IsSystemAdmin));
        Assert.Equal(new DateTimeOffset(2025, 11, 25, 10, 0, 0, TimeSpan.Zero), admin.CreatedAt);
        Assert.Equal(bcrypt, admin.PasswordHash);
        var pm = plan.Users.Single(u => u.LegacyId == "u2");
        Assert.Equal(new DateTimeOffset(2025, 11, 25, 10, 0, 0, TimeSpan.Zero), pm.CreatedAt);
        Assert.False(pm.IsActive);
        Assert.Null(pm.PasswordHash); // "" meant no local password
        Assert.Equal(("RIO", "Rio Tinto"), (plan.Organizations.Single().Code, plan.Organizations.Single().Name));

        Assert.Equal((OrgRole.Admin, Permission.None, Permission.None), Shape(plan.Memberships.Single(m => m.UserLegacyId == "u1")));
        // member → Editor; the flags add Sync (and Commit, which the old Sync covered) and take ViewFinancials and Import away.
        Assert.Equal((OrgRole.Editor, Permission.Sync | Permission.Commit, Permission.ViewFinancials | Permission.Import),
            Shape(plan.Memberships.Single(m => m.UserLegacyId == "u2")));
    }

    [Fact]
    public async Task Orphan_memberships_duplicate_keys_and_unknown_roles_are_all_reported_and_nothing_is_planned()
    {
        using var export = await ExportAsync(
            """[{"id":"u1","username":"Bob","passwordHash":""},{"id":"u2","username":"bob","passwordHash":""}]""",
            """[{"id":"o1","code":"RIO","name":"Rio"},{"id":"o2","code":"rio","name":"Rio again"}]""",
            """[{"id":"m1","userId":"u9","organizationId":"o1","role":"member"},{"id":"m2","userId":"u1","organizationId":"o7","role":"member"},{"id":"m3","userId":"u1","organizationId":"o1","role":"superuser"}]""");

        var error = Assert.Throws<LegacyImportException>(() => LegacyPlan.Build(export, secrets: null));

        Assert.StartsWith("The legacy data cannot be imported (5 problem(s), nothing was written)", error.Message, StringComparison.Ordinal);
        Assert.Contains("username 'bob' is used by u1 and u2", error.Message, StringComparison.Ordinal);
        Assert.Contains("code 'RIO' is used by o1 and o2", error.Message, StringComparison.Ordinal);
        Assert.Contains("user_organizations m1: user u9 does not exist (orphan membership)", error.Message, StringComparison.Ordinal);
        Assert.Contains("user_organizations m2: organization o7 does not exist (orphan membership)", error.Message, StringComparison.Ordinal);
        Assert.Contains("user_organizations m3: unknown role 'superuser'", error.Message, StringComparison.Ordinal);
    }

    private static (OrgRole, Permission, Permission) Shape(PlannedMembership m) => (m.Role, m.Granted, m.Revoked);

    private async Task<ILegacySource> ExportAsync(string users, string organizations, string memberships)
    {
        var listed = new List<string>();
        var manifestTables = new List<string>();
        foreach (var (table, rows) in new[] { ("users", users), ("organizations", organizations), ("user_organizations", memberships) })
        {
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rows)));
            var count = JsonNode.Parse(rows)!.AsArray().Count;
            await File.WriteAllTextAsync(Path.Combine(_folder, table + ".json"),
                $$"""{"tableName":"{{table}}","rowCount":{{count}},"checksum":"{{checksum}}","exportedAt":"2025-11-25T10:00:00.000Z","data":{{rows}}}""", Ct);
            manifestTables.Add($$"""{"tableName":"{{table}}","rowCount":{{count}},"checksum":"{{checksum}}"}""");
        }
        await File.WriteAllTextAsync(Path.Combine(_folder, "manifest.json"), $$"""{"version":"1.0.0","tables":[{{string.Join(',', manifestTables)}}]}""", Ct);
        return await LegacySource.OpenAsync(_folder, Ct);
    }
}
