using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// Sessions that end at once, forced password changes, the administration API's scopes (system admin vs org admin), and
/// the append-only audit trail with its organization-scoped reading and CSV export.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class IdentityAndAuditTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _orgA = "", _orgB = "";
    private Guid _orgAId, _orgBId, _sysId;
    private HttpClient _sys = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _orgA = ApiHost.Unique("IA");
        _orgB = ApiHost.Unique("IB");
        _orgAId = await _host.CreateOrgAsync(_orgA);
        _orgBId = await _host.CreateOrgAsync(_orgB);
        var sys = ApiHost.Unique("sys").ToLowerInvariant();
        _sysId = await _host.CreateUserAsync(sys);
        await IdentityTestKit.MakeSystemAdminAsync(_host.Db, _sysId);
        _sys = await _host.LoginAsync(sys);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<(Guid Id, string Username, string Password)> CreateViaApiAsync(HttpClient admin, string? org, string? role, string? email = null)
    {
        var username = ApiHost.Unique("user-name-").ToLowerInvariant(); // ≥ 12 characters: the "not the user name" rule is reachable
        var created = await (await admin.PostAsJsonAsync("/api/users",
            new { username, displayName = "Test " + username, email, organization = org, role }, Http.Ct)).JsonAsync(HttpStatusCode.Created);
        var temporary = created["temporaryPassword"]!.GetValue<string>();
        Assert.True(created["user"]!["mustChangePassword"]!.GetValue<bool>());
        return (Guid.Parse(created["user"]!["id"]!.GetValue<string>()), username, temporary);
    }

    /// <summary>Signs in with the temporary password and changes it; returns the client with the fresh token.</summary>
    private async Task<(HttpClient Client, string Password)> FirstSignInAsync(string username, string temporary)
    {
        var (client, login) = await IdentityTestKit.SignInAsync(_host.Factory, username, temporary);
        Assert.True(login["mustChangePassword"]!.GetValue<bool>());
        var password = "Chosen-" + Guid.NewGuid().ToString("N")[..12];
        var changed = await (await client.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = temporary, newPassword = password }, Http.Ct)).JsonAsync();
        Assert.False(changed["mustChangePassword"]!.GetValue<bool>());
        IdentityTestKit.Bearer(client, changed);
        return (client, password);
    }

    [Fact]
    public async Task Forced_change_blocks_everything_but_change_and_me_and_enforces_the_policy()
    {
        var (_, username, temporary) = await CreateViaApiAsync(_sys, _orgA, "Editor");
        var (client, login) = await IdentityTestKit.SignInAsync(_host.Factory, username, temporary);
        Assert.True(login["mustChangePassword"]!.GetValue<bool>());

        var blocked = await (await client.GetAsync($"/api/orgs/{_orgA}/pfa", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        Assert.Equal("Password change required", (string?)blocked["title"]);
        await (await client.GetAsync("/api/users", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        Assert.True((await (await client.GetAsync("/api/me", Http.Ct)).JsonAsync())["mustChangePassword"]!.GetValue<bool>());

        async Task Refused(string current, string next, string field) =>
            await (await client.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = current, newPassword = next }, Http.Ct))
                .ProblemNamingAsync(HttpStatusCode.BadRequest, field);
        await Refused("wrong-password-1234", "Another-long-pass-1", "currentPassword");
        await Refused(temporary, "short-1", "newPassword");
        await Refused(temporary, username.ToUpperInvariant(), "newPassword");
        await Refused(temporary, temporary, "newPassword");

        var newPassword = "Chosen-" + Guid.NewGuid().ToString("N")[..12];
        var changed = await (await client.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = temporary, newPassword }, Http.Ct)).JsonAsync();
        // The token used for the change died with it (new stamp); the fresh one opens the API.
        await (await client.GetAsync("/api/me", Http.Ct)).JsonAsync(HttpStatusCode.Unauthorized);
        IdentityTestKit.Bearer(client, changed);
        await (await client.GetAsync($"/api/orgs/{_orgA}/pfa", Http.Ct)).JsonAsync();
        Assert.False((await (await IdentityTestKit.LoginResponseAsync(_host.Factory.CreateClient(), username, newPassword)).JsonAsync())["mustChangePassword"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Deactivation_password_reset_and_last_membership_removal_end_sessions_at_once()
    {
        var (id, username, temporary) = await CreateViaApiAsync(_sys, _orgA, "Viewer");
        var (client, password) = await FirstSignInAsync(username, temporary);
        await (await client.GetAsync($"/api/orgs/{_orgA}/kpis", Http.Ct)).JsonAsync();

        await (await _sys.PostAsJsonAsync($"/api/users/{id}/deactivate", new { reason = "left the project" }, Http.Ct)).JsonAsync();
        await (await client.GetAsync("/api/me", Http.Ct)).JsonAsync(HttpStatusCode.Unauthorized);
        await (await IdentityTestKit.LoginResponseAsync(_host.Factory.CreateClient(), username, password)).JsonAsync(HttpStatusCode.Unauthorized);

        await (await _sys.PostAsJsonAsync($"/api/users/{id}/reactivate", new { }, Http.Ct)).JsonAsync();
        var (again, _) = await IdentityTestKit.SignInAsync(_host.Factory, username, password);
        var reset = await (await _sys.PostAsJsonAsync($"/api/users/{id}/reset-password", new { }, Http.Ct)).JsonAsync();
        await (await again.GetAsync("/api/me", Http.Ct)).JsonAsync(HttpStatusCode.Unauthorized);
        var (afterReset, resetPassword) = await FirstSignInAsync(username, reset["temporaryPassword"]!.GetValue<string>());

        await (await _sys.DeleteAsync($"/api/users/{id}/memberships/{_orgA}", Http.Ct)).JsonAsync();
        await (await afterReset.GetAsync("/api/me", Http.Ct)).JsonAsync(HttpStatusCode.Unauthorized);
        // Signing in still works (no membership, so no organization), the old token does not.
        await (await IdentityTestKit.LoginResponseAsync(_host.Factory.CreateClient(), username, resetPassword)).JsonAsync();
    }

    [Fact]
    public async Task Org_admin_manages_only_their_own_organization()
    {
        var (adminId, adminName, adminTemp) = await CreateViaApiAsync(_sys, _orgA, "Admin");
        var (orgAdmin, _) = await FirstSignInAsync(adminName, adminTemp);
        var (inA, _, _) = await CreateViaApiAsync(_sys, _orgA, "Viewer");
        var (inB, _, _) = await CreateViaApiAsync(_sys, _orgB, "Viewer");
        var (inBoth, _, _) = await CreateViaApiAsync(_sys, _orgA, "Viewer");
        await (await _sys.PutAsJsonAsync($"/api/users/{inBoth}/memberships/{_orgB}", new { role = "Editor" }, Http.Ct)).JsonAsync();

        var listed = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await (await orgAdmin.GetAsync($"/api/users?limit=2{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", Http.Ct)).JsonAsync();
            listed.AddRange(page["items"]!.AsArray().Select(u => Guid.Parse((string)u!["id"]!)));
            Assert.All(page["items"]!.AsArray(), u => Assert.All(u!["memberships"]!.AsArray(), m => Assert.Equal(_orgA, (string?)m!["organization"])));
            cursor = (string?)page["nextCursor"];
        } while (cursor is not null);
        Assert.Contains(inA, listed);
        Assert.Contains(inBoth, listed);
        Assert.Contains(adminId, listed);
        Assert.DoesNotContain(inB, listed);
        Assert.DoesNotContain(_sysId, listed);

        await (await orgAdmin.GetAsync($"/api/users/{inB}", Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.PutAsJsonAsync($"/api/users/{inB}/memberships/{_orgA}", new { role = "Viewer" }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.PutAsJsonAsync($"/api/users/{inA}/memberships/{_orgB}", new { role = "Viewer" }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.PostAsJsonAsync($"/api/users/{inB}/deactivate", new { }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.PostAsJsonAsync($"/api/users/{inBoth}/deactivate", new { }, Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        await (await orgAdmin.PostAsJsonAsync($"/api/users/{_sysId}/reset-password", new { }, Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await orgAdmin.PostAsJsonAsync("/api/users", new { username = ApiHost.Unique("x").ToLowerInvariant(), isSystemAdmin = true, organization = _orgA, role = "Viewer" }, Http.Ct))
            .JsonAsync(HttpStatusCode.Forbidden);
        await (await orgAdmin.PostAsJsonAsync("/api/users", new { username = ApiHost.Unique("x").ToLowerInvariant() }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "organization");
        await (await orgAdmin.PutAsJsonAsync($"/api/users/{inA}/memberships/{_orgA}/permissions", new { granted = new[] { "ViewAllOrganizations" } }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "granted");
        await (await orgAdmin.PutAsJsonAsync($"/api/users/{inA}/memberships/{_orgA}/permissions", new { granted = new[] { "Fly" } }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "granted");

        // Inside their organization they can: role, overrides, deactivate a user who is only theirs.
        var changed = await (await orgAdmin.PutAsJsonAsync($"/api/users/{inA}/memberships/{_orgA}", new { role = "Editor", revoked = new[] { "Export" } }, Http.Ct)).JsonAsync();
        var membership = changed["memberships"]!.AsArray().Single()!;
        Assert.Equal("Editor", (string?)membership["role"]);
        Assert.DoesNotContain("Export", membership["permissions"]!.AsArray().Select(p => (string?)p));
        Assert.Contains("Edit", membership["permissions"]!.AsArray().Select(p => (string?)p));
        await (await orgAdmin.PostAsJsonAsync($"/api/users/{inA}/deactivate", new { }, Http.Ct)).JsonAsync();
        // A plain member is no administrator at all.
        var (_, plainName, plainTemp) = await CreateViaApiAsync(_sys, _orgA, "PortfolioManager");
        var (plain, _) = await FirstSignInAsync(plainName, plainTemp);
        await (await plain.GetAsync("/api/users", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Usernames_and_emails_are_unique_case_insensitively_and_bad_input_names_the_field()
    {
        var email = $"{ApiHost.Unique("m")}@example.com";
        var (_, username, _) = await CreateViaApiAsync(_sys, _orgA, "Viewer", email);
        await (await _sys.PostAsJsonAsync("/api/users", new { username = username.ToUpperInvariant() }, Http.Ct)).ProblemNamingAsync(HttpStatusCode.Conflict, "username");
        await (await _sys.PostAsJsonAsync("/api/users", new { username = ApiHost.Unique("n").ToLowerInvariant(), email = email.ToUpperInvariant() }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.Conflict, "email");
        await (await _sys.PostAsJsonAsync("/api/users", new { username = "a b" }, Http.Ct)).ProblemNamingAsync(HttpStatusCode.BadRequest, "username");
        await (await _sys.PostAsJsonAsync("/api/users", new { username = ApiHost.Unique("n").ToLowerInvariant(), email = "not-an-email" }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "email");
        await (await _sys.PostAsJsonAsync("/api/users", new { username = ApiHost.Unique("n").ToLowerInvariant(), password = "short" }, Http.Ct))
            .ProblemNamingAsync(HttpStatusCode.BadRequest, "password");
        await (await _sys.PutAsJsonAsync($"/api/users/{Guid.NewGuid()}/memberships/{_orgA}", new { }, Http.Ct)).ProblemNamingAsync(HttpStatusCode.BadRequest, "role");
        await (await _sys.GetAsync("/api/users?limit=0", Http.Ct)).ProblemNamingAsync(HttpStatusCode.BadRequest, "limit");
        // A chosen password is not echoed back.
        var chosen = await (await _sys.PostAsJsonAsync("/api/users",
            new { username = ApiHost.Unique("c").ToLowerInvariant(), password = "A-chosen-password-42" }, Http.Ct)).JsonAsync(HttpStatusCode.Created);
        Assert.Null(chosen["temporaryPassword"]);
    }

    [Fact]
    public async Task Every_step_is_audited_and_unknown_users_are_indistinguishable()
    {
        var anonymous = _host.Factory.CreateClient();
        var unknownName = ApiHost.Unique("ghost").ToLowerInvariant();
        var unknown = await (await IdentityTestKit.LoginResponseAsync(anonymous, unknownName, "whatever-password")).JsonAsync(HttpStatusCode.Unauthorized);
        var (id, username, temporary) = await CreateViaApiAsync(_sys, _orgA, "Viewer");
        var wrong = await (await IdentityTestKit.LoginResponseAsync(anonymous, username, "not-the-password")).JsonAsync(HttpStatusCode.Unauthorized);
        Assert.Equal((string?)unknown["title"], (string?)wrong["title"]);
        Assert.Equal(unknown.Select(p => p.Key).Order(), wrong.Select(p => p.Key).Order());
        await FirstSignInAsync(username, temporary);
        await (await _sys.PutAsJsonAsync($"/api/users/{id}/memberships/{_orgA}/permissions", new { revoked = new[] { "ViewFinancials" } }, Http.Ct)).JsonAsync();
        await (await _sys.PostAsJsonAsync($"/api/users/{id}/deactivate", new { }, Http.Ct)).JsonAsync();

        var rows = await IdentityTestKit.AuditAsync(_sys, $"user={id}");
        var actions = rows.Select(r => $"{r["action"]}:{r["outcome"]}").ToList();
        Assert.Contains("auth.sign-in:failure", actions);
        Assert.Contains("auth.sign-in:success", actions);
        Assert.Contains("auth.password-change:success", actions);
        // Rows about the user written by the admin carry the admin as user; find them by entity.
        var about = (await IdentityTestKit.AuditAsync(_sys, $"user={_sysId}")).Where(r => (string?)r["entityId"] == id.ToString()).Select(r => (string?)r["action"]).ToList();
        Assert.Contains("user.create", about);
        Assert.Contains("membership.permissions", about);
        Assert.Contains("user.deactivate", about);
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First["id"]!.GetValue<long>() > p.Second["id"]!.GetValue<long>()), "newest first");

        var ghost = (await IdentityTestKit.AuditAsync(_sys, $"user={unknownName}&action=auth.sign-in")).Single();
        Assert.Equal("failure", (string?)ghost["outcome"]);
        Assert.Null(ghost["userId"]);
        Assert.Equal("unknown-user", (string?)ghost["details"]!["reason"]);
    }

    [Fact]
    public async Task Audit_log_is_append_only_for_the_app_role_and_the_owner()
    {
        await using (var cmd = _host.Db.CreateCommand("INSERT INTO audit_log (at, action) VALUES (now(), 'test.append') RETURNING id"))
            Assert.True((long)(await cmd.ExecuteScalarAsync(Http.Ct))! > 0);
        foreach (var sql in new[] { "UPDATE audit_log SET action = 'x' WHERE action = 'test.append'", "DELETE FROM audit_log WHERE action = 'test.append'" })
        {
            await using var owner = _host.Db.CreateCommand(sql);
            var e = await Assert.ThrowsAsync<PostgresException>(() => owner.ExecuteNonQueryAsync(Http.Ct));
            Assert.Contains("append-only", e.MessageText);

            await using var conn = await _host.Db.OpenConnectionAsync(Http.Ct);
            await using var tx = await conn.BeginTransactionAsync(Http.Ct);
            await using (var role = new NpgsqlCommand("SET LOCAL ROLE pfa_app", conn, tx)) await role.ExecuteNonQueryAsync(Http.Ct);
            await using var app = new NpgsqlCommand(sql, conn, tx);
            var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteNonQueryAsync(Http.Ct));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
        await using var truncate = _host.Db.CreateCommand("TRUNCATE audit_log");
        await Assert.ThrowsAsync<PostgresException>(() => truncate.ExecuteNonQueryAsync(Http.Ct));
        await using var count = _host.Db.CreateCommand("SELECT count(*) FROM audit_log WHERE action = 'test.append'");
        Assert.True((long)(await count.ExecuteScalarAsync(Http.Ct))! >= 1);
    }

    [Fact]
    public async Task Audit_readers_of_one_organization_never_see_another_and_csv_export_is_audited()
    {
        // Activity in both organizations: a commit in each.
        foreach (var (org, orgId) in new[] { (_orgA, _orgAId), (_orgB, _orgBId) })
        {
            await _host.UpsertMirrorAsync(orgId, Lines.Rental("A1"));
            var pm = ApiHost.Unique("pm").ToLowerInvariant();
            await _host.CreateUserAsync(pm, (orgId, "PortfolioManager"));
            var client = await _host.LoginAsync(pm);
            await (await client.PostAsJsonAsync($"/api/orgs/{org}/drafts", new { items = new[] { new { pfaId = "A1", changes = new { forecastEnd = "2025-05-01" } } } }, Http.Ct)).JsonAsync();
            await (await client.PostAsJsonAsync($"/api/orgs/{org}/commit", new { }, Http.Ct)).JsonAsync();
        }
        var auditor = ApiHost.Unique("aud").ToLowerInvariant();
        var auditorId = await _host.CreateUserAsync(auditor, (_orgAId, "Viewer"), (_orgBId, "Viewer"));
        await (await _sys.PutAsJsonAsync($"/api/users/{auditorId}/memberships/{_orgA}/permissions", new { granted = new[] { "ViewAudit" } }, Http.Ct)).JsonAsync();
        var reader = await _host.LoginAsync(auditor);

        var rows = await IdentityTestKit.AuditAsync(reader, "");
        Assert.Contains(rows, r => (string?)r["action"] == "drafts.commit" && (string?)r["organization"] == _orgA && r["details"]!["lines"]!.GetValue<int>() == 1);
        Assert.All(rows, r => Assert.Equal(_orgA, (string?)r["organization"]));
        await (await reader.GetAsync($"/api/audit?org={_orgB}", Http.Ct)).JsonAsync(HttpStatusCode.NotFound);
        await (await reader.GetAsync("/api/audit?outcome=maybe", Http.Ct)).ProblemNamingAsync(HttpStatusCode.BadRequest, "outcome");
        // Membership in B without ViewAudit there, and a member with no ViewAudit anywhere, read nothing.
        var plain = ApiHost.Unique("pl").ToLowerInvariant();
        await _host.CreateUserAsync(plain, (_orgBId, "Editor"));
        await (await (await _host.LoginAsync(plain)).GetAsync("/api/audit", Http.Ct)).JsonAsync(HttpStatusCode.Forbidden);
        // The system admin sees B's commit.
        Assert.Contains(await IdentityTestKit.AuditAsync(_sys, $"org={_orgB}&action=drafts.commit"), r => (string?)r["organization"] == _orgB);

        var response = await reader.GetAsync($"/api/audit.csv?org={_orgA}&action=drafts.commit", Http.Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Http.Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Id,At,User Id,Actor,Organization,Action,Outcome", lines[0]);
        Assert.True(lines.Length >= 2);
        Assert.All(lines.Skip(1), l => Assert.Contains($",{_orgA},drafts.commit,success,", l));
        Assert.Contains(await IdentityTestKit.AuditAsync(_sys, $"user={auditorId}&action=audit.export"), r => (string?)r["organization"] == _orgA);
    }
}
