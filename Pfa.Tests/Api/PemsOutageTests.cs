using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>The organizations admin when PEMS does not answer: 503 ProblemDetails with Retry-After, at once, nothing added.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class PemsOutageTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Unreachable_PEMS_is_a_fast_503_with_Retry_After()
    {
        var host = ApiHost.For(infra);
        var org = await host.CreateOrgAsync(ApiHost.Unique("OUT"));
        var admin = ApiHost.Unique("outadmin").ToLowerInvariant();
        await IdentityTestKit.MakeSystemAdminAsync(host.Db, await host.CreateUserAsync(admin, (org, "Admin")));
        // A port nobody listens on: connection refused, as when PEMS is down.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var factory = host.Factory.WithWebHostBuilder(b => b.UseSetting("Pems:BaseAddress", $"http://127.0.0.1:{port}/axis/restservices/"));

        using var client = factory.CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = admin, password = ApiHost.Password }, Http.Ct);
        var token = (await login.JsonAsync())["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var list = await client.GetAsync("/api/admin/pems/organizations", Http.Ct);
        var problem = await list.JsonAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("PEMS is unavailable.", problem["title"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromSeconds(30), list.Headers.RetryAfter?.Delta);

        using var add = await client.PostAsJsonAsync("/api/admin/organizations", new { code = "ANYORG" }, Http.Ct);
        await add.JsonAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(add.Headers.RetryAfter);
        var orgs = (await client.GetFromJsonAsync<JsonArray>("/api/admin/organizations", Http.Ct))!;
        Assert.DoesNotContain(orgs, o => o!["code"]!.GetValue<string>() == "ANYORG");
    }
}
