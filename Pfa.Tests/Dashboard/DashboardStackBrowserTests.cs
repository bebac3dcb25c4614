using System.Globalization;
using Microsoft.Playwright;
using Pfa.Dashboard.Telemetry;
using Pfa.ServiceDefaults;
using Pfa.Tests.Web;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// The dashboard the AppHost launched, in Debian's chromium, opened with the login link the AppHost prints: every resource
/// Running and Healthy; a restart clicked in the table gives the api a new process that comes back healthy; a sign-in's
/// trace as a waterfall across web, api and PostgreSQL; the console page. Screenshots: screenshots/apphost-dashboard-*.png.
/// </summary>
[Collection(DashboardStackCollection.Name)]
public sealed class DashboardStackBrowserTests(DashboardStackFixture stack)
{
    private static readonly string Shots = BrowserJourneyTests.Shots;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_login_link_shows_every_resource_healthy_a_restart_a_trace_across_services_and_the_console()
    {
        var traceId = await DashboardStackTests.SignInThroughWebAsync(stack, "ui");
        using (var client = await stack.LoginAsync())
            await DashboardStackFixture.EventuallyAsync<List<SpanEntry>>(client, $"/api/telemetry/traces/{traceId}", DashboardStackTests.IsWebApiPostgresTrace);

        Directory.CreateDirectory(Shots);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await BrowserJourneyTests.LaunchChromiumAsync(pw);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        try
        {
            // The login link lands on Resources: every resource of the AppHost, Running and Healthy.
            await page.GotoAsync(stack.LoginUrl);
            await Assertions.Expect(page.GetByTestId("resources-table")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            foreach (var resource in stack.App.Resources)
            {
                var row = Row(page, resource.Name);
                await Assertions.Expect(row.GetByTestId("state-chip")).ToHaveTextAsync("Running", new() { Timeout = 30_000 });
                await Assertions.Expect(row.GetByTestId("health-chip")).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
            }
            await Assertions.Expect(page.GetByTestId("resources-table").Locator("tbody tr")).ToHaveCountAsync(stack.App.Resources.Count);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-resources.png"), FullPage = true });

            // Restart the api the way a user does: the button in its row (clicks need the live circuit).
            await Assertions.Expect(page.GetByTestId("circuit-ready")).ToBeAttachedAsync(new() { Timeout = 30_000 });
            var oldPid = stack.App.GetProcessId(PfaResources.Api)!.Value.ToString(CultureInfo.InvariantCulture);
            var api = Row(page, PfaResources.Api);
            await Assertions.Expect(api.GetByTestId("resource-pid")).ToHaveTextAsync(oldPid);
            await page.GetByTestId($"command-{PfaResources.Api}-restart").ClickAsync();
            await Assertions.Expect(api.GetByTestId("resource-pid")).Not.ToHaveTextAsync(oldPid, new() { Timeout = 60_000 });
            await Assertions.Expect(api.GetByTestId("state-chip")).ToHaveTextAsync("Running", new() { Timeout = 60_000 });
            await Assertions.Expect(api.GetByTestId("health-chip")).ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
            var newPid = stack.App.GetProcessId(PfaResources.Api)!.Value.ToString(CultureInfo.InvariantCulture);
            Assert.NotEqual(oldPid, newPid);
            await Assertions.Expect(api.GetByTestId("resource-pid")).ToHaveTextAsync(newPid);
            Assert.False(Infrastructure.ProcessInspector.IsAlive(int.Parse(oldPid, CultureInfo.InvariantCulture)));
            using (var apiClient = stack.App.CreateHttpClient(PfaResources.Api))
                Assert.True((await apiClient.GetAsync("/health", Ct)).IsSuccessStatusCode);

            // The sign-in's trace: a waterfall from web's request through its API calls into PostgreSQL.
            await page.GotoAsync($"{stack.DashboardUrl.ToString().TrimEnd('/')}/traces/{traceId}");
            await Assertions.Expect(page.GetByTestId("trace-title")).ToHaveTextAsync("web: POST /account/login", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("[data-testid=span-row][data-span-resource=web]").First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=span-row][data-span-resource=api]").First).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("span-peer").Filter(new() { HasText = "postgresql" }).First).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-trace.png"), FullPage = true });

            // Console: every resource interleaved, following the tail (the list is virtualized: only lines in view are rendered),
            // which holds the restarted api's second start.
            await page.GetByTestId("nav-console").ClickAsync();
            var lines = page.GetByTestId("console-lines");
            await Assertions.Expect(lines).ToContainTextAsync("[syncworker]", new() { Timeout = 30_000 });
            await Search(page).FillAsync("Restart requested from the dashboard");
            await Assertions.Expect(lines).ToContainTextAsync($"[{PfaResources.Api}]", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("console-count")).ToContainTextAsync("1 lines of");
            await Search(page).FillAsync("");
            await Assertions.Expect(page.GetByTestId("console-count")).Not.ToContainTextAsync("1 lines of");
            // Follow keeps the newest line in view as lines keep arriving (health checks log every few seconds).
            var count = await page.GetByTestId("console-count").InnerTextAsync();
            await Assertions.Expect(page.GetByTestId("console-count")).Not.ToHaveTextAsync(count, new() { Timeout = 30_000 });
            await Assertions.Expect(lines.Locator(".console-line").Last).ToBeInViewportAsync(new() { Timeout = 10_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-console.png") });

            // Structured logs of the real services (the sign-in's lines link to its trace) and the API's request metrics.
            await page.GotoAsync($"{stack.DashboardUrl.ToString().TrimEnd('/')}/structuredlogs?resource={PfaResources.Api}");
            await Assertions.Expect(page.GetByTestId("log-row").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("logs-count")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[1-9][0-9]* of "));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-logs.png") });
            await page.GotoAsync($"{stack.DashboardUrl.ToString().TrimEnd('/')}/metrics");
            await Assertions.Expect(page.GetByTestId("metrics-chart").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-metrics.png") });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "apphost-dashboard-failure.png") });
            throw;
        }
    }

    private static ILocator Search(IPage page) => page.Locator("input[data-testid=console-search], [data-testid=console-search] input").First;

    private static ILocator Row(IPage page, string resource) => page.GetByTestId($"resource-{resource}").Locator("xpath=..");
}
