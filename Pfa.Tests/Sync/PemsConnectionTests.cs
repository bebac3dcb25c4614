using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pfa.Data;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>
/// Per-organization PEMS connections: set by an Admin through the API (password encrypted with the shared Data Protection
/// key ring, never shown), used by the worker instead of its default, and never logged.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class PemsConnectionTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task An_Admin_sets_the_connection_the_password_is_stored_encrypted_and_never_shown()
    {
        var api = ApiHost.For(infra);
        var org = ApiHost.Unique("PC");
        var orgId = await api.CreateOrgAsync(org);
        var admin = await api.LoginAsync((await CreateUserAsync(api, orgId, "Admin")).Name);
        var pm = await api.LoginAsync((await CreateUserAsync(api, orgId, "PortfolioManager")).Name);
        var secret = "Pw-" + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/orgs/{org}/pems-connection", Http.Ct)).StatusCode); // uses the default
        var set = await admin.PutAsJsonAsync($"/api/orgs/{org}/pems-connection",
            new { baseUrl = "https://eam.example.com/axis/restservices/", tenant = "ACME_PROD", username = "PFA_SVC", password = secret }, Http.Ct);
        var setText = await set.Content.ReadAsStringAsync(Http.Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.DoesNotContain(secret, setText, StringComparison.Ordinal);

        var view = await (await admin.GetAsync($"/api/orgs/{org}/pems-connection", Http.Ct)).JsonAsync();
        Assert.Equal(("https://eam.example.com/axis/restservices/", "ACME_PROD", "PFA_SVC", true, "100541", "CUPFA2"),
            (view["baseUrl"]!.GetValue<string>(), view["tenant"]!.GetValue<string>(), view["username"]!.GetValue<string>(), view["hasPassword"]!.GetValue<bool>(),
             view["gridId"]!.GetValue<string>(), view["screenId"]!.GetValue<string>()));
        Assert.DoesNotContain(secret, view.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(view["password"]);

        // At rest: Data Protection ciphertext, not the plaintext or anything containing it.
        var stored = await StoredPasswordAsync(api, orgId);
        Assert.NotEqual(secret, stored);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), stored, StringComparison.Ordinal);

        // Omitting the password keeps it; other fields change.
        (await admin.PutAsJsonAsync($"/api/orgs/{org}/pems-connection",
            new { baseUrl = "https://eam2.example.com/", tenant = "ACME_PROD", username = "PFA_SVC2" }, Http.Ct)).EnsureSuccessStatusCode();
        Assert.Equal(stored, await StoredPasswordAsync(api, orgId));

        // Only an Admin may see or change it.
        Assert.Equal(HttpStatusCode.Forbidden, (await pm.GetAsync($"/api/orgs/{org}/pems-connection", Http.Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await pm.PutAsJsonAsync($"/api/orgs/{org}/pems-connection",
            new { baseUrl = "https://evil.example.com/", tenant = "X", username = "Y", password = "Z" }, Http.Ct)).StatusCode);
    }

    [Fact]
    public async Task A_bad_connection_is_refused_with_a_message_per_field()
    {
        var api = ApiHost.For(infra);
        var org = ApiHost.Unique("PV");
        var orgId = await api.CreateOrgAsync(org);
        var admin = await api.LoginAsync((await CreateUserAsync(api, orgId, "Admin")).Name);

        var response = await admin.PutAsJsonAsync($"/api/orgs/{org}/pems-connection", new { baseUrl = "ftp://eam.example.com/", tenant = " ", username = "" }, Http.Ct);

        var problem = await response.JsonAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["baseUrl", "password", "tenant", "username"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        var relative = await admin.PutAsJsonAsync($"/api/orgs/{org}/pems-connection", new { baseUrl = "/axis/restservices/", tenant = "T", username = "U", password = "P" }, Http.Ct);
        Assert.Equal(["baseUrl"], (await relative.JsonAsync(HttpStatusCode.BadRequest))["errors"]!.AsObject().Select(e => e.Key));
        Assert.Null(await api.Db.CreateCommand($"SELECT 1 FROM pems_connection WHERE organization_id = '{orgId}'").ExecuteScalarAsync(Http.Ct));
    }

    [Fact]
    public async Task The_worker_syncs_and_writes_back_with_the_organizations_own_connection_and_never_logs_its_password()
    {
        var secret = "Org-Secret-" + Guid.NewGuid().ToString("N");
        await using var h = await SyncHarness.CreateAsync(infra, records: 60, configure: sim => sim.With("PemsSimulator:Password", secret));
        var (adminName, _) = await CreateUserAsync(h.Api, h.OrgId, "Admin");
        var admin = await h.Api.LoginAsync(adminName);
        (await admin.PutAsJsonAsync($"/api/orgs/{h.Code}/pems-connection",
            new { baseUrl = "http://pems.internal.example/", tenant = Pems.SimulatorHost.Tenant, username = Pems.SimulatorHost.User, password = secret }, Http.Ct)).EnsureSuccessStatusCode();

        // The worker's side: its own service provider on the same database, so the key ring is shared only through PostgreSQL.
        var logs = new CapturingLoggerProvider();
        await using var worker = new ServiceCollection()
            .AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddDbContext<PfaDbContext>(o => o.UseNpgsql(infra.PostgresConnectionString))
            .AddPfaDataProtection()
            .BuildServiceProvider();
        var loggers = worker.GetRequiredService<ILoggerFactory>();
        // The default connection has the wrong password: a run that used it would fail with 401.
        var defaults = new PemsClientOptions { Tenant = Pems.SimulatorHost.Tenant, UserName = Pems.SimulatorHost.User, Password = "not-the-org-password" };
        var defaultClient = h.Simulator.CreatePemsClient(o => o.Password = defaults.Password, logger: loggers.CreateLogger<PemsClient>());
        var created = new List<PemsClientOptions>();
        var connections = new PemsConnections(h.Db, worker.GetRequiredService<PemsConnectionSecrets>(), defaults, defaultClient, options =>
        {
            created.Add(options);
            // The in-process simulator has no socket: same credentials, test transport.
            return h.Simulator.CreatePemsClient(o => (o.Tenant, o.UserName, o.Password) = (options.Tenant, options.UserName, options.Password), logger: loggers.CreateLogger<PemsClient>());
        });
        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var runner = new SyncRunner(h.Db, defaultClient, normalizer, Options.Create(new SyncOptions { PageSize = 25 }), new SyncEvents(NullLogger<SyncEvents>.Instance, null),
            loggers.CreateLogger<SyncRunner>(), connections: connections);

        await h.Simulator.QueueFaultsAsync("503"); // a retry, so the client logs about a call made with these credentials
        var run = await runner.RunAsync(h.OrgId, h.Code, ct: Http.Ct);

        Assert.True(run.Outcome == SyncOutcome.Completed, run.Error);
        Assert.Equal(60, run.Inserted);
        Assert.Equal(("http://pems.internal.example/axis/restservices/", secret), (created.Single().BaseAddress!.AbsoluteUri, created.Single().Password));

        var user = await h.Api.CreateUserAsync(ApiHost.Unique("pcwb").ToLowerInvariant(), (h.OrgId, "Editor"));
        var (pfaId, rate) = (await h.ListAsync("SELECT pfa_id, monthly_rate FROM pfa_mirror WHERE organization_id = @org AND NOT is_actualized AND source = 'Rental' ORDER BY pfa_id LIMIT 1",
            r => (r.GetString(0), r.GetDecimal(1)))).Single();
        await h.CommitDeltaAsync(user, pfaId, $$"""{"monthlyRate": {{rate + 9m}}}""");
        await h.Simulator.QueueFaultsAsync("503");
        var written = await new WriteBackRunner(h.Db, defaultClient, normalizer, loggers.CreateLogger<WriteBackRunner>(), connections: connections).RunAsync(h.OrgId, h.Code, Http.Ct);

        Assert.Equal(new WriteBackResult(1, 0, 0, 0), written);
        Assert.Single(created); // one client per organization and connection version
        var text = logs.Text;
        Assert.Contains("retrying", text, StringComparison.OrdinalIgnoreCase); // the calls were logged...
        Assert.Contains(h.Code, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal); // ...without the password
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Pems.SimulatorHost.User}:{secret}")), text, StringComparison.Ordinal);
    }

    private static async Task<(string Name, Guid Id)> CreateUserAsync(ApiHost api, Guid orgId, string role)
    {
        var name = ApiHost.Unique("pc").ToLowerInvariant();
        return (name, await api.CreateUserAsync(name, (orgId, role)));
    }

    private static async Task<string> StoredPasswordAsync(ApiHost api, Guid orgId)
    {
        await using var cmd = api.Db.CreateCommand("SELECT password_protected FROM pems_connection WHERE organization_id = $1");
        cmd.Parameters.AddWithValue(orgId);
        return (string)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }

    /// <summary>Every log line of every category and level, formatted with its arguments and exception.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._text) owner._text.AppendLine($"{logLevel} {category}: {formatter(state, exception)} {exception} {state}");
            }
        }
    }
}
