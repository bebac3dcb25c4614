using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>Per-user rate limiting: a burst is served, the next request gets a 429 ProblemDetails with Retry-After, other users are unaffected.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RateLimitTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task A_user_over_the_burst_gets_429_problem_with_retry_after_and_others_are_not_slowed()
    {
        var host = ApiHost.For(infra);
        var org = await host.CreateOrgAsync(ApiHost.Unique("RL"));
        var (greedy, calm) = (ApiHost.Unique("gr").ToLowerInvariant(), ApiHost.Unique("ca").ToLowerInvariant());
        await host.CreateUserAsync(greedy, (org, "Viewer"));
        await host.CreateUserAsync(calm, (org, "Viewer"));
        // 60 a minute = 1 token a second: the test cannot refill a 5-token bucket by accident.
        await using var limited = host.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("RateLimit:PermitsPerMinute", "60");
            b.UseSetting("RateLimit:Burst", "5");
        });

        async Task<HttpClient> Login(string user)
        {
            var client = limited.CreateClient();
            var login = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = ApiHost.Password }, Http.Ct);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.JsonAsync())["accessToken"]!.GetValue<string>());
            return client;
        }
        var greedyClient = await Login(greedy);
        var calmClient = await Login(calm);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 8 && rejected is null; i++)
        {
            var response = await greedyClient.GetAsync("/api/me", Http.Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) rejected = response;
        }

        Assert.NotNull(rejected);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 4, string.Join(", ", statuses));
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await rejected.Content.ReadAsStringAsync(Http.Ct))!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.DoesNotContain("   at ", problem.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, (await calmClient.GetAsync("/api/me", Http.Ct)).StatusCode);
    }
}
