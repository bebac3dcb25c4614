using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.ServiceDefaults;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sso;

/// <summary>
/// The whole stack through the AppHost test entry point, plus a real OpenID Connect issuer (<see cref="TestOidcIssuer"/>)
/// started first, so the API and the web get <c>Authentication:Oidc</c> as environment variables (never committed config).
/// The simulator lists two organizations the database does not have (<see cref="NewOrg"/>, <see cref="UiOrg"/>) for the
/// organizations admin; the worker polls every 300 ms.
/// </summary>
public sealed class SsoStackFixture : IAsyncLifetime
{
    public const string ClientId = "pfa-web";
    public const string DisplayName = "Test IdP";
    public const string NewOrg = "ADMINNEW";
    public const string UiOrg = "ADMINUI";
    public const string DemoPassword = "Vanguard-demo-2026!";
    public const int RecordsPerOrganization = 200;

    /// <summary>Per run, like any secret: handed to the web as an environment variable, not a command-line argument.</summary>
    public string ClientSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public TestOidcIssuer Issuer { get; private set; } = null!;
    public DistributedApplication App { get; private set; } = null!;
    public NpgsqlDataSource Db { get; private set; } = null!;
    public string DataDirectory { get; } = PfaApp.NewDataDirectory();

    public async ValueTask InitializeAsync()
    {
        Issuer = await TestOidcIssuer.StartAsync();
        var authority = Issuer.Authority.ToString();
        var builder = (await PfaApp.CreateBuilderAsync(DataDirectory))
            .WithEnvironment(PfaResources.Api, ("RateLimit__PermitsPerMinute", "100000"),
                ("Authentication__Oidc__Authority", authority), ("Authentication__Oidc__ClientId", ClientId),
                ("Authentication__Oidc__Audience", TestOidcIssuer.ApiAudience), ("Authentication__Oidc__RequireHttpsMetadata", "false"))
            .WithEnvironment(PfaResources.Web,
                ("Authentication__Oidc__Authority", authority), ("Authentication__Oidc__ClientId", ClientId),
                ("Authentication__Oidc__ClientSecret", ClientSecret), ("Authentication__Oidc__DisplayName", DisplayName),
                ("Authentication__Oidc__RequireHttpsMetadata", "false"))
            .WithEnvironment(PfaResources.SyncWorker, ("Sync__PollInterval", "00:00:00.300"))
            .WithEnvironment(PfaResources.PemsSimulator, ("PemsSimulator__DataDirectory", ""),
                ("PemsSimulator__RecordsPerOrganization", RecordsPerOrganization.ToString(CultureInfo.InvariantCulture)),
                ("PemsSimulator__Organizations__0", "RIO"), ("PemsSimulator__Organizations__1", "PORTARTHUR"),
                ("PemsSimulator__Organizations__2", NewOrg), ("PemsSimulator__Organizations__3", UiOrg));
        App = await PfaApp.StartAsync(builder);
        Db = NpgsqlDataSource.Create((await App.GetConnectionStringAsync(PfaResources.Database, TestContext.Current.CancellationToken))!);
        await Issuer.AddClientAsync(ClientId, ClientSecret, new Uri(App.GetEndpoint(PfaResources.Web), "signin-oidc"));
    }

    public Uri Web => App.GetEndpoint(PfaResources.Web);

    /// <summary>An API client with the given bearer token (ours or the issuer's).</summary>
    public HttpClient Api(string? token = null)
    {
        var client = App.CreateHttpClient(PfaResources.Api);
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An API client signed in with a local user name and password.</summary>
    public async Task<HttpClient> ApiAsAsync(string username, string password = DemoPassword)
    {
        using var anonymous = Api();
        using var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { username, password }, Http.Ct);
        login.EnsureSuccessStatusCode();
        return Api((await login.Content.ReadFromJsonAsync<JsonObject>(Http.Ct))!["accessToken"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Db is not null) await Db.DisposeAsync();
        if (Issuer is not null) await Issuer.DisposeAsync();
        PfaApp.DeleteDataDirectory(DataDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class SsoStackCollection : ICollectionFixture<SsoStackFixture>
{
    public const string Name = "sso-stack";
}
