using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect issuer for the SSO tests: OpenIddict's server on Kestrel at a free loopback port over plain http,
/// stores in EF Core's in-memory provider. Authorization code flow with PKCE (a minimal HTML sign-in form) for the web app,
/// the password grant for tests that need a token directly. Users and clients are added at run time.
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    public const string ApiAudience = "pfa-api-test";
    private const string CookieScheme = "test-idp";

    public sealed record User(string Username, string Password, string Subject, string Email, bool EmailVerified, string Name);

    private readonly ConcurrentDictionary<string, User> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly WebApplication _app;

    /// <summary>The issuer, e.g. <c>http://localhost:41234/</c>: also the OpenID Connect authority.</summary>
    public Uri Authority { get; }

    private TestOidcIssuer(WebApplication app, Uri authority) => (_app, Authority) = (app, authority);

    public static async Task<TestOidcIssuer> StartAsync()
    {
        var port = FreePort();
        var authority = new Uri($"http://localhost:{port}/");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = typeof(TestOidcIssuer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        builder.Services.AddRouting();
        var database = "issuer-" + Guid.NewGuid().ToString("N"); // one store per issuer, shared by every scope
        builder.Services.AddDbContext<IssuerDb>(o => o.UseInMemoryDatabase(database).UseOpenIddict());
        builder.Services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = "test-idp.session";
            o.LoginPath = "/login";
        });
        builder.Services.AddAuthorization();
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IssuerDb>())
            .AddServer(o =>
            {
                o.SetIssuer(authority);
                o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowPasswordFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.DisableAccessTokenEncryption(); // the API validates the access token as a plain signed JWT
                o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
            });

        var app = builder.Build();
        var issuer = new TestOidcIssuer(app, authority);
        app.UseAuthentication();
        app.MapGet("/login", (string? returnUrl) => Results.Content(LoginPage(returnUrl ?? "/", error: false), "text/html"));
        app.MapPost("/login", Handler(issuer.LoginAsync));
        app.MapMethods("/connect/authorize", ["GET", "POST"], Handler(issuer.AuthorizeAsync));
        app.MapPost("/connect/token", Handler(issuer.TokenAsync));
        await app.StartAsync();
        return issuer;
    }

    /// <summary>Minimal-API handler (its IResult is executed), not a bare RequestDelegate.</summary>
    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    public void AddUser(User user) => _users[user.Username] = user;

    /// <summary>A confidential client allowed the code flow (PKCE) to <paramref name="redirectUris"/> and the password grant.</summary>
    public async Task AddClientAsync(string clientId, string clientSecret, params Uri[] redirectUris)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId, ClientSecret = clientSecret, ClientType = ClientTypes.Confidential, DisplayName = clientId,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.Password, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email, Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in redirectUris) descriptor.RedirectUris.Add(uri);
        await manager.CreateAsync(descriptor);
    }

    /// <summary>Tokens straight from the token endpoint (password grant): id_token and access token of <paramref name="username"/>.</summary>
    public async Task<(string IdToken, string AccessToken)> PasswordGrantAsync(string clientId, string clientSecret, string username, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Authority };
        using var response = await http.PostAsync("connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = username, ["password"] = _users[username].Password,
            ["client_id"] = clientId, ["client_secret"] = clientSecret, ["scope"] = "openid email profile",
        }), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Token request failed: {(int)response.StatusCode} {body}");
        var json = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        return (json["id_token"]!.GetValue<string>(), json["access_token"]!.GetValue<string>());
    }

    private async Task<IResult> LoginAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var returnUrl = form["returnUrl"].ToString();
        if (!returnUrl.StartsWith('/')) returnUrl = "/";
        if (!_users.TryGetValue(form["username"].ToString(), out var user) || user.Password != form["password"].ToString())
            return Results.Content(LoginPage(returnUrl, error: true), "text/html");
        await http.SignInAsync(CookieScheme, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Username)], CookieScheme)));
        return Results.Redirect(returnUrl);
    }

    private async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var signedIn = await http.AuthenticateAsync(CookieScheme);
        if (!signedIn.Succeeded || !_users.TryGetValue(signedIn.Principal!.Identity!.Name!, out var user))
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString }, [CookieScheme]);
        return Results.SignIn(Principal(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsAuthorizationCodeGrantType())
        {
            var code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            return Results.SignIn(code.Principal!, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (request.IsPasswordGrantType() && request.Username is { } name && _users.TryGetValue(name, out var user) && user.Password == request.Password)
            return Results.SignIn(Principal(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static ClaimsPrincipal Principal(User user, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Subject).SetClaim(Claims.Email, user.Email).SetClaim(Claims.Name, user.Name);
        identity.AddClaim(new Claim(Claims.EmailVerified, user.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean));
        identity.SetScopes(scopes).SetResources(ApiAudience);
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return new ClaimsPrincipal(identity);
    }

    private static string LoginPage(string returnUrl, bool error) => $"""
        <!doctype html><html><head><title>Test IdP</title></head><body>
        <h1>Test IdP</h1>{(error ? "<p id=\"error\">Wrong user name or password.</p>" : "")}
        <form method="post" action="/login">
          <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl)}" />
          <label>User <input id="idp-username" name="username" /></label>
          <label>Password <input id="idp-password" name="password" type="password" /></label>
          <button id="idp-submit" type="submit">Continue</button>
        </form></body></html>
        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class IssuerDb(DbContextOptions<IssuerDb> options) : DbContext(options);
}
