using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Web;

/// <summary>
/// The web app in Debian's chromium against the whole stack from the AppHost: sign in as a portfolio manager,
/// see rows, filter, select, shift 14 days (cells highlighted, cost unchanged), discontinue (KPI forecast and variance move);
/// a viewer sees no edit controls.
/// Screenshots go to the test output (screenshots/).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class BrowserJourneyTests(StackFixture stack)
{
    internal const string Password = "ui-Password-1!";
    internal static readonly string Shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pm_filters_selects_and_shifts_then_kpis_change_and_a_viewer_cannot_edit()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "UI" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var pm = "pm" + suffix.ToLowerInvariant();
        var viewer = "viewer" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, pm, orgId, "PortfolioManager");
        await CreateUserAsync(db, viewer, orgId, "Viewer");
        var lines = Enumerable.Range(1, 40).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}",
            Description = (i % 2 == 0 ? "Crawler crane " : "Light tower ") + i,
            AreaSilo = i % 2 == 0 ? "NORTH" : "SOUTH",
            Class = i % 2 == 0 ? "CRANE" : "LIGHT",
            Category = "02036",
            Source = PfaSource.Rental,
            MonthlyRate = 3000 + i * 10,
            OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 6, 30),
            // Cranes already run a month over plan, so they carry a variance.
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = i % 2 == 0 ? new DateOnly(2027, 7, 31) : new DateOnly(2027, 6, 30),
        }).ToArray();
        await SeedMirrorAsync(db, orgId, lines);

        Directory.CreateDirectory(Shots);
        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, web, pm);

            // Rows arrive once the circuit is live (the grid loads its data interactively).
            var grid = page.GetByTestId("pfa-grid");
            var rows = grid.Locator("tbody tr.mud-table-row");
            await Assertions.Expect(rows.First).ToContainTextAsync(org, new() { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("40 lines");
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("No changed lines");
            foreach (var panel in new[] { "kpi", "drafts", "deck" }) await OpenPanelAsync(page, panel);
            await Assertions.Expect(page.GetByTestId("kpi-total")).ToContainTextAsync("40 lines");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "grid-pm.png") });

            // Filter: only the cranes (text search), applied from the filter panel. The KPI board follows the grid.
            await page.GetByTestId("filter-search").FillAsync("crane");
            await page.GetByTestId("filter-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("20 lines", new() { Timeout = 30_000 });
            await Assertions.Expect(rows.First).ToContainTextAsync("Crawler crane");
            await Assertions.Expect(page.GetByTestId("kpi-total")).ToContainTextAsync("20 lines", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("kpi-loading")).ToHaveCountAsync(0);
            var forecastBefore = await page.GetByTestId("kpi-total-forecast-drafts").InnerTextAsync();
            var varianceBefore = await page.GetByTestId("kpi-total-variance-drafts").InnerTextAsync();

            // Select three lines and shift them 14 days.
            for (var i = 0; i < 3; i++) await rows.Nth(i).Locator("input[type=checkbox]").CheckAsync();
            await Assertions.Expect(page.GetByTestId("command-deck")).ToContainTextAsync("3 selected");
            await Assertions.Expect(page.GetByTestId("deck-days")).ToHaveValueAsync("14");
            await Assertions.Expect(page.GetByTestId("deck-impact")).ToContainTextAsync("3 of 3 lines change", new() { Timeout = 30_000 });
            await page.GetByTestId("deck-apply").ClickAsync();

            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("3 changed lines", new() { Timeout = 30_000 });
            await Assertions.Expect(grid.Locator("td.pfa-changed")).ToHaveCountAsync(6); // forecast start and end of three lines
            // A shift keeps each line's duration, so cost (and so forecast and variance) stays: the board says so after its refresh.
            await Assertions.Expect(page.GetByTestId("kpi-total-forecast-drafts")).ToHaveTextAsync(forecastBefore);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "grid-after-shift.png") });

            // Discontinue the same three (still selected) over-plan cranes: they leave the KPIs, and forecast and variance fall.
            // The impact of discontinuing shows before it is applied: the three lines' forecast leaves the KPIs.
            await page.GetByTestId("deck-op").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "Discontinue" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("deck-impact")).ToContainTextAsync("forecast −$", new() { Timeout = 30_000 });
            await page.GetByTestId("command-deck").ScreenshotAsync(new() { Path = Path.Combine(Shots, "command-deck-impact.png") });
            await page.GetByTestId("deck-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("kpi-total-forecast-drafts")).Not.ToHaveTextAsync(forecastBefore, new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("kpi-total-variance-drafts")).Not.ToHaveTextAsync(varianceBefore);
            await Assertions.Expect(page.GetByTestId("kpi-total-impact")).ToContainTextAsync("My drafts: −$");
            // Committed figures do not move until commit; a portfolio manager may commit.
            await Assertions.Expect(page.GetByTestId("kpi-total-forecast-committed")).ToHaveTextAsync(forecastBefore);
            await Assertions.Expect(page.GetByTestId("drafts-commit")).ToBeEnabledAsync();
            await page.GetByTestId("kpi-board").ScreenshotAsync(new() { Path = Path.Combine(Shots, "kpi-board-after-discontinue.png") });
            await page.EvaluateAsync("window.scrollTo(0, 0)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "plan-after-discontinue.png") });

            // A viewer of the same organization: rows, but no edit controls.
            var viewerPage = await NewPageAsync(browser);
            await SignInAsync(viewerPage, web, viewer);
            await Assertions.Expect(viewerPage.GetByTestId("pfa-grid").Locator("tbody tr.mud-table-row").First)
                .ToContainTextAsync(org, new() { Timeout = 60_000 });
            await Assertions.Expect(viewerPage.GetByTestId("read-only")).ToBeVisibleAsync();
            await Assertions.Expect(viewerPage.GetByTestId("command-deck")).ToHaveCountAsync(0);
            await Assertions.Expect(viewerPage.GetByTestId("drafts-tray")).ToHaveCountAsync(0);
            await Assertions.Expect(viewerPage.GetByTestId("pfa-grid").Locator("input[type=checkbox]")).ToHaveCountAsync(0);
            await viewerPage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "grid-viewer.png") });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "failure.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    /// <summary>Debian's chromium, headless. Playwright gives it a fresh temporary profile (its own --user-data-dir) and removes it on close.</summary>
    internal static BrowserTypeLaunchOptions Chromium => new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    };

    internal static Task<IBrowser> LaunchChromiumAsync(IPlaywright pw) => pw.Chromium.LaunchAsync(Chromium);

    internal static async Task<IPage> NewPageAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        return await context.NewPageAsync();
    }

    /// <summary>The sign-in page is a plain server-rendered form: no circuit to wait for.</summary>
    internal static async Task SignInAsync(IPage page, string web, string user)
    {
        await page.GotoAsync(web + "/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.Locator("#username").FillAsync(user);
        await page.Locator("#password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("plan-strip")).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }

    /// <summary>Opens a folded panel of the plan page (kpi, drafts, deck) unless it is open; needs a live circuit.</summary>
    internal static async Task OpenPanelAsync(IPage page, string name)
    {
        var toggle = page.GetByTestId($"panel-{name}-toggle");
        if (await toggle.GetAttributeAsync("aria-expanded") != "true") await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Assertions.Expect(page.Locator($"#panel-{name}")).ToBeVisibleAsync();
    }

    /// <summary>An HTTP client of the API signed in as <paramref name="user"/> (bearer token from the login endpoint).</summary>
    internal static async Task<HttpClient> SignedInApiAsync(StackFixture stack, string user)
    {
        var client = new HttpClient { BaseAddress = stack.App.GetEndpoint(PfaResources.Api) };
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = Password }, Ct);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>(Ct))!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    internal static async Task<Guid> CreateOrgAsync(NpgsqlDataSource db, string code)
    {
        var id = Guid.NewGuid();
        await using var cmd = db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES ($1, $2, $2, true, false, 'active', 1)");
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(code);
        await cmd.ExecuteNonQueryAsync(Ct);
        return id;
    }

    internal static async Task CreateUserAsync(NpgsqlDataSource db, string username, Guid org, string role)
    {
        var id = Guid.NewGuid();
        await using (var cmd = db.CreateCommand("INSERT INTO users (id, username, display_name, password_hash, is_active, created_at) VALUES ($1, $2, $2, $3, true, now())"))
        {
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(username);
            cmd.Parameters.AddWithValue(Pfa.Data.Passwords.Hash(Password));
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        await using var m = db.CreateCommand("INSERT INTO memberships (user_id, organization_id, role, draft_version) VALUES ($1, $2, $3, 0)");
        m.Parameters.AddWithValue(id);
        m.Parameters.AddWithValue(org);
        m.Parameters.AddWithValue(role);
        await m.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>Mirror lines as the sync worker would write them (see Api/ApiHost.UpsertMirrorAsync), then the KPI summaries refreshed.</summary>
    internal static async Task SeedMirrorAsync(NpgsqlDataSource db, Guid org, PfaRecord[] records)
    {
        foreach (var r in records)
        {
            var data = PfaJson.ToJson(r).ToJsonString();
            await using var cmd = db.CreateCommand("""
                INSERT INTO pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at)
                VALUES ($1, $2, $3::jsonb, $4, $5, 1, now())
                """);
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(r.PfaId);
            cmd.Parameters.AddWithValue(data);
            cmd.Parameters.AddWithValue((object?)r.PemsVersion ?? DBNull.Value);
            cmd.Parameters.AddWithValue(SHA256.HashData(Encoding.UTF8.GetBytes(data)));
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        await Pfa.Data.Queries.PfaStore.MirrorChangedAsync(db, org, Ct);
    }
}
