using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Pfa.Api;
using Pfa.Api.Infrastructure;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// One API host per infrastructure fixture (so per test collection, never per test), on the real PostgreSQL and Redis
/// the AppHost started. Development environment: the API migrates at start. Each test class seeds its own organizations.
/// </summary>
public sealed class ApiHost
{
    private static readonly ConcurrentDictionary<InfrastructureFixture, Lazy<ApiHost>> Hosts = new();

    public WebApplicationFactory<ApiMarker> Factory { get; }
    public NpgsqlDataSource Db { get; }
    /// <summary>A fresh signing key per test run, as the AppHost generates one (none is committed).</summary>
    private static readonly string SigningKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private ApiHost(InfrastructureFixture infra)
    {
        Factory = new WebApplicationFactory<ApiMarker>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development");
            b.UseSetting($"ConnectionStrings:{PfaResources.Database}", infra.PostgresConnectionString);
            b.UseSetting($"ConnectionStrings:{PfaResources.Redis}", infra.RedisConnectionString);
            b.UseSetting("RateLimit:PermitsPerMinute", "100000");
            b.UseSetting("Jwt:Key", SigningKey);
        });
        Factory.CreateClient().Dispose(); // start (and migrate) now
        Db = NpgsqlDataSource.Create(infra.PostgresConnectionString);
    }

    public static ApiHost For(InfrastructureFixture infra) => Hosts.GetOrAdd(infra, i => new Lazy<ApiHost>(() => new ApiHost(i))).Value;

    public const string Password = "test-Password-1!";

    public async Task<Guid> CreateOrgAsync(string code)
    {
        var id = Guid.NewGuid();
        await using var cmd = Db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES ($1, $2, $2, true, true, 'active', 1)");
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(code);
        await cmd.ExecuteNonQueryAsync();
        return id;
    }

    public async Task<Guid> CreateUserAsync(string username, params (Guid Org, string Role)[] memberships)
    {
        var id = Guid.NewGuid();
        await using (var cmd = Db.CreateCommand("INSERT INTO users (id, username, display_name, password_hash, is_active, created_at) VALUES ($1, $2, $2, $3, true, now())"))
        {
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(username);
            cmd.Parameters.AddWithValue(Pfa.Data.Passwords.Hash(Password));
            await cmd.ExecuteNonQueryAsync();
        }
        foreach (var (org, role) in memberships)
        {
            await using var m = Db.CreateCommand("INSERT INTO memberships (user_id, organization_id, role, draft_version) VALUES ($1, $2, $3, 0)");
            m.Parameters.AddWithValue(id);
            m.Parameters.AddWithValue(org);
            m.Parameters.AddWithValue(role);
            await m.ExecuteNonQueryAsync();
        }
        return id;
    }

    public async Task<HttpClient> LoginAsync(string username)
    {
        var client = Factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username, password = Password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Inserts or updates mirror lines as the sync would (new version + history row only on real change), then refreshes views.</summary>
    public async Task UpsertMirrorAsync(Guid org, params PfaRecord[] records)
    {
        foreach (var r in records)
        {
            var data = PfaJson.ToJson(r).ToJsonString();
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(data));
            await using var cmd = Db.CreateCommand("""
                WITH prev AS (SELECT id, data, pems_version, content_hash, mirror_version FROM pfa_mirror WHERE organization_id = $1 AND pfa_id = $2),
                hist AS (INSERT INTO pfa_mirror_history (mirror_id, organization_id, mirror_version, data, pems_version, content_hash, recorded_at, changed_by)
                         SELECT id, $1, mirror_version, data, pems_version, content_hash, now(), 'PEMS_SYNC' FROM prev WHERE content_hash <> $4)
                INSERT INTO pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at)
                VALUES ($1, $2, $3::jsonb, $5, $4, 1, now())
                ON CONFLICT (organization_id, pfa_id) DO UPDATE
                SET data = EXCLUDED.data, pems_version = EXCLUDED.pems_version, content_hash = EXCLUDED.content_hash,
                    mirror_version = pfa_mirror.mirror_version + 1, last_synced_at = now()
                WHERE pfa_mirror.content_hash <> EXCLUDED.content_hash
                """);
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(r.PfaId);
            cmd.Parameters.AddWithValue(data);
            cmd.Parameters.AddWithValue(hash);
            cmd.Parameters.AddWithValue((object?)r.PemsVersion ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync();
        }
        await Pfa.Data.Queries.PfaStore.MirrorChangedAsync(Db, org, CancellationToken.None);
    }

    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
}

public static class Http
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }
}
