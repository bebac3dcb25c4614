using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Npgsql;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>
/// Outages of the real data stores, stopped and started through the app model as the dashboard's Stop/Start buttons do:
/// PostgreSQL down answers 503 with Retry-After (and /health says unhealthy) and service resumes by itself; Redis down
/// changes no answer. Timings are measured and written to the test output, never asserted.
/// </summary>
public sealed class OutageTests(OutageTests.Stack stack) : IClassFixture<OutageTests.Stack>
{
    private const string DemoPassword = "Vanguard-demo-2026!"; // Pfa.Api/appsettings.Development.json
    private const string Org = "RIO";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task PostgreSQL_down_answers_503_with_Retry_After_and_service_resumes_when_it_returns()
    {
        var app = stack.App;
        using var editor = await SignInAsync("editor");
        var pfaId = await stack.FirstLineAsync();
        var apiProcess = app.GetProcessId(PfaResources.Api);
        Assert.Equal(HttpStatusCode.OK, (await editor.GetAsync($"/api/orgs/{Org}/pfa", Ct)).StatusCode);

        await ExecuteAsync(PfaResources.Postgres, KnownResourceCommands.StopCommand);
        try
        {
            var clock = Stopwatch.StartNew();
            var list = await editor.GetAsync($"/api/orgs/{Org}/pfa", Ct);
            var firstAnswer = clock.Elapsed;
            await AssertUnavailableAsync(list);
            clock.Restart();
            var save = await editor.PostAsJsonAsync($"/api/orgs/{Org}/drafts", Draft(pfaId, 1111), Ct);
            var saveAnswer = clock.Elapsed;
            await AssertUnavailableAsync(save);
            clock.Restart();
            using var anonymous = app.CreateHttpClient(PfaResources.Api);
            var health = await anonymous.GetAsync("/health", Ct);
            var healthAnswer = clock.Elapsed;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("Unhealthy", await health.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            Report($"PostgreSQL down: list read 503 after {firstAnswer.TotalMilliseconds:F0} ms, draft save 503 after {saveAnswer.TotalMilliseconds:F0} ms, /health 503 after {healthAnswer.TotalMilliseconds:F0} ms");
        }
        finally
        {
            await ExecuteAsync(PfaResources.Postgres, KnownResourceCommands.StartCommand);
        }

        // The AppHost's own check says the database is back; the API, not restarted, serves again at once.
        await WaitHealthyAsync(PfaResources.Database);
        var back = Stopwatch.StartNew();
        var again = await editor.GetAsync($"/api/orgs/{Org}/pfa", Ct);
        Assert.True(again.IsSuccessStatusCode, $"{(int)again.StatusCode}: {await again.Content.ReadAsStringAsync(Ct)}");
        var saved = await editor.PostAsJsonAsync($"/api/orgs/{Org}/drafts", Draft(pfaId, 2222), Ct);
        Assert.True(saved.IsSuccessStatusCode, $"{(int)saved.StatusCode}: {await saved.Content.ReadAsStringAsync(Ct)}");
        Report($"PostgreSQL back: list read and draft save succeeded {back.Elapsed.TotalMilliseconds:F0} ms after pfadb was healthy");
        Assert.Contains("2222", await stack.DraftChangesAsync(pfaId), StringComparison.Ordinal);
        Assert.Equal(apiProcess, app.GetProcessId(PfaResources.Api));
    }

    [Fact]
    public async Task Redis_down_changes_no_answer_and_caching_resumes_when_it_returns()
    {
        var app = stack.App;
        using var editor = await SignInAsync("editor");
        var pfaId = await stack.FirstLineAsync();
        // Without drafts: the saves below change the draft figures, not the mirror's.
        var kpis = $"/api/orgs/{Org}/kpis?includeDrafts=false";
        var before = await KpisAsync(editor, kpis);
        var upClock = Stopwatch.StartNew();
        await KpisAsync(editor, kpis);
        var upKpi = upClock.Elapsed;
        upClock.Restart();
        Assert.True((await editor.PostAsJsonAsync($"/api/orgs/{Org}/drafts", Draft(pfaId, 3333), Ct)).IsSuccessStatusCode);
        var upSave = upClock.Elapsed;

        await ExecuteAsync(PfaResources.Redis, KnownResourceCommands.StopCommand);
        try
        {
            await WaitUnhealthyAsync(PfaResources.Redis);
            var timings = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                var down = await KpisAsync(editor, kpis);
                var kpi = clock.Elapsed;
                // Same figures, computed from PostgreSQL (nothing cached while Redis is away).
                Assert.False(down["cached"]!.GetValue<bool>());
                Assert.Equal(Figures(before), Figures(down));
                clock.Restart();
                var save = await editor.PostAsJsonAsync($"/api/orgs/{Org}/drafts", Draft(pfaId, 4000 + i), Ct);
                Assert.True(save.IsSuccessStatusCode, $"{(int)save.StatusCode}: {await save.Content.ReadAsStringAsync(Ct)}");
                timings.Add($"KPI {kpi.TotalMilliseconds:F0} ms, draft save {clock.Elapsed.TotalMilliseconds:F0} ms");
                // Written to PostgreSQL, not lost with the event that could not be published.
                Assert.Contains((4000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), await stack.DraftChangesAsync(pfaId), StringComparison.Ordinal);
            }
            // The API stays in rotation: its readiness says degraded, not unhealthy.
            using (var anonymous = stack.App.CreateHttpClient(PfaResources.Api))
            {
                var health = await anonymous.GetAsync("/health", Ct);
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.Contains("Degraded", await health.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
            Report($"Redis up: KPI read {upKpi.TotalMilliseconds:F0} ms (cached), draft save {upSave.TotalMilliseconds:F0} ms");
            Report("Redis down: " + string.Join("; ", timings));
        }
        finally
        {
            await ExecuteAsync(PfaResources.Redis, KnownResourceCommands.StartCommand);
        }

        await WaitHealthyAsync(PfaResources.Redis);
        // Caching resumes by itself once the breaker lets a probe through (at most its break duration after Redis returns).
        var resumed = Stopwatch.StartNew();
        JsonObject after;
        do
        {
            after = await KpisAsync(editor, kpis);
            if (after["cached"]!.GetValue<bool>()) break;
            await Task.Delay(500, Ct);
        } while (resumed.Elapsed < TimeSpan.FromSeconds(45));
        Assert.True(after["cached"]!.GetValue<bool>(), "a KPI read is served from Redis again after it returns");
        Assert.Equal(Figures(before), Figures(after));
        Report($"Redis back: KPI reads cached again {resumed.Elapsed.TotalMilliseconds:F0} ms after cache was healthy");
    }

    private static object Draft(string pfaId, int rate) =>
        new { items = new[] { new { pfaId, changes = new JsonObject { ["monthlyRate"] = rate } } } };

    private static string Figures(JsonObject kpis)
    {
        var copy = (JsonObject)kpis.DeepClone();
        copy.Remove("cached");
        return copy.ToJsonString();
    }

    private static async Task<JsonObject> KpisAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(path, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(503, JsonNode.Parse(body)!["status"]!.GetValue<int>());
    }

    private async Task ExecuteAsync(string resource, string command)
    {
        var result = await stack.App.ResourceCommands.ExecuteCommandAsync(resource, command, Ct);
        Assert.True(result.Success, $"{command} {resource}: {result.Message}\n{stack.App.Describe()}");
    }

    private async Task WaitHealthyAsync(string resource)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
    }

    private async Task WaitUnhealthyAsync(string resource)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await stack.App.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.HealthStatus is not Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, timeout.Token);
    }

    private Task<HttpClient> SignInAsync(string user) => stack.App.SignedInApiAsync(user, DemoPassword, Ct);

    /// <summary>A small stack of its own (stores, PEMS simulator, worker, API): the tests stop its servers.</summary>
    public sealed class Stack : IAsyncLifetime
    {
        public DistributedApplication App { get; private set; } = null!;
        private readonly string _data = PfaApp.NewDataDirectory();

        public async ValueTask InitializeAsync()
        {
            var builder = (await PfaApp.CreateBuilderAsync(_data)).KeepOnly(PfaResources.Postgres, PfaResources.Database, PfaResources.Redis,
                PfaResources.PemsSimulator, PfaResources.SyncWorker, PfaResources.Api);
            App = await PfaApp.StartAsync(builder);
        }

        public async ValueTask DisposeAsync()
        {
            if (App is not null) await App.DisposeAsync();
            PfaApp.DeleteDataDirectory(_data);
        }

        /// <summary>
        /// A line of the organization's mirror, once the worker's first sync has finished: lines appear page by page, the
        /// mirror version moves when the run ends, so a figure read before that would change under the test.
        /// </summary>
        public async Task<string> FirstLineAsync()
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                await using var db = NpgsqlDataSource.Create((await App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
                await using var cmd = db.CreateCommand("SELECT m.pfa_id FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = $1 AND o.mirror_version > 0 ORDER BY m.pfa_id LIMIT 1");
                cmd.Parameters.AddWithValue(Org);
                if (await cmd.ExecuteScalarAsync(Ct) is string id) return id;
                if (DateTime.UtcNow > deadline) Assert.Fail("The worker did not fill the mirror.\n" + App.Describe());
                await Task.Delay(500, Ct);
            }
        }

        /// <summary>The stored draft changes on a line (all users), as PostgreSQL holds them.</summary>
        public async Task<string> DraftChangesAsync(string pfaId)
        {
            await using var db = NpgsqlDataSource.Create((await App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
            await using var cmd = db.CreateCommand("""
                SELECT coalesce(string_agg(d.changes::text, ' '), '') FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
                WHERE m.pfa_id = $1 AND d.state = 'draft'
                """);
            cmd.Parameters.AddWithValue(pfaId);
            return (string)(await cmd.ExecuteScalarAsync(Ct))!;
        }
    }
}
