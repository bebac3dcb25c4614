using System.Collections.Concurrent;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Publishing;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// Every page, as every role that may see it, shows the organization's real data (not a loading line, not an error text)
/// and logs no console error (issue #19: the portfolio once rendered "_error" over working figures). The nav offers a
/// role exactly its pages. The system admin's tour also takes the README's screenshots (docs/screenshots, 1440×900).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class PagesByRoleBrowserTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Page → what proves it shows this organization's data.</summary>
    private static Func<IPage, Task> Check(string path, string org, string user) => path switch
    {
        "/" => async p =>
        {
            await Assertions.Expect(p.GetByTestId("pfa-grid").Locator("tbody tr.mud-table-row").First).ToContainTextAsync(org, new() { Timeout = 60_000 });
            await Assertions.Expect(p.GetByTestId("grid-total")).ToHaveTextAsync("12 lines");
        },
        "/timeline" => async p =>
        {
            await Assertions.Expect(p.GetByTestId("timeline").GetByTestId("bar-forecast").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(p.GetByTestId("timeline")).ToContainTextAsync($"{org}-001");
            // Opens at today (the lines run from two months ago to four months ahead), with the today mark on screen.
            await Assertions.Expect(p.GetByTestId("timeline-today")).ToBeInViewportAsync();
            await Assertions.Expect(p.GetByTestId("timeline-today")).ToHaveAttributeAsync("data-date", DateTime.UtcNow.ToString("yyyy-MM-dd"));
        },
        "/conflicts" => async p => await Assertions.Expect(p.GetByTestId("conflicts-empty")).ToBeVisibleAsync(new() { Timeout = 30_000 }),
        "/sync" => async p =>
        {
            await Assertions.Expect(p.Locator("body")).ToContainTextAsync("12 lines mirrored", new() { Timeout = 30_000 });
            // The write-back that met a PEMS conflict is not a plain green "completed".
            var write = p.Locator("[data-testid=sync-run-status][data-direction=write]");
            await Assertions.Expect(write).ToHaveTextAsync("completed with conflicts");
            await Assertions.Expect(write).ToHaveAttributeAsync("data-severity", "warning");
            await Assertions.Expect(p.Locator("[data-testid=sync-run-status][data-direction=read]")).ToHaveTextAsync("completed");
        },
        "/portfolio" => async p =>
        {
            var row = p.Locator($"[data-testid=portfolio-row][data-org={org}]");
            await Assertions.Expect(row).ToContainTextAsync("12", new() { Timeout = 30_000 });
            await Assertions.Expect(row.GetByTestId("portfolio-variance")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[+−]?\$[\d,]+$"));
            await Assertions.Expect(p.GetByTestId("portfolio-error")).ToHaveCountAsync(0);
            await Assertions.Expect(p.Locator("body")).Not.ToContainTextAsync("_error");
        },
        "/admin/users" => async p => await Assertions.Expect(p.GetByTestId("users-table")).ToContainTextAsync(user, new() { Timeout = 30_000 }),
        "/admin/audit" => async p => await Assertions.Expect(p.GetByTestId("audit-table")).ToContainTextAsync(user, new() { Timeout = 30_000 }),
        "/admin/organizations" => async p =>
        {
            await Assertions.Expect(p.GetByTestId("org-table")).ToContainTextAsync(org, new() { Timeout = 30_000 });
            // The last sync reads in the viewer's time zone with the zone named (it was UTC without saying so).
            await Assertions.Expect(p.GetByTestId("org-table").Locator("tr", new() { HasTextString = org }).GetByTestId("org-last-sync-at"))
                .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC([+−]\d\d:\d\d)?$"));
        },
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    private static readonly string[] Everyone = ["/", "/timeline", "/conflicts", "/sync"];

    public static TheoryData<string, bool, string[]> Roles => new()
    {
        { "Viewer", false, Everyone },
        { "Editor", false, Everyone },
        { "PortfolioManager", false, Everyone },
        { "BeoAnalyst", false, [.. Everyone, "/portfolio"] },
        { "Admin", false, [.. Everyone, "/portfolio", "/admin/users", "/admin/audit"] },
        { "Admin", true, [.. Everyone, "/portfolio", "/admin/users", "/admin/audit", "/admin/organizations"] },
    };

    private static readonly Dictionary<string, string> NavOf = new()
    {
        ["/"] = "nav-plan", ["/timeline"] = "nav-timeline", ["/conflicts"] = "nav-conflicts", ["/sync"] = "nav-sync", ["/portfolio"] = "nav-portfolio",
        ["/admin/users"] = "nav-users", ["/admin/audit"] = "nav-audit", ["/admin/organizations"] = "nav-admin-orgs",
    };

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Every_page_a_role_may_see_shows_the_organizations_data_without_console_errors(string role, bool systemAdmin, string[] pages)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "PG" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var user = "pages" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, user, orgId, role);
        if (systemAdmin)
        {
            await using var cmd = db.CreateCommand("UPDATE users SET is_system_admin = true WHERE username = $1");
            cmd.Parameters.AddWithValue(user);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        }
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await SeedMirrorAsync(db, orgId, Enumerable.Range(1, 12).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}", Description = "Generator 100 kVA " + i, AreaSilo = "EAST", Class = "POWER", Category = "02036",
            Source = PfaSource.Rental, MonthlyRate = 2500 + i * 10,
            OriginalStart = today.AddMonths(-2), OriginalEnd = today.AddMonths(3),
            ForecastStart = today.AddMonths(-2), ForecastEnd = today.AddMonths(i % 3 == 0 ? 4 : 3),
        }).ToArray());
        // A finished read, a write-back that met one PEMS conflict, and an audit entry in this organization.
        foreach (var sql in new[]
        {
            """
            INSERT INTO sync_log (organization_id, direction, kind, status, started_at, completed_at, duration_ms, fetched, inserted, updated, unchanged, deleted, rejected, triggered_by)
            VALUES ($1, 'read', 'full', 'completed', now() - interval '5 minutes', now() - interval '4 minutes', 1200, 12, 12, 0, 0, 0, 0, $2)
            """,
            """
            INSERT INTO sync_log (organization_id, direction, kind, status, started_at, completed_at, duration_ms, fetched, inserted, updated, unchanged, deleted, rejected, error_message, triggered_by)
            VALUES ($1, 'write', 'writeback', 'completed', now() - interval '3 minutes', now() - interval '3 minutes', 300, 3, 0, 2, 0, 0, 1, '1 conflict(s)', $2)
            """,
            """
            INSERT INTO audit_log (at, user_id, organization_id, action, entity, entity_id, outcome, actor_name)
            SELECT now(), id, $1, 'drafts.commit', 'pfa', 'line', 'success', username FROM users WHERE username = $2
            """,
        })
        {
            await using var cmd = db.CreateCommand(sql);
            cmd.Parameters.AddWithValue(orgId);
            cmd.Parameters.AddWithValue(user);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        }

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        var current = "/login";
        page.Console += (_, m) => { if (m.Type == "error") console.Enqueue($"{current}: {m.Text}"); };
        page.PageError += (_, e) => console.Enqueue($"{current}: page error {e}");
        try
        {
            await SignInAsync(page, web, user);
            // The nav offers exactly the pages of this role.
            foreach (var (path, nav) in NavOf)
                await Assertions.Expect(page.GetByTestId(nav)).ToHaveCountAsync(pages.Contains(path) ? 1 : 0);

            foreach (var path in pages)
            {
                current = path;
                // Through the nav, as a user goes: the interactive router renders the page in the live circuit.
                await page.GetByTestId(NavOf[path]).ClickAsync();
                await Assertions.Expect(page).ToHaveURLAsync(web + path);
                await Check(path, org, user)(page);
                await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
                if (systemAdmin && Screenshot(path) is { } name)
                {
                    await page.WaitForTimeoutAsync(300); // let chips and bars settle after the data arrived
                    await page.ScreenshotAsync(new() { Path = Path.Combine(PublishingEnvironment.RepositoryRoot, "docs", "screenshots", name) });
                }
            }
            Assert.True(console.IsEmpty, "Console errors:\n" + string.Join("\n", console));
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"pages-{role}-{systemAdmin}-failure.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    private static string? Screenshot(string path) => path switch
    {
        "/timeline" => "timeline.png",
        "/conflicts" => "conflicts.png",
        "/portfolio" => "portfolio.png",
        "/sync" => "sync.png",
        _ => null,
    };
}
