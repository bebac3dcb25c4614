using System.Net;
using System.Net.Http.Json;
using Pfa.Data;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Legacy;

/// <summary>A bcrypt hash carried over by the legacy import signs in through the real API and is replaced by ours at that sign-in.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LegacyPasswordTests(InfrastructureFixture infra)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly ApiHost _host = ApiHost.For(infra);

    [Fact]
    public async Task A_legacy_bcrypt_hash_signs_in_once_and_is_then_rehashed_to_ours()
    {
        var username = ApiHost.Unique("legacy").ToLowerInvariant();
        // bcryptjs writes $2a$; cost 4 keeps the test quick (the old system used 10, which verifies the same way).
        var legacyHash = BCrypt.Net.BCrypt.HashPassword("Old-System-Pass-1", 4).Replace("$2b$", "$2a$", StringComparison.Ordinal);
        await using (var cmd = _host.Db.CreateCommand("INSERT INTO users (id, username, display_name, password_hash, is_active, created_at) VALUES (gen_random_uuid(), $1, $1, $2, true, now())"))
        {
            cmd.Parameters.AddWithValue(username);
            cmd.Parameters.AddWithValue(legacyHash);
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        using var client = _host.Factory.CreateClient();

        var wrong = await client.PostAsJsonAsync("/api/auth/login", new { username, password = "not-it" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(legacyHash, await HashAsync(username)); // a failed sign-in changes nothing

        var ok = await client.PostAsJsonAsync("/api/auth/login", new { username, password = "Old-System-Pass-1" }, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var ours = await HashAsync(username);
        Assert.False(Passwords.IsLegacyBcrypt(ours));
        Assert.True(Passwords.Verify(ours, "Old-System-Pass-1"));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/login", new { username, password = "Old-System-Pass-1" }, Ct)).StatusCode);
    }

    private async Task<string> HashAsync(string username)
    {
        await using var cmd = _host.Db.CreateCommand("SELECT password_hash FROM users WHERE username = $1");
        cmd.Parameters.AddWithValue(username);
        return (string)(await cmd.ExecuteScalarAsync(Ct))!;
    }
}
