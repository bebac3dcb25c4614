using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Pfa.Tests.Api;

/// <summary>Sign-in and administration helpers shared by the identity, masking and audit tests.</summary>
internal static class IdentityTestKit
{
    public static async Task<HttpResponseMessage> LoginResponseAsync(HttpClient anonymous, string username, string password) =>
        await anonymous.PostAsJsonAsync("/api/auth/login", new { username, password }, Http.Ct);

    /// <summary>A client carrying the token of a successful sign-in, and the login response.</summary>
    public static async Task<(HttpClient Client, JsonObject Login)> SignInAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Pfa.Api.ApiMarker> factory,
        string username, string password)
    {
        var client = factory.CreateClient();
        var login = await (await LoginResponseAsync(client, username, password)).JsonAsync();
        Bearer(client, login);
        return (client, login);
    }

    public static void Bearer(HttpClient client, JsonObject login) =>
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login["accessToken"]!.GetValue<string>());

    public static async Task MakeSystemAdminAsync(NpgsqlDataSource db, Guid userId)
    {
        await using var cmd = db.CreateCommand("UPDATE users SET is_system_admin = true WHERE id = $1");
        cmd.Parameters.AddWithValue(userId);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Http.Ct));
    }

    /// <summary>Asserts a problem response of <paramref name="status"/> naming <paramref name="field"/> in its errors.</summary>
    public static async Task<JsonObject> ProblemNamingAsync(this HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.JsonAsync(status);
        Assert.True(body["errors"]?[field] is not null, $"expected errors.{field} in {body.ToJsonString()}");
        return body;
    }

    public static async Task<List<JsonObject>> AuditAsync(HttpClient client, string query)
    {
        var page = await (await client.GetAsync($"/api/audit?limit=500&{query}", Http.Ct)).JsonAsync();
        return page["items"]!.AsArray().Select(x => x!.AsObject()).ToList();
    }
}
