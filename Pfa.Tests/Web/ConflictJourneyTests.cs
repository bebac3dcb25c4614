using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using Pfa.Web.Components.Sync;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The whole stack in chromium: the sync banner and the KPI chart on RIO (synced from the simulator by the worker), then a
/// conflict made for real (a draft of mine, PEMS edited meanwhile, commit, the worker's write-back finds it) appears on the
/// open conflicts page through the live events without a reload, and keeping my value writes it to PEMS.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class ConflictJourneyTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_conflict_arrives_live_on_the_conflicts_page_and_keeping_mine_writes_it_to_PEMS()
    {
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var rio = await PollAsync(async () =>
        {
            await using var cmd = db.CreateCommand("SELECT o.id FROM organizations o WHERE o.code = 'RIO' AND EXISTS (SELECT 1 FROM pfa_mirror m WHERE m.organization_id = o.id)");
            return await cmd.ExecuteScalarAsync(Ct) is Guid id ? id : (Guid?)null;
        }, "RIO synced by the worker");
        var pmName = "cf" + Guid.NewGuid().ToString("N")[..6];
        await CreateUserAsync(db, pmName, rio, "PortfolioManager");
        string pfaId; decimal rate; DateOnly forecastEnd;
        await using (var cmd = db.CreateCommand("""
            SELECT pfa_id, monthly_rate, forecast_end FROM pfa_mirror
            WHERE organization_id = $1 AND source = 'Rental' AND NOT is_actualized AND NOT is_discontinued AND forecast_end IS NOT NULL
              AND deleted_in_pems_at IS NULL AND NOT EXISTS (SELECT 1 FROM pfa_modification d WHERE d.mirror_id = pfa_mirror.id)
            ORDER BY pfa_id OFFSET 11 LIMIT 1
            """))
        {
            cmd.Parameters.AddWithValue(rio);
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            Assert.True(await r.ReadAsync(Ct));
            (pfaId, rate, forecastEnd) = (r.GetString(0), r.GetDecimal(1), r.GetFieldValue<DateOnly>(2));
        }

        // What crosses Redis, for the failure message.
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await stack.App.GetConnectionStringAsync(PfaResources.Redis, Ct))!);
        var seen = new List<string>();
        await redis.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal("pfa:events:RIO"), (_, m) => { lock (seen) seen.Add(JsonNode.Parse(m.ToString())!["type"]!.ToString()); });
        Directory.CreateDirectory(Shots);
        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(Chromium);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, web, pmName);
            // Banner: RIO's last sync, live updates connected; the KPI board carries the monthly chart.
            await Assertions.Expect(page.GetByTestId("sync-last")).ToContainTextAsync("RIO", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("sync-last")).ToContainTextAsync("last sync");
            await Assertions.Expect(page.GetByTestId("live-state")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("grid-total")).ToContainTextAsync("lines", new() { Timeout = 60_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "plan-with-sync-banner.png") });
            await OpenPanelAsync(page, "kpi");
            await page.GetByTestId("kpi-chart-toggle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("kpi-chart").Locator("svg").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.WaitForTimeoutAsync(500); // the collapse animates open; the screenshot should show it settled
            await page.GetByTestId("kpi-board").ScreenshotAsync(new() { Path = Path.Combine(Shots, "kpi-board-chart.png") });

            await page.GetByTestId("nav-conflicts").ClickAsync();
            await Assertions.Expect(page.GetByTestId("conflicts-empty")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("live-state")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });

            // My draft (rate and end), then PEMS changes the rate, then I commit: the write-back finds the collision.
            using var api = await ApiAsync(pmName);
            var mine = rate + 100.5m;
            var newEnd = forecastEnd.AddDays(10).ToString("yyyy-MM-dd");
            var saved = await api.PostAsJsonAsync("/api/orgs/RIO/drafts",
                new { items = new[] { new { pfaId, changes = new JsonObject { ["monthlyRate"] = mine, ["forecastEnd"] = newEnd } } } }, Ct);
            Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync(Ct));
            var pems = PemsClient();
            await pems.UpdateRecordAsync("RIO", pfaId, PemsWriteMapping.Default.ToUds(new Dictionary<string, object?> { ["monthlyRate"] = rate + 999m }), Ct);
            var committed = await api.PostAsJsonAsync("/api/orgs/RIO/commit", new { }, Ct);
            Assert.True(committed.IsSuccessStatusCode, await committed.Content.ReadAsStringAsync(Ct));

            // No reload: the live events bring the conflict onto the open page.
            var conflict = page.Locator($"[data-testid=conflict][data-pfa='{pfaId}']");
            await Assertions.Expect(conflict).ToBeVisibleAsync(new() { Timeout = 90_000 });
            var rateRow = conflict.Locator("[data-field=monthlyRate]");
            await Assertions.Expect(rateRow.GetByTestId("conflict-mine")).ToHaveTextAsync(ConflictChoices.Display(JsonValue.Create(mine)));
            await Assertions.Expect(rateRow.GetByTestId("conflict-pems")).ToHaveTextAsync(ConflictChoices.Display(JsonValue.Create(rate + 999m)));
            await Assertions.Expect(conflict).ToContainTextAsync("no conflict: kept"); // the end date did not collide
            await Assertions.Expect(conflict.GetByTestId("conflict-apply")).ToBeDisabledAsync();
            await rateRow.GetByTestId("choose-mine").ClickAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "conflicts.png") });
            await conflict.GetByTestId("conflict-apply").ClickAsync();
            await Assertions.Expect(conflict).ToHaveCountAsync(0, new() { Timeout = 30_000 });

            // Kept: re-queued and written to PEMS by the worker.
            await PollAsync(async () =>
            {
                var now = PemsWriteMapping.Default.FromUds(await pems.GetRecordAsync("RIO", pfaId, Ct), ["monthlyRate"]);
                return now["monthlyRate"] is decimal d && d == mine ? (bool?)true : null;
            }, "my kept rate written to PEMS");
            await page.GetByTestId("nav-sync").ClickAsync();
            await Assertions.Expect(page.GetByTestId("sync-history").Locator("tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "sync-history.png") });
        }
        catch (Exception e)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "conflict-failure.png") });
            // What the worker did with the line, for the failure message.
            await using var cmd = db.CreateCommand("""
                SELECT string_agg(format('%s %s attempts=%s err=%s fields=%s', d.state, o.status, o.attempts, o.last_error, d.conflict_fields), ' | ')
                FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id LEFT JOIN pfa_outbox o ON o.modification_id = d.id
                WHERE m.organization_id = $1 AND m.pfa_id = $2
                """);
            cmd.Parameters.AddWithValue(rio);
            cmd.Parameters.AddWithValue(pfaId);
            var delta = await cmd.ExecuteScalarAsync(Ct);
            cmd.CommandText = "SELECT string_agg(format('%s %s %s', direction, status, started_at), ' | ') FROM sync_log WHERE organization_id = $1 AND started_at > now() - interval '5 minutes' AND $2 <> ''";
            var runs = await cmd.ExecuteScalarAsync(Ct);
            foreach (var resource in new[] { PfaResources.SyncWorker, PfaResources.Web, PfaResources.Api })
                File.WriteAllText(Path.Combine(Shots, $"conflict-failure-{resource}.log"), stack.App.ConsoleLog(resource));
            string types; lock (seen) types = string.Join(",", seen);
            throw new Xunit.Sdk.XunitException($"{e.Message}\nDelta: {delta}\nRuns: {runs}\nNow: {DateTimeOffset.UtcNow:O}\nOn Redis: {types}");
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    private Task<HttpClient> ApiAsync(string user) => SignedInApiAsync(stack, user);

    /// <summary>The simulator as the worker sees it in Development (Pfa.SyncWorker/appsettings.Development.json).</summary>
    private PemsClient PemsClient() => new(new HttpClient(), new PemsClientOptions
    {
        BaseAddress = new Uri(stack.App.GetEndpoint(PfaResources.PemsSimulator), "axis/restservices/"),
        Tenant = "BECHTEL_DEV", UserName = "PFA_SERVICE", Password = "simulator",
    });

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what) where T : struct
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (await probe() is { } value) return value;
            Assert.True(DateTime.UtcNow < until, $"Timed out waiting for {what}.");
            await Task.Delay(500, Ct);
        }
    }
}
