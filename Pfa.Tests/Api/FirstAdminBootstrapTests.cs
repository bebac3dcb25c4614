using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Pfa.Api;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// A deployment's first start: an empty database of its own on the test PostgreSQL server, the API in Production (no demo
/// seed) with the AppHost's variables. It migrates, creates the configured first admin (forced change), and from there the
/// admin brings a user in, who signs in and sees an organization's lines with or without money.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class FirstAdminBootstrapTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private const string AdminPassword = "Generated-Admin-Secret-1";
    private WebApplicationFactory<ApiMarker> _factory = null!;
    private NpgsqlDataSource _db = null!;
    private string _database = "";

    public async ValueTask InitializeAsync()
    {
        _database = "pfa_boot_" + Guid.NewGuid().ToString("N")[..10];
        await using (var server = NpgsqlDataSource.Create(infra.PostgresConnectionString))
        await using (var create = server.CreateCommand($"CREATE DATABASE {_database}"))
            await create.ExecuteNonQueryAsync(Http.Ct);
        var connection = new NpgsqlConnectionStringBuilder(infra.PostgresConnectionString) { Database = _database }.ConnectionString;
        _db = NpgsqlDataSource.Create(connection);
        _factory = new WebApplicationFactory<ApiMarker>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting($"ConnectionStrings:{PfaResources.Database}", connection);
            b.UseSetting($"ConnectionStrings:{PfaResources.Redis}", infra.RedisConnectionString);
            b.UseSetting("Jwt:Key", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            b.UseSetting("Database:MigrateOnStartup", "true");
            b.UseSetting("Bootstrap:AdminPassword", AdminPassword);
            b.UseSetting("Bootstrap:AdminEmail", "Ops@Example.com");
            b.UseSetting("RateLimit:PermitsPerMinute", "100000");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _db.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var server = NpgsqlDataSource.Create(infra.PostgresConnectionString);
        await using var drop = server.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task First_admin_changes_password_then_brings_in_a_user_who_sees_masked_or_unmasked_lines()
    {
        var anonymous = _factory.CreateClient();
        // Production: no demo users, only the first admin.
        await using (var users = _db.CreateCommand("SELECT username, email, is_system_admin, must_change_password FROM users"))
        await using (var r = await users.ExecuteReaderAsync(Http.Ct))
        {
            Assert.True(await r.ReadAsync(Http.Ct));
            Assert.Equal(("admin", "Ops@Example.com", true, true), (r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetBoolean(3)));
            Assert.False(await r.ReadAsync(Http.Ct));
        }
        await (await IdentityTestKit.LoginResponseAsync(anonymous, "viewer", "anything-at-all")).JsonAsync(HttpStatusCode.Unauthorized);

        var (admin, login) = await IdentityTestKit.SignInAsync(_factory, "admin", AdminPassword);
        Assert.True(login["mustChangePassword"]!.GetValue<bool>());
        await (await admin.GetAsync("/api/users", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        var changed = await (await admin.PostAsJsonAsync("/api/auth/change-password",
            new { currentPassword = AdminPassword, newPassword = "The-admins-own-password" }, Http.Ct)).JsonAsync();
        IdentityTestKit.Bearer(admin, changed);
        Assert.True((await (await admin.GetAsync("/api/me", Http.Ct)).JsonAsync())["isSystemAdmin"]!.GetValue<bool>());

        // An organization with lines (organizations themselves are created by the organizations API of another branch).
        var orgId = Guid.NewGuid();
        await using (var org = _db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES ($1, 'BOOT', 'Boot', true, true, 'active', 1)"))
        {
            org.Parameters.AddWithValue(orgId);
            await org.ExecuteNonQueryAsync(Http.Ct);
        }
        var data = Pfa.Domain.PfaJson.ToJson(Lines.Rental("B1", rate: 2750m)).ToJsonString();
        await using (var line = _db.CreateCommand("INSERT INTO pfa_mirror (organization_id, pfa_id, data, content_hash, mirror_version, last_synced_at) VALUES ($1, 'B1', $2::jsonb, '\\x00', 1, now())"))
        {
            line.Parameters.AddWithValue(orgId);
            line.Parameters.AddWithValue(data);
            await line.ExecuteNonQueryAsync(Http.Ct);
        }

        var created = await (await admin.PostAsJsonAsync("/api/users",
            new { username = "Planner.One", displayName = "Planner One", email = "planner@example.com", organization = "BOOT", role = "Editor" }, Http.Ct))
            .JsonAsync(HttpStatusCode.Created);
        var userId = (string)created["user"]!["id"]!;
        Assert.Equal("planner.one", (string?)created["user"]!["username"]);
        var (planner, plannerLogin) = await IdentityTestKit.SignInAsync(_factory, "planner.one", created["temporaryPassword"]!.GetValue<string>());
        Assert.True(plannerLogin["mustChangePassword"]!.GetValue<bool>());
        await (await planner.GetAsync("/api/orgs/BOOT/pfa", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        IdentityTestKit.Bearer(planner, await (await planner.PostAsJsonAsync("/api/auth/change-password",
            new { currentPassword = created["temporaryPassword"]!.GetValue<string>(), newPassword = "Planner-password-1" }, Http.Ct)).JsonAsync());

        var visible = await (await planner.GetAsync("/api/orgs/BOOT/pfa", Http.Ct)).JsonAsync();
        Assert.Equal(2750m, visible["items"]![0]!["record"]!["monthlyRate"]!.GetValue<decimal>());
        await (await admin.PutAsJsonAsync($"/api/users/{userId}/memberships/BOOT/permissions", new { revoked = new[] { "ViewFinancials" } }, Http.Ct)).JsonAsync();
        var hidden = await (await planner.GetAsync("/api/orgs/BOOT/pfa", Http.Ct)).JsonAsync();
        Assert.Null(hidden["items"]![0]!["record"]!["monthlyRate"]);
        Assert.Equal("B1", (string?)hidden["items"]![0]!["pfaId"]);

        // The bootstrap and each step after it are in the audit trail.
        var actions = (await IdentityTestKit.AuditAsync(admin, "")).Select(r => (string?)r["action"]).ToList();
        foreach (var a in new[] { "user.create", "auth.sign-in", "auth.password-change", "membership.permissions" }) Assert.Contains(a, actions);
        Assert.Equal(2, actions.Count(a => a == "user.create")); // bootstrap + planner
    }
}
