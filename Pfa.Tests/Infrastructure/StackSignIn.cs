using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Infrastructure;

public static class StackSignIn
{
    /// <summary>An HTTP client of the stack's API, signed in as <paramref name="user"/> (bearer token from the login endpoint).</summary>
    public static async Task<HttpClient> SignedInApiAsync(this DistributedApplication app, string user, string password, CancellationToken ct)
    {
        var http = app.CreateHttpClient(PfaResources.Api);
        var response = await http.PostAsJsonAsync("/api/auth/login", new { username = user, password }, ct);
        Assert.True(response.IsSuccessStatusCode, $"{user} signs in: {(int)response.StatusCode}");
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["accessToken"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
