using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sso;

/// <summary>
/// The API with tokens of a real OpenID Connect issuer (OpenIddict, password grant for a token straight away): matched by
/// verified e-mail, provisioned into the organization that allows the domain, refused otherwise or when deactivated; the
/// web app's exchange endpoint trades an id_token for our own token.
/// </summary>
[Collection(SsoStackCollection.Name)]
public sealed class SsoApiTests(SsoStackFixture stack)
{
    [Fact]
    public async Task Issuer_tokens_map_to_users_by_email_provision_allowed_domains_and_refuse_the_rest()
    {
        var s = Guid.NewGuid().ToString("N")[..6];
        var org = "SSO" + s.ToUpperInvariant();
        var allowedDomain = $"allowed-{s}.test";
        var orgId = await ExecScalarAsync<Guid>(
            "INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version, sso_auto_provision_role, sso_email_domains) " +
            "VALUES (gen_random_uuid(), $1, $1, true, false, 'active', 1, 'Editor', ARRAY[$2]) RETURNING id", org, allowedDomain);
        var known = await CreateUserAsync($"known{s}", $"Known.{s}@Corp.test", active: true, orgId);
        await CreateUserAsync($"gone{s}", $"gone.{s}@corp.test", active: false, orgId);

        AddIssuerUser($"known{s}", $"known.{s}@corp.test");
        AddIssuerUser($"newbie{s}", $"newbie@{allowedDomain}");
        AddIssuerUser($"stranger{s}", $"stranger@other-{s}.test");
        AddIssuerUser($"gone{s}", $"gone.{s}@corp.test");

        // An existing user, matched by e-mail (case-insensitively), then by the stored external login.
        var (knownId, knownAccess) = await TokensAsync($"known{s}");
        for (var i = 0; i < 2; i++)
        {
            using var api = stack.Api(knownAccess);
            var me = await (await api.GetAsync("/api/me", Http.Ct)).JsonAsync();
            Assert.Equal(known, me["id"]!.GetValue<Guid>());
        }
        Assert.Equal(1L, await ExecScalarAsync<long>("SELECT count(*) FROM external_logins WHERE user_id = $1 AND issuer = $2",
            known, stack.Issuer.Authority.ToString()));

        // Unknown, in the allowed domain: provisioned into the organization with its role.
        using (var api = stack.Api((await TokensAsync($"newbie{s}")).Access))
        {
            var me = await (await api.GetAsync("/api/me", Http.Ct)).JsonAsync();
            Assert.Equal($"newbie@{allowedDomain}", me["email"]!.GetValue<string>());
            var membership = Assert.Single(me["organizations"]!.AsArray());
            Assert.Equal((org, "Editor"), (membership!["code"]!.GetValue<string>(), membership["role"]!.GetValue<string>()));
        }
        Assert.Equal(1L, await ExecScalarAsync<long>("SELECT count(*) FROM audit_log WHERE organization_id = $1 AND action = 'user.provisioned-by-sso'", orgId));

        // Unknown in another domain, and a deactivated user: 403 ProblemDetails, no account created.
        foreach (var refused in new[] { $"stranger{s}", $"gone{s}" })
        {
            using var api = stack.Api((await TokensAsync(refused)).Access);
            using var response = await api.GetAsync("/api/me", Http.Ct);
            var problem = await response.JsonAsync(HttpStatusCode.Forbidden);
            Assert.Equal("No account.", problem["title"]!.GetValue<string>());
        }
        Assert.Equal(0L, await ExecScalarAsync<long>("SELECT count(*) FROM users WHERE email = $1", $"stranger@other-{s}.test"));

        // The web app's path: the issuer's id_token exchanged for our own token.
        using (var anonymous = stack.Api())
        {
            var exchanged = await (await anonymous.PostAsJsonAsync("/api/auth/external", new { idToken = knownId }, Http.Ct)).JsonAsync();
            using var api = stack.Api(exchanged["accessToken"]!.GetValue<string>());
            var me = await (await api.GetAsync("/api/me", Http.Ct)).JsonAsync();
            Assert.Equal(known, me["id"]!.GetValue<Guid>());

            using var bad = await anonymous.PostAsJsonAsync("/api/auth/external", new { idToken = "not-a-token" }, Http.Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
            var missing = await (await anonymous.PostAsJsonAsync("/api/auth/external", new { }, Http.Ct)).JsonAsync(HttpStatusCode.BadRequest);
            Assert.NotNull(missing["errors"]!["idToken"]);
        }
    }

    private void AddIssuerUser(string username, string email) =>
        stack.Issuer.AddUser(new TestOidcIssuer.User(username, "idp-" + username, "sub-" + username, email, EmailVerified: true, Name: username));

    private async Task<(string Id, string Access)> TokensAsync(string username)
    {
        var (id, access) = await stack.Issuer.PasswordGrantAsync(SsoStackFixture.ClientId, stack.ClientSecret, username, Http.Ct);
        return (id, access);
    }

    private async Task<Guid> CreateUserAsync(string username, string email, bool active, Guid org)
    {
        var id = await ExecScalarAsync<Guid>(
            "INSERT INTO users (id, username, display_name, email, password_hash, is_active, created_at) VALUES (gen_random_uuid(), $1, $1, $2, $3, $4, now()) RETURNING id",
            username, email, Pfa.Data.Passwords.Hash("unused-" + username), active);
        await ExecScalarAsync<Guid>("INSERT INTO memberships (user_id, organization_id, role, draft_version) VALUES ($1, $2, 'Viewer', 0) RETURNING user_id", id, org);
        return id;
    }

    private async Task<T> ExecScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = stack.Db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }
}
